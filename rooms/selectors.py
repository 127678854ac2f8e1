"""Reads. Plain functions the views and the consumer share."""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from rooms.models import Message, Room, User
from rooms.serializers import AUTHOR_COLUMNS, MESSAGE_COLUMNS, author_row_data, message_row_data
from rooms.state import get_state


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    has_more: bool


def room_list() -> list[Room]:
    return list(Room.objects.all())


def room_get(*, slug: str) -> Room | None:
    return Room.objects.filter(slug=slug).first()


def room_last_seq(*, room_id: int) -> int:
    return Room.objects.values_list("last_seq", flat=True).get(pk=room_id)


def room_online_counts(rooms: list[Room]) -> dict[int, int]:
    return get_state().online_counts([room.pk for room in rooms])


def message_get(*, room: Room, message_id: int) -> Message | None:
    return Message.objects.select_related("room", "author").filter(room=room, pk=message_id).first()


def _room_messages(room: Room):
    # Through the relation, each message's `room` is this instance: no join, no copy per row.
    return room.messages.select_related("author")


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
class Snapshot:
    """What a socket gets on connect, in its frame's shapes (docs/protocol.md): the room,
    history (oldest first) and who is online."""

    room: dict
    messages: list[dict]
    has_more: bool
    resync: bool
    online: list[dict]


ROOM_HELLO_COLUMNS = ("slug", "name", "description", "is_archived", "last_seq")


def _columns(model, alias: str, names) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(model._meta.get_field(name).column)}" for name in names)


@functools.cache
def _snapshot_sql() -> dict[str, str]:
    """The snapshot's statements, fixed and built once per process. Through the ORM, composing
    them cost about a third of a reconnect's reads, and model instances much of the rest: at a
    reconnect storm every socket makes these reads (docs/benchmarks.md)."""
    quote = connection.ops.quote_name
    room, message, user = (quote(model._meta.db_table) for model in (Room, Message, User))
    message_rows = (
        f"SELECT {_columns(Message, 'm', MESSAGE_COLUMNS)}, {_columns(User, 'u', AUTHOR_COLUMNS)} "
        f"FROM {message} m JOIN {user} u ON u.{quote('id')} = m.{quote('author_id')} "
        f"WHERE m.{quote('room_id')} = %(room)s"
    )
    return {
        # With whether anything older than `after` is stored: the hello's `has_more` on catch-up.
        "room": (
            f"SELECT {_columns(Room, 'r', ROOM_HELLO_COLUMNS)}, EXISTS (SELECT 1 FROM {message} m "
            f"WHERE m.{quote('room_id')} = r.{quote('id')} AND m.{quote('id')} <= %(after)s) "
            f"FROM {room} r WHERE r.{quote('id')} = %(room)s"
        ),
        "after": f"{message_rows} AND m.{quote('id')} > %(after)s ORDER BY m.{quote('id')} LIMIT %(limit)s",
        "latest": f"{message_rows} ORDER BY m.{quote('id')} DESC LIMIT %(limit)s",
        # Completed with one placeholder per id: "... IN (%s, %s) ORDER BY ...".
        "users": f"SELECT {_columns(User, 'u', AUTHOR_COLUMNS)} FROM {user} u WHERE u.{quote('id')} IN (%s) "
        f"ORDER BY u.{quote('id')}",
    }


def _aware(value):
    # PostgreSQL hands back aware datetimes; SQLite naive ones in the connection's time zone.
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, connection.timezone)
    return value


def _message_rows_data(rows, room_slug: str) -> list[dict]:
    return [message_row_data((*row[:4], _aware(row[4]), _aware(row[5]), *row[6:]), room_slug=room_slug) for row in rows]


def room_snapshot(*, room_id: int, after: int | None, online_user_ids: set[int]) -> Snapshot:
    """After `after` (a message id the client holds): what it missed, unless that is more than
    CATCHUP_LIMIT. Then, as on a fresh join, the latest HISTORY_SIZE messages, and with `resync`
    the client replaces what it holds instead of showing a hole."""
    conf = settings.ROOMS
    sql = _snapshot_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql["room"], {"room": room_id, "after": after or 0})
        row = cursor.fetchone()
        if row is None:
            raise Room.DoesNotExist(f"Room {room_id} is gone.")
        room = dict(zip(ROOM_HELLO_COLUMNS, row[:-1], strict=True))
        room["is_archived"] = bool(room["is_archived"])
        has_earlier = bool(row[-1])
        online = _users_data(cursor, online_user_ids)
        if after is not None:
            limit = conf["CATCHUP_LIMIT"]
            cursor.execute(sql["after"], {"room": room_id, "after": after, "limit": limit + 1})
            rows = cursor.fetchall()
            if len(rows) <= limit:
                return Snapshot(room, _message_rows_data(rows, room["slug"]), has_earlier, False, online)
        limit = conf["HISTORY_SIZE"]
        cursor.execute(sql["latest"], {"room": room_id, "limit": limit + 1})
        rows = cursor.fetchall()
    messages = _message_rows_data(rows[:limit][::-1], room["slug"])
    return Snapshot(room, messages, len(rows) > limit, resync=after is not None, online=online)


def _users_data(cursor, user_ids) -> list[dict]:
    user_ids = sorted(user_ids)
    if not user_ids:
        return []
    cursor.execute(_snapshot_sql()["users"].replace("%s", ", ".join(["%s"] * len(user_ids))), user_ids)
    return [author_row_data(row) for row in cursor.fetchall()]


def users_by_ids(user_ids) -> list[User]:
    return list(User.objects.filter(pk__in=list(user_ids)).order_by("pk"))
