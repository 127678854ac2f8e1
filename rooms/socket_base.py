"""What every Rooms socket shares: the room socket and the room list's (rooms/consumers.py).

Such a socket has no channel of its own (Channels would subscribe one per socket): the events
it hears reach it through the process's fan-out (rooms/fanout.py), which also closes it when
its sign-in ends. That is why this base class replaces two of Channels' internals:

- `__call__` waits on the client's messages only, one after another, instead of
  `await_many_dispatch` over a channel it does not have (which makes a task and an
  asyncio.wait for every client frame);
- `dispatch` skips the `aclose_old_connections()` Channels awaits before every event: a hop onto
  the one shared sync thread per event, queued behind the database work of the whole process.
  These sockets touch the database only through rooms/workers.py, which looks after its
  threads' connections inside each call itself.

Beyond that: a socket that sends no `ping` for PRESENCE_TTL is closed with 4408 (so a socket
counted as present is one that answers), and one whose sign-in expires with 4401.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

import orjson
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from rooms import metrics, realtime
from rooms.errors import ChatError
from rooms.socket_auth import seconds_until

if TYPE_CHECKING:
    from datetime import datetime

    from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
    from channels.consumer import _ChannelScope
    from django.contrib.auth.models import AnonymousUser

    from rooms.models import User

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN_ROOM = 4404
# The client stopped keeping up: it read nothing while 1 MiB waited for it (deploy/daphne), or
# it sent no ping for PRESENCE_TTL. Either way: reconnect with `since`.
CLOSE_TIMED_OUT = 4408
CLOSE_TOO_MANY_CONNECTIONS = 4429
# Daphne's own frame limit closes with 1009 (deploy/daphne/run.sh); an application may only
# close with 1000 or 3000-4999, so the app's own check uses the 4xxx twin of HTTP 413.
CLOSE_FRAME_TOO_BIG = 4413
# Offered by deploy/daphne/serve.py: a synchronous send of one text frame, framed once for all
# the sockets a room frame goes to. Without it (another server, the test communicator) room
# frames take the ordinary `websocket.send`.
SEND_TEXT_NOW_EXTENSION = "rooms.send_text_now"


class RoomsSocket(AsyncWebsocketConsumer):
    # No channel layer of its own (see above); the stubs know no consumer without one.
    channel_layer_alias = None  # type: ignore[assignment]
    # Frames that arrive from the fan-out while the socket is opening wait here until its
    # first frame is sent.
    held_frames: list[str] | None = None
    send_text_now: Callable[[str], None] | None = None
    expiry_timer: asyncio.TimerHandle | None = None
    heartbeat_timer: asyncio.TimerHandle | None = None
    # The client frames this socket answers, by `type`: anything else is `unknown_type`. Each
    # takes its own socket class (so Any here) and the frame.
    commands: ClassVar[dict[str, Callable[[Any, dict[str, Any]], Awaitable[None]]]] = {}
    user: User
    user_id: int
    socket_id: str
    close_groups: frozenset[str]

    async def __call__(self, scope: _ChannelScope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        self.scope, self.channel_layer, self.base_send = scope, None, send  # type: ignore[assignment]
        try:
            while True:
                # A message of the ASGI spec's (a TypedDict) is a dict like any other to dispatch.
                await self.dispatch(await receive())  # type: ignore[arg-type]
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def accept_signed_in(self) -> bool:
        """Accept (so that the browser sees our close code instead of a failed handshake), and
        close at once unless an active user is signed in."""
        await self.accept()
        # The user itself (rooms/socket_auth.py), not the lazy wrapper the stubs say Channels puts there.
        user = cast("User | AnonymousUser", self.scope["user"])
        # asgiref types extensions as dicts; serve.py's is a function.
        extensions = cast("dict[str, Any]", self.scope.get("extensions", {}))
        self.send_text_now = extensions.get(SEND_TEXT_NOW_EXTENSION)
        if not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return False
        if not user.is_active:
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        self.user, self.user_id = user, user.pk
        # Presence counts connections by it; a room frame can name it to skip this socket.
        self.socket_id = secrets.token_hex(12)
        # Close events for these groups close the socket: on deactivation, and on sign-out.
        signout_group = cast("str | None", self.scope.get("signout_group"))  # set by SocketAuthMiddleware
        self.close_groups = frozenset([realtime.user_group(self.user.pk), *([signout_group] if signout_group else [])])
        return True

    def start_timers(self) -> None:
        remaining = seconds_until(cast("datetime | None", self.scope.get("auth_expires_at")))
        if remaining is not None:
            self.expiry_timer = asyncio.get_running_loop().call_later(
                max(0.0, remaining), lambda: asyncio.ensure_future(self.close(code=CLOSE_NOT_SIGNED_IN))
            )
        self.heard_from_client()

    def heard_from_client(self) -> None:
        """A ping: the client is there for another PRESENCE_TTL."""
        if self.heartbeat_timer is not None:
            self.heartbeat_timer.cancel()
        self.heartbeat_timer = asyncio.get_running_loop().call_later(
            settings.ROOMS["PRESENCE_TTL"], lambda: asyncio.ensure_future(self.close(code=CLOSE_TIMED_OUT))
        )

    def stop_timers(self) -> None:
        for timer in (self.expiry_timer, self.heartbeat_timer):
            if timer is not None:
                timer.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        limit = settings.ROOMS["FRAME_MAX_BYTES"]
        raw = text_data if text_data is not None else bytes_data
        assert raw is not None, "websocket_receive passes the frame's text or its bytes"
        if len(raw) > limit // 4 and len(raw.encode() if isinstance(raw, str) else raw) > limit:
            return await self.close(code=CLOSE_FRAME_TOO_BIG)
        if text_data is None:
            return await self.send_error(ChatError("binary_unsupported", "Send JSON text frames."))
        try:
            frame = orjson.loads(text_data)
        except orjson.JSONDecodeError:
            return await self.send_error(ChatError("invalid_json", "The frame is not valid JSON."))
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return await self.send_error(ChatError("invalid_frame", "A frame is a JSON object with a string `type`."))
        command = self.commands.get(frame["type"])
        if command is None:
            return await self.send_error(ChatError("unknown_type", f"Unknown frame type {frame['type'][:40]!r}."))
        try:
            await command(self, frame)
        except ChatError as error:
            # The refused frame's own handle, for the client to tell which of its frames it was.
            client_id, message_id = frame.get("client_id"), frame.get("message_id")
            await self.send_error(
                error,
                client_id=client_id if isinstance(client_id, str) else None,
                message_id=message_id if isinstance(message_id, int) and not isinstance(message_id, bool) else None,
            )

    # --- From the process's fan-out (rooms/fanout.py) ---------------------------------------

    async def deliver(self, text: str) -> None:
        if self.held_frames is not None:
            self.held_frames.append(text)
        else:
            await self.send_text(text)

    async def send_first_frame(self, frame: dict[str, Any]) -> None:
        """The first frame, then whatever the fan-out delivered while it was being built."""
        await self.send_text(realtime.encode(frame))
        held, self.held_frames = self.held_frames or [], None
        for text in held:
            await self.send_text(text)

    async def send_text(self, text: str) -> None:
        """Every frame this socket sends. With serve.py's extension it is written at once
        instead of passing through the session middleware, Daphne's reply dispatch and
        autobahn's sendMessage. Both paths write in call order, so frames keep their order."""
        if self.send_text_now is not None:
            self.send_text_now(text)
        else:
            # ASGI lets a send leave out `bytes`; asgiref's TypedDict requires it.
            await self.base_send({"type": "websocket.send", "text": text})  # type: ignore[arg-type]

    async def sign_in_ended(self) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if code is not None:
            metrics.socket_closes.labels(str(code)).inc()
        await super().close(code=code, reason=reason)

    async def send_error(
        self, error: ChatError, *, client_id: str | None = None, message_id: int | None = None
    ) -> None:
        metrics.errors.labels(error.code, "socket").inc()
        payload: dict[str, Any] = {"type": "error", **error.as_dict()}
        if client_id is not None:
            payload["client_id"] = client_id
        if message_id is not None:
            payload["message_id"] = message_id
        await self.send_text(realtime.encode(payload))
