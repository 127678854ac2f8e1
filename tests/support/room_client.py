"""A test client that follows docs/protocol.md the way the browser app does: it keeps the
messages it holds by id, each in the copy with the largest event, keeps its event head,
notices a gap in events or a `pong.last_event` ahead of it, and catches up by event. Reliability
tests use it to check that whatever breaks, every client ends up holding every stored message
exactly once, in its current state."""

from __future__ import annotations

import asyncio
import json
import uuid

import requests
import websockets

from tests.support.live import cookie_header


class RoomClient:
    def __init__(self, base_url: str, session: requests.Session, slug: str = "general"):
        self.base_url = base_url
        self.session = session
        self.slug = slug
        self.socket = None
        self.messages: dict[int, dict] = {}
        self.room: dict | None = None
        self.head = 0  # the room event up to which everything is applied
        self.synced = False
        self.events_above_head: set[int] = set()
        self.acks: dict[str, dict] = {}
        self.errors: list[dict] = []
        self.deliveries = 0  # message.new frames received, repeats included
        self.resyncs = 0

    # --- connection ---

    async def connect(self, base_url: str | None = None) -> dict:
        self.base_url = base_url or self.base_url
        since = f"?since={self.head}" if self.synced else ""
        ws_url = self.base_url.replace("http://", "ws://") + f"/ws/rooms/{self.slug}/{since}"
        self.socket = await websockets.connect(
            ws_url, additional_headers={"Cookie": cookie_header(self.session), "Origin": self.base_url}, max_size=None
        )
        hello = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        assert hello["type"] == "hello", hello
        await self._apply_sync(hello)
        return hello

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def open_http(self) -> dict:
        """HTTP-fallback mode, as the app runs when WebSockets are blocked: no socket; the first
        poll is the latest window, each later one `poll()`."""
        answer = await asyncio.to_thread(self._get, f"/api/rooms/{self.slug}/changes/")
        await self._apply_sync(answer)
        return answer

    async def poll(self) -> None:
        await self.catch_up()

    async def post(self, body: str) -> requests.Response:
        """The HTTP fallback's send; its stored message is held like an ack."""
        client_id = uuid.uuid4().hex
        url = f"{self.base_url}/api/rooms/{self.slug}/messages/"
        response = await asyncio.to_thread(
            self.session.post, url, json={"body": body, "client_id": client_id}, timeout=5
        )
        if response.status_code in (200, 201):
            message = response.json()
            self.acks[client_id] = message
            self._hold([message])
            if self._applied(message["event"]):
                await self.catch_up()
        return response

    # --- sending ---

    async def send(self, body: str) -> str:
        client_id = uuid.uuid4().hex
        await self.socket.send(json.dumps({"type": "send", "body": body, "client_id": client_id}))
        return client_id

    async def send_acked(self, body: str, timeout: float = 10) -> dict:
        """Send and handle frames until the ack arrives; returns the stored message."""
        client_id = await self.send(body)
        async with asyncio.timeout(timeout):
            while client_id not in self.acks:
                await self.handle(json.loads(await self.socket.recv()))
                refused = [e for e in self.errors if e.get("client_id") == client_id]
                assert not refused, f"the send was refused: {refused}"
        return self.acks[client_id]

    async def ping(self) -> None:
        await self.socket.send(json.dumps({"type": "ping"}))

    # --- receiving ---

    async def pump(self, seconds: float) -> None:
        """Handle frames for `seconds` (or until the socket closes)."""
        try:
            async with asyncio.timeout(seconds):
                while True:
                    await self.handle(json.loads(await self.socket.recv()))
        except (TimeoutError, websockets.ConnectionClosed):
            pass

    async def handle(self, frame: dict) -> None:
        kind = frame["type"]
        if kind in ("message.new", "message.edited", "message.deleted", "room.updated"):
            self.deliveries += kind == "message.new"
            if kind == "room.updated":
                self.room = frame["room"]
            else:
                self._hold([frame["message"]])
            if self._applied(frame["event"]):
                await self.catch_up()
        elif kind == "ack":
            self.acks[frame["client_id"]] = frame["message"]
            self._hold([frame["message"]])
            if self._applied(frame["message"]["event"]):
                await self.catch_up()
        elif kind == "pong":
            if frame["last_event"] is not None and frame["last_event"] > self.head:
                await self.catch_up()
        elif kind == "error":
            self.errors.append(frame)

    def _applied(self, event: int) -> bool:
        """Moves the head over `event`; True if events before it are missing."""
        if event <= self.head:
            return False
        self.events_above_head.add(event)
        while self.head + 1 in self.events_above_head:
            self.head += 1
            self.events_above_head.discard(self.head)
        return bool(self.events_above_head)

    async def catch_up(self) -> None:
        """What the app does on a gap: GET changes since its head (docs/protocol.md)."""
        answer = await asyncio.to_thread(self._get, f"/api/rooms/{self.slug}/changes/?since={self.head}")
        await self._apply_sync(answer)

    async def _apply_sync(self, answer: dict) -> None:
        self.room = answer["room"]
        if answer["resync"] or not self.synced:
            self.resyncs += answer["resync"]
            self.messages.clear()
            self._hold(answer["messages"])
            await self._load_all_older(answer["has_more"])
        else:
            self._hold(answer["messages"])
        self.synced = True
        self.head = max(self.head, answer["event"])
        self.events_above_head = {e for e in self.events_above_head if e > self.head}

    async def _load_all_older(self, has_more: bool) -> None:
        # A test client wants the whole room to compare with the database, not just a window.
        while has_more and self.messages:
            oldest = min(self.messages)
            page = await asyncio.to_thread(self._get, f"/api/rooms/{self.slug}/messages/?before={oldest}&limit=200")
            self._hold(page["messages"])
            has_more = page["has_more"]

    def _get(self, path: str) -> dict:
        # Only the request runs in the thread: a caller that gives up waiting (pump's timeout)
        # leaves the thread running, and it must not change `messages` under the event loop.
        return self.session.get(f"{self.base_url}{path}", timeout=5).json()

    def _hold(self, messages: list[dict]) -> None:
        """Of two copies of a message, the one with the larger event is current."""
        for message in messages:
            held = self.messages.get(message["id"])
            if held is None or held["event"] <= message["event"]:
                self.messages[message["id"]] = message
