"""Reading frames from a `websockets` client socket (tests against real server processes)."""

import asyncio
import json
from collections.abc import Callable


async def frame_of_type(socket, frame_type: str, timeout: float = 10) -> dict:
    """The next frame of `frame_type`, skipping others on the way."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame


async def message_where(socket, matches: Callable[[dict], bool], timeout: float = 10) -> dict:
    """The message of the next `message.new` frame that `matches` (senders get their own too)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == "message.new" and matches(frame["message"]):
                return frame["message"]
