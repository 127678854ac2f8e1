"""Reads. Plain functions the views and the consumer share."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from rooms import membership, message_store
from rooms.models import Message, Room, User
from rooms.presence import Snapshot, get_presence
from rooms.serializers import AuthorData, MessageData, RoomData, RoomSerializer, user_data

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    has_more: bool


def room_list() -> list[Room]:
    return list(Room.objects.all())


def room_get(*, slug: str) -> Room | None:
    return Room.objects.filter(slug=slug).first()


def room_heads(*, room_id: int) -> tuple[int, int]:
    """The room's last seq and last event (a pong's)."""
    return Room.objects.values_list("last_seq", "last_event").get(pk=room_id)


def room_online_counts(rooms: list[Room]) -> dict[int, int]:
    return get_presence().online_counts([room.pk for room in rooms])


def room_list_data() -> list[dict[str, Any]]:
    """Every room in the Room shape, with its online count (0 while the store is away)."""
    rooms = room_list()
    try:
        counts = room_online_counts(rooms)
    except redis.RedisError as error:
        logger.warning("presence store unreachable: %r", error)
        counts = {}
    return [dict(row) for row in RoomSerializer(rooms, many=True, context={"online_counts": counts}).data]


def room_online_count_if_known(room: Room) -> int | None:
    """None while the presence store is unreachable: a catch-up must not fail with it."""
    try:
        return room_online_counts([room]).get(room.pk, 0)
    except redis.RedisError as error:
        logger.warning("presence store unreachable: %r", error)
        return None


def message_get(*, room_id: int, message_id: int) -> Message | None:
    return (
        Message.objects.select_related("room", "author", "reply_to__author")
        .filter(room_id=room_id, pk=message_id)
        .first()
    )


def _room_messages(room: Room) -> QuerySet[Message]:
    # Through the relation, each message's `room` is this instance: no join, no copy per row.
    return room.messages.select_related("author", "reply_to__author")


def message_page(*, room: Room, limit: int, before: int | None = None, after: int | None = None) -> MessagePage:
    """`after` pages forward (oldest first, for catch-up); otherwise backward from `before`
    or from the newest message (newest first, for scrolling up)."""
    messages = _room_messages(room)
    if after is not None:
        rows = list(messages.filter(pk__gt=after).order_by("id")[: limit + 1])
    else:
        if before is not None:
            messages = messages.filter(pk__lt=before)
        rows = list(messages.order_by("-id")[: limit + 1])
    return MessagePage(messages=rows[:limit], has_more=len(rows) > limit)


@dataclass(frozen=True)
class RoomSync:
    """One answer to "what changed in this room after event `since`?" (docs/protocol.md, "Room
    events"), the same for a socket's hello and the HTTP poll, in their frames' shapes."""

    room: RoomData  # the Room shape, less online_count
    event: int  # the head this answer brings the client up to
    messages: list[MessageData]  # the changes in event order; on a resync, the latest window oldest first
    has_more: bool  # on a window: older history exists before its first message
    resync: bool  # the client replaces what it holds with `messages`
    online: list[AuthorData]


def _within_bytes(messages: Sequence[MessageData], budget: int) -> int:
    """How many of `messages`, from the first, fit in `budget` bytes of JSON."""
    used = 0
    for count, message in enumerate(messages):
        used += len(orjson.dumps(message))
        if used > budget:
            return count
    return len(messages)


def room_sync(
    *, room_id: int, since: int | None, online_user_ids: Iterable[int] = (), resync: bool = False
) -> RoomSync:
    """Every message changed after event `since`, each once in its current state, in event
    order, if there are at most CATCHUP_LIMIT of them within SYNC_MAX_BYTES. Otherwise, and
    without `since` (a fresh join), the latest window: the newest HISTORY_SIZE messages cut
    to SYNC_MAX_BYTES from the newest back; with `since` (or `resync`) the client replaces
    what it holds with it. A `since` past the room's head (a database reset under the client)
    is answered with a resync too. Raises Room.DoesNotExist if the room is gone."""
    conf = settings.ROOMS
    budget = conf["SYNC_MAX_BYTES"]
    with connection.cursor() as cursor:
        room = message_store.room_read(cursor, room_id)
        if room is None:
            raise Room.DoesNotExist(f"Room {room_id} is gone.")
        head = room["last_event"]
        online = message_store.users_read(cursor, online_user_ids)
        if since is not None and since <= head and not resync:
            limit = conf["CATCHUP_LIMIT"]
            changed = message_store.messages_changed(
                cursor, room_id=room_id, room_slug=room["slug"], since=since, head=head, limit=limit + 1
            )
            if len(changed) <= limit and _within_bytes(changed, budget) == len(changed):
                return RoomSync(room, head, changed, has_more=False, resync=False, online=online)
        size = conf["HISTORY_SIZE"]
        newest = message_store.messages_latest(cursor, room_id=room_id, room_slug=room["slug"], limit=size + 1)
    # At least one message, whatever its size: a room whose newest message is the only thing shown.
    window = newest[: max(1, _within_bytes(newest[:size], budget))]
    return RoomSync(
        room,
        head,
        window[::-1],
        has_more=len(newest) > len(window),
        resync=since is not None or resync,
        online=online,
    )


def users_by_ids(user_ids: Iterable[int]) -> list[User]:
    return list(User.objects.filter(pk__in=list(user_ids)).order_by("pk"))


def room_hello(
    *, room_id: int, you: User, since: int | None, resync: bool, presence: Snapshot | None
) -> dict[str, Any]:
    """A room socket's first frame: the room, its catch-up (or latest window), who is here,
    and the user's membership (made on their first entry). Without the presence store
    (`presence` None) it shows the user alone."""
    online_ids = presence.user_ids if presence is not None else [you.pk]
    sync = room_sync(room_id=room_id, since=since, online_user_ids=online_ids, resync=resync)
    entered = membership.membership_enter(
        user=you, room_id=room_id, room_slug=sync.room["slug"], last_seq=sync.room["last_seq"]
    )
    return {
        "type": "hello",
        "room": sync.room,
        "event": sync.event,
        "you": user_data(you),
        "online": sync.online,
        "online_count": presence.count if presence is not None else 1,
        "presence_version": presence.version if presence is not None else 0,
        "messages": sync.messages,
        "has_more": sync.has_more,
        "resync": sync.resync,
        "membership": entered,
    }
