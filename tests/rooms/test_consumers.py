"""The room socket, through the whole ASGI stack, for every frame type, close code and error code."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chatsite.asgi import application
from rooms import services
from rooms.models import Message
from tests.conftest import session_cookie_for
from tests.support.frames import HOST, SAME_SITE, closed_with, frame_of_type, frames_before_pong, hello, send

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def store_messages(room, author, count):
    return [
        services.message_create(room=room, author=author, body=f"m{i}", client_id=f"seed-{i}").message
        for i in range(count)
    ]


async def joined(connect, user, slug="lobby", **kwargs):
    socket, connected, _ = await connect(user, slug, **kwargs)
    assert connected
    return socket, await hello(socket)


# --- Connecting --------------------------------------------------------------------------


async def test_socket_without_session_is_closed_with_4401(connect, room):
    socket, connected, _ = await connect(None, "lobby")
    assert connected
    assert await closed_with(socket) == 4401


async def test_deactivated_user_is_closed_with_4403(connect, room, make_user):
    inactive = await database_sync_to_async(make_user)("Gone", is_active=False)
    socket, _, _ = await connect(None, "lobby", scope_user=inactive)
    assert await closed_with(socket) == 4403


async def test_a_deactivated_users_session_closes_with_4403_through_the_real_session_lookup(connect, room, make_user):
    gone = await database_sync_to_async(make_user)("Gone")
    cookie = await session_cookie_for(gone)
    await database_sync_to_async(type(gone).objects.filter(pk=gone.pk).update)(is_active=False)
    socket = WebsocketCommunicator(
        application,
        "/ws/rooms/lobby/",
        headers=[*SAME_SITE, (b"cookie", cookie)],
    )
    await socket.connect(timeout=5)
    assert await closed_with(socket) == 4403


async def test_a_session_whose_password_changed_closes_with_4401_even_when_deactivated(connect, room, make_user):
    gone = await database_sync_to_async(make_user)("Gone")
    cookie = await session_cookie_for(gone)

    def deactivate_with_new_password():
        gone.set_password("changed")
        gone.is_active = False
        gone.save()

    await database_sync_to_async(deactivate_with_new_password)()
    socket = WebsocketCommunicator(
        application,
        "/ws/rooms/lobby/",
        headers=[*SAME_SITE, (b"cookie", cookie)],
    )
    await socket.connect(timeout=5)
    assert await closed_with(socket) == 4401  # the session no longer verifies: not theirs


async def test_unknown_room_is_closed_with_4404(connect, user):
    socket, _, _ = await connect(user, "no-such-room")
    assert await closed_with(socket) == 4404


async def test_a_room_deleted_after_its_slug_was_looked_up_closes_with_4404_not_an_error(connect, user, room):
    await joined(connect, user)  # its lookup is remembered (rooms/room_lookup.py)
    await database_sync_to_async(room.delete)()
    socket, _, _ = await connect(user, "lobby")
    assert await closed_with(socket) == 4404


async def test_an_unknown_slug_is_not_remembered(connect, user, make_room):
    socket, _, _ = await connect(user, "later")
    assert await closed_with(socket) == 4404
    await database_sync_to_async(make_room)("later")
    await joined(connect, user, "later")


async def test_handshake_from_a_foreign_origin_is_refused(user, room):
    cookie = await __import__("tests.conftest", fromlist=["session_cookie_for"]).session_cookie_for(user)
    socket = WebsocketCommunicator(
        application,
        "/ws/rooms/lobby/",
        headers=[HOST, (b"origin", b"https://evil.example"), (b"cookie", cookie)],
    )
    connected, _ = await socket.connect()
    assert not connected


async def test_hello_holds_room_you_online_and_the_last_50_messages(connect, user, room):
    await store_messages(room, user, 60)
    socket, frame = await joined(connect, user)
    assert frame["room"]["slug"] == "lobby" and frame["room"]["last_seq"] == 60
    assert frame["you"]["id"] == user.pk and frame["you"]["display_name"] == "Mina"
    assert [u["id"] for u in frame["online"]] == [user.pk] and frame["online_count"] == 1
    assert [m["body"] for m in frame["messages"]] == [f"m{i}" for i in range(10, 60)]
    assert frame["has_more"] is True and frame["resync"] is False


async def test_since_replays_every_change_after_that_event_edits_and_deletes_included(connect, user, room):
    stored = await store_messages(room, user, 8)  # events 1–8
    await database_sync_to_async(services.message_edit)(message=stored[1], actor=user, body="edited")  # 9
    await database_sync_to_async(services.message_delete)(message=stored[2], actor=user)  # 10
    socket, frame = await joined(connect, user, since=5)
    assert [(m["id"], m["event"]) for m in frame["messages"]] == [
        *((m.pk, m.event) for m in stored[5:]),
        (stored[1].pk, 9),
        (stored[2].pk, 10),
    ]
    assert frame["messages"][-2]["body"] == "edited" and frame["messages"][-1]["deleted"] is True
    assert frame["event"] == 10 and frame["room"]["last_event"] == 10 and frame["resync"] is False


async def test_since_beyond_the_catchup_limit_asks_for_a_resync(connect, user, room, settings):
    settings.ROOMS = {**settings.ROOMS, "CATCHUP_LIMIT": 3, "HISTORY_SIZE": 4}
    stored = await store_messages(room, user, 10)
    socket, frame = await joined(connect, user, since=1)
    assert frame["resync"] is True and frame["event"] == 10
    assert [m["id"] for m in frame["messages"]] == [m.pk for m in stored[-4:]]


async def test_a_client_from_before_room_events_catching_up_by_id_gets_a_resync(connect, user, room, settings):
    settings.ROOMS = {**settings.ROOMS, "HISTORY_SIZE": 4}
    stored = await store_messages(room, user, 10)
    socket, frame = await joined(connect, user, after=stored[8].pk)
    assert frame["resync"] is True
    assert [m["id"] for m in frame["messages"]] == [m.pk for m in stored[-4:]]


# --- Sending -----------------------------------------------------------------------------


async def test_send_is_stored_before_the_ack_and_reaches_everyone(connect, user, other_user, room, state_backend):
    mina, _ = await joined(connect, user)
    jun, _ = await joined(connect, other_user)
    await send(mina, {"type": "send", "body": "안녕하세요 👋", "client_id": "c-1"})

    ack = await frame_of_type(mina, "ack")
    stored = await database_sync_to_async(Message.objects.get)(pk=ack["message"]["id"])
    assert stored.body == "안녕하세요 👋" and ack["client_id"] == "c-1" and ack["message"]["seq"] == 1
    for socket in (mina, jun):
        new = await frame_of_type(socket, "message.new")
        assert new["message"]["id"] == stored.pk and new["message"]["author"]["display_name"] == "Mina"


async def test_resending_a_client_id_returns_the_stored_message_without_a_duplicate(connect, user, room):
    socket, _ = await joined(connect, user)
    await send(socket, {"type": "send", "body": "once", "client_id": "retry-me"})
    first = await frame_of_type(socket, "ack")
    await send(socket, {"type": "send", "body": "once", "client_id": "retry-me"})
    second = await frame_of_type(socket, "ack")
    assert first["message"]["id"] == second["message"]["id"]
    assert await database_sync_to_async(Message.objects.filter(room=room).count)() == 1


async def test_sequence_numbers_have_no_gaps(connect, user, room):
    socket, _ = await joined(connect, user)
    for i in range(4):
        await send(socket, {"type": "send", "body": f"n{i}", "client_id": f"seq-{i}"})
    seqs = [(await frame_of_type(socket, "ack"))["message"]["seq"] for _ in range(4)]
    assert seqs == [1, 2, 3, 4]


async def test_sends_from_many_sockets_at_once_reach_everyone_in_seq_order_without_gaps(
    connect, room, make_user, make_room, state_backend
):
    # Sends from many sockets at once wait for the write threads and go in batches of several
    # rooms' messages (rooms/workers.py): each room's frames must still leave in seq order.
    await database_sync_to_async(make_room)("other")
    people = [await database_sync_to_async(make_user)(f"P{i}") for i in range(6)]
    members_of = {"lobby": people[:3], "other": people[3:]}
    sockets = {
        slug: [(await joined(connect, person, slug))[0] for person in members] for slug, members in members_of.items()
    }
    per_socket = 5  # the default burst: no send is refused
    await asyncio.gather(
        *(
            send(socket, {"type": "send", "body": f"{slug} {i}", "client_id": f"{slug}-{n}-{i}"})
            for slug, members in sockets.items()
            for n, socket in enumerate(members)
            for i in range(per_socket)
        )
    )
    expected = list(range(1, 3 * per_socket + 1))
    for slug, members in sockets.items():
        for socket in members:
            frames = [await frame_of_type(socket, "message.new") for _ in expected]
            assert [frame["message"]["seq"] for frame in frames] == expected
            assert {frame["message"]["room"] for frame in frames} == {slug}
            acks = [await frame_of_type(socket, "ack") for _ in range(per_socket)]
            assert [ack["client_id"].rsplit("-", 1)[1] for ack in acks] == [str(i) for i in range(per_socket)]


async def test_sends_past_the_rate_limit_are_refused_across_tabs(connect, user, room, settings, state_backend):
    settings.ROOMS = {**settings.ROOMS, "SEND_RATE_COUNT": 1, "SEND_RATE_PERIOD": 60, "SEND_RATE_BURST": 2}
    tab1, _ = await joined(connect, user)
    tab2, _ = await joined(connect, user)
    await send(tab1, {"type": "send", "body": "1", "client_id": "r1"})
    await frame_of_type(tab1, "ack")
    await send(tab2, {"type": "send", "body": "2", "client_id": "r2"})
    await frame_of_type(tab2, "ack")
    await send(tab2, {"type": "send", "body": "3", "client_id": "r3"})
    error = await frame_of_type(tab2, "error")
    assert error["code"] == "rate_limited" and error["client_id"] == "r3" and 1 <= error["retry_after"] <= 60
    assert await database_sync_to_async(Message.objects.filter(client_id="r3").exists)() is False


async def test_archived_room_can_be_joined_but_not_written(connect, user, make_room):
    await database_sync_to_async(make_room)("old", is_archived=True)
    socket, frame = await joined(connect, user, slug="old")
    assert frame["room"]["is_archived"] is True
    await send(socket, {"type": "send", "body": "hi", "client_id": "a1"})
    assert (await frame_of_type(socket, "error"))["code"] == "room_archived"


BAD_FRAMES = [
    ("{not json", "invalid_json"),
    ("[1, 2]", "invalid_frame"),
    ('{"body": "no type"}', "invalid_frame"),
    ('{"type": 7}', "invalid_frame"),
    ('{"type": "shout"}', "unknown_type"),
    ('{"type": "send", "body": 5, "client_id": "x1"}', "invalid_field"),
    ('{"type": "send", "body": "", "client_id": "x2"}', "empty_body"),
    ('{"type": "send", "body": " \\n\\t ", "client_id": "x3"}', "empty_body"),
    ('{"type": "send", "body": "' + "a" * 4001 + '", "client_id": "x4"}', "body_too_long"),
    ('{"type": "send", "body": "bell\\u0007", "client_id": "x5"}', "invalid_body"),
    # orjson refuses lone surrogates outright; REST (json module) reaches rules.clean_body instead.
    ('{"type": "send", "body": "half \\ud800", "client_id": "x6"}', "invalid_json"),
    ('{"type": "send", "body": "hi"}', "invalid_client_id"),
    ('{"type": "send", "body": "hi", "client_id": "has space"}', "invalid_client_id"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES, ids=[code for _, code in BAD_FRAMES])
async def test_bad_frames_get_an_error_and_keep_the_connection(connect, user, room, raw, code):
    socket, _ = await joined(connect, user)
    await send(socket, raw)
    error = await frame_of_type(socket, "error")
    assert error["code"] == code and error["detail"]
    await send(socket, {"type": "ping"})
    assert (await frame_of_type(socket, "pong"))["last_seq"] == 0
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_binary_frames_are_refused_with_an_error(connect, user, room):
    socket, _ = await joined(connect, user)
    await socket.send_to(bytes_data=b"\xff\xfe")
    assert (await frame_of_type(socket, "error"))["code"] == "binary_unsupported"


async def test_a_frame_over_64_kib_closes_with_4413(connect, user, room):
    socket, _ = await joined(connect, user)
    await send(socket, {"type": "send", "body": "x" * 70_000, "client_id": "big"})
    assert await closed_with(socket) == 4413


# --- Presence, typing, ping --------------------------------------------------------------


async def test_typing_reaches_others_but_not_the_typist(connect, user, other_user, room):
    mina, _ = await joined(connect, user)
    jun, _ = await joined(connect, other_user)
    await send(mina, {"type": "typing"})
    typing = await frame_of_type(jun, "typing")
    assert typing["user"]["id"] == user.pk
    assert "typing" not in [f["type"] for f in await frames_before_pong(mina)]


async def test_typing_is_throttled_per_connection(connect, user, other_user, room):
    mina, _ = await joined(connect, user)
    jun, _ = await joined(connect, other_user)
    for _ in range(3):
        await send(mina, {"type": "typing"})
    await frame_of_type(jun, "typing")
    await frames_before_pong(mina)  # all three typing frames have been handled by now
    assert "typing" not in [f["type"] for f in await frames_before_pong(jun)]


async def test_pong_carries_the_rooms_last_seq_and_last_event(connect, user, room):
    stored = await store_messages(room, user, 3)
    await database_sync_to_async(services.message_delete)(message=stored[0], actor=user)
    socket, _ = await joined(connect, user)
    await send(socket, {"type": "ping"})
    assert await frame_of_type(socket, "pong") == {"type": "pong", "last_seq": 3, "last_event": 4}


async def test_connections_past_the_per_user_cap_are_closed_with_4429(connect, user, room, settings):
    settings.ROOMS = {**settings.ROOMS, "MAX_CONNECTIONS_PER_USER": 2}
    await joined(connect, user)
    await joined(connect, user)
    third, _, _ = await connect(user, "lobby")
    assert await closed_with(third) == 4429


# --- Changes from the HTTP side ----------------------------------------------------------


async def test_http_send_edit_and_delete_reach_open_sockets_with_their_events(connect, user, room, api):
    socket, _ = await joined(connect, user)
    base = "/api/rooms/lobby/messages/"
    response = await database_sync_to_async(api.post)(base, {"body": "hi", "client_id": "h-1"}, format="json")
    new = await frame_of_type(socket, "message.new")
    assert new["message"]["id"] == response.data["id"] and new["event"] == new["message"]["event"] == 1

    await database_sync_to_async(api.patch)(f"{base}{response.data['id']}/", {"body": "better"}, format="json")
    edited = await frame_of_type(socket, "message.edited")
    assert edited["message"]["body"] == "better" and edited["message"]["edited_at"] and edited["event"] == 2

    await database_sync_to_async(api.delete)(f"{base}{response.data['id']}/")
    deleted = await frame_of_type(socket, "message.deleted")
    assert deleted["message"]["deleted"] is True and deleted["message"]["body"] == "" and deleted["event"] == 3


async def test_disconnect_during_a_send_loses_nothing_stored(connect, user, room):
    socket, _ = await joined(connect, user)
    await send(socket, {"type": "send", "body": "last words", "client_id": "bye"})
    await asyncio.sleep(0.2)
    await socket.disconnect()
    assert await database_sync_to_async(Message.objects.filter(client_id="bye").count)() == 1
