"""Writes. Validate, change atomically, publish after commit — in that order, always.

The REST send calls message_create; the WebSocket send, message_create_batch, which gives each
send of a batch what message_create would have given it alone: one set of rules, one store.
"""

import functools
import logging
import math
import secrets
from contextlib import nullcontext
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rooms import realtime, rules
from rooms.errors import ChatError
from rooms.models import Message, Room, User
from rooms.serializers import message_data
from rooms.state import MemoryState, get_state

logger = logging.getLogger(__name__)
# Used only while the shared store is unreachable: limits then hold per process instead of
# failing every send (chat keeps working through a Redis restart).
_fallback_buckets = MemoryState()


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool
    data: dict  # message_data(message): built once for the broadcast, the ack and the response


def _existing_send(*, author: User, client_id: str) -> Message | None:
    return Message.objects.select_related("room", "author").filter(author=author, client_id=client_id).first()


def _replay(existing: Message, room: Room) -> SendResult:
    if existing.room_id != room.id:
        raise ChatError("client_id_conflict", "This client_id was already used for a message in another room.")
    return SendResult(message=existing, created=False, data=message_data(existing))


def _send_rate_waits(authors: list[User]) -> list[float]:
    """Per author, in order: seconds until they may send again (0: now, and a token is taken).
    One round trip to the shared store for all of them; an author named twice takes two."""
    conf = settings.ROOMS
    bucket = {"rate": conf["SEND_RATE_COUNT"] / conf["SEND_RATE_PERIOD"], "burst": conf["SEND_RATE_BURST"]}
    names = [f"send:{author.pk}" for author in authors]
    try:
        return get_state().take_tokens(names, **bucket)
    except redis.RedisError as error:
        logger.warning("rate-limit store unreachable, limiting per process: %r", error)
        return _fallback_buckets.take_tokens(names, **bucket)


def _rate_limited(wait: float) -> ChatError:
    seconds = max(1, math.ceil(wait))
    return ChatError("rate_limited", f"Too many messages; try again in {seconds} s.", status=429, retry_after=seconds)


def _claim_next_seq_sql(quote) -> str:
    return (
        f"UPDATE {quote(Room._meta.db_table)} SET {quote('last_seq')} = {quote('last_seq')} + 1, "
        f"{quote('last_message_at')} = %(now)s WHERE {quote('id')} = %(room)s AND NOT {quote('is_archived')} "
        f"RETURNING {quote('last_seq')}"
    )


@functools.cache
def _claim_and_insert_sql() -> str:
    """PostgreSQL's one-statement send. Built once per process rather than per send: composing
    it cost about as much as building the message's frame."""
    quote = connection.ops.quote_name
    columns = ["room_id", "author_id", "seq", "body", "client_id", "created_at", "deleted"]
    return (
        f"WITH claimed AS ({_claim_next_seq_sql(quote)}) "
        f"INSERT INTO {quote(Message._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT %(room)s, %(author)s, {quote('last_seq')}, %(body)s, %(client_id)s, %(now)s, false FROM claimed "
        f"RETURNING {quote('id')}, {quote('seq')}"
    )


# A batch's sends go in as one VALUES list; these are its columns, cast so that PostgreSQL
# knows their types from client-side bound literals.
_BATCH_ROW = "(%s::integer, %s::bigint, %s::bigint, %s::text, %s::text)"
# Sends a write thread takes as one statement at most (its text is cached per size).
BATCH_MAX_SENDS = 64


@functools.cache
def _claim_and_insert_batch_sql(size: int) -> str:
    """PostgreSQL's statement for `size` sends, to one room or several: each room's rows are
    locked in id order (two batches never wait on each other in a cycle), its last_seq moves on
    by its number of sends, and the sends take the seqs claimed, in batch order. An archived
    room claims nothing, so its sends are not inserted. Params: the VALUES rows (order, room,
    author, body, client_id), then now twice."""
    q = connection.ops.quote_name
    room_table, message_table = q(Room._meta.db_table), q(Message._meta.db_table)
    columns = ["room_id", "author_id", "seq", "body", "client_id", "created_at", "deleted"]
    return (
        f"WITH batch (ord, room_id, author_id, body, client_id) AS (VALUES {', '.join([_BATCH_ROW] * size)}), "
        f"counts AS (SELECT room_id, count(*) AS n FROM batch GROUP BY room_id), "
        f"locked AS (SELECT {q('id')} FROM {room_table} WHERE {q('id')} IN (SELECT room_id FROM counts) "
        f"AND NOT {q('is_archived')} ORDER BY {q('id')} FOR UPDATE), "
        f"claimed AS (UPDATE {room_table} AS r SET {q('last_seq')} = r.{q('last_seq')} + counts.n, "
        f"{q('last_message_at')} = %s FROM counts WHERE r.{q('id')} = counts.room_id "
        f"AND r.{q('id')} IN (SELECT {q('id')} FROM locked) "
        f"RETURNING r.{q('id')} AS room_id, r.{q('last_seq')} - counts.n AS base) "
        f"INSERT INTO {message_table} ({', '.join(q(c) for c in columns)}) "
        f"SELECT batch.room_id, batch.author_id, "
        f"claimed.base + row_number() OVER (PARTITION BY batch.room_id ORDER BY batch.ord), "
        f"batch.body, batch.client_id, %s, false FROM batch JOIN claimed ON claimed.room_id = batch.room_id "
        f"ORDER BY batch.ord "
        f"RETURNING {q('id')}, {q('seq')}, {q('author_id')}, {q('client_id')}"
    )


def _stored(*, pk: int, seq: int, room: Room, author: User, body: str, client_id: str, now) -> Message:
    """The Message a send statement stored, without reading it back. Built as a row loaded from
    the database is (Model.from_db, positional values): Message(...) with keywords took 24 µs,
    this 7."""
    values = {
        "id": pk,
        "room_id": room.pk,
        "author_id": author.pk,
        "seq": seq,
        "body": body,
        "client_id": client_id,
        "created_at": now,
        "edited_at": None,
        "deleted": False,
    }
    message = Message.from_db(
        connection.alias, None, [values[field.attname] for field in Message._meta.concrete_fields]
    )
    message.room, message.author = room, author
    return message


def _execute_alone(sql: str, params) -> list[tuple]:
    """One statement as its own transaction (PostgreSQL's sends): one round trip instead of
    BEGIN, UPDATE, INSERT, COMMIT. Inside a caller's transaction it takes a savepoint, so a
    duplicate client_id does not break the caller's transaction."""
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def _store_message(*, room: Room, author: User, body: str, client_id: str) -> Message | None:
    """Claim the room's next seq and insert the message, or None when the room is archived (or
    gone). A client_id already used raises IntegrityError and changes nothing. The row lock the
    UPDATE takes orders concurrent sends to one room until commit, so seq has no gaps."""
    now = timezone.now()
    params = {"now": now, "room": room.pk, "author": author.pk, "body": body, "client_id": client_id}
    if connection.vendor == "postgresql":
        rows = _execute_alone(_claim_and_insert_sql(), params)
        if not rows:
            return None
        ((pk, seq),) = rows
        return _stored(pk=pk, seq=seq, room=room, author=author, body=body, client_id=client_id, now=now)
    with transaction.atomic():
        params["now"] = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            cursor.execute(_claim_next_seq_sql(connection.ops.quote_name), params)
            row = cursor.fetchone()
        if row is None:
            return None
        return Message.objects.create(room=room, author=author, seq=row[0], body=body, client_id=client_id)


def _room_closed(room: Room) -> ChatError:
    if Room.objects.filter(pk=room.pk).exists():
        return ChatError("room_archived", "This room is archived and read-only.", status=403)
    return ChatError("room_not_found", "No such room.", status=404)


def message_create(*, room: Room, author: User, body: object, client_id: object) -> SendResult:
    """Store a message and broadcast it on commit. Sending a client_id again returns the
    message stored the first time, so a retry after a lost ack never duplicates.

    On PostgreSQL the common path is one round trip to the database (and one to Redis for the
    rate limit): a retry is recognised by the unique constraint on (author, client_id) instead
    of by a lookup before every send, and the UPDATE refuses an archived room itself, so `room`
    may be a copy the caller has held for a while (a socket's)."""
    client_id = rules.clean_client_id(client_id)
    body = rules.clean_body(body)
    (wait,) = _send_rate_waits([author])
    if wait > 0:
        # A retry of a message already stored is answered even past the limit.
        return _replay_or_raise(room, author, client_id, _rate_limited(wait))
    return _store_and_publish(room=room, author=author, body=body, client_id=client_id)


def _store_and_publish(*, room: Room, author: User, body: str, client_id: str) -> SendResult:
    try:
        message = _store_message(room=room, author=author, body=body, client_id=client_id)
    except IntegrityError as error:
        # A retry, or two tabs raced with the same client_id: the stored message is the answer.
        return _replay_or_raise(room, author, client_id, error)
    if message is None:
        return _replay_or_raise(room, author, client_id, _room_closed(room))
    data = message_data(message)
    # Committed by now, unless the caller holds a transaction: then after it commits.
    realtime.publish_to_room_on_commit(room.pk, {"type": "message.new", "message": data})
    return SendResult(message=message, created=True, data=data)


@dataclass(frozen=True)
class SendRequest:
    """One send as a socket received it, not yet validated."""

    room: Room
    author: User
    body: object
    client_id: object


@dataclass(frozen=True)
class _CleanSend:
    index: int  # in the batch
    room: Room
    author: User
    body: str
    client_id: str


def message_create_batch(sends: list[SendRequest]) -> list[SendResult | ChatError]:
    """message_create for the sends a write thread took at once (rooms/workers.py): per send, in
    order, the result or the error message_create would have given it alone, in the same order
    of checks. What the batch shares is what costs the most per message under load: one
    rate-limit round trip for every send, and on PostgreSQL one statement and one commit for
    the sends allowed, with their frames handed to the event loop in one go.

    Rooms keep their order: a room's sends take consecutive seqs in batch order, and their
    frames are published in that order. Anything unusual (a client_id used before, a database
    other than PostgreSQL) is left to the one-send path, send by send."""
    outcomes: list[SendResult | ChatError | None] = [None] * len(sends)
    cleaned: list[_CleanSend] = []
    for index, send in enumerate(sends):
        try:
            client_id = rules.clean_client_id(send.client_id)
            cleaned.append(_CleanSend(index, send.room, send.author, rules.clean_body(send.body), client_id))
        except ChatError as error:
            outcomes[index] = error
    allowed: list[_CleanSend] = []
    for send, wait in zip(cleaned, _send_rate_waits([send.author for send in cleaned]), strict=True):
        if wait > 0:
            refusal = _rate_limited(wait)
            outcomes[send.index] = _outcome(_replay_or_raise, send.room, send.author, send.client_id, refusal)
        else:
            allowed.append(send)
    stored = _store_batch(allowed) if connection.vendor == "postgresql" and len(allowed) > 1 else None
    if stored is None:
        for send in allowed:
            outcomes[send.index] = _outcome(
                _store_and_publish, room=send.room, author=send.author, body=send.body, client_id=send.client_id
            )
        return outcomes
    frames = []
    for send in allowed:
        message = stored.get((send.author.pk, send.client_id))
        if message is None:
            refusal = _room_closed(send.room)
            outcomes[send.index] = _outcome(_replay_or_raise, send.room, send.author, send.client_id, refusal)
            continue
        data = message_data(message)
        frames.append((send.room.pk, {"type": "message.new", "message": data}))
        outcomes[send.index] = SendResult(message=message, created=True, data=data)
    if frames:  # else every send went to an archived room
        realtime.publish_to_rooms_on_commit(frames)
    return outcomes


def _outcome(func, *args, **kwargs) -> SendResult | ChatError:
    """A send's refusal is its own outcome. A database error is not caught: it fails the whole
    batch, sends stored before it included, and their clients' retries with the same client_id
    get the stored message (as after a lost ack); rooms/workers.py runs it once more first if
    the connection had gone stale."""
    try:
        return func(*args, **kwargs)
    except ChatError as error:
        return error


def _store_batch(sends: list[_CleanSend]) -> dict[tuple[int, str], Message] | None:
    """Store the sends in one statement (PostgreSQL): the messages stored, by (author id,
    client_id); a send to an archived or deleted room is missing. None when a client_id was
    used before or twice in the batch: then nothing is stored."""
    now = timezone.now()
    params: list = []
    for order, send in enumerate(sends):
        params += [order, send.room.pk, send.author.pk, send.body, send.client_id]
    params += [now, now]
    try:
        rows = _execute_alone(_claim_and_insert_batch_sql(len(sends)), params)
    except IntegrityError:
        return None
    by_key = {(send.author.pk, send.client_id): send for send in sends}
    stored = {}
    for pk, seq, author_id, client_id in rows:
        send = by_key[(author_id, client_id)]
        stored[(author_id, client_id)] = _stored(
            pk=pk, seq=seq, room=send.room, author=send.author, body=send.body, client_id=client_id, now=now
        )
    return stored


def _replay_or_raise(room: Room, author: User, client_id: str, error: Exception) -> SendResult:
    existing = _existing_send(author=author, client_id=client_id)
    if existing is None:
        raise error
    return _replay(existing, room)


def _check_can_change(*, message: Message, actor: User) -> None:
    if message.author_id != actor.pk and not actor.is_staff:
        raise ChatError("permission_denied", "Only the author or a moderator can change this message.", status=403)
    if message.deleted:
        raise ChatError("message_deleted", "This message was deleted.", status=409)


def message_edit(*, message: Message, actor: User, body: object) -> Message:
    _check_can_change(message=message, actor=actor)
    if message.room.is_archived:
        raise ChatError("room_archived", "This room is archived and read-only.", status=403)
    body = rules.clean_body(body)
    with transaction.atomic():
        message.body = body
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "edited_at"])
        realtime.publish_to_room_on_commit(
            message.room_id, {"type": "message.edited", "message": message_data(message)}
        )
    return message


def message_delete(*, message: Message, actor: User) -> Message:
    """Soft delete: the message keeps its place (and seq) as "deleted"."""
    _check_can_change(message=message, actor=actor)
    with transaction.atomic():
        message.deleted = True
        message.save(update_fields=["deleted"])
        realtime.publish_to_room_on_commit(
            message.room_id, {"type": "message.deleted", "message": message_data(message)}
        )
    return message


def guest_user_create(*, display_name: object) -> User:
    name = rules.clean_display_name(display_name)
    user = User(username=f"guest-{secrets.token_hex(8)}", display_name=name, is_guest=True)
    user.set_unusable_password()
    user.save()
    return user
