"""The sockets: a room's, `/ws/rooms/<slug>/`, and the room list's, `/ws/lobby/`. Thin by
design: what every socket shares is in socket_base.py, rules in services/selectors, presence
in presence_feed.py, group names and encoding in realtime.py."""

import logging
import time
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.db import DatabaseError

from rooms import lobby, membership, metrics, presence_feed, realtime, room_lookup, rules, selectors, services
from rooms.errors import ChatError, unavailable
from rooms.fanout import fanout_for
from rooms.models import Room, User
from rooms.socket_base import (  # noqa: F401 (the close codes are this module's public names)
    CLOSE_FORBIDDEN,
    CLOSE_FRAME_TOO_BIG,
    CLOSE_NOT_SIGNED_IN,
    CLOSE_TIMED_OUT,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_UNKNOWN_ROOM,
    SEND_TEXT_NOW_EXTENSION,
    RoomsSocket,
)
from rooms.workers import db_read, db_write_batched

logger = logging.getLogger(__name__)


class RoomConsumer(RoomsSocket):
    room_id: int  # set by connect(), before anything reads it
    joined = False

    async def connect(self) -> None:
        if not await self.accept_signed_in():
            return
        room = await room_lookup.room_by_slug(self.scope["url_route"]["kwargs"]["slug"])
        if room is None:
            return await self.close(code=CLOSE_UNKNOWN_ROOM)
        self.room, self.room_id = room, room.pk
        self.last_typing_at = 0.0
        self.store_message = db_write_batched(
            services.message_create_batch,
            room_id=room.pk,
            max_items=services.BATCH_MAX_SENDS,
            publish=realtime.publish_from_loop,
        )
        # Join the room's live frames before reading the room: whatever changes after the read
        # arrives live, whatever before is in the hello (clients ignore events they hold).
        self.held_frames = []
        self.fanout = fanout_for(realtime.channel_layer())
        self.groups_joined = [realtime.room_group(room.pk), realtime.SOCKETS_GROUP]
        try:
            for group in self.groups_joined:
                await self.fanout.join(group, self)
            await self._open()
        except BaseException:
            # A failed open (database away, handshake cancelled) must not leave this socket
            # registered: disconnect() does not run for a consumer that raised.
            if self.joined:
                await self.disconnect(None)
            else:
                await self._leave_groups()
            raise

    async def _open(self) -> None:
        opened = await presence_feed.socket_opened(self.room_id, self.user, self.socket_id)
        if opened is not None and opened.refused:
            metrics.connection_refusals.labels("socket").inc()
            await self._leave_groups()
            return await self.close(code=CLOSE_TOO_MANY_CONNECTIONS)
        self.joined = True
        self.start_timers()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        since_text = query.get("since", [None])[0]
        since = rules.non_negative_int(since_text) if since_text is not None else None
        malformed_since = since_text is not None and since is None
        try:
            hello = await db_read(selectors.room_hello)(
                room_id=self.room_id,
                you=self.user,
                since=since,
                # A client from before room events catches up by message id, and one whose
                # `since` is not a number cannot catch up at all: a resync serves both.
                resync="after" in query or malformed_since,
                presence=opened.snapshot if opened is not None else None,
            )
        except Room.DoesNotExist:
            # Deleted since its lookup was remembered (rooms/room_lookup.py).
            room_lookup.forget(self.room.slug)
            await self.disconnect(None)
            return await self.close(code=CLOSE_UNKNOWN_ROOM)
        await self.send_first_frame(hello)
        if malformed_since:
            await self.send_error(ChatError("invalid_field", "`since` must be a non-negative integer: resynced."))

    async def disconnect(self, code: int | None) -> None:
        self.stop_timers()
        if not self.joined:
            return
        self.joined = False
        try:
            await self._leave_groups()
            await presence_feed.socket_closed(self.room_id, self.user, self.socket_id)
        except Exception:
            # Presence heals by expiry; a failure here must not turn into a traceback per socket.
            logger.warning("cleanup after disconnect failed for room %s", self.room_id, exc_info=True)

    # --- Client frames -----------------------------------------------------------------------

    async def send_message(self, frame: dict[str, Any]) -> None:
        started = time.monotonic()
        try:
            result = await self.store_message(
                # The room read at connect: the send itself refuses a room archived since.
                services.SendRequest(
                    room=self.room,
                    author=self.user,
                    body=frame.get("body"),
                    client_id=frame.get("client_id"),
                    reply_to=frame.get("reply_to"),
                )
            )
        except DatabaseError:
            logger.exception("storing a message failed")
            raise unavailable() from None
        await self.send_text(
            realtime.encode({"type": "ack", "client_id": result.message.client_id, "message": result.data})
        )
        metrics.observe_since(metrics.send_latency, started)

    async def typing(self, frame: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last_typing_at < settings.ROOMS["TYPING_INTERVAL"]:
            return
        self.last_typing_at = now
        await presence_feed.socket_typing(self.room_id, self.user, self.socket_id)

    async def ping(self, frame: dict[str, Any]) -> None:
        self.heard_from_client()
        await presence_feed.socket_alive(self.room_id, self.user, self.socket_id)
        last_seq: int | None
        last_event: int | None
        try:
            last_seq, last_event = await db_read(selectors.room_heads)(room_id=self.room_id)
        except DatabaseError:
            last_seq = last_event = None  # the heartbeat still answers while the database is away
        await self.send_text(realtime.encode({"type": "pong", "last_seq": last_seq, "last_event": last_event}))

    async def read(self, frame: dict[str, Any]) -> None:
        seq = frame.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ChatError("invalid_field", "`seq` must be a non-negative integer.")
        try:
            # A small write, on the read threads: it must not wait behind the room's sends.
            change = await db_read(membership.membership_update)(user=self.user, room=self.room, read_seq=seq)
        except Room.DoesNotExist:
            raise ChatError("room_not_found", "No such room.", status=404) from None
        except DatabaseError:
            logger.exception("storing a read position failed")
            raise unavailable() from None
        realtime.publish_from_loop(change.events)

    async def react(self, frame: dict[str, Any]) -> None:
        message_id = frame.get("message_id")
        if isinstance(message_id, bool) or not isinstance(message_id, int) or message_id <= 0:
            raise ChatError("invalid_field", "`message_id` must be the id of a message in this room.")
        try:
            # Like an edit: a change to one message, on the read threads (it locks the room's
            # row for its event number only as long as its own short transaction).
            change = await db_read(_react)(
                room_id=self.room_id,
                user=self.user,
                message_id=message_id,
                emoji=frame.get("emoji"),
                on=frame.get("on"),
            )
        except DatabaseError:
            logger.exception("storing a reaction failed")
            raise unavailable() from None
        realtime.publish_from_loop(change.events)

    commands = {"send": send_message, "typing": typing, "ping": ping, "read": read, "react": react}

    async def _leave_groups(self) -> None:
        for group in self.groups_joined:
            await self.fanout.leave(group, self)


def _react(*, room_id: int, user: User, message_id: int, emoji: object, on: object) -> services.MessageChange:
    message = selectors.message_get(room_id=room_id, message_id=message_id)
    if message is None:
        raise ChatError("not_found", "No such message in this room.", status=404)
    return services.message_react(message=message, actor=user, emoji=emoji, on=on)


class LobbyConsumer(RoomsSocket):
    """The room list, live: `lobby` with every room and the user's memberships, then
    `rooms.updated` with the rooms whose count, last message or settings changed
    (rooms/lobby.py), and the user's own frames (`membership`, `alert`) like every socket."""

    listening = False

    async def connect(self) -> None:
        if not await self.accept_signed_in():
            return
        self.held_frames = []
        self.fanout = fanout_for(realtime.channel_layer())
        await self.fanout.join(realtime.SOCKETS_GROUP, self)
        self.listening = True
        self.start_timers()
        # Listen before reading: a change after the read arrives as `rooms.updated`.
        lobby.listen(self)
        try:
            rooms = await db_read(selectors.room_list_data)()
            memberships = await db_read(membership.membership_list)(user=self.user)
        except BaseException:
            await self.disconnect(None)
            raise
        await self.send_first_frame({"type": "lobby", "rooms": rooms, "memberships": memberships})

    async def disconnect(self, code: int | None) -> None:
        self.stop_timers()
        if self.listening:
            self.listening = False
            lobby.stop_listening(self)
            await self.fanout.leave(realtime.SOCKETS_GROUP, self)

    async def ping(self, frame: dict[str, Any]) -> None:
        self.heard_from_client()
        await self.send_text(realtime.encode({"type": "pong"}))

    commands = {"ping": ping}
