"""Writes. Validate, change atomically, publish after commit — in that order, always.

The REST send and the WebSocket send both call message_create: one write path, one set of rules.
"""

import logging
import math
import secrets
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
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


def _existing_send(*, author: User, client_id: str) -> Message | None:
    return Message.objects.select_related("room", "author").filter(author=author, client_id=client_id).first()


def _replay(existing: Message, room: Room) -> SendResult:
    if existing.room_id != room.id:
        raise ChatError("client_id_conflict", "This client_id was already used for a message in another room.")
    return SendResult(message=existing, created=False)


def _check_send_rate(user: User) -> None:
    conf = settings.ROOMS
    bucket = {"rate": conf["SEND_RATE_COUNT"] / conf["SEND_RATE_PERIOD"], "burst": conf["SEND_RATE_BURST"]}
    try:
        wait = get_state().take_token(f"send:{user.pk}", **bucket)
    except redis.RedisError as error:
        logger.warning("rate-limit store unreachable, limiting per process: %r", error)
        wait = _fallback_buckets.take_token(f"send:{user.pk}", **bucket)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ChatError(
            "rate_limited", f"Too many messages; try again in {seconds} s.", status=429, retry_after=seconds
        )


def message_create(*, room: Room, author: User, body: object, client_id: object) -> SendResult:
    """Store a message and broadcast it on commit. Sending a client_id again returns the
    message stored the first time, so a retry after a lost ack never duplicates."""
    client_id = rules.clean_client_id(client_id)
    existing = _existing_send(author=author, client_id=client_id)
    if existing is not None:
        return _replay(existing, room)
    body = rules.clean_body(body)
    if room.is_archived:
        raise ChatError("room_archived", "This room is archived and read-only.", status=403)
    _check_send_rate(author)

    try:
        with transaction.atomic():
            now = timezone.now()
            # The row lock taken by this UPDATE orders concurrent sends to one room, so seq has no gaps.
            Room.objects.filter(pk=room.pk).update(last_seq=F("last_seq") + 1, last_message_at=now)
            seq = Room.objects.values_list("last_seq", flat=True).get(pk=room.pk)
            message = Message.objects.create(room=room, author=author, seq=seq, body=body, client_id=client_id)
            message.room, message.author = room, author
            realtime.publish_to_room_on_commit(room.pk, {"type": "message.new", "message": message_data(message)})
    except IntegrityError:
        # Two tabs raced with the same client_id: the other one won, and its message is the answer.
        existing = _existing_send(author=author, client_id=client_id)
        if existing is None:
            raise
        return _replay(existing, room)
    return SendResult(message=message, created=True)


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
