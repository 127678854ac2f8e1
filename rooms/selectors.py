"""Reads. Plain functions the views and the consumer share."""

from dataclasses import dataclass

from django.conf import settings

from rooms.models import Message, Room, User
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
    """What a socket gets on connect: history (oldest first) and who is online."""

    room: Room
    messages: list[Message]
    has_more: bool
    resync: bool
    online: list[User]


def room_snapshot(*, room_id: int, after: int | None, online_user_ids: set[int]) -> Snapshot:
    room = Room.objects.get(pk=room_id)
    conf = settings.ROOMS
    if after is not None:
        page = message_page(room=room, limit=conf["CATCHUP_LIMIT"], after=after)
        if not page.has_more:
            has_more = _room_messages(room).filter(pk__lte=after).exists()
            return Snapshot(room, page.messages, has_more, resync=False, online=users_by_ids(online_user_ids))
    # A fresh join, or more was missed than we replay: the latest page, and with `resync`
    # the client replaces what it holds instead of showing a hole.
    page = message_page(room=room, limit=conf["HISTORY_SIZE"])
    return Snapshot(
        room, page.messages[::-1], page.has_more, resync=after is not None, online=users_by_ids(online_user_ids)
    )


def users_by_ids(user_ids) -> list[User]:
    return list(User.objects.filter(pk__in=list(user_ids)).order_by("pk"))
