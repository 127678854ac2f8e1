"""The room list's live updates: every LOBBY_INTERVAL (1 s) a process with room-list sockets
reads the rooms (one query) and their online counts (one Redis call), and sends the rows that
changed since its last look to its own room-list sockets, as one `rooms.updated` frame.

Why a look every second rather than an event per change: a room's count changes with every
join, grace expiry and dead process anywhere, and its last message with every send; the look
costs the same whatever happened, coalesces all of it to at most one update a second per room,
needs nothing from the processes where the changes happened, and heals by itself (a dead
process's users drop out of the counts the store reports). A process without room-list sockets
does not look at all.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from django.conf import settings

from rooms import realtime, selectors
from rooms.fanout import LocalSocket
from rooms.workers import db_read

logger = logging.getLogger(__name__)


class _Ticker:
    def __init__(self) -> None:
        self.sockets: set[LocalSocket] = set()
        self.shown: dict[str, dict[str, Any]] | None = None  # slug -> the row last sent
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            while self.sockets:
                await asyncio.sleep(settings.ROOMS["LOBBY_INTERVAL"])
                try:
                    rows = await db_read(selectors.room_list_data)()
                except Exception as error:
                    logger.warning("room list not refreshed: %r", error)
                    continue
                changed = self._changed(rows)
                if changed:
                    text = realtime.encode({"type": "rooms.updated", "rooms": changed})
                    for socket in tuple(self.sockets):
                        await socket.deliver(text)
        finally:
            self.task, self.shown = None, None

    def _changed(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        shown, self.shown = self.shown, {row["slug"]: row for row in rows}
        if shown is None:
            # First look since sockets came: each of them read the list on connecting, but
            # perhaps before a change this look sees. Sending everything once is cheap.
            return rows
        return [row for row in rows if shown.get(row["slug"]) != row]


_tickers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Ticker] = weakref.WeakKeyDictionary()


def listen(socket: LocalSocket) -> None:
    loop = asyncio.get_running_loop()
    ticker = _tickers.get(loop)
    if ticker is None:
        ticker = _tickers[loop] = _Ticker()
    ticker.sockets.add(socket)
    if ticker.task is None:
        ticker.task = asyncio.ensure_future(ticker.run())


def stop_listening(socket: LocalSocket) -> None:
    ticker = _tickers.get(asyncio.get_running_loop())
    if ticker is not None:
        ticker.sockets.discard(socket)


def socket_count() -> int:
    """Room-list sockets of this process (for rooms/metrics.py)."""
    try:
        ticker = _tickers.get(asyncio.get_running_loop())
    except RuntimeError:  # not on an event loop: no sockets here
        return 0
    return len(ticker.sockets) if ticker is not None else 0
