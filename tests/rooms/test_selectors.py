"""Reads. What a socket opens with and the HTTP fallback polls (room_sync) is read with fixed
SQL instead of the ORM: these tests hold it to the frames the model serializers build, and to
the catch-up rules of docs/protocol.md, "Room events" (run on SQLite and on PostgreSQL)."""

import orjson
import pytest

from rooms import selectors, services
from rooms.models import Message, Room
from rooms.serializers import author_data, message_data, room_data

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
    """Nine messages (events 1–9), then message 4 edited (event 10) and message 5 deleted (11)."""
    messages = [
        services.message_create(room=room, author=authors[i % 3], body=f"b{i}", client_id=f"c{i}").message
        for i in range(9)
    ]
    services.message_edit(message=messages[4], actor=authors[1], body="edited")
    services.message_delete(message=messages[5], actor=authors[2])
    return [Message.objects.select_related("room", "author").get(pk=m.pk) for m in messages]


def test_every_change_takes_the_next_room_event(room, stored):
    assert [m.event for m in stored] == [1, 2, 3, 4, 10, 11, 7, 8, 9]
    assert Room.objects.get(pk=room.pk).last_event == 11


def test_changes_since_an_event_are_each_changed_message_once_in_its_current_state(room, authors, stored):
    sync = selectors.room_sync(room_id=room.pk, since=2, online_user_ids={a.pk for a in authors})
    # In event order: 3, 4, 7, 8, 9 (posts), then the edit (10) and the delete (11).
    expected = [stored[i] for i in (2, 3, 6, 7, 8, 4, 5)]
    assert sync.messages == [message_data(m) for m in expected]
    assert sync.messages[-2]["body"] == "edited" and sync.messages[-2]["edited_at"].endswith("Z")
    assert sync.messages[-1]["deleted"] is True and sync.messages[-1]["body"] == ""
    assert sync.event == 11 and sync.resync is False
    assert sync.online == [author_data(a) for a in sorted(authors, key=lambda a: a.pk)]
    assert [a["display_name"] for a in sync.online] == ["Mina", "Jun Park", "only-username"]
    assert sync.room == room_data(Room.objects.get(pk=room.pk))


def test_an_edit_and_a_delete_of_old_messages_are_the_whole_catch_up_after_them(room, stored):
    sync = selectors.room_sync(room_id=room.pk, since=9)
    assert [(m["id"], m["event"]) for m in sync.messages] == [(stored[4].pk, 10), (stored[5].pk, 11)]


def test_changes_since_the_head_are_empty(room, stored):
    sync = selectors.room_sync(room_id=room.pk, since=11)
    assert sync.messages == [] and sync.event == 11 and sync.resync is False


def test_a_fresh_join_is_the_latest_window_oldest_first(room, authors, stored, settings):
    settings.ROOMS = {**settings.ROOMS, "HISTORY_SIZE": 4}
    sync = selectors.room_sync(room_id=room.pk, since=None, online_user_ids={authors[0].pk})
    assert sync.messages == [message_data(m) for m in stored[-4:]]
    assert sync.has_more is True and sync.resync is False and sync.event == 11


def test_more_changes_than_the_catchup_limit_is_a_resync_to_the_window(room, stored, settings):
    settings.ROOMS = {**settings.ROOMS, "CATCHUP_LIMIT": 3, "HISTORY_SIZE": 9}
    sync = selectors.room_sync(room_id=room.pk, since=2)
    assert sync.messages == [message_data(m) for m in stored]
    assert sync.has_more is False and sync.resync is True and sync.event == 11


def test_a_since_past_the_head_is_a_resync(room, stored):
    sync = selectors.room_sync(room_id=room.pk, since=500)
    assert sync.resync is True and sync.event == 11 and len(sync.messages) == 9


def test_changes_over_the_byte_bound_are_a_resync_and_the_window_stays_under_it(room, make_user, settings):
    settings.ROOMS = {**settings.ROOMS, "SYNC_MAX_BYTES": 64 * 1024, "SEND_RATE_BURST": 100}
    author = make_user("Wide")
    for i in range(12):
        services.message_create(room=room, author=author, body="😀" * 4000, client_id=f"w{i}")
    sync = selectors.room_sync(room_id=room.pk, since=0)
    assert sync.resync is True and sync.has_more is True
    # The window: the newest messages that fit (each about 16 KB), and not one more.
    sizes = [len(orjson.dumps(m)) for m in sync.messages]
    assert sum(sizes) <= 64 * 1024 < sum(sizes) + sizes[0]
    assert [m["client_id"] for m in sync.messages] == [f"w{i}" for i in range(12 - len(sizes), 12)]


def test_a_window_holds_the_newest_message_even_when_it_alone_is_over_the_bound(room, make_user, settings):
    settings.ROOMS = {**settings.ROOMS, "SYNC_MAX_BYTES": 1, "SEND_RATE_BURST": 100}
    author = make_user("Wide")
    for i in range(3):
        services.message_create(room=room, author=author, body="x" * 100, client_id=f"w{i}")
    sync = selectors.room_sync(room_id=room.pk, since=None)
    assert [m["client_id"] for m in sync.messages] == ["w2"] and sync.has_more is True


def test_an_archived_room_says_so_and_its_archiving_is_an_event(room, stored):
    change = services.room_update(room=room, is_archived=True)
    sync = selectors.room_sync(room_id=room.pk, since=11)
    assert sync.room["is_archived"] is True and sync.event == 12 and sync.messages == []
    assert [event.frame for event in change.events] == [{"type": "room.updated", "event": 12, "room": sync.room}]


def test_a_gone_room_raises(db):
    with pytest.raises(Room.DoesNotExist):
        selectors.room_sync(room_id=987654, since=None)
