"""Room frames to this process's sockets: one channel-layer subscription per room per process.

The usual Channels shape has every socket join its room's group. A frame to a room of n local
sockets then costs n queue puts, n decodes and n trips through consumers' dispatch loops
before a single byte is written. Here the process joins the group once, with a channel of its
own, and one reader hands each frame, already encoded, straight to the room's local sockets
(Phoenix calls this the fastlane). Order within a room is the channel's order, as before.

A socket joins with `await join(...)` before it reads history, like a group_add: anything
published after that reaches it. Frames that arrive before the socket has sent its `hello` are
held back and sent right after it (see `LocalSocket`), so `hello` still comes first.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from rooms import realtime

logger = logging.getLogger(__name__)


class LocalSocket(Protocol):
    channel_name: str

    async def deliver(self, text: str) -> None: ...


class _LocalRoom:
    def __init__(self) -> None:
        self.sockets: set[LocalSocket] = set()
        self.channel: str | None = None
        self.subscribed: asyncio.Future | None = None
        self.reader: asyncio.Task | None = None


class RoomFanout:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.rooms: dict[int, _LocalRoom] = {}

    async def join(self, room_id: int, socket: LocalSocket) -> None:
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = _LocalRoom()
            room.subscribed = asyncio.ensure_future(self._subscribe(room_id, room))
        room.sockets.add(socket)
        try:
            # Shielded: one joiner giving up (its handshake cancelled) must not cancel the
            # subscription the others are waiting for.
            await asyncio.shield(room.subscribed)
        except BaseException:
            await self.leave(room_id, socket)
            raise

    async def leave(self, room_id: int, socket: LocalSocket) -> None:
        room = self.rooms.get(room_id)
        if room is None or socket not in room.sockets:
            return
        room.sockets.discard(socket)
        if room.sockets:
            return
        del self.rooms[room_id]  # a later join starts afresh, even while this one winds down
        try:
            await asyncio.shield(room.subscribed)  # the reader exists once this is done
        except Exception:
            return  # never subscribed: nothing to undo
        room.reader.cancel()
        await self.layer.group_discard(realtime.room_group(room_id), room.channel)

    async def _subscribe(self, room_id: int, room: _LocalRoom) -> None:
        room.channel = await self.layer.new_channel(prefix=f"fanout.room{room_id}.")
        await self.layer.group_add(realtime.room_group(room_id), room.channel)
        room.reader = asyncio.ensure_future(self._read(room))

    async def _read(self, room: _LocalRoom) -> None:
        while True:
            try:
                event = await self.layer.receive(room.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The pub/sub layer reconnects by itself; an in-memory layer never gets here.
                logger.warning("room fan-out could not receive; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if event.get("type") != realtime.FRAME_EVENT:
                continue
            text, exclude = event["text"], event.get("exclude")
            for socket in tuple(room.sockets):
                if socket.channel_name != exclude:
                    try:
                        # Returns without waiting: the server queues the bytes for the socket.
                        await socket.deliver(text)
                    except Exception:
                        logger.warning("could not deliver a frame to %s", socket.channel_name, exc_info=True)


# One fan-out per channel layer and event loop: tests run each case on a loop of its own.
_fanouts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def fanout_for(layer) -> RoomFanout:
    loop = asyncio.get_running_loop()
    per_loop = _fanouts.setdefault(loop, {})
    fanout = per_loop.get(id(layer))
    if fanout is None or fanout.layer is not layer:
        fanout = per_loop[id(layer)] = RoomFanout(layer)
    return fanout
