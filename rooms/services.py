"""Writes. Validate, change atomically, return the events produced — in that order, always.

Services never publish: each returns the room events of its changes (rooms/events.py), and its
caller hands them to rooms/realtime.py, which publishes them once they are committed. The REST
send and the socket send are one service, message_create_batch (message_create is one send of
it): one set of rules, one store.
"""

import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, ParamSpec, cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone

from rooms import membership, message_store, metrics, rules, state
from rooms.errors import ChatError
from rooms.events import (
    MESSAGE_DELETED,
    MESSAGE_EDITED,
    MESSAGE_NEW,
    MESSAGE_REACTED,
    Event,
    RoomEvent,
    message_event,
    room_event,
)
from rooms.mentions import NO_MENTIONS, MentionRefs
from rooms.models import Message, Reaction, Room, User
from rooms.serializers import MessageData, message_data

logger = logging.getLogger(__name__)
P = ParamSpec("P")

BATCH_MAX_SENDS = message_store.BATCH_MAX_SENDS
# The room's own fields clients show: a change to one of them is a room event.
ROOM_SHOWN_FIELDS = frozenset({"slug", "name", "description", "is_archived", "allow_room_mention"})


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool
    data: MessageData  # message_data(message): built once for the broadcast, the ack and the response
    # Its message.new and the alerts to people it concerns elsewhere; none for a replay.
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class SendBatch:
    outcomes: list[SendResult | ChatError]  # per send, in order: its SendResult, or the ChatError that refused it
    # Of the sends stored, in the order they took their numbers; then the alerts to the people
    # they concern (rooms/membership.py).
    events: list[Event]


@dataclass(frozen=True)
class MessageChange:
    message: Message
    data: MessageData
    events: list[Event]


@dataclass(frozen=True)
class RoomChange:
    room: Room
    events: list[RoomEvent]


def _existing_send(*, author: User, client_id: str) -> Message | None:
    return Message.objects.select_related("room", "author").filter(author=author, client_id=client_id).first()


def _replay(existing: Message, room: Room) -> SendResult:
    if existing.room_id != room.id:
        raise ChatError("client_id_conflict", "This client_id was already used for a message in another room.")
    return SendResult(message=existing, created=False, data=message_data(existing))


def _replay_or_raise(room: Room, author: User, client_id: str, error: Exception) -> SendResult:
    existing = _existing_send(author=author, client_id=client_id)
    if existing is None:
        raise error
    return _replay(existing, room)


def _send_rate_waits(authors: list[User]) -> list[float]:
    """Per author, in order: seconds until they may send again (0: now, and a token is taken).
    One round trip to the shared store for all of them; an author named twice takes two."""
    conf = settings.ROOMS
    bucket: state.TokenBucket = {
        "rate": conf["SEND_RATE_COUNT"] / conf["SEND_RATE_PERIOD"],
        "burst": conf["SEND_RATE_BURST"],
    }
    return state.take_tokens([f"send:{author.pk}" for author in authors], **bucket)


def _rate_limited(wait: float, what: str = "messages") -> ChatError:
    seconds = max(1, math.ceil(wait))
    return ChatError("rate_limited", f"Too many {what}; try again in {seconds} s.", status=429, retry_after=seconds)


def _room_archived() -> ChatError:
    return ChatError("room_archived", "This room is archived and read-only.", status=403)


def _room_closed(room: Room) -> ChatError:
    if Room.objects.filter(pk=room.pk).exists():
        return _room_archived()
    return ChatError("room_not_found", "No such room.", status=404)


@dataclass(frozen=True)
class SendRequest:
    """One send as a socket or the REST API received it, not yet validated."""

    room: Room
    author: User
    body: object
    client_id: object
    reply_to: object = None  # the id of the message it answers, as received


@dataclass(frozen=True)
class _CleanSend:
    index: int  # in the batch
    room: Room
    author: User
    body: str
    client_id: str
    mentions: MentionRefs = NO_MENTIONS
    reply: Message | None = None  # the message it answers

    @property
    def reply_to_id(self) -> int | None:
        return self.reply.pk if self.reply is not None else None

    @property
    def mention_ids(self) -> tuple[int, ...]:
        return self.mentions.user_ids

    @property
    def mentions_room(self) -> bool:
        return self.mentions.room


def _original(room: Room, reply_to: object) -> Message | None:
    """The message a send answers: one of the same room, not deleted."""
    if reply_to is None:
        return None
    if isinstance(reply_to, bool) or not isinstance(reply_to, int) or reply_to <= 0:
        raise ChatError("invalid_reply", "`reply_to` must be the id of a message in this room.")
    original = Message.objects.select_related("author").filter(pk=reply_to, room_id=room.pk).first()
    if original is None:
        raise ChatError("invalid_reply", "`reply_to` must be the id of a message in this room.")
    if original.deleted:
        raise ChatError("message_deleted", "The message you answer was deleted.", status=409)
    return original


def _clean(index: int, request: SendRequest) -> _CleanSend:
    client_id = rules.clean_client_id(request.client_id)
    body = rules.clean_body(request.body)
    refs = membership.mentions_resolve(room=request.room, author=request.author, body=body)
    reply = _original(request.room, request.reply_to)
    return _CleanSend(index, request.room, request.author, body, client_id, refs, reply)


def message_create(*, room: Room, author: User, body: object, client_id: object, reply_to: object = None) -> SendResult:
    """One send (the REST API's): message_create_batch of one, its refusal raised. Sending a
    client_id again returns the message stored the first time, so a retry never duplicates."""
    request = SendRequest(room=room, author=author, body=body, client_id=client_id, reply_to=reply_to)
    (outcome,) = message_create_batch([request]).outcomes
    if isinstance(outcome, ChatError):
        raise outcome
    return outcome


def message_create_batch(sends: list[SendRequest]) -> SendBatch:
    """Store messages, each committed before this returns. Per send, in order, its result or
    the error that refused it, in the same order of checks whatever the batch holds. What the
    sends share is what costs the most per message under load: one rate-limit round trip for
    all, and on PostgreSQL one statement and one commit for the sends allowed (a write thread
    takes the sends that waited for it as one batch, rooms/workers.py).

    Rooms keep their order: a room's sends take consecutive seqs and events in batch order.
    On PostgreSQL the common path is one round trip to the database: a retry is recognised by
    the unique constraint on (author, client_id) instead of by a lookup before every send, and
    the statement refuses an archived room itself, so a send's `room` may be a copy the caller
    has held for a while (a socket's). Anything unusual (a client_id used before, a database
    other than PostgreSQL) is left to the one-send path, send by send."""
    outcomes: list[SendResult | ChatError | None] = [None] * len(sends)
    cleaned: list[_CleanSend] = []
    for index, request in enumerate(sends):
        try:
            cleaned.append(_clean(index, request))
        except ChatError as error:
            outcomes[index] = error
    allowed: list[_CleanSend] = []
    for send, wait in zip(cleaned, _send_rate_waits([send.author for send in cleaned]), strict=True):
        if wait > 0:
            # A retry of a message already stored is answered even past the limit.
            refusal = _rate_limited(wait)
            outcomes[send.index] = _outcome(_replay_or_raise, send.room, send.author, send.client_id, refusal)
            if outcomes[send.index] is refusal:
                metrics.rate_limit_refusals.labels("messages").inc()
        else:
            allowed.append(send)
    stored = _store_together(allowed)
    for send in allowed:
        if stored is None:
            outcomes[send.index] = _outcome(_store_one, send)
        elif (message := stored.get((send.author.pk, send.client_id))) is not None:
            outcomes[send.index] = _created(message)
        else:
            refusal = _room_closed(send.room)
            outcomes[send.index] = _outcome(_replay_or_raise, send.room, send.author, send.client_id, refusal)
    created = [
        (send, outcome)
        for send in allowed
        if isinstance(outcome := outcomes[send.index], SendResult) and outcome.created
    ]
    # One query for the whole batch tells who hears of which message beyond its room.
    alerts = membership.alerts_for_new([(send.room, result.data, send.mentions) for send, result in created])
    for send, result in created:
        if alerts.get(result.message.pk):
            outcomes[send.index] = replace(result, events=[*result.events, *alerts[result.message.pk]])
    events = [event for outcome in outcomes if isinstance(outcome, SendResult) for event in outcome.events]
    metrics.messages_stored.inc(len(created))
    # Every send has its outcome by now: each was refused, or stored or replayed above.
    return SendBatch(outcomes=cast(list[SendResult | ChatError], outcomes), events=events)


def _store_together(sends: list[_CleanSend]) -> dict[tuple[int, str], Message] | None:
    """The sends stored together (message_store.insert_batch), or None: leave them to the
    one-send path (a single send, a send that mentions someone, whose Mention rows go in its
    transaction, a reply, or a client_id used before or twice, which stores nothing)."""
    if len(sends) < 2 or any(send.mentions or send.reply for send in sends):
        return None
    try:
        return message_store.insert_batch(sends)
    except IntegrityError:
        return None


def _store_one(send: _CleanSend) -> SendResult:
    try:
        if send.mention_ids:
            with transaction.atomic():
                message = message_store.insert_one(send)
                if message is not None:
                    membership.mention_rows_replace(message, send.mention_ids)
        else:
            message = message_store.insert_one(send)
    except IntegrityError as error:
        # A retry, or two tabs raced with the same client_id: the stored message is the answer.
        return _replay_or_raise(send.room, send.author, send.client_id, error)
    if message is None:
        return _replay_or_raise(send.room, send.author, send.client_id, _room_closed(send.room))
    if send.reply is not None:
        message.reply_to = send.reply  # read with the send: message_data reads nothing more
    return _created(message)


def _created(message: Message) -> SendResult:
    data = message_data(message, reactions={})  # a new message has none
    return SendResult(
        message=message, created=True, data=data, events=[message_event(MESSAGE_NEW, message.room_id, data)]
    )


def _outcome(func: Callable[P, SendResult], *args: P.args, **kwargs: P.kwargs) -> SendResult | ChatError:
    """A send's refusal is its own outcome. A database error is not caught: it fails the whole
    batch, sends stored before it included, and their clients' retries with the same client_id
    get the stored message (as after a lost ack); rooms/workers.py runs it once more first if
    the connection had gone stale."""
    try:
        return func(*args, **kwargs)
    except ChatError as error:
        return error


def _check_author(*, message: Message, actor: User) -> None:
    if message.author_id != actor.pk and not actor.is_staff:
        raise ChatError("permission_denied", "Only the author or a moderator can change this message.", status=403)


def _claim_for_change(*, message: Message, actor: User) -> tuple[int, Message]:
    """Inside the change's transaction: the room's next event, and the message as it is now
    (read after the claim, which locks the room: no other change to the room slips between
    this read and the commit). An archived room is read-only for everyone but moderators, who
    may still clean it up without reopening it to everybody (docs/protocol.md)."""
    event = message_store.claim_event(message.room_id)
    current = Message.objects.select_related("room", "author").filter(pk=message.pk).first()
    if event is None or current is None:
        raise ChatError("not_found", "No such message in this room.", status=404)
    if current.room.is_archived and not actor.is_staff:
        raise _room_archived()
    return event, current


def _spend_send_budget(actor: User) -> None:
    """Edits and deletes draw on the author's send budget: each one is pushed to everyone in the
    room like a message. Moderators are not held to it (cleaning up a flood is many deletes)."""
    if actor.is_staff:
        return
    (wait,) = _send_rate_waits([actor])
    if wait > 0:
        metrics.rate_limit_refusals.labels("edits").inc()
        raise _rate_limited(wait)


def message_edit(*, message: Message, actor: User, body: object) -> MessageChange:
    """An edit's mentions are parsed again, by the author's rights: people it no longer
    mentions lose the unread mention, people it newly mentions gain one (not an alert: it is not
    a new message)."""
    _check_author(message=message, actor=actor)
    body = rules.clean_body(body)
    refs = membership.mentions_resolve(room=message.room, author=message.author, body=body)
    _spend_send_budget(actor)
    with transaction.atomic():
        event, current = _claim_for_change(message=message, actor=actor)
        if current.deleted:
            raise ChatError("message_deleted", "This message was deleted.", status=409)
        room_mention_changed = current.mentions_room != refs.room
        current.body, current.edited_at, current.event = body, timezone.now(), event
        current.mentions, current.mentions_room = list(refs.user_ids), refs.room
        current.save(update_fields=["body", "edited_at", "event", "mentions", "mentions_room"])
        concerned = membership.mention_rows_replace(current, refs.user_ids)
    data = message_data(current)
    return MessageChange(
        current,
        data,
        [
            message_event(MESSAGE_EDITED, current.room_id, data),
            *_mention_counts_moved(current, concerned, room_mention_changed),
        ],
    )


def _mention_counts_moved(message: Message, user_ids: set[int], room_mention_changed: bool) -> list[Event]:
    """`membership` frames for the people whose unread mentions a change to `message` moved:
    those it named or stopped naming, and, when its @room came or went, everyone in the room who
    had not read it yet."""
    if room_mention_changed:
        user_ids = user_ids | set(membership.members_with_unread(room=message.room, seq=message.seq))
    return list(membership.memberships_changed(room=message.room, user_ids=user_ids - {message.author_id}))


def message_delete(*, message: Message, actor: User) -> MessageChange:
    """Soft delete: the message keeps its place (and seq) as "deleted". Deleting a message
    already deleted changes nothing and produces no event (a retried DELETE succeeds)."""
    _check_author(message=message, actor=actor)
    _spend_send_budget(actor)
    with transaction.atomic():
        event, current = _claim_for_change(message=message, actor=actor)
        if current.deleted:
            transaction.set_rollback(True)  # gives the event number back: no event without a frame
            return MessageChange(current, message_data(current), [])
        current.deleted, current.event = True, event
        current.save(update_fields=["deleted", "event"])
        concerned = membership.mention_rows_replace(current, ())
    data = message_data(current)
    return MessageChange(
        current,
        data,
        [
            message_event(MESSAGE_DELETED, current.room_id, data),
            *_mention_counts_moved(current, concerned, current.mentions_room),
        ],
    )


def message_react(*, message: Message, actor: User, emoji: object, on: object) -> MessageChange:
    """Add (`on`) or remove the actor's `emoji` on the message: a room event like an edit, so it
    reaches everyone and replays in a catch-up. Idempotent: a change that changes nothing takes
    no event. Draws on the send budget; refused in archived rooms (for moderators too: there is
    nothing to clean up) and on deleted messages."""
    emoji = rules.clean_emoji(emoji)
    if not isinstance(on, bool):
        raise ChatError("invalid_field", "`on` must be true or false.")
    _spend_send_budget(actor)
    with transaction.atomic():
        event, current = _claim_for_change(message=message, actor=actor)
        if current.room.is_archived:
            raise _room_archived()
        if current.deleted:
            raise ChatError("message_deleted", "This message was deleted.", status=409)
        mine = Reaction.objects.filter(message=current, user=actor, emoji=emoji)
        changed = True
        if on and not mine.exists():
            emojis = set(Reaction.objects.filter(message=current).values_list("emoji", flat=True))
            if emoji not in emojis and len(emojis) >= settings.ROOMS["REACTIONS_MAX_EMOJI"]:
                raise ChatError("too_many_reactions", "This message has as many different reactions as it can.")
            Reaction.objects.create(message=current, user=actor, emoji=emoji)
            current.reaction_count += 1
        elif not on and mine.delete()[0]:
            current.reaction_count -= 1
        else:
            changed = False
            transaction.set_rollback(True)  # gives the event number back: no event without a frame
        if changed:
            current.event = event
            current.save(update_fields=["event", "reaction_count"])
    data = message_data(current)
    return MessageChange(current, data, [message_event(MESSAGE_REACTED, current.room_id, data)] if changed else [])


def room_update(*, room: Room, **fields: object) -> RoomChange:
    """Change a room's own fields (from the admin). A change to what clients show of the room
    (ROOM_SHOWN_FIELDS: archived, name, description) takes the room's next event; values
    equal to the stored ones change nothing. Only the fields given are written: the room's
    counters move on with every send, and a copy read earlier must not put them back."""
    with transaction.atomic():
        current = Room.objects.select_for_update().get(pk=room.pk)
        changes = {name: value for name, value in fields.items() if getattr(current, name) != value}
        if not changes:
            return RoomChange(current, [])
        shown = bool(changes.keys() & ROOM_SHOWN_FIELDS)
        if shown:
            event = message_store.claim_event(current.pk)
            assert event is not None, "the room's row is locked above: it exists"
            current.last_event = event
        for name, value in changes.items():
            setattr(current, name, value)
        current.save(update_fields=list(changes))
    return RoomChange(current, [room_event(current)] if shown else [])


def guest_signin_allow(*, client_address: str | None) -> None:
    """Raises 429 rate_limited past the guest sign-in limits (settings.GUEST_SIGNIN_RATE), per
    client address and for the whole site; each try takes from both."""
    limits = settings.GUEST_SIGNIN_RATE
    per_address: state.TokenBucket = {
        "rate": limits["PER_ADDRESS_PER_HOUR"] / 3600,
        "burst": limits["PER_ADDRESS_BURST"],
    }
    site: state.TokenBucket = {"rate": limits["SITE_PER_MINUTE"] / 60, "burst": limits["SITE_PER_MINUTE"]}
    (address_wait,) = state.take_tokens([f"guest:address:{client_address or '-'}"], **per_address)
    (site_wait,) = state.take_tokens(["guest:site"], **site)
    wait = max(address_wait, site_wait)
    if wait > 0:
        metrics.rate_limit_refusals.labels("guest_signin").inc()
        raise _rate_limited(wait, "new guests")


def guest_user_create(*, display_name: object) -> User:
    """A guest with `display_name`, which may not look like the name of an active moderator."""
    name = rules.clean_display_name(display_name)
    skeleton = rules.name_skeleton(name)
    staff = User.objects.filter(is_staff=True, is_active=True).only(
        "display_name", "first_name", "last_name", "username"
    )
    if any(rules.name_skeleton(member.shown_name) == skeleton for member in staff):
        raise ChatError("invalid_display_name", "That name belongs to a moderator; choose another.")
    user = User(username=f"guest-{secrets.token_hex(8)}", display_name=name, is_guest=True)
    user.set_unusable_password()
    user.save()
    return user


FORMER_GUEST_NAME = "Former guest"


def idle_guests_retire(*, idle_for: timedelta) -> list[int]:
    """Guests who have not signed in for `idle_for` lose their identity: signed out (sessions
    deleted), deactivated, and shown as "Former guest". Their rows stay, so what they wrote
    stays, under that name. Returns their ids: the caller closes their sockets."""
    cutoff = timezone.now() - idle_for
    retiring = set(
        User.objects.filter(is_guest=True, is_active=True, date_joined__lt=cutoff)
        .exclude(last_login__gte=cutoff)
        .values_list("pk", flat=True)
    )
    if not retiring:
        return []
    # A session names its user only inside its encoded data: read each live one once.
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if _session_user_id(session) in retiring
    ]
    with transaction.atomic():
        Session.objects.filter(session_key__in=ended).delete()
        User.objects.filter(pk__in=retiring).update(
            is_active=False, display_name=FORMER_GUEST_NAME, avatar_url="", first_name="", last_name=""
        )
    return sorted(retiring)


def _session_user_id(session: Session) -> int | None:
    value: Any = session.get_decoded().get(SESSION_KEY)  # whatever the session stored
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
