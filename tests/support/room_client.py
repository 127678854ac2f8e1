"""A test client that follows docs/protocol.md the way the browser app does: it keeps the
messages it holds by id, notices a gap in `seq` or a `pong.last_seq` ahead of it, and catches
up over REST. Reliability tests use it to check that whatever breaks, every client ends up
holding every stored message exactly once."""

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
        self.acks: dict[str, dict] = {}
        self.errors: list[dict] = []
        self.deliveries = 0  # message frames received, repeats included
        self.room_last_seq = 0

    # --- connection ---

    async def connect(self, base_url: str | None = None) -> dict:
        self.base_url = base_url or self.base_url
        after = f"?after={self.contiguous_id()}" if self.messages else ""
        ws_url = self.base_url.replace("http://", "ws://") + f"/ws/rooms/{self.slug}/{after}"
        self.socket = await websockets.connect(
            ws_url, additional_headers={"Cookie": cookie_header(self.session), "Origin": self.base_url}
        )
        hello = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        assert hello["type"] == "hello", hello
        if hello["resync"]:
            self.messages.clear()
        self._hold(hello["messages"])
        self.room_last_seq = max(self.room_last_seq, hello["room"]["last_seq"])
        return hello

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

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
        if kind in ("message.new", "message.edited", "message.deleted"):
            self.deliveries += kind == "message.new"
            message = frame["message"]
            if kind == "message.new" and message["seq"] > self.contiguous_seq() + 1:
                await self.catch_up()
            self._hold([message])
        elif kind == "ack":
            self.acks[frame["client_id"]] = frame["message"]
            self._hold([frame["message"]])
        elif kind == "pong":
            if frame["last_seq"] is not None and frame["last_seq"] > self.contiguous_seq():
                await self.catch_up()
        elif kind == "error":
            self.errors.append(frame)

    async def catch_up(self) -> None:
        while True:
            page = await asyncio.to_thread(self._page_after, self.contiguous_id())
            self._hold(page["messages"])
            if not page["has_more"]:
                return

    def _page_after(self, after: int) -> dict:
        # Only the request runs in the thread: a caller that gives up waiting (pump's timeout)
        # leaves the thread running, and it must not change `messages` under the event loop.
        url = f"{self.base_url}/api/rooms/{self.slug}/messages/?after={after}&limit=200"
        return self.session.get(url, timeout=5).json()

    def contiguous_seq(self) -> int:
        """The highest seq up to which nothing is missing. Not the highest seq held: after a
        lost frame the client may hold later messages (its own acks, say) beyond a hole."""
        held = {m["seq"] for m in self.messages.values()}
        seq = 0
        while seq + 1 in held:
            seq += 1
        return seq

    def contiguous_id(self) -> int:
        """The id to catch up after: that of the last message before the first hole."""
        seq = self.contiguous_seq()
        return next((m["id"] for m in self.messages.values() if m["seq"] == seq), 0)

    def _hold(self, messages: list[dict]) -> None:
        for message in messages:
            self.messages[message["id"]] = message
