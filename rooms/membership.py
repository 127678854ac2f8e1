"""Memberships: per user and room, how far they have read, how they want to hear about the room,
and which messages mention them (docs/protocol.md, "Unread, read positions, mentions and
notifications").

Counting never reads a room's messages. Unread is the room's last_seq minus the read position;
unread mentions are the user's Mention rows past it, plus the room's @room messages past it
(a partial index holds only those). So the room list costs two queries for any number of rooms
and messages (bench/unread_rooms.py; the plan is in docs/benchmarks.md).

Every change here returns the user events to publish after commit, as services do.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, IntegerField, Q, QuerySet, Value

from rooms import mentions, message_store, metrics, state
from rooms.errors import ChatError
from rooms.events import USER_ALERT, USER_MEMBERSHIP, UserEvent
from rooms.mentions import MentionRefs
from rooms.models import Membership, Mention, Message, Room, User
from rooms.serializers import MessageData

NOTIFY_LEVELS = frozenset(Membership.Notify.values)


class MembershipData(TypedDict):
    room: str  # the room's slug
    read_seq: int
    notify: str
    unread_count: int
    mention_count: int
    mention_seqs: list[int]  # the first MENTION_SEQS_MAX, oldest first


@dataclass(frozen=True)
class MembershipChange:
    membership: MembershipData
    events: list[UserEvent]


# --- Reads -----------------------------------------------------------------------------------


def _unread_mentions(memberships: QuerySet[Membership]) -> dict[tuple[int, int], list[int]]:
    """(user id, room id) -> the seqs of the unread messages that mention the user there, oldest
    first: their Mention rows past the read position (on the index (user, room, seq)), and the
    room's @room messages past it, not their own (on the @room partial index). One query."""
    memberships = memberships.order_by()  # a compound statement's parts take no ORDER BY
    named = memberships.filter(
        user__mentioned_in__room_id=F("room_id"), user__mentioned_in__seq__gt=F("read_seq")
    ).values_list("user_id", "room_id", "user__mentioned_in__seq", Value(0, output_field=IntegerField()))
    everyone = memberships.filter(
        room__messages__mentions_room=True, room__messages__deleted=False, room__messages__seq__gt=F("read_seq")
    ).values_list("user_id", "room_id", "room__messages__seq", "room__messages__author_id")
    seqs: dict[tuple[int, int], set[int]] = defaultdict(set)
    # The author of a @room message is not mentioned by it; 0 (no one) for a named mention, whose
    # rows leave the author out already.
    for user_id, room_id, seq, author_id in named.union(everyone, all=True):
        if author_id != user_id:
            seqs[(user_id, room_id)].add(seq)
    return {key: sorted(values) for key, values in seqs.items()}


def _data(row: Mapping[str, Any], mention_seqs: list[int]) -> MembershipData:
    read_seq, last_seq = row["read_seq"], row["room__last_seq"]
    return {
        "room": row["room__slug"],
        "read_seq": read_seq,
        "notify": row["notify"],
        "unread_count": max(0, last_seq - read_seq),
        "mention_count": len(mention_seqs),
        "mention_seqs": mention_seqs[: settings.ROOMS["MENTION_SEQS_MAX"]],
    }


def _summaries(memberships: QuerySet[Membership]) -> dict[tuple[int, int], MembershipData]:
    rows = list(memberships.values("user_id", "room_id", "read_seq", "notify", "room__slug", "room__last_seq"))
    if not rows:
        return {}
    unread = _unread_mentions(memberships)
    return {
        (row["user_id"], row["room_id"]): _data(row, unread.get((row["user_id"], row["room_id"]), [])) for row in rows
    }


def membership_list(*, user: User) -> list[MembershipData]:
    """The user's memberships, every room they have entered: the room list's unread summary."""
    memberships = Membership.objects.filter(user=user).order_by("room_id")
    return list(_summaries(memberships).values())


def membership_get(*, user: User, room: Room) -> MembershipData:
    """The user's membership of `room`; for a room never entered, the one entering would start
    with (nothing is stored)."""
    found = _summaries(Membership.objects.filter(user=user, room=room))
    if found:
        return found[(user.pk, room.pk)]
    return {
        "room": room.slug,
        "read_seq": room.last_seq,
        "notify": Membership.Notify.MENTIONS,
        "unread_count": 0,
        "mention_count": 0,
        "mention_seqs": [],
    }


def members_suggest(*, room: Room, text: str, online_ids: Iterable[int]) -> list[tuple[User, bool]]:
    """For @ autocompletion: people who have entered `room` whose shown name contains `text`
    (any case), online first, then by name; at most MEMBER_SUGGESTIONS_MAX. The match is done
    on the shown name in Python over the candidates the database narrows by its columns."""
    limit = settings.ROOMS["MEMBER_SUGGESTIONS_MAX"]
    needle = text.casefold()
    candidates = User.objects.filter(memberships__room=room, is_active=True)
    if needle:
        candidates = candidates.filter(
            Q(display_name__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(username__icontains=text)
        )
    online = set(online_ids)
    people = [user for user in candidates.order_by("id")[:500] if needle in user.shown_name.casefold()]
    people.sort(key=lambda user: (user.pk not in online, user.shown_name.casefold(), user.pk))
    return [(user, user.pk in online) for user in people[:limit]]


# --- Changes ---------------------------------------------------------------------------------


def _membership_event(user_id: int, membership: MembershipData) -> UserEvent:
    return UserEvent((user_id,), {"type": USER_MEMBERSHIP, "membership": membership})


def membership_enter(
    *, user: User, room_id: int, room_slug: str | None = None, last_seq: int | None = None
) -> MembershipData:
    """The user's membership of the room, made on their first entry with the room's last_seq as
    the read position: what was said before they came is not new to them. A socket's hello has
    just read the room (`room_slug`, `last_seq`); then this is two fixed statements (a socket
    open's reads are, rooms/message_store.py): through the ORM it cost 1.4 ms of CPU, most of
    a hello's (bench/hello_reads.py)."""
    if room_slug is None or last_seq is None:
        room = Room.objects.only("slug", "last_seq").filter(pk=room_id).first()
        if room is None:
            raise Room.DoesNotExist(f"Room {room_id} is gone.")
        room_slug, last_seq = room.slug, room.last_seq
    with connection.cursor() as cursor:
        read_seq, notify = message_store.membership_enter(cursor, user_id=user.pk, room_id=room_id, last_seq=last_seq)
        seqs = message_store.unread_mention_seqs(cursor, user_id=user.pk, room_id=room_id, read_seq=read_seq)
    row = {"read_seq": read_seq, "notify": notify, "room__slug": room_slug, "room__last_seq": last_seq}
    return _data(row, seqs)


def _read_allow(user: User) -> None:
    rate = settings.ROOMS["READ_RATE_PER_SECOND"]
    (wait,) = state.take_tokens([f"read:{user.pk}"], rate=rate, burst=2 * rate)
    if wait > 0:
        metrics.rate_limit_refusals.labels("reads").inc()
        raise ChatError("rate_limited", "Too many read updates; slow down.", status=429, retry_after=1)


def membership_update(*, user: User, room: Room, read_seq: object = None, notify: object = None) -> MembershipChange:
    """Move the read position forward (never back: a smaller `read_seq` changes nothing; two tabs
    racing end at the furthest) and capped at the room's last_seq, and/or set the notification
    level. Every socket of the user hears of a change."""
    if read_seq is not None and (isinstance(read_seq, bool) or not isinstance(read_seq, int) or read_seq < 0):
        raise ChatError("invalid_field", "`read_seq` must be a non-negative integer.")
    if notify is not None and notify not in NOTIFY_LEVELS:
        raise ChatError("invalid_field", f"`notify` must be one of {', '.join(sorted(NOTIFY_LEVELS))}.")
    if read_seq is None and notify is None:
        raise ChatError("invalid_field", "Give `read_seq`, `notify`, or both.")
    if read_seq is not None:
        _read_allow(user)
    changed = 0
    with transaction.atomic():
        last_seq = Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True).first()
        if last_seq is None:
            raise Room.DoesNotExist(f"Room {room.pk} is gone.")
        # Updating is entering, for a client that never opened the room's socket (HTTP mode).
        Membership.objects.get_or_create(user=user, room=room, defaults={"read_seq": last_seq})
        mine = Membership.objects.filter(user=user, room=room)
        if read_seq is not None:
            target = min(read_seq, last_seq)
            # Conditional, so concurrent moves never take it back.
            changed += mine.filter(read_seq__lt=target).update(read_seq=target)
        if notify is not None:
            changed += mine.exclude(notify=notify).update(notify=notify)
    membership = membership_get(user=user, room=room)
    return MembershipChange(membership, [_membership_event(user.pk, membership)] if changed else [])


# --- Mentions in messages --------------------------------------------------------------------


def mentions_resolve(*, room: Room, author: User, body: str) -> MentionRefs:
    """What `body` mentions that counts: the ids of people who have entered the room, in the
    order written, and @room if the author may use it here. Raises too_many_mentions and
    room_mention_not_allowed."""
    refs = mentions.parse(body)
    if not refs:
        return refs
    limit = settings.ROOMS["MENTIONS_MAX"]
    if len(refs.user_ids) > limit:
        raise ChatError("too_many_mentions", f"A message can mention at most {limit} people.")
    if refs.room and not author.is_staff:
        allowed = Room.objects.filter(pk=room.pk).values_list("allow_room_mention", flat=True).first()
        if not allowed:
            raise ChatError("room_mention_not_allowed", "Only moderators can mention @room in this room.", status=403)
    members = set(Membership.objects.filter(room=room, user_id__in=refs.user_ids).values_list("user_id", flat=True))
    return MentionRefs(tuple(uid for uid in refs.user_ids if uid in members), refs.room)


def mention_rows_replace(message: Message, user_ids: Iterable[int]) -> set[int]:
    """Inside the change's transaction: the message's Mention rows become `user_ids` (less its
    author, whom a self-mention does not notify). Returns the users whose rows came or went."""
    wanted = {uid for uid in user_ids if uid != message.author_id}
    had = set(Mention.objects.filter(message=message).values_list("user_id", flat=True))
    if had - wanted:
        Mention.objects.filter(message=message, user_id__in=had - wanted).delete()
    Mention.objects.bulk_create(
        [Mention(message=message, user_id=uid, room_id=message.room_id, seq=message.seq) for uid in wanted - had]
    )
    return had ^ wanted


def alerts_for_new(messages: list[tuple[Room, MessageData, MentionRefs]]) -> dict[int, list[UserEvent]]:
    """The `alert`s of newly stored messages, by message id: to the people each mentions, to
    everyone in the room for @room, and to those who hear every message of the room (one query
    for all of them). Never to the author, and each person once per message, for the strongest
    reason."""
    if not messages:
        return {}
    watchers: dict[int, set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        for room_id, user_id in message_store.watchers_read(cursor, {room.pk for room, _, _ in messages}):
            watchers[room_id].add(user_id)
    everyone: dict[int, set[int]] = defaultdict(set)
    room_mention_rooms = {room.pk for room, _, refs in messages if refs.room}
    if room_mention_rooms:  # rare: moderators, or rooms that allow it
        for room_id, user_id in Membership.objects.filter(room_id__in=room_mention_rooms).values_list(
            "room_id", "user_id"
        ):
            everyone[room_id].add(user_id)
    alerts: dict[int, list[UserEvent]] = {}
    for room, data, refs in messages:
        author_id = data["author"]["id"]
        named = set(refs.user_ids) - {author_id}
        by_room = (everyone[room.pk] - named - {author_id}) if refs.room else set()
        watching = watchers[room.pk] - named - by_room - {author_id}
        shown_room = {"slug": room.slug, "name": room.name}
        for reason, users in (("mention", named), ("room_mention", by_room), ("watch", watching)):
            if users:
                frame = {"type": USER_ALERT, "reason": reason, "room": shown_room, "message": data}
                alerts.setdefault(data["id"], []).append(UserEvent(tuple(sorted(users)), frame))
    return alerts


def memberships_changed(*, room: Room, user_ids: Iterable[int]) -> list[UserEvent]:
    """`membership` frames for people whose unread mentions in `room` changed (a message that
    mentioned them edited or deleted): two queries for all of them."""
    ids = set(user_ids)
    if not ids:
        return []
    found = _summaries(Membership.objects.filter(room=room, user_id__in=ids))
    return [_membership_event(user_id, data) for (user_id, _), data in sorted(found.items())]


def members_with_unread(*, room: Room, seq: int) -> list[int]:
    """Who has not read up to `seq` in `room`: whose count an @room message there moves."""
    return list(Membership.objects.filter(room=room, read_seq__lt=seq).values_list("user_id", flat=True))
