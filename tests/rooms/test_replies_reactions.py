"""Replies and reactions: the rules (same room, not deleted, one of each emoji per person, a cap,
archived rooms, the send budget), their frames, their replay in a catch-up, and that loading
history costs no query per message for them."""

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rooms import selectors, services
from rooms.errors import ChatError
from rooms.models import Message, Room
from tests.support.frames import frame_of_type, frames_before_pong, hello, send


def post(room, author, body, client_id, **extra):
    return services.message_create(room=room, author=author, body=body, client_id=client_id, **extra)


def react(message, actor, emoji="👍", on=True):
    return services.message_react(message=Message.objects.get(pk=message.pk), actor=actor, emoji=emoji, on=on)


# --- Replies ---------------------------------------------------------------------------------


def test_a_reply_carries_its_original_as_it_is_now(db, room, user, other_user, api):
    original = post(room, other_user, "first line\nsecond line", "o1").message
    answer = api.post(
        f"/api/rooms/{room.slug}/messages/",
        {"body": "agreed", "client_id": "r1", "reply_to": original.pk},
        format="json",
    )
    assert answer.status_code == 201
    assert answer.json()["reply_to"] == {
        "id": original.pk,
        "seq": original.seq,
        "author": {"id": other_user.pk, "display_name": "Jun", "avatar_url": "", "is_staff": False},
        "excerpt": "first line",
        "deleted": False,
    }
    services.message_edit(message=Message.objects.get(pk=original.pk), actor=other_user, body="changed my mind")
    page = api.get(f"/api/rooms/{room.slug}/messages/").json()["messages"]
    assert page[0]["reply_to"]["excerpt"] == "changed my mind"
    services.message_delete(message=Message.objects.get(pk=original.pk), actor=other_user)
    page = api.get(f"/api/rooms/{room.slug}/messages/").json()["messages"]
    assert (page[0]["reply_to"]["deleted"], page[0]["reply_to"]["excerpt"]) == (True, "")


def test_a_reply_to_another_room_or_to_nothing_is_refused_and_nothing_is_stored(db, room, make_room, user, api):
    elsewhere = post(make_room("elsewhere"), user, "over here", "e1").message
    for reply_to in (elsewhere.pk, 999_999, "12", True, -1):
        answer = api.post(
            f"/api/rooms/{room.slug}/messages/", {"body": "hi", "client_id": "r1", "reply_to": reply_to}, format="json"
        )
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_reply", reply_to
    assert not room.messages.exists()


def test_a_reply_to_a_deleted_message_is_refused(db, room, user, other_user):
    original = post(room, other_user, "oops", "o1").message
    services.message_delete(message=original, actor=other_user)
    with pytest.raises(ChatError) as refused:
        post(room, user, "what was it?", "r1", reply_to=original.pk)
    assert (refused.value.code, refused.value.status) == ("message_deleted", 409)


# --- Reactions -------------------------------------------------------------------------------


def test_reacting_is_idempotent_and_each_change_is_a_room_event(db, room, user, other_user):
    message = post(room, other_user, "lunch?", "m1").message
    first = react(message, user)
    assert first.data["reactions"] == [{"emoji": "👍", "users": [first.data["reactions"][0]["users"][0]]}]
    assert first.data["reactions"][0]["users"][0]["id"] == user.pk
    assert [e.frame["type"] for e in first.events] == ["message.reacted"]
    assert first.events[0].frame["event"] == first.data["event"] > message.event
    again = react(message, user)
    assert again.events == [] and again.data["reactions"] == first.data["reactions"]
    room.refresh_from_db()
    assert room.last_event == first.data["event"]  # the no-op took no number
    both = react(message, other_user)
    assert [u["id"] for u in both.data["reactions"][0]["users"]] == [user.pk, other_user.pk]
    off = react(message, user, on=False)
    assert [u["id"] for u in off.data["reactions"][0]["users"]] == [other_user.pk]
    assert react(message, user, on=False).events == []


def test_a_message_holds_at_most_the_cap_of_different_emoji(db, room, user, settings):
    settings.ROOMS = {**settings.ROOMS, "REACTIONS_MAX_EMOJI": 2, "SEND_RATE_BURST": 50}
    message = post(room, user, "vote", "m1").message
    react(message, user, "👍")
    react(message, user, "🎉")
    with pytest.raises(ChatError) as refused:
        react(message, user, "😮")
    assert refused.value.code == "too_many_reactions"
    react(message, user, "👍", on=False)
    react(message, user, "😮")  # room again once one went


@pytest.mark.parametrize("emoji", ["a", "👍👍", "", "<b>", 7, None, "🇰", "👍" * 20])
def test_anything_but_one_emoji_is_refused(db, room, user, api, emoji):
    message = post(room, user, "hi", "m1").message
    answer = api.post(
        f"/api/rooms/{room.slug}/messages/{message.pk}/reactions/", {"emoji": emoji, "on": True}, format="json"
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] in {"invalid_emoji", "invalid_field"}
    assert not message.reactions.exists()


@pytest.mark.parametrize("emoji", ["👍🏽", "👨‍👩‍👧", "🇰🇷", "1️⃣", "❤️", "🏳️‍🌈"])
def test_emoji_with_modifiers_and_sequences_are_one_emoji(db, room, user, emoji):
    message = post(room, user, "hi", "m1").message
    assert react(message, user, emoji).data["reactions"][0]["emoji"] == emoji


def test_archived_rooms_and_deleted_messages_take_no_reactions_from_anyone(db, room, user, make_user):
    moderator = make_user("Mod", is_staff=True)
    message = post(room, user, "hi", "m1").message
    gone = post(room, user, "bye", "m2").message
    services.message_delete(message=gone, actor=user)
    with pytest.raises(ChatError) as refused:
        react(gone, user)
    assert refused.value.code == "message_deleted"
    Room.objects.filter(pk=room.pk).update(is_archived=True)
    for who in (user, moderator):
        with pytest.raises(ChatError) as refused:
            react(message, who)
        assert refused.value.code == "room_archived"


def test_reactions_draw_on_the_send_budget(db, room, user, settings):
    settings.ROOMS = {**settings.ROOMS, "SEND_RATE_BURST": 2, "SEND_RATE_COUNT": 1, "SEND_RATE_PERIOD": 60}
    message = post(room, user, "hi", "m1").message  # one token
    react(message, user, "👍")  # the second
    with pytest.raises(ChatError) as refused:
        react(message, user, "🎉")
    assert refused.value.code == "rate_limited"


def test_history_costs_the_same_queries_however_many_replies_and_reactions(db, room, user, other_user, api, settings):
    settings.ROOMS = {**settings.ROOMS, "SEND_RATE_BURST": 500}

    def fill(count, start):
        previous = None
        for i in range(start, start + count):
            message = post(room, user, f"m{i}", f"c{i}", reply_to=previous).message
            react(message, other_user, "👍")
            react(message, user, "🎉")
            previous = message.pk

    def queries_for_a_page():
        with CaptureQueriesContext(connection) as rest:
            assert api.get(f"/api/rooms/{room.slug}/messages/?limit=50").status_code == 200
        with CaptureQueriesContext(connection) as sync:
            selectors.room_sync(room_id=room.pk, since=None)
        return len(rest), len(sync)

    fill(3, 0)
    few = queries_for_a_page()
    fill(40, 100)
    assert queries_for_a_page() == few


# --- Over sockets ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_reaction_reaches_everyone_and_replays_after_a_reconnect(
    connect, user, other_user, room, state_backend
):
    mina, _, _ = await connect(user, "lobby")
    first = await hello(mina)
    jun, _, _ = await connect(other_user, "lobby")
    await hello(jun)
    await send(mina, {"type": "send", "body": "lunch?", "client_id": "m1"})
    message = (await frame_of_type(mina, "ack"))["message"]
    await send(jun, {"type": "send", "body": "yes", "client_id": "j1", "reply_to": message["id"]})
    reply = (await frame_of_type(jun, "ack"))["message"]
    assert reply["reply_to"]["excerpt"] == "lunch?"
    head = (await frame_of_type(mina, "message.new"))["event"]
    head = max(head, (await frame_of_type(mina, "message.new"))["event"])
    await mina.disconnect()

    await send(jun, {"type": "react", "message_id": message["id"], "emoji": "🎉", "on": True})
    reacted = await frame_of_type(jun, "message.reacted")
    assert [r["emoji"] for r in reacted["message"]["reactions"]] == ["🎉"]
    # Mina was away: her catch-up brings the message in its current state, reactions included.
    back, _, _ = await connect(user, "lobby", since=head)
    caught_up = await hello(back)
    (changed,) = caught_up["messages"]
    assert changed["id"] == message["id"] and changed["reactions"][0]["users"][0]["id"] == other_user.pk
    assert caught_up["event"] == reacted["event"] and first["event"] < head
    await back.disconnect()
    await jun.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_bad_react_frame_is_refused_and_the_socket_stays(connect, user, room):
    socket, _, _ = await connect(user, "lobby")
    await hello(socket)
    for frame in (
        {"type": "react", "message_id": "1", "emoji": "👍", "on": True},
        {"type": "react", "message_id": 424242, "emoji": "👍", "on": True},
    ):
        await send(socket, frame)
        assert (await frame_of_type(socket, "error"))["code"] in {"invalid_field", "not_found"}
    message = await database_sync_to_async(post)(room, user, "hi", "m1")
    await send(socket, {"type": "react", "message_id": message.message.pk, "emoji": "👍", "on": "yes"})
    refused = await frame_of_type(socket, "error")
    assert (refused["code"], refused["message_id"]) == ("invalid_field", message.message.pk)
    assert not [f for f in await frames_before_pong(socket) if f["type"] == "message.reacted"]
    await socket.disconnect()
