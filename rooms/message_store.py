"""The message table's SQL, and the one column list its rows are read with.

Services store and change messages through it, selectors read them through it; nothing else
writes SQL for messages or rooms' counters but the search index (rooms/search_index.py). Why
SQL rather than the ORM, measured once (bench/hello_reads.py for the reads; no result file
kept): a send on PostgreSQL is one statement and one round trip (claim the room's next seq and
event, insert), and a batch of sends one statement; the reads a socket open makes (room,
changes or window, online users) cost 0.44 ms of CPU as fixed statements with rows turned
straight into frame dicts, against 3.3 ms through querysets and model instances.

Every statement is built once per process (functools.cache): composing one cost about as much
as building a message's frame.
"""

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast, overload

import orjson
from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from rooms.models import Membership, Mention, Message, Reaction, Room, User, shown_name
from rooms.serializers import AuthorData, MessageData, ReactionData, ReplyData, RoomData, excerpt, iso_datetime

# What is read of a message and of its author, in this order, wherever messages are read.
MESSAGE_COLUMNS = (
    "id",
    "seq",
    "event",
    "body",
    "client_id",
    "created_at",
    "edited_at",
    "deleted",
    "mentions",
    "mentions_room",
    "reply_to",
    "reaction_count",
)
AUTHOR_COLUMNS = ("id", "display_name", "first_name", "last_name", "username", "avatar_url", "is_staff")
# What is read of a room: the Room shape of docs/protocol.md, less online_count.
ROOM_COLUMNS = (
    "slug",
    "name",
    "description",
    "is_archived",
    "last_message_at",
    "last_seq",
    "last_event",
    "allow_room_mention",
)
# What a send inserts.
_INSERT_COLUMNS = (
    "room_id",
    "author_id",
    "seq",
    "event",
    "body",
    "client_id",
    "created_at",
    "deleted",
    "mentions",
    "mentions_room",
    "reply_to_id",
    "reaction_count",
)

# Sends a write thread takes as one statement at most (its text is cached per size).
BATCH_MAX_SENDS = 64


class Send(Protocol):
    @property
    def room(self) -> Room: ...
    @property
    def author(self) -> User: ...
    @property
    def body(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def mention_ids(self) -> tuple[int, ...]: ...
    @property
    def mentions_room(self) -> bool: ...
    @property
    def reply_to_id(self) -> int | None: ...


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column is not None, f"{name} is not a column"
    return field.column


def select_columns(model: type[models.Model], alias: str, names: Sequence[str]) -> str:
    """`names` of `model`, as read from table alias `alias`: for statements here and in
    rooms/search_index.py."""
    return ", ".join(f"{alias}.{_q(_column(model, name))}" for name in names)


def _tables() -> tuple[str, str, str]:
    return _q(Room._meta.db_table), _q(Message._meta.db_table), _q(User._meta.db_table)


# --- Rows to frame dicts ---------------------------------------------------------------------


@overload
def _iso(value: datetime) -> str: ...
@overload
def _iso(value: None) -> None: ...
def _iso(value: datetime | None) -> str | None:
    # SQLite hands back naive datetimes in the connection's zone; PostgreSQL aware ones.
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)
    return iso_datetime(value)


def author_row_data(row: Sequence[Any]) -> AuthorData:
    """`row`: the values of AUTHOR_COLUMNS, in that order."""
    pk, display_name, first_name, last_name, username, avatar_url, is_staff = row
    return {
        "id": pk,
        "display_name": shown_name(display_name, first_name, last_name, username),
        "avatar_url": avatar_url,
        "is_staff": bool(is_staff),
    }


_AUTHOR_AT = len(MESSAGE_COLUMNS)
_AUTHOR_END = _AUTHOR_AT + len(AUTHOR_COLUMNS)
_MENTIONS_AT = MESSAGE_COLUMNS.index("mentions")
_NO_MENTIONS = "[]"


def _mention_ids(row: Sequence[Any]) -> list[int]:
    """The ids a message row's mentions column holds (JSON text on both databases: Django reads
    jsonb as text), none for a deleted message."""
    text, deleted = row[_MENTIONS_AT], row[7]
    if deleted or not text or text == _NO_MENTIONS:
        return []
    ids: list[int] = orjson.loads(text)
    return ids


@dataclass(frozen=True)
class _PageExtras:
    """What a page of message rows names beyond itself, read once for the page (messages_data)."""

    mentioned: Mapping[int, AuthorData]
    originals: Mapping[int, ReplyData]
    reactions: Mapping[int, list[ReactionData]]


def message_row_data(row: Sequence[Any], *, room_slug: str, extras: _PageExtras) -> MessageData:
    """`row`: the values of MESSAGE_COLUMNS then of AUTHOR_COLUMNS (the author's), in order;
    anything after them is not read."""
    pk, seq, event, body, client_id, created_at, edited_at, deleted, _, mentions_room, reply_to, _ = row[:_AUTHOR_AT]
    return {
        "id": pk,
        "seq": seq,
        "event": event,
        "room": room_slug,
        "author": author_row_data(row[_AUTHOR_AT:_AUTHOR_END]),
        "body": "" if deleted else body,
        "client_id": client_id,
        "created_at": _iso(created_at),
        "edited_at": _iso(edited_at),
        "deleted": bool(deleted),
        "mentions": [extras.mentioned[uid] for uid in _mention_ids(row) if uid in extras.mentioned],
        "mentions_room": bool(mentions_room) and not deleted,
        "reply_to": extras.originals.get(reply_to) if reply_to is not None else None,
        "reactions": [] if deleted else extras.reactions.get(pk, []),
    }


_REPLY_TO_AT = MESSAGE_COLUMNS.index("reply_to")
_REACTION_COUNT_AT = MESSAGE_COLUMNS.index("reaction_count")


def messages_data(cursor: CursorWrapper, rows: Sequence[Sequence[Any]], *, room_slug: str) -> list[MessageData]:
    """Message rows of one room as frame dicts."""
    return _messages_data(cursor, rows, itertools.repeat(room_slug))


def messages_data_in_rooms(cursor: CursorWrapper, rows: Sequence[Sequence[Any]]) -> list[MessageData]:
    """Message rows of any rooms as frame dicts: each row ends in its room's slug."""
    return _messages_data(cursor, rows, (row[-1] for row in rows))


def _messages_data(cursor: CursorWrapper, rows: Sequence[Sequence[Any]], slugs: Iterable[str]) -> list[MessageData]:
    """What the rows name beyond themselves is read once for the page, each only when some row
    needs it (most pages need none): the authors their mentions name, the originals they reply
    to, their reactions."""
    mention_ids = {uid for row in rows for uid in _mention_ids(row)}
    reply_ids = {row[_REPLY_TO_AT] for row in rows if row[_REPLY_TO_AT] is not None}
    reacted = [row[0] for row in rows if row[_REACTION_COUNT_AT] and not row[7]]
    extras = _PageExtras(
        mentioned={author["id"]: author for author in users_read(cursor, mention_ids)} if mention_ids else {},
        originals=originals_read(cursor, reply_ids) if reply_ids else {},
        reactions=reactions_read(cursor, reacted) if reacted else {},
    )
    return [message_row_data(row, room_slug=slug, extras=extras) for row, slug in zip(rows, slugs, strict=False)]


def room_row_data(row: Sequence[Any]) -> RoomData:
    room = dict(zip(ROOM_COLUMNS, row, strict=True))
    room["is_archived"] = bool(room["is_archived"])
    room["allow_room_mention"] = bool(room["allow_room_mention"])
    room["last_message_at"] = _iso(room["last_message_at"])
    return cast(RoomData, room)  # ROOM_COLUMNS are the Room shape's keys


# --- Reads -----------------------------------------------------------------------------------


def _in_ids() -> str:
    """The condition that a column is in a list of ids, with one placeholder: PostgreSQL takes
    them as an array, SQLite gets one placeholder per id (_execute_for_ids). One placeholder
    keeps psycopg from splitting a query of a hundred on every hello: that split was a quarter
    of the server's time filling a 500-member room (a py-spy profile of S2's fill; no result
    file kept)."""
    return "= ANY(%s)" if connection.vendor == "postgresql" else "IN (%s)"


@functools.cache
def _read_sql() -> dict[str, str]:
    _IDS = _in_ids()
    room, message, user = _tables()
    message_rows = (
        f"SELECT {select_columns(Message, 'm', MESSAGE_COLUMNS)}, {select_columns(User, 'u', AUTHOR_COLUMNS)} "
        f"FROM {message} m JOIN {user} u ON u.{_q('id')} = m.{_q('author_id')} "
        f"WHERE m.{_q('room_id')} = %(room)s"
    )
    return {
        "room": f"SELECT {select_columns(Room, 'r', ROOM_COLUMNS)} FROM {room} r WHERE r.{_q('id')} = %(room)s",
        # Bounded above by the head read with the room: a change committed after that read
        # comes live, or in the next catch-up, never half in this answer.
        "changed": f"{message_rows} AND m.{_q('event')} > %(since)s AND m.{_q('event')} <= %(head)s "
        f"ORDER BY m.{_q('event')} LIMIT %(limit)s",
        "latest": f"{message_rows} ORDER BY m.{_q('id')} DESC LIMIT %(limit)s",
        "users": f"SELECT {select_columns(User, 'u', AUTHOR_COLUMNS)} FROM {user} u WHERE u.{_q('id')} "
        + _IDS
        + f" ORDER BY u.{_q('id')}",
        "originals": f"SELECT m.{_q('id')}, m.{_q('seq')}, m.{_q('body')}, m.{_q('deleted')}, "
        f"{select_columns(User, 'u', AUTHOR_COLUMNS)} FROM {message} m "
        f"JOIN {user} u ON u.{_q('id')} = m.{_q('author_id')} "
        f"WHERE m.{_q('id')} " + _IDS,
        "reactions": f"SELECT r.{_q('message_id')}, r.{_q('emoji')}, {select_columns(User, 'u', AUTHOR_COLUMNS)} "
        f"FROM {_q(Reaction._meta.db_table)} r JOIN {user} u ON u.{_q('id')} = r.{_q('user_id')} "
        f"WHERE r.{_q('message_id')} " + _IDS + f" ORDER BY r.{_q('id')}",
    }


def room_read(cursor: CursorWrapper, room_id: int) -> RoomData | None:
    cursor.execute(_read_sql()["room"], {"room": room_id})
    row = cursor.fetchone()
    return None if row is None else room_row_data(row)


def messages_changed(
    cursor: CursorWrapper, *, room_id: int, room_slug: str, since: int, head: int, limit: int
) -> list[MessageData]:
    """The messages whose latest change is an event in (since, head], in event order."""
    cursor.execute(_read_sql()["changed"], {"room": room_id, "since": since, "head": head, "limit": limit})
    return messages_data(cursor, cursor.fetchall(), room_slug=room_slug)


def messages_latest(cursor: CursorWrapper, *, room_id: int, room_slug: str, limit: int) -> list[MessageData]:
    """The room's newest messages, newest first."""
    cursor.execute(_read_sql()["latest"], {"room": room_id, "limit": limit})
    return messages_data(cursor, cursor.fetchall(), room_slug=room_slug)


def _execute_for_ids(cursor: CursorWrapper, sql: str, ids: list[int]) -> list[tuple[Any, ...]]:
    """`sql` ends in _IDS: PostgreSQL takes the ids as one array, SQLite one placeholder each."""
    if connection.vendor == "postgresql":
        cursor.execute(sql, [ids])
    else:
        cursor.execute(sql.replace("(%s)", "(" + ", ".join(["%s"] * len(ids)) + ")"), ids)
    rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def users_read(cursor: CursorWrapper, user_ids: Iterable[int]) -> list[AuthorData]:
    ids = sorted(user_ids)
    if not ids:
        return []
    return [author_row_data(row) for row in _execute_for_ids(cursor, _read_sql()["users"], ids)]


def originals_read(cursor: CursorWrapper, message_ids: Iterable[int]) -> dict[int, ReplyData]:
    """The messages replies answer, as they are now, by id."""
    originals: dict[int, ReplyData] = {}
    for row in _execute_for_ids(cursor, _read_sql()["originals"], sorted(message_ids)):
        pk, seq, body, deleted = row[:4]
        originals[pk] = {
            "id": pk,
            "seq": seq,
            "author": author_row_data(row[4:]),
            "excerpt": excerpt(body, bool(deleted)),
            "deleted": bool(deleted),
        }
    return originals


def reactions_read(cursor: CursorWrapper, message_ids: Iterable[int]) -> dict[int, list[ReactionData]]:
    """The reactions of these messages, each emoji in the order it was first used."""
    by_message: dict[int, dict[str, list[AuthorData]]] = {}
    for row in _execute_for_ids(cursor, _read_sql()["reactions"], sorted(message_ids)):
        by_message.setdefault(row[0], {}).setdefault(row[1], []).append(author_row_data(row[2:]))
    return {
        message_id: [{"emoji": emoji, "users": users} for emoji, users in emojis.items()]
        for message_id, emojis in by_message.items()
    }


@functools.cache
def _membership_sql() -> dict[str, str]:
    membership, mention, message = (
        _q(Membership._meta.db_table),
        _q(Mention._meta.db_table),
        _q(Message._meta.db_table),
    )
    mine = f"{_q('user_id')} = %(user)s AND {_q('room_id')} = %(room)s"
    return {
        "read": f"SELECT {_q('read_seq')}, {_q('notify')} FROM {membership} WHERE {mine}",
        "create": f"INSERT INTO {membership} ({_q('user_id')}, {_q('room_id')}, {_q('read_seq')}, {_q('notify')}, "
        f"{_q('joined_at')}) VALUES (%(user)s, %(room)s, %(read_seq)s, %(notify)s, %(now)s) "
        f"ON CONFLICT ({_q('user_id')}, {_q('room_id')}) DO NOTHING",
        # The same rows as rooms/membership.py's query for many memberships, for one.
        "mention_seqs": f"SELECT {_q('seq')} FROM {mention} WHERE {mine} AND {_q('seq')} > %(read_seq)s "
        f"UNION ALL SELECT {_q('seq')} FROM {message} WHERE {_q('room_id')} = %(room)s AND {_q('mentions_room')} "
        f"AND NOT {_q('deleted')} AND {_q('seq')} > %(read_seq)s AND {_q('author_id')} <> %(user)s",
        # On the partial index of notify = 'all': a room without watchers costs an index probe.
        "watchers": f"SELECT {_q('room_id')}, {_q('user_id')} FROM {membership} "
        f"WHERE {_q('notify')} = 'all' AND {_q('room_id')} " + _in_ids(),
    }


def membership_enter(cursor: CursorWrapper, *, user_id: int, room_id: int, last_seq: int) -> tuple[int, str]:
    """The user's (read_seq, notify) in the room, made with read_seq `last_seq` if they have none
    (a first entry). One query when it exists, as on every entry but the first."""
    sql = _membership_sql()
    keys = {"user": user_id, "room": room_id}
    cursor.execute(sql["read"], keys)
    row = cursor.fetchone()
    if row is None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        notify = Membership.Notify.MENTIONS.value
        cursor.execute(sql["create"], {**keys, "read_seq": last_seq, "notify": notify, "now": now})
        cursor.execute(sql["read"], keys)  # ours, or a racing tab's
        row = cursor.fetchone()
    return int(row[0]), str(row[1])


def unread_mention_seqs(cursor: CursorWrapper, *, user_id: int, room_id: int, read_seq: int) -> list[int]:
    """The seqs after `read_seq` of the room's messages that mention the user, oldest first."""
    cursor.execute(_membership_sql()["mention_seqs"], {"user": user_id, "room": room_id, "read_seq": read_seq})
    return sorted({seq for (seq,) in cursor.fetchall()})


def watchers_read(cursor: CursorWrapper, room_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(room id, user id) of everyone who hears every message of these rooms (notify "all"):
    read for every send batch, so a fixed statement (through the ORM it cost 0.4 ms of CPU per
    batch, as much as the send itself)."""
    return [
        (room_id, user_id)
        for room_id, user_id in _execute_for_ids(cursor, _membership_sql()["watchers"], sorted(room_ids))
    ]


# --- Sends -----------------------------------------------------------------------------------


@functools.cache
def _claim_send_sql() -> str:
    room = _q(Room._meta.db_table)
    return (
        f"UPDATE {room} SET {_q('last_seq')} = {_q('last_seq')} + 1, {_q('last_event')} = {_q('last_event')} + 1, "
        f"{_q('last_message_at')} = %(now)s WHERE {_q('id')} = %(room)s AND NOT {_q('is_archived')} "
        f"RETURNING {_q('last_seq')}, {_q('last_event')}"
    )


@functools.cache
def _insert_one_sql() -> str:
    """PostgreSQL's one-statement send."""
    return (
        f"WITH claimed AS ({_claim_send_sql()}) "
        f"INSERT INTO {_q(Message._meta.db_table)} ({', '.join(_q(c) for c in _INSERT_COLUMNS)}) "
        f"SELECT %(room)s, %(author)s, {_q('last_seq')}, {_q('last_event')}, %(body)s, %(client_id)s, %(now)s, false, "
        f"%(mentions)s::jsonb, %(mentions_room)s, %(reply_to)s, 0 "
        f"FROM claimed RETURNING {_q('id')}, {_q('seq')}, {_q('event')}"
    )


@functools.cache
def _insert_claimed_sql() -> str:
    """SQLite's insert of a send whose seq and event were claimed just before, in the same
    transaction (SQLite has no UPDATE inside WITH)."""
    return (
        f"INSERT INTO {_q(Message._meta.db_table)} ({', '.join(_q(c) for c in _INSERT_COLUMNS)}) "
        f"VALUES (%(room)s, %(author)s, %(seq)s, %(event)s, %(body)s, %(client_id)s, %(now)s, 0, "
        f"%(mentions)s, %(mentions_room)s, %(reply_to)s, 0) RETURNING {_q('id')}"
    )


# A batch's sends go in as one VALUES list; these are its columns, cast so that PostgreSQL
# knows their types from client-side bound literals.
_BATCH_ROW = "(%s::integer, %s::bigint, %s::bigint, %s::text, %s::text)"


@functools.cache
def _insert_batch_sql(size: int) -> str:
    """PostgreSQL's statement for `size` sends, to one room or several: each room's rows are
    locked in id order (two batches never wait on each other in a cycle), its last_seq and
    last_event move on by its number of sends, and the sends take the numbers claimed, in batch
    order. An archived room claims nothing, so its sends are not inserted. Params: the VALUES
    rows (order, room, author, body, client_id), then now twice."""
    room, message = _q(Room._meta.db_table), _q(Message._meta.db_table)
    in_order = "row_number() OVER (PARTITION BY batch.room_id ORDER BY batch.ord)"
    return (
        f"WITH batch (ord, room_id, author_id, body, client_id) AS (VALUES {', '.join([_BATCH_ROW] * size)}), "
        f"counts AS (SELECT room_id, count(*) AS n FROM batch GROUP BY room_id), "
        f"locked AS (SELECT {_q('id')} FROM {room} WHERE {_q('id')} IN (SELECT room_id FROM counts) "
        f"AND NOT {_q('is_archived')} ORDER BY {_q('id')} FOR UPDATE), "
        f"claimed AS (UPDATE {room} AS r SET {_q('last_seq')} = r.{_q('last_seq')} + counts.n, "
        f"{_q('last_event')} = r.{_q('last_event')} + counts.n, "
        f"{_q('last_message_at')} = %s FROM counts WHERE r.{_q('id')} = counts.room_id "
        f"AND r.{_q('id')} IN (SELECT {_q('id')} FROM locked) "
        f"RETURNING r.{_q('id')} AS room_id, r.{_q('last_seq')} - counts.n AS seq_base, "
        f"r.{_q('last_event')} - counts.n AS event_base) "
        f"INSERT INTO {message} ({', '.join(_q(c) for c in _INSERT_COLUMNS)}) "
        f"SELECT batch.room_id, batch.author_id, claimed.seq_base + {in_order}, claimed.event_base + {in_order}, "
        f"batch.body, batch.client_id, %s, false, '[]'::jsonb, false, NULL, 0 "
        f"FROM batch JOIN claimed ON claimed.room_id = batch.room_id "
        f"ORDER BY batch.ord "
        f"RETURNING {_q('id')}, {_q('seq')}, {_q('event')}, {_q('author_id')}, {_q('client_id')}"
    )


def _stored(*, pk: int, seq: int, event: int, send: Send, now: datetime) -> Message:
    """The Message a send statement stored, without reading it back. Built as a row loaded from
    the database is (Model.from_db, positional values): Message(...) with keywords took 24 µs,
    this 7."""
    values = {
        "id": pk,
        "room_id": send.room.pk,
        "author_id": send.author.pk,
        "seq": seq,
        "event": event,
        "body": send.body,
        "client_id": send.client_id,
        "created_at": now,
        "edited_at": None,
        "deleted": False,
        "mentions": list(send.mention_ids),
        "mentions_room": send.mentions_room,
        "reply_to_id": send.reply_to_id,
        "reaction_count": 0,
    }
    # field_names None (the stubs want a collection): Django reads it only when the values leave
    # out some field, and these give every one.
    message = Message.from_db(
        connection.alias,
        None,  # type: ignore[arg-type]
        [values[field.attname] for field in Message._meta.concrete_fields],
    )
    message.room, message.author = send.room, send.author
    return message


def _execute_alone(sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
    """One statement as its own transaction (PostgreSQL's sends): one round trip instead of
    BEGIN, UPDATE, INSERT, COMMIT. Inside a caller's transaction it takes a savepoint, so a
    duplicate client_id does not break the caller's transaction."""
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows


def _send_params(send: Send, now: Any) -> dict[str, Any]:
    return {
        "now": now,
        "room": send.room.pk,
        "author": send.author.pk,
        "body": send.body,
        "client_id": send.client_id,
        "mentions": orjson.dumps(send.mention_ids).decode(),
        "mentions_room": send.mentions_room,
        "reply_to": send.reply_to_id,
    }


def _insert_sqlite(cursor: CursorWrapper, send: Send, now: Any) -> tuple[int, int, int] | None:
    """In the caller's transaction on SQLite: claim the room's next seq and event, and insert
    the send (id, seq, event); None when the room is archived (or gone). Two fixed statements,
    not Message.objects.create: a send alone, commit included, costs 357 µs of CPU this way and
    546 through the ORM (bench/send_batches.py, medians of three runs)."""
    params = _send_params(send, now)
    cursor.execute(_claim_send_sql(), params)
    claimed = cursor.fetchone()
    if claimed is None:
        return None
    seq, event = claimed
    cursor.execute(_insert_claimed_sql(), {**params, "seq": seq, "event": event})
    (pk,) = cursor.fetchone()
    return pk, seq, event


def insert_one(send: Send) -> Message | None:
    """Claim the room's next seq and event and insert the message, committed; None when the
    room is archived (or gone). A client_id already used raises IntegrityError and changes
    nothing. The row lock the UPDATE takes orders concurrent changes to one room until commit,
    so seq and event have no gaps."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        rows = _execute_alone(_insert_one_sql(), _send_params(send, now))
        if not rows:
            return None
        ((pk, seq, event),) = rows
        return _stored(pk=pk, seq=seq, event=event, send=send, now=now)
    with transaction.atomic(), connection.cursor() as cursor:
        numbers = _insert_sqlite(cursor, send, connection.ops.adapt_datetimefield_value(now))
    if numbers is None:
        return None
    pk, seq, event = numbers
    return _stored(pk=pk, seq=seq, event=event, send=send, now=now)


def insert_batch(sends: Sequence[Send]) -> dict[tuple[int, str], Message]:
    """Store the sends, none of which mentions anyone (their Mention rows need the one-send
    path), committed together: the messages stored, by (author id, client_id); a send to an
    archived or deleted room is missing. A client_id used before or twice in the batch raises
    IntegrityError, and then nothing is stored. PostgreSQL: one statement. SQLite: one
    transaction, so one commit (one sync of the write-ahead log) for the whole batch."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        return _insert_batch_sqlite(sends, now)
    params: list[Any] = []
    for order, send in enumerate(sends):
        params += [order, send.room.pk, send.author.pk, send.body, send.client_id]
    params += [now, now]
    rows = _execute_alone(_insert_batch_sql(len(sends)), params)
    by_key = {(send.author.pk, send.client_id): send for send in sends}
    return {
        (author_id, client_id): _stored(pk=pk, seq=seq, event=event, send=by_key[(author_id, client_id)], now=now)
        for pk, seq, event, author_id, client_id in rows
    }


@functools.cache
def _claim_batch_sqlite_sql(rooms: int) -> str:
    """SQLite's claim of numbers for a batch's `rooms`: each room's last_seq and last_event move
    on by its number of sends. Params: (room id, sends) per room, then now."""
    room = _q(Room._meta.db_table)
    return (
        f"WITH counts (room_id, n) AS (VALUES {', '.join(['(%s, %s)'] * rooms)}) "
        f"UPDATE {room} SET {_q('last_seq')} = {_q('last_seq')} + counts.n, "
        f"{_q('last_event')} = {_q('last_event')} + counts.n, {_q('last_message_at')} = %s "
        f"FROM counts WHERE {room}.{_q('id')} = counts.room_id AND NOT {_q('is_archived')} "
        f"RETURNING {_q('id')}, {_q('last_seq')}, {_q('last_event')}"
    )


@functools.cache
def _insert_batch_sqlite_sql(size: int) -> str:
    """SQLite's insert of `size` sends whose numbers were claimed (mentioning nobody, replying
    to nothing). Params per send: room, author, seq, event, body, client_id, now."""
    row = "(%s, %s, %s, %s, %s, %s, %s, 0, '[]', 0, NULL, 0)"
    return (
        f"INSERT INTO {_q(Message._meta.db_table)} ({', '.join(_q(c) for c in _INSERT_COLUMNS)}) "
        f"VALUES {', '.join([row] * size)} RETURNING {_q('id')}, {_q('author_id')}, {_q('client_id')}"
    )


def _insert_batch_sqlite(sends: Sequence[Send], now: datetime) -> dict[tuple[int, str], Message]:
    """Two statements for the whole batch (PostgreSQL's is one): in batches of 32 a send costs
    90 µs of CPU, against 121 with a claim and an insert per send and 552 with a transaction
    per send (bench/send_batches.py, docs/benchmarks.md)."""
    stored_at = connection.ops.adapt_datetimefield_value(now)
    counts: dict[int, int] = {}
    for send in sends:
        counts[send.room.pk] = counts.get(send.room.pk, 0) + 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_claim_batch_sqlite_sql(len(counts)), [*itertools.chain(*counts.items()), stored_at])
        # The numbers before the batch's, of each room that is open.
        taken = {room_id: (seq - counts[room_id], event - counts[room_id]) for room_id, seq, event in cursor.fetchall()}
        numbered: list[tuple[Send, int, int]] = []
        params: list[Any] = []
        for send in sends:
            if send.room.pk not in taken:
                continue  # archived or gone: nothing claimed, nothing stored
            before_seq, before_event = taken[send.room.pk]
            seq, event = taken[send.room.pk] = (before_seq + 1, before_event + 1)
            numbered.append((send, seq, event))
            params += [send.room.pk, send.author.pk, seq, event, send.body, send.client_id, stored_at]
        if not numbered:
            return {}
        # A client_id used before, or twice here, fails the insert (IntegrityError) and with it
        # the claim: the caller stores the sends one by one.
        cursor.execute(_insert_batch_sqlite_sql(len(numbered)), params)
        ids = {(author_id, client_id): pk for pk, author_id, client_id in cursor.fetchall()}
    return {
        (send.author.pk, send.client_id): _stored(
            pk=ids[(send.author.pk, send.client_id)], seq=seq, event=event, send=send, now=now
        )
        for send, seq, event in numbered
    }


# --- Other changes ---------------------------------------------------------------------------


@functools.cache
def _claim_event_sql() -> str:
    room = _q(Room._meta.db_table)
    return (
        f"UPDATE {room} SET {_q('last_event')} = {_q('last_event')} + 1 WHERE {_q('id')} = %(room)s "
        f"RETURNING {_q('last_event')}"
    )


def claim_event(room_id: int) -> int | None:
    """The room's next event number, for a change made in the caller's transaction (which must
    be open: the number is only taken if the change commits). The row stays locked until then,
    so changes to one room commit in event order. None: no such room."""
    assert connection.in_atomic_block, "claim_event must run inside the change's transaction"
    with connection.cursor() as cursor:
        cursor.execute(_claim_event_sql(), {"room": room_id})
        row = cursor.fetchone()
    return None if row is None else row[0]
