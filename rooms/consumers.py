"""The room socket: `/ws/rooms/<slug>/`. Thin by design — rules live in services/selectors,
shared state in state.py, group names and encoding in realtime.py."""

import asyncio
import logging
import secrets
import time
from urllib.parse import parse_qs

import orjson
import redis
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError

from rooms import realtime, selectors, services
from rooms.errors import ChatError, unavailable
from rooms.fanout import fanout_for
from rooms.serializers import author_data, user_data
from rooms.socket_auth import seconds_until
from rooms.state import PresenceChange, get_state
from rooms.workers import db_read, db_write_batched

logger = logging.getLogger(__name__)

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN_ROOM = 4404
CLOSE_TOO_MANY_CONNECTIONS = 4429
# Daphne's own frame limit closes with 1009 (deploy/daphne/run.sh); an application may only
# close with 1000 or 3000-4999, so the app's own check uses the 4xxx twin of HTTP 413.
CLOSE_FRAME_TOO_BIG = 4413
# Offered by deploy/daphne/serve.py: a synchronous send of one text frame, framed once for all
# the sockets a room frame goes to. Without it (another server, the test communicator) room
# frames take the ordinary `websocket.send`.
SEND_TEXT_NOW_EXTENSION = "rooms.send_text_now"


class RoomConsumer(AsyncWebsocketConsumer):
    # No channel of its own (Channels would subscribe one per socket): every event reaches
    # the socket through the process's fan-out (rooms/fanout.py), which closes it on sign-out.
    channel_layer_alias = None
    room_id: int | None = None
    joined = False
    # Room frames that arrive while the socket is opening wait here until `hello` is sent.
    held_frames: list[str] | None = None
    send_text_now = None
    expiry_timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope, receive, send):
        """Channels' AsyncConsumer.__call__ for a consumer without a channel: it waits on the
        client's messages only, so it awaits them one after another instead of through
        await_many_dispatch, which makes a task and an asyncio.wait for every client frame."""
        self.scope, self.channel_layer, self.base_send = scope, None, send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message):
        """Channels' dispatch minus the `aclose_old_connections()` it awaits before every event:
        a hop onto the one shared sync thread per event, queued behind the database work of the
        whole process. This consumer touches the database only through rooms/workers.py, which
        looks after its threads' connections inside each call itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- Socket handlers ------------------------------------------------------------------

    async def connect(self):
        # Accept first, so that the browser sees our close code instead of a failed handshake.
        await self.accept()
        self.user = self.scope["user"]
        self.send_text_now = self.scope.get("extensions", {}).get(SEND_TEXT_NOW_EXTENSION)
        if not self.user.is_authenticated:
            return await self.close(code=CLOSE_NOT_SIGNED_IN)
        if not self.user.is_active:
            return await self.close(code=CLOSE_FORBIDDEN)
        room = await db_read(selectors.room_get)(slug=self.scope["url_route"]["kwargs"]["slug"])
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
        # Presence counts connections by it; a room frame can name it to skip this socket.
        self.socket_id = secrets.token_hex(12)
        # Close events for these groups close the socket: on deactivation, and on sign-out.
        signout_group = self.scope.get("signout_group")
        self.close_groups = frozenset([realtime.user_group(self.user.pk), *([signout_group] if signout_group else [])])

        # Join the room's live frames before reading the room: whatever changes after the read
        # arrives live, whatever before is in the hello (clients ignore events they hold).
        self.held_frames = []
        self.fanout = fanout_for(get_channel_layer())
        self.memberships = [realtime.room_group(room.pk), realtime.CLOSE_GROUP]
        try:
            for group in self.memberships:
                await self.fanout.join(group, self)
            await self._open(room)
        except BaseException:
            # A failed open (database away, handshake cancelled) must not leave this socket
            # registered: disconnect() does not run for a consumer that raised.
            if self.joined:
                await self.disconnect(None)
            else:
                await self._leave_groups()
            raise

    async def _open(self, room) -> None:
        """Presence, then the hello, then the frames held back while it was built."""
        conf = settings.ROOMS
        presence = await self._presence(
            get_state().connection_opened,
            room.pk,
            self.user.pk,
            self.socket_id,
            ttl=conf["PRESENCE_TTL"],
            cap=conf["MAX_CONNECTIONS_PER_USER"],
            fallback=PresenceChange(changed=False),
        )
        if presence.refused:
            await self._leave_groups()
            return await self.close(code=CLOSE_TOO_MANY_CONNECTIONS)
        self.joined = True
        self._close_when_sign_in_expires()
        # Without the presence store (fallback) the hello shows the user alone.
        online_ids = presence.online_user_ids or {self.user.pk}
        hello = await db_read(self._hello)(online_ids)
        await self.send_text(realtime.encode(hello))
        held, self.held_frames = self.held_frames, None
        for text in held:
            await self.deliver(text)
        if presence.changed:
            # The count just read for the hello is the one to announce: no second Redis read.
            await self._announce_presence("join", [self.user], online_count=len(online_ids))
        await self._announce_gone(presence.gone_user_ids)

    async def disconnect(self, code):
        if self.expiry_timer is not None:
            self.expiry_timer.cancel()
        if not self.joined:
            return
        self.joined = False
        try:
            await self._leave_groups()
            presence = await get_state().connection_closed(self.room_id, self.user.pk, self.socket_id)
            if presence.changed:
                await self._announce_presence("leave", [self.user])
            await self._announce_gone(presence.gone_user_ids)
        except Exception:
            # Presence heals by expiry; a failure here must not turn into a traceback per socket.
            logger.warning("cleanup after disconnect failed for room %s", self.room_id, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        limit = settings.ROOMS["FRAME_MAX_BYTES"]
        raw = text_data if text_data is not None else bytes_data
        if len(raw) > limit // 4 and len(raw.encode() if isinstance(raw, str) else raw) > limit:
            return await self.close(code=CLOSE_FRAME_TOO_BIG)
        if text_data is None:
            return await self._send_error(ChatError("binary_unsupported", "Send JSON text frames."))
        try:
            frame = orjson.loads(text_data)
        except orjson.JSONDecodeError:
            return await self._send_error(ChatError("invalid_json", "The frame is not valid JSON."))
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return await self._send_error(ChatError("invalid_frame", "A frame is a JSON object with a string `type`."))
        command = self.commands.get(frame["type"])
        if command is None:
            return await self._send_error(ChatError("unknown_type", f"Unknown frame type {frame['type'][:40]!r}."))
        try:
            await command(self, frame)
        except ChatError as error:
            client_id = frame.get("client_id")
            await self._send_error(error, client_id=client_id if isinstance(client_id, str) else None)

    # --- Command handlers (client frames) -------------------------------------------------

    async def send_message(self, frame: dict):
        try:
            result = await self.store_message(
                # The room read at connect: the send itself refuses a room archived since.
                services.SendRequest(
                    room=self.room, author=self.user, body=frame.get("body"), client_id=frame.get("client_id")
                )
            )
        except DatabaseError:
            logger.exception("storing a message failed")
            raise unavailable() from None
        await self.send_text(
            realtime.encode({"type": "ack", "client_id": result.message.client_id, "message": result.data})
        )

    async def typing(self, frame: dict):
        now = time.monotonic()
        if now - self.last_typing_at < settings.ROOMS["TYPING_INTERVAL"]:
            return
        self.last_typing_at = now
        await realtime.apublish_to_room(
            self.room_id, {"type": "typing", "user": author_data(self.user)}, skip_socket=self.socket_id
        )

    async def ping(self, frame: dict):
        gone = await self._presence(
            get_state().connection_alive,
            self.room_id,
            self.user.pk,
            self.socket_id,
            ttl=settings.ROOMS["PRESENCE_TTL"],
            fallback=[],
        )
        await self._announce_gone(gone)
        try:
            last_seq, last_event = await db_read(selectors.room_heads)(room_id=self.room_id)
        except DatabaseError:
            last_seq = last_event = None  # the heartbeat still answers while the database is away
        await self.send_text(realtime.encode({"type": "pong", "last_seq": last_seq, "last_event": last_event}))

    # The only client frames there are: anything else is `unknown_type`.
    commands = {"send": send_message, "typing": typing, "ping": ping}

    # --- Events from the process's fan-out (rooms/fanout.py): forward only -----------------

    async def deliver(self, text: str) -> None:
        if self.held_frames is not None:
            self.held_frames.append(text)
        else:
            await self.send_text(text)

    async def send_text(self, text: str) -> None:
        """Every frame this socket sends. With serve.py's extension it is written at once
        instead of passing through the session middleware, Daphne's reply dispatch and
        autobahn's sendMessage. Both paths write in call order, so frames keep their order."""
        if self.send_text_now is not None:
            self.send_text_now(text)
        else:
            await self.base_send({"type": "websocket.send", "text": text})

    async def sign_in_ended(self) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    # --- Helpers --------------------------------------------------------------------------

    def _hello(self, online_ids) -> dict:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        since = query.get("since", [""])[0]
        sync = selectors.room_sync(
            room_id=self.room_id,
            since=int(since) if since.isdigit() else None,
            online_user_ids=online_ids,
            # A client from before room events catches up by message id: a resync serves it.
            resync="after" in query,
        )
        return {
            "type": "hello",
            "room": sync.room,
            "event": sync.event,
            "you": user_data(self.user),
            "online": sync.online,
            "online_count": len(sync.online),
            "messages": sync.messages,
            "has_more": sync.has_more,
            "resync": sync.resync,
        }

    async def _announce_presence(self, event: str, users, *, online_count: int | None = None) -> None:
        if online_count is None:
            online_count = len(await self._presence(get_state().online_user_ids, self.room_id, fallback=set()))
        for user in users:
            await realtime.apublish_to_room(
                self.room_id,
                {"type": "presence", "event": event, "user": author_data(user), "online_count": online_count},
            )

    async def _presence(self, operation, *args, fallback, **kwargs):
        """Presence is best-effort: while its store is unreachable the room keeps working
        (history, sends, live frames) and presence heals by expiry once it is back."""
        try:
            return await operation(*args, **kwargs)
        except redis.RedisError as error:
            logger.warning("presence store unreachable: %r", error)
            return fallback

    async def _announce_gone(self, user_ids: list[int]) -> None:
        """Users whose every connection expired (their server died) leave like everyone else."""
        if user_ids:
            users = await db_read(selectors.users_by_ids)(user_ids)
            await self._announce_presence("leave", users)

    async def _leave_groups(self) -> None:
        for group in self.memberships:
            await self.fanout.leave(group, self)

    def _close_when_sign_in_expires(self) -> None:
        remaining = seconds_until(self.scope.get("auth_expires_at"))
        if remaining is not None:
            self.expiry_timer = asyncio.get_running_loop().call_later(
                max(0.0, remaining), lambda: asyncio.ensure_future(self.close(code=CLOSE_NOT_SIGNED_IN))
            )

    async def _send_error(self, error: ChatError, *, client_id: str | None = None) -> None:
        payload = {"type": "error", **error.as_dict()}
        if client_id is not None:
            payload["client_id"] = client_id
        await self.send_text(realtime.encode(payload))
