"""The channel layer of the embedded default (no REDIS_URL): one process, nothing between its
own sockets but a queue per channel.

Its only readers are this process's fan-out subscriptions (rooms/fanout.py: one channel per
room with local sockets, and one for users' frames and closes) and the health check. Channels'
InMemoryChannelLayer, built for tests, would cost the embedded default on both counts that
matter:

- Speed. Every group send and every receive scans every channel and group for expired
  entries, and every send deep-copies the event and runs as a task of its own: 13 % of the
  samples of a profile of the embedded default with it at 600 messages/s in S1's shape (py-spy,
  `bench/run.py --embedded --profile`). Here a group send puts the event, as it is, on each
  member channel's queue. Events are not copied: they hold only strings, numbers and lists
  nobody changes after publishing (rooms/realtime.py builds them, the fan-out reads them).
  Measured gain: docs/benchmarks.md, "The embedded default".
- Loss. A membership older than `group_expiry` (a day) is dropped, so a room occupied for a
  day would stop hearing its own live frames, and a frame queued behind 100 others is dropped
  without a word. Here a membership lasts until it is discarded; a channel holds up to
  CAPACITY events, and one past that is dropped with a warning (clients notice the gap in
  `event` and catch up, docs/channel-layer.md), which only a reader stalled for thousands of
  frames can cause.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer

logger = logging.getLogger(__name__)

# Events queued on one channel before the next one is dropped. The fan-out reader never waits
# on a socket (deliveries are queued by the server), so it only falls behind when the event
# loop itself does.
CAPACITY = 10_000


class ProcessLocalChannelLayer(BaseChannelLayer):
    """Settings' CHANNEL_LAYERS backend when REDIS_URL is not set."""

    extensions = ["groups", "flush"]

    def __init__(self, capacity: int = CAPACITY, **kwargs: Any) -> None:
        super().__init__(capacity=capacity, **kwargs)
        self.channels: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.groups: dict[str, set[str]] = {}

    async def new_channel(self, prefix: str = "specific.") -> str:
        return f"{prefix}.local!{secrets.token_hex(8)}"

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self._put(channel, message)

    def _put(self, channel: str, message: dict[str, Any]) -> None:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.capacity)
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def receive(self, channel: str) -> dict[str, Any]:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.capacity)
        try:
            return await queue.get()
        finally:
            # An abandoned channel (its reader cancelled) leaves nothing behind; a send before
            # the next receive makes the queue afresh, and that receive finds it.
            if queue.empty() and self.channels.get(channel) is queue:
                del self.channels[channel]

    async def group_add(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        self.groups.setdefault(group, set()).add(channel)

    async def group_discard(self, group: str, channel: str) -> None:
        members = self.groups.get(group)
        if members is None:
            return
        members.discard(channel)
        if not members:
            del self.groups[group]

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        for channel in tuple(self.groups.get(group, ())):
            try:
                self._put(channel, message)
            except ChannelFull:
                logger.warning("dropped an event for %s: its reader is %d events behind", channel, self.capacity)

    async def flush(self) -> None:
        self.channels, self.groups = {}, {}

    async def close(self) -> None:
        pass
