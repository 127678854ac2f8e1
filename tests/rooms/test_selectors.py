"""Reads. The snapshot a socket opens with is read with fixed SQL instead of the ORM: these
tests hold it to the frames the model serializers build (run on SQLite and on PostgreSQL)."""

import pytest

from rooms import selectors, services
from rooms.models import Message
from rooms.serializers import author_data, message_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def authors(make_user):
    """One author per way of showing a name: display name, full name, username; one with an avatar."""
    return [
        make_user("Mina", avatar_url="https://example.com/mina.png"),
        make_user("", first_name="Jun", last_name="Park"),
        make_user("", username="only-username"),
    ]


@pytest.fixture
def stored(room, authors):
    messages = [
        services.message_create(room=room, author=authors[i % 3], body=f"b{i}", client_id=f"c{i}").message
        for i in range(9)
    ]
    services.message_edit(message=messages[4], actor=authors[1], body="edited")
    services.message_delete(message=messages[5], actor=authors[2])
    return [Message.objects.select_related("room", "author").get(pk=m.pk) for m in messages]


def test_snapshot_after_an_id_holds_what_was_missed_in_the_serializers_shapes(room, authors, stored):
    snapshot = selectors.room_snapshot(room_id=room.pk, after=stored[2].pk, online_user_ids={a.pk for a in authors})
    assert snapshot.messages == [message_data(m) for m in stored[3:]]
    assert snapshot.messages[1]["edited_at"].endswith("Z") and snapshot.messages[2]["body"] == ""
    assert snapshot.online == [author_data(a) for a in sorted(authors, key=lambda a: a.pk)]
    assert [a["display_name"] for a in snapshot.online] == ["Mina", "Jun Park", "only-username"]
    assert snapshot.room == {
        "slug": "lobby",
        "name": room.name,
        "description": room.description,
        "is_archived": False,
        "last_seq": 9,
    }
    assert snapshot.has_more is True and snapshot.resync is False


def test_snapshot_after_the_newest_id_is_empty_and_has_more(room, authors, stored):
    snapshot = selectors.room_snapshot(room_id=room.pk, after=stored[-1].pk, online_user_ids=set())
    assert snapshot.messages == [] and snapshot.has_more is True and snapshot.online == []


def test_snapshot_after_zero_replays_everything_with_nothing_older(room, authors, stored):
    snapshot = selectors.room_snapshot(room_id=room.pk, after=0, online_user_ids={authors[0].pk})
    assert [m["id"] for m in snapshot.messages] == [m.pk for m in stored]
    assert snapshot.has_more is False and snapshot.resync is False


def test_fresh_snapshot_is_the_latest_page_oldest_first(room, authors, stored, settings):
    settings.ROOMS = {**settings.ROOMS, "HISTORY_SIZE": 4}
    snapshot = selectors.room_snapshot(room_id=room.pk, after=None, online_user_ids={authors[0].pk})
    assert snapshot.messages == [message_data(m) for m in stored[-4:]]
    assert snapshot.has_more is True and snapshot.resync is False


def test_snapshot_past_the_catchup_limit_is_the_latest_page_with_resync(room, authors, stored, settings):
    settings.ROOMS = {**settings.ROOMS, "CATCHUP_LIMIT": 3, "HISTORY_SIZE": 9}
    snapshot = selectors.room_snapshot(room_id=room.pk, after=stored[0].pk, online_user_ids=set())
    assert snapshot.messages == [message_data(m) for m in stored]
    assert snapshot.has_more is False and snapshot.resync is True


def test_snapshot_of_an_archived_room_says_so(room, authors, stored):
    room.is_archived = True
    room.save()
    snapshot = selectors.room_snapshot(room_id=room.pk, after=None, online_user_ids=set())
    assert snapshot.room["is_archived"] is True
