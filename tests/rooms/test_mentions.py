"""Mentions: the grammar (the same cases the front end runs), who can be mentioned, the limits,
and how a mention follows its message through edits, deletes and renames."""

import json
from pathlib import Path

import pytest

from rooms import mentions, services
from rooms.errors import ChatError
from rooms.models import Membership, Mention, Room

CASES = json.loads((Path(__file__).resolve().parents[2] / "frontend/src/lib/mention-cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["body"][:30] for case in CASES])
def test_the_server_reads_a_body_as_the_shared_cases_say(case):
    refs = mentions.parse(case["body"])
    assert list(refs.user_ids) == case["users"]
    assert refs.room is case["room"]


@pytest.fixture
def members(db, room, make_user):
    """Mina, Jun and Ana, who have all entered the room."""
    people = [make_user(name) for name in ("Mina", "Jun", "Ana")]
    for person in people:
        Membership.objects.create(user=person, room=room, read_seq=0)
    return people


def send(room, author, body, client_id="c1"):
    return services.message_create(room=room, author=author, body=body, client_id=client_id)


def test_a_mention_of_a_member_is_stored_as_a_reference_with_the_name_as_it_is_now(room, members):
    mina, jun, _ = members
    result = send(room, mina, f"hi <@{jun.pk}>")
    assert result.data["mentions"] == [{"id": jun.pk, "display_name": "Jun", "avatar_url": "", "is_staff": False}]
    assert list(Mention.objects.values_list("user_id", "seq")) == [(jun.pk, result.message.seq)]
    jun.display_name = "Junho"
    jun.save()
    page = services.message_data(type(result.message).objects.get(pk=result.message.pk))
    assert page["mentions"][0]["display_name"] == "Junho"  # a rename does not break the mention
    assert page["body"] == f"hi <@{jun.pk}>"


def test_someone_who_never_entered_the_room_cannot_be_mentioned(room, members, make_user):
    mina = members[0]
    outsider = make_user("Outsider")
    result = send(room, mina, f"psst <@{outsider.pk}> and <@999999>")
    assert result.data["mentions"] == []
    assert not Mention.objects.exists()


def test_mentioning_yourself_shows_but_counts_for_nobody(room, members):
    mina = members[0]
    result = send(room, mina, f"note to <@{mina.pk}>")
    assert [m["id"] for m in result.data["mentions"]] == [mina.pk]
    assert not Mention.objects.exists()
    assert [type(e).__name__ for e in result.events] == ["RoomEvent"]  # no alert to anyone


def test_more_than_the_limit_of_people_is_refused_and_nothing_is_stored(room, members, settings):
    settings.ROOMS = {**settings.ROOMS, "MENTIONS_MAX": 2}
    mina, jun, ana = members
    with pytest.raises(ChatError) as refused:
        send(room, mina, f"<@{mina.pk}> <@{jun.pk}> <@{ana.pk}>")
    assert refused.value.code == "too_many_mentions"
    assert not room.messages.exists()


def test_room_mention_is_for_moderators_unless_the_room_allows_everyone(room, members, make_user):
    mina = members[0]
    with pytest.raises(ChatError) as refused:
        send(room, mina, "@room lunch?")
    assert (refused.value.code, refused.value.status) == ("room_mention_not_allowed", 403)
    assert not room.messages.exists()

    moderator = make_user("Mod", is_staff=True)
    assert send(room, moderator, "@room maintenance at 6", client_id="m1").data["mentions_room"] is True

    Room.objects.filter(pk=room.pk).update(allow_room_mention=True)  # a save() would put back stale counters
    assert send(room, mina, "@room lunch?", client_id="c2").data["mentions_room"] is True


def test_an_edit_moves_the_mention_and_a_delete_removes_it(room, members):
    mina, jun, ana = members
    message = send(room, mina, f"<@{jun.pk}> look").message
    edited = services.message_edit(message=message, actor=mina, body=f"<@{ana.pk}> look")
    assert [m["id"] for m in edited.data["mentions"]] == [ana.pk]
    assert list(Mention.objects.values_list("user_id", flat=True)) == [ana.pk]
    # Both people whose counts moved hear of it; the author does not.
    told = sorted(e.user_ids[0] for e in edited.events if getattr(e, "user_ids", None))
    assert told == sorted([jun.pk, ana.pk])

    deleted = services.message_delete(message=edited.message, actor=mina)
    assert deleted.data["mentions"] == [] and not Mention.objects.exists()
    assert [e.user_ids for e in deleted.events if getattr(e, "user_ids", None)] == [(ana.pk,)]


def test_an_edit_that_adds_room_needs_the_same_right_as_a_send(room, members):
    mina = members[0]
    message = send(room, mina, "lunch?").message
    with pytest.raises(ChatError) as refused:
        services.message_edit(message=message, actor=mina, body="@room lunch?")
    assert refused.value.code == "room_mention_not_allowed"
    message.refresh_from_db()
    assert message.body == "lunch?" and not message.mentions_room
