"""Room events: what a change to a room produces, and the frame every client gets for it.

Services return the events of the changes they made (room events, and user events for the
people a change concerns elsewhere); they never publish. Their callers hand
the events to rooms/realtime.py, which publishes them once the change is committed: a view or
the admin with realtime.publish_on_commit, the socket's write threads with
realtime.publish_from_loop. docs/protocol.md ("Room events") is the contract.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from rooms.models import Room
from rooms.serializers import MessageData, room_data

MESSAGE_NEW = "message.new"
MESSAGE_EDITED = "message.edited"
MESSAGE_DELETED = "message.deleted"
MESSAGE_REACTED = "message.reacted"
ROOM_UPDATED = "room.updated"
# Frames to one user's sockets, wherever they are (rooms/membership.py).
USER_MEMBERSHIP = "membership"
USER_ALERT = "alert"


@dataclass(frozen=True)
class RoomEvent:
    room_id: int
    # What clients get. Its `event` is the number the change took in the room's sequence
    # (1, 2, 3, … without gaps).
    frame: dict[str, Any]
    # Wall-clock time the change was made, in its transaction: the start of the fan-out lag
    # (rooms/metrics.py). Wall clock, because the frame is written by other processes.
    made_at: float = field(default_factory=time.time, compare=False)


@dataclass(frozen=True)
class UserEvent:
    """A frame for every socket of these users, on every process: their membership changed, or
    a new message concerns them. Not part of any room's event sequence."""

    user_ids: tuple[int, ...]
    frame: dict[str, Any]


Event = RoomEvent | UserEvent


def message_event(kind: str, room_id: int, message: MessageData) -> RoomEvent:
    """`message`: the Message shape, whose `event` is this event's number."""
    return RoomEvent(room_id, {"type": kind, "event": message["event"], "message": message})


def room_event(room: Room) -> RoomEvent:
    """`room`: as saved with the change, its last_event the number this change took."""
    return RoomEvent(room.pk, {"type": ROOM_UPDATED, "event": room.last_event, "room": room_data(room)})
