"""Channel-layer events to this process's sockets: one subscription per group per process.

Room frames. The usual Channels shape has every socket join its room's group. A frame to a
room of n local sockets then costs n queue puts, n decodes and n trips through consumers'
dispatch loops before a single byte is written. Here the process joins the group once, with a
channel of its own, and one reader hands each frame, already encoded, straight to the room's
local sockets (Phoenix calls this the fastlane). Order within a room is the channel's order.

Users' frames and closing. A socket has no channel of its own: it would cost a Redis
subscription per socket (a round trip at every open and every close, and a reader task for the
socket's life) only to hear what concerns its user alone (a read elsewhere, a mention, the end
of its sign-in), which is rare next to room frames. Every socket joins realtime.SOCKETS_GROUP
instead, once per process. A user frame names its users, and the reader hands it to their local
sockets, found by user id; a close event names the group whose sockets close (a user's, a
session's), and the reader closes the local sockets that belong to it.

A socket joins with `await join(...)` before it reads history, like a group_add: anything
published after that reaches it. Frames that arrive before the socket has sent its `hello` are
held back and sent right after it (see `LocalSocket`), so `hello` still comes first.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Protocol

from channels.layers import BaseChannelLayer

from rooms import metrics, realtime

logger = logging.getLogger(__name__)


class LocalSocket(Protocol):
    socket_id: str  # unique across processes: frames name the socket they skip by it
    user_id: int  # user frames reach the sockets of the users they name
    close_groups: frozenset[str]  # the groups whose close events close this socket

    async def deliver(self, text: str) -> None: ...

    async def sign_in_ended(self) -> None: ...


class _Subscription:
    def __init__(self) -> None:
        self.sockets: set[LocalSocket] = set()
        # Set once the subscription is made (`subscribed` done): its channel and its reader.
        self.channel: str | None = None
        self.subscribed: asyncio.Future[None] | None = None
        self.reader: asyncio.Task[None] | None = None


class ProcessFanout:
    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.groups: dict[str, _Subscription] = {}
        # The sockets in realtime.SOCKETS_GROUP by user: a user frame costs a lookup, not a
        # look at every socket of the process.
        self.user_sockets: dict[int, set[LocalSocket]] = {}

    async def join(self, group: str, socket: LocalSocket) -> None:
        subscription = self.groups.get(group)
        if subscription is None:
            subscription = self.groups[group] = _Subscription()
            subscription.subscribed = asyncio.ensure_future(self._subscribe(group, subscription))
        assert subscription.subscribed is not None, "set with the subscription, just above or by an earlier join"
        subscription.sockets.add(socket)
        if group == realtime.SOCKETS_GROUP:
            self.user_sockets.setdefault(socket.user_id, set()).add(socket)
        try:
            # Shielded: one joiner giving up (its handshake cancelled) must not cancel the
            # subscription the others are waiting for.
            await asyncio.shield(subscription.subscribed)
        except BaseException:
            await self.leave(group, socket)
            raise

    async def leave(self, group: str, socket: LocalSocket) -> None:
        subscription = self.groups.get(group)
        if subscription is None or socket not in subscription.sockets:
            return
        subscription.sockets.discard(socket)
        if group == realtime.SOCKETS_GROUP:
            of_user = self.user_sockets.get(socket.user_id, set())
            of_user.discard(socket)
            if not of_user:
                self.user_sockets.pop(socket.user_id, None)
        if subscription.sockets:
            return
        del self.groups[group]  # a later join starts afresh, even while this one winds down
        assert subscription.subscribed is not None, "set with the subscription"
        try:
            await asyncio.shield(subscription.subscribed)  # the reader exists once this is done
        except Exception:
            return  # never subscribed: nothing to undo
        assert subscription.reader is not None and subscription.channel is not None
        subscription.reader.cancel()
        await self.layer.group_discard(group, subscription.channel)

    async def _subscribe(self, group: str, subscription: _Subscription) -> None:
        # Every layer Channels and channels_redis ship takes a prefix; BaseChannelLayer's
        # declaration in the stubs does not.
        channel = await self.layer.new_channel(prefix=f"fanout.{group}.")  # type: ignore[call-arg]
        subscription.channel = channel
        await self.layer.group_add(group, channel)
        subscription.reader = asyncio.ensure_future(self._read(subscription, channel))

    async def _read(self, subscription: _Subscription, channel: str) -> None:
        while True:
            try:
                event = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The pub/sub layer reconnects by itself; an in-memory layer never gets here.
                logger.warning("fan-out could not receive; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            kind = event.get("type")
            if kind == realtime.FRAME_EVENT:
                text, skip = event["text"], event.get("skip")
                for socket in tuple(subscription.sockets):
                    if socket.socket_id != skip:
                        try:
                            # Returns without waiting: the server queues the bytes for the socket.
                            await socket.deliver(text)
                        except Exception:
                            logger.warning("could not deliver a frame to %s", socket.socket_id, exc_info=True)
                made_at = event.get("made_at")  # room changes carry it; typing and presence do not
                if made_at is not None:
                    metrics.fanout_lag.observe(max(0.0, time.time() - made_at))
            elif kind == realtime.USER_FRAME_EVENT:
                text = event["text"]
                for user_id in event["users"]:
                    for socket in tuple(self.user_sockets.get(user_id, ())):
                        try:
                            await socket.deliver(text)
                        except Exception:
                            logger.warning("could not deliver a frame to %s", socket.socket_id, exc_info=True)
            elif kind == realtime.CLOSE_EVENT:
                # A look at every local socket, for an event that only comes with a sign-out.
                target = event["group"]
                for socket in [s for s in subscription.sockets if target in s.close_groups]:
                    try:
                        await socket.sign_in_ended()
                    except Exception:
                        logger.warning("could not close %s", socket.socket_id, exc_info=True)


# One fan-out per channel layer and event loop: tests run each case on a loop of its own.
_fanouts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, ProcessFanout]] = weakref.WeakKeyDictionary()


def fanout_for(layer: BaseChannelLayer) -> ProcessFanout:
    loop = asyncio.get_running_loop()
    per_loop = _fanouts.setdefault(loop, {})
    fanout = per_loop.get(id(layer))
    if fanout is None or fanout.layer is not layer:
        fanout = per_loop[id(layer)] = ProcessFanout(layer)
    return fanout


def room_socket_counts() -> list[int]:
    """How many sockets each room has on this process (for rooms/metrics.py)."""
    try:
        per_loop = _fanouts.get(asyncio.get_running_loop(), {})
    except RuntimeError:  # not on an event loop: no sockets here
        return []
    prefix = realtime.room_group(0)[:-1]
    return [
        len(subscription.sockets)
        for fanout in per_loop.values()
        for group, subscription in fanout.groups.items()
        if group.startswith(prefix)
    ]
