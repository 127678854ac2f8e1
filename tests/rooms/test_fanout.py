"""Room frames reach a process's sockets through one subscription per room (rooms/fanout.py)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from rooms import realtime, selectors
from rooms.events import RoomEvent
from rooms.fanout import fanout_for
from tests.support.frames import frame_of_type, hello, next_frame, send

pytestmark = pytest.mark.django_db(transaction=True)


def layer_members(room_id: int) -> set[str]:
    """The channels subscribed to a room's group in this process's channel layer."""
    layer = get_channel_layer()
    group = realtime.room_group(room_id)
    if hasattr(layer, "_get_layer"):  # the pub/sub layer keeps groups per event loop
        inner = layer._get_layer()
        return set(inner.groups.get(inner._get_group_channel_name(group), set()))
    return set(layer.groups.get(group, {}))


async def open_room(connect, user, slug="lobby"):
    socket, connected, _ = await connect(user, slug)
    assert connected
    await hello(socket)
    return socket


async def test_sockets_of_a_room_share_one_subscription(connect, user, other_user, make_user, room, state_backend):
    third = await database_sync_to_async(make_user)("Third")
    sockets = [await open_room(connect, u) for u in (user, other_user, third)]
    assert len(layer_members(room.pk)) == 1
    assert len(fanout_for(get_channel_layer()).groups[realtime.room_group(room.pk)].sockets) == 3

    await send(sockets[0], {"type": "typing"})
    for listener in sockets[1:]:
        assert (await frame_of_type(listener, "typing"))["user"]["id"] == user.pk
    # The sender is excluded from its own typing frame, as with per-socket groups.
    assert all(f["type"] != "typing" for f in await frames_until_pong(sockets[0]))


async def frames_until_pong(socket):
    await send(socket, {"type": "ping"})
    frames = []
    while (frame := await next_frame(socket))["type"] != "pong":
        frames.append(frame)
    return frames


async def test_last_socket_out_unsubscribes_and_the_next_join_subscribes_again(connect, user, room, state_backend):
    socket = await open_room(connect, user)
    await socket.disconnect()
    await asyncio.sleep(0.05)
    assert realtime.room_group(room.pk) not in fanout_for(get_channel_layer()).groups
    assert layer_members(room.pk) == set()

    again = await open_room(connect, user)
    await send(again, {"type": "send", "body": "back", "client_id": "b-1"})
    assert (await frame_of_type(again, "message.new"))["message"]["body"] == "back"


async def test_frames_published_while_a_socket_opens_come_after_its_hello(connect, user, room, monkeypatch):
    real_sync = selectors.room_sync

    def sync_with_a_frame_in_flight(**kwargs):
        # Runs while the socket builds its hello: the frame reaches the socket before hello is sent.
        frame = {"type": "typing", "user": {"id": 0, "display_name": "x", "avatar_url": ""}}
        realtime._publish_blocking([RoomEvent(room.pk, frame)])
        return real_sync(**kwargs)

    monkeypatch.setattr(selectors, "room_sync", sync_with_a_frame_in_flight)
    socket, connected, _ = await connect(user, "lobby")
    assert connected
    assert (await next_frame(socket))["type"] == "hello"
    assert (await next_frame(socket))["type"] == "typing"


async def test_concurrent_sends_to_a_room_go_out_in_seq_order(
    connect, user, other_user, make_user, room, state_backend
):
    """Eight senders at once: the stores may run on several threads, but each process publishes
    a room's messages in seq order, so a listener never sees a reordering it would take for a gap."""
    people = [user, other_user] + [await database_sync_to_async(make_user)(f"Sender {n}") for n in range(6)]
    senders = [await open_room(connect, person) for person in people]
    listener = await open_room(connect, await database_sync_to_async(make_user)("Listener"))
    per_sender = 12
    await asyncio.gather(
        *(
            send(socket, {"type": "send", "body": f"{n}-{i}", "client_id": f"{n}-{i}"})
            for i in range(per_sender)
            for n, socket in enumerate(senders)
        )
    )
    total = len(senders) * per_sender
    seqs = [(await frame_of_type(listener, "message.new"))["message"]["seq"] for _ in range(total)]
    assert seqs == list(range(1, total + 1))


async def test_sockets_subscribe_nothing_of_their_own(connect, user, other_user, room, redis_url):
    """A process holds one Redis subscription per room and one for close events, however many
    sockets it serves: a channel per socket would be a round trip at every open and close."""
    sockets = [await open_room(connect, person) for person in (user, other_user, user)]
    inner = get_channel_layer()._get_layer()
    assert len(inner.channels) == 2
    assert set(fanout_for(get_channel_layer()).groups) == {realtime.room_group(room.pk), realtime.SOCKETS_GROUP}
    for socket in sockets:
        await socket.disconnect()
    await asyncio.sleep(0.05)
    assert len(inner.channels) == 0 and fanout_for(get_channel_layer()).groups == {}
