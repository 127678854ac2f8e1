"""Short-lived shared state: send-rate buckets and one-time values (WebSocket tickets).

With `REDIS_URL` set it lives in Redis, so every server process sees the same rate limit and
a ticket works once on any of them; each operation is atomic across processes. Without Redis
(the embedded default, a single process) it lives in this process's memory. Presence has its
own store: rooms/presence.py.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TypedDict

import redis
from django.conf import settings

from rooms.redis_scripts import OnePerProcess, RedisScripts, decode

logger = logging.getLogger(__name__)

# Token buckets, one per key, all with the same rate: a write thread decides a whole batch of
# sends in one round trip. A key may come twice (one user's two sends): each takes its own
# token. ARGV: tokens per second, burst. Returns, per key, seconds to wait (as a string), "0" =
# allowed.
_TAKE_TOKENS = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local waits = {}
for i, key in ipairs(KEYS) do
  local saved = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(saved[1]) or burst
  local at = tonumber(saved[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
  local wait = 0
  if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', key, math.ceil(burst / rate) + 1)
  waits[i] = tostring(wait)
end
return waits
"""


def _bucket_key(name: str) -> str:
    return f"{settings.ROOMS['STATE_KEY_PREFIX']}rate:{name}"


def _once_key(name: str) -> str:
    return f"{settings.ROOMS['STATE_KEY_PREFIX']}once:{name}"


class RedisState:
    def __init__(self, url: str, max_connections: int):
        self._redis = RedisScripts(url, max_connections, {"take_tokens": _TAKE_TOKENS})

    def take_tokens(self, names: list[str], *, rate: float, burst: int) -> list[float]:
        waits = self._redis.run("take_tokens", [_bucket_key(name) for name in names], [rate, burst])
        return [float(wait) for wait in waits]

    def put_once(self, name: str, value: str, *, ttl: int) -> None:
        self._redis.client.set(_once_key(name), value, ex=ttl)

    async def take_once(self, name: str) -> str | None:
        """The value stored under `name`, removed as it is read: only one taker, on any process."""
        value = await self._redis.aclient().getdel(_once_key(name))
        return None if value is None else decode(value)

    def ping(self) -> None:
        self._redis.client.ping()


class MemoryState:
    """The same operations for a single process without Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._once: dict[str, tuple[str, float]] = {}

    def take_tokens(self, names: list[str], *, rate: float, burst: int) -> list[float]:
        now, waits = time.monotonic(), []
        with self._lock:
            for name in names:
                tokens, at = self._buckets.get(name, (float(burst), now))
                tokens = min(burst, tokens + (now - at) * rate)
                wait = 0.0
                if tokens >= 1:
                    tokens -= 1
                else:
                    wait = (1 - tokens) / rate
                self._buckets[name] = (tokens, now)
                waits.append(wait)
        return waits

    def put_once(self, name: str, value: str, *, ttl: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._once = {key: entry for key, entry in self._once.items() if entry[1] > now}
            self._once[name] = (value, now + ttl)

    async def take_once(self, name: str) -> str | None:
        with self._lock:
            value, expiry = self._once.pop(name, (None, 0.0))
        return value if expiry > time.monotonic() else None

    def ping(self) -> None:
        return None


_state: OnePerProcess[RedisState | MemoryState] = OnePerProcess(RedisState, MemoryState)
# The process's state store; reset_state forgets it (tests switch between Redis and memory).
get_state = _state.get
reset_state = _state.reset

# Used only while the shared store is unreachable: limits then hold per process instead of
# failing every send (chat keeps working through a Redis restart).
_fallback_buckets = MemoryState()


class TokenBucket(TypedDict):
    """take_tokens' rate (tokens a second) and burst, for callers that keep them together."""

    rate: float
    burst: int


def take_tokens(names: list[str], *, rate: float, burst: int) -> list[float]:
    """Per name, in order: seconds to wait before the next try (0: allowed now, a token taken),
    from the shared buckets, or from this process's own while they are unreachable."""
    try:
        return get_state().take_tokens(names, rate=rate, burst=burst)
    except redis.RedisError as error:
        logger.warning("rate-limit store unreachable, limiting per process: %r", error)
        return _fallback_buckets.take_tokens(names, rate=rate, burst=burst)
