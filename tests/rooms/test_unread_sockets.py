"""Read positions and alerts over real sockets (the full ASGI stack, the in-process layer and
Redis pub/sub): a read in one tab reaches the user's other tabs and room list, mentions reach
the person wherever they are."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chatsite.asgi import application
from rooms import membership, services
from tests.conftest import session_cookie_for
from tests.support.frames import frame_of_type, frames_before_pong, hello, next_frame, send

pytestmark = pytest.mark.django_db(transaction=True)


async def open_room(connect, user, slug="lobby"):
    socket, connected, _ = await connect(user, slug)
    assert connected
    return socket, await hello(socket)


async def open_lobby(user):
    headers = [(b"host", b"localhost"), (b"origin", b"https://localhost"), (b"cookie", await session_cookie_for(user))]
    communicator = WebsocketCommunicator(application, "/ws/lobby/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    first = await next_frame(communicator)
    assert first["type"] == "lobby", first
    return communicator, first


@database_sync_to_async
def post(room, author, body, client_id):
    return services.message_create(room=room, author=author, body=body, client_id=client_id)


async def test_hello_carries_the_membership_entering_made(connect, user, other_user, room):
    await post(room, other_user, "before you came", "b1")
    socket, first = await open_room(connect, user)
    assert first["membership"] == {
        "room": "lobby",
        "read_seq": 1,
        "notify": "mentions",
        "unread_count": 0,
        "mention_count": 0,
        "mention_seqs": [],
    }
    await socket.disconnect()


async def test_reading_in_one_tab_clears_the_count_in_the_other_tab_and_the_room_list(
    connect, user, other_user, room, state_backend
):
    tab1, _ = await open_room(connect, user)
    tab2, _ = await open_room(connect, user)
    lobby, first = await open_lobby(user)
    assert [m["room"] for m in first["memberships"]] == ["lobby"]
    jun, _ = await open_room(connect, other_user)
    await send(jun, {"type": "send", "body": f"<@{user.pk}> look", "client_id": "j1"})
    await send(jun, {"type": "send", "body": "and this", "client_id": "j2"})
    for _ in range(2):
        await frame_of_type(jun, "ack")

    alert = await frame_of_type(lobby, "alert")
    assert alert["reason"] == "mention" and alert["message"]["seq"] == 1

    await send(tab1, {"type": "read", "seq": 2})
    for socket in (tab1, tab2, lobby):
        frame = await frame_of_type(socket, "membership")
        assert frame["membership"]["read_seq"] == 2
        assert frame["membership"]["mention_count"] == 0 and frame["membership"]["unread_count"] == 0
    # The other person hears nothing of it.
    assert not [f for f in await frames_before_pong(jun) if f["type"] == "membership"]
    for socket in (tab1, tab2, lobby, jun):
        await socket.disconnect()


async def test_an_older_read_changes_nothing_and_tells_nobody(connect, user, other_user, room):
    tab, _ = await open_room(connect, user)
    await post(room, other_user, "one", "c1")
    await post(room, other_user, "two", "c2")
    await send(tab, {"type": "read", "seq": 2})
    assert (await frame_of_type(tab, "membership"))["membership"]["read_seq"] == 2
    await send(tab, {"type": "read", "seq": 1})
    assert not [f for f in await frames_before_pong(tab) if f["type"] == "membership"]
    mine = await database_sync_to_async(membership.membership_get)(user=user, room=room)
    assert mine["read_seq"] == 2
    await tab.disconnect()


@pytest.mark.parametrize("seq", [-1, "3", None, True, 1.5])
async def test_a_malformed_read_is_refused_and_the_socket_stays(connect, user, room, seq):
    tab, _ = await open_room(connect, user)
    await tab.send_to(text_data=json.dumps({"type": "read", "seq": seq}))
    error = await frame_of_type(tab, "error")
    assert error["code"] == "invalid_field"
    await send(tab, {"type": "ping"})
    assert (await frame_of_type(tab, "pong"))["type"] == "pong"
    await tab.disconnect()


async def test_a_watched_room_alerts_its_watcher_of_every_message_elsewhere(
    connect, user, other_user, room, make_room, state_backend
):
    await database_sync_to_async(make_room)("elsewhere")
    await database_sync_to_async(membership.membership_enter)(user=user, room_id=room.pk)
    await database_sync_to_async(membership.membership_update)(user=user, room=room, notify="all")
    in_other_room, _ = await open_room(connect, user, "elsewhere")
    jun, _ = await open_room(connect, other_user)
    await send(jun, {"type": "send", "body": "anyone?", "client_id": "j1"})
    alert = await frame_of_type(in_other_room, "alert")
    assert alert["reason"] == "watch" and alert["room"] == {"slug": "lobby", "name": "Lobby"}
    # The room socket elsewhere gets the alert, never the room's own frames.
    assert not [f for f in await frames_before_pong(in_other_room) if f["type"] == "message.new"]
    await in_other_room.disconnect()
    await jun.disconnect()
