"""Writes. Validate, change atomically, publish after commit — in that order, always.

The REST send and the WebSocket send both call message_create: one write path, one set of rules.
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


def _send_rate_wait(user: User) -> float:
    """Seconds until the user may send again (0: now), taking a token if they may."""
    conf = settings.ROOMS
    bucket = {"rate": conf["SEND_RATE_COUNT"] / conf["SEND_RATE_PERIOD"], "burst": conf["SEND_RATE_BURST"]}
    try:
        return get_state().take_token(f"send:{user.pk}", **bucket)
    except redis.RedisError as error:
        logger.warning("rate-limit store unreachable, limiting per process: %r", error)
        return _fallback_buckets.take_token(f"send:{user.pk}", **bucket)


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


def _store_message(*, room: Room, author: User, body: str, client_id: str) -> Message | None:
    """Claim the room's next seq and insert the message, or None when the room is archived (or
    gone). A client_id already used raises IntegrityError and changes nothing. The row lock the
    UPDATE takes orders concurrent sends to one room until commit, so seq has no gaps."""
    now = timezone.now()
    params = {"now": now, "room": room.pk, "author": author.pk, "body": body, "client_id": client_id}
    if connection.vendor == "postgresql":
        # One statement, its own transaction: one round trip instead of BEGIN, UPDATE, INSERT,
        # COMMIT. Inside a caller's transaction it takes a savepoint, so a duplicate client_id
        # does not break the caller's transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            with connection.cursor() as cursor:
                cursor.execute(_claim_and_insert_sql(), params)
                row = cursor.fetchone()
        if row is None:
            return None
        message = Message(id=row[0], room=room, author=author, seq=row[1], body=body, client_id=client_id)
        message.created_at = now
        message._state.adding, message._state.db = False, connection.alias
        return message
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
    wait = _send_rate_wait(author)
    if wait > 0:
        # A retry of a message already stored is answered even past the limit.
        return _replay_or_raise(room, author, client_id, _rate_limited(wait))
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
