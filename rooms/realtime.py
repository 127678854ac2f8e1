"""Group names and publishing. The only place that knows how events reach sockets.

A frame is encoded to JSON once here and travels through the channel layer as text, so each
consumer only forwards it; the channel-layer handlers never build frames themselves.
"""

import asyncio
import hashlib
import logging
import weakref
from collections import deque
from collections.abc import Sequence
from typing import Any

import orjson
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction

from rooms.events import Event, UserEvent

logger = logging.getLogger(__name__)

# The channel-layer event types rooms/fanout.py hands to sockets: a room frame; and, on
# SOCKETS_GROUP, which every process's sockets join, a frame to some users' sockets and the end
# of a sign-in.
FRAME_EVENT = "room.frame"
USER_FRAME_EVENT = "user.frame"
CLOSE_EVENT = "sockets.close"
SOCKETS_GROUP = "sockets.close"  # the name it had when it carried only close events


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    # Never the session key itself: the name travels through Redis in close events.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def channel_layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    assert layer is not None, "settings.CHANNEL_LAYERS always names a default layer"
    return layer


def encode(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


def frame_event(
    frame: dict[str, Any], *, skip_socket: str | None = None, made_at: float | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": FRAME_EVENT, "text": encode(frame), "skip": skip_socket}
    if made_at is not None:
        event["made_at"] = made_at  # a room change's: fan-out lag (rooms/metrics.py)
    return event


def _layer_event(event: Event) -> tuple[str, dict[str, Any]]:
    """The group and channel-layer event that carry `event`."""
    if isinstance(event, UserEvent):
        return SOCKETS_GROUP, {"type": USER_FRAME_EVENT, "users": list(event.user_ids), "text": encode(event.frame)}
    return room_group(event.room_id), frame_event(event.frame, made_at=event.made_at)


async def apublish_to_room(room_id: int, frame: dict[str, Any], *, skip_socket: str | None = None) -> None:
    """Best-effort frames (typing, presence): a channel-layer outage drops them with a warning
    instead of breaking the socket that triggered them. `skip_socket`: a socket_id not to send to."""
    try:
        await channel_layer().group_send(room_group(room_id), frame_event(frame, skip_socket=skip_socket))
    except Exception as error:
        logger.warning("could not publish %s to room %s: %r", frame.get("type"), room_id, error)


class _Publisher:
    """Publishes the events handed to one event loop: a group's in hand-over order, one after
    another (a room's sends are stored one batch after another on one write thread, so its
    events are handed over in event order), different rooms side by side (each publish waits a
    Redis round trip, and under load a turn of the loop; one queue for all rooms fell behind at
    200 messages/s)."""

    def __init__(self) -> None:
        self.groups: dict[str, deque[dict[str, Any]]] = {}

    def put(self, group: str, event: dict[str, Any]) -> None:
        queue = self.groups.get(group)
        if queue is not None:
            queue.append(event)  # its task is running and will get to it
            return
        self.groups[group] = deque([event])
        asyncio.ensure_future(self._drain(group))

    async def _drain(self, group: str) -> None:
        layer, queue = channel_layer(), self.groups[group]
        try:
            while queue:
                try:
                    await layer.group_send(group, queue[0])
                except Exception:
                    # Stored all the same: clients find it through their event check or catch-up.
                    logger.exception("could not publish to %s", group)
                queue.popleft()
        finally:
            del self.groups[group]


_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Publisher] = weakref.WeakKeyDictionary()


def publish_from_loop(events: Sequence[Event]) -> None:
    """On the event loop: publish `events`, of changes already committed (the socket's sends,
    stored on a write thread), in this order, without waiting here for Redis. Handing the
    publish to the loop instead of waiting for it on the write thread keeps the thread
    storing: the wait for the loop's round trip cost a quarter of the loop's time under load
    (a profile of S1 at saturation; no result file kept)."""
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = _Publisher()
    for event in events:
        publisher.put(*_layer_event(event))


def _publish_blocking(events: Sequence[Event]) -> None:
    layer = channel_layer()
    for event in events:
        async_to_sync(layer.group_send)(*_layer_event(event))


def publish_on_commit(events: Sequence[Event]) -> None:
    """For synchronous callers (the REST views, the admin): publish `events` once the
    transaction the caller is in commits, or at once outside one. A failed broadcast is
    logged, not raised: the change is stored, and clients find it through their event check
    or catch-up."""
    if events:
        transaction.on_commit(lambda: _publish_blocking(events), robust=True)


def _close_group_sockets(group: str) -> None:
    try:
        async_to_sync(channel_layer().group_send)(SOCKETS_GROUP, {"type": CLOSE_EVENT, "group": group})
    except Exception:
        logger.exception("could not tell open sockets that their sign-in ended")


def close_session_sockets(session_key: str) -> None:
    """Sign-out: every socket opened with this session (or a ticket it issued) closes with 4401."""
    _close_group_sockets(session_group(session_key))


def close_user_sockets(user_id: int) -> None:
    """Deactivation: every socket of the user, on every process, closes."""
    _close_group_sockets(user_group(user_id))
