"""Short-lived shared state: who is connected where, and send-rate buckets.

With `REDIS_URL` set it lives in Redis, so every server process sees the same presence and
the same rate limit; each operation is one Lua script, so it is atomic across processes.
Without Redis (the embedded default, a single process) it lives in this process's memory.

Presence entries carry an expiry refreshed by the client's ping: a process that dies without
running disconnect() leaves entries that simply time out. Every operation prunes expired
entries and reports the users who vanished that way, so a live process can announce them.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from dataclasses import dataclass, field

import redis
import redis.asyncio as aioredis
from django.conf import settings

# Members are "<user id>:<connection id>"; scores are expiry times in seconds (Redis TIME).
_PRUNE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) end
local function user_of(member) return string.match(member, '^([^:]*):') end
local function has_user(user)
  local prefix = user .. ':'
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(m, 1, #prefix) == prefix then return true end
  end
  return false
end
local function gone_users()
  local gone, seen = {}, {}
  for _, m in ipairs(expired) do
    local u = user_of(m)
    if not seen[u] then
      seen[u] = true
      if not has_user(u) then table.insert(gone, u) end
    end
  end
  return gone
end
"""

# ARGV: member, user id, ttl, cap. Returns {status, {gone...}, {live members...}}: status 1 =
# user's first connection, 0 = already connected elsewhere, -1 = refused because the user has
# `cap` connections. The live members spare the opening socket a second round trip for them.
_OPEN = (
    _PRUNE
    + """
local user, ttl, cap = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local status = 1
if has_user(user) then status = 0 end
if KEYS[2] then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= cap and not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
    return {-1, gone_users(), {}}
  end
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  redis.call('EXPIRE', KEYS[2], ttl * 2)
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('EXPIRE', KEYS[1], ttl * 2)
return {status, gone_users(), redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')}
"""
)

# ARGV: member, user id. Returns {1 if that was the user's last connection else 0, gone...}.
_CLOSE = (
    _PRUNE
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[1]) end
local last = 1
if has_user(ARGV[2]) then last = 0 end
return {last, unpack(gone_users())}
"""
)

# ARGV: member, ttl. Returns {gone...}.
_TOUCH = (
    _PRUNE
    + """
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('EXPIRE', KEYS[1], ttl * 2)
if KEYS[2] then
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  redis.call('EXPIRE', KEYS[2], ttl * 2)
end
return gone_users()
"""
)

# Returns the live members of each key.
_MEMBERS = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('ZRANGEBYSCORE', key, '(' .. now, '+inf') end
return out
"""

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


@dataclass(frozen=True)
class PresenceChange:
    changed: bool  # first connection on open, last connection on close
    gone_user_ids: list[int] = field(default_factory=list)
    refused: bool = False  # the user already has the maximum number of connections
    online_user_ids: set[int] | None = None  # on open: who is in the room now, the opener included


def _conf(name: str):
    return settings.ROOMS[name]


def _room_key(room_id: int) -> str:
    return f"{_conf('STATE_KEY_PREFIX')}presence:room:{room_id}"


def _user_key(user_id: int) -> str:
    return f"{_conf('STATE_KEY_PREFIX')}presence:user:{user_id}"


def _bucket_key(name: str) -> str:
    return f"{_conf('STATE_KEY_PREFIX')}rate:{name}"


def _once_key(name: str) -> str:
    return f"{_conf('STATE_KEY_PREFIX')}once:{name}"


def _member(user_id: int, connection_id: str) -> str:
    return f"{user_id}:{connection_id}"


def _user_ids(members) -> set[int]:
    return {int(_decode(m).split(":", 1)[0]) for m in members}


def _decode(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ints(values) -> list[int]:
    return [int(_decode(v)) for v in values]


class _Scripts:
    """The Lua scripts registered with one client: they run by SHA (EVALSHA) and are loaded
    again by redis-py if the server lost them (a restart). EVAL would send the whole script
    with every call, and the server hash it, for every send and every socket opened."""

    def __init__(self, client):
        self.open = client.register_script(_OPEN)
        self.close = client.register_script(_CLOSE)
        self.touch = client.register_script(_TOUCH)
        self.members = client.register_script(_MEMBERS)
        self.take_tokens = client.register_script(_TAKE_TOKENS)


class RedisState:
    def __init__(self, url: str, max_connections: int):
        self._url = url
        self._max_connections = max_connections
        self._sync_client = redis.Redis.from_url(url, max_connections=max_connections)
        self._sync_scripts = _Scripts(self._sync_client)
        # redis.asyncio clients are bound to the event loop that created them.
        self._async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _this_loops(self) -> tuple[aioredis.Redis, _Scripts]:
        loop = asyncio.get_running_loop()
        found = self._async_clients.get(loop)
        if found is None:
            client = aioredis.Redis.from_url(self._url, max_connections=self._max_connections)
            found = self._async_clients[loop] = (client, _Scripts(client))
        return found

    def _aclient(self) -> aioredis.Redis:
        return self._this_loops()[0]

    def _ascripts(self) -> _Scripts:
        return self._this_loops()[1]

    async def connection_opened(self, room_id, user_id, connection_id, *, ttl, cap) -> PresenceChange:
        status, gone, live = await self._ascripts().open(
            keys=[_room_key(room_id), _user_key(user_id)], args=[_member(user_id, connection_id), user_id, ttl, cap]
        )
        return PresenceChange(
            changed=status == 1, gone_user_ids=_ints(gone), refused=status == -1, online_user_ids=_user_ids(live)
        )

    async def connection_closed(self, room_id, user_id, connection_id) -> PresenceChange:
        last, *gone = await self._ascripts().close(
            keys=[_room_key(room_id), _user_key(user_id)], args=[_member(user_id, connection_id), user_id]
        )
        return PresenceChange(changed=last == 1, gone_user_ids=_ints(gone))

    async def connection_alive(self, room_id, user_id, connection_id, *, ttl) -> list[int]:
        gone = await self._ascripts().touch(
            keys=[_room_key(room_id), _user_key(user_id)], args=[_member(user_id, connection_id), ttl]
        )
        return _ints(gone)

    async def online_user_ids(self, room_id) -> set[int]:
        (members,) = await self._ascripts().members(keys=[_room_key(room_id)])
        return _user_ids(members)

    def online_counts(self, room_ids: list[int]) -> dict[int, int]:
        if not room_ids:
            return {}
        per_room = self._sync_scripts.members(keys=[_room_key(r) for r in room_ids])
        return {room_id: len(_user_ids(members)) for room_id, members in zip(room_ids, per_room, strict=True)}

    def take_tokens(self, names: list[str], *, rate: float, burst: int) -> list[float]:
        waits = self._sync_scripts.take_tokens(keys=[_bucket_key(name) for name in names], args=[rate, burst])
        return [float(wait) for wait in waits]

    def put_once(self, name: str, value: str, *, ttl: int) -> None:
        self._sync_client.set(_once_key(name), value, ex=ttl)

    async def take_once(self, name: str) -> str | None:
        """The value stored under `name`, removed as it is read: only one taker, on any process."""
        value = await self._aclient().getdel(_once_key(name))
        return None if value is None else _decode(value)

    def ping(self) -> None:
        self._sync_client.ping()


class MemoryState:
    """The same operations for a single process without Redis."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rooms: dict[int, dict[str, float]] = {}
        self._users: dict[int, dict[str, float]] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._once: dict[str, tuple[str, float]] = {}

    def _prune(self, entries: dict[str, float], now: float) -> list[int]:
        expired = [m for m, expiry in entries.items() if expiry <= now]
        for member in expired:
            del entries[member]
        alive = _user_ids(entries)
        return sorted(_user_ids(expired) - alive)

    async def connection_opened(self, room_id, user_id, connection_id, *, ttl, cap) -> PresenceChange:
        now, member = time.monotonic(), _member(user_id, connection_id)
        with self._lock:
            room = self._rooms.setdefault(room_id, {})
            gone = self._prune(room, now)
            first = user_id not in _user_ids(room)
            mine = self._users.setdefault(user_id, {})
            self._prune(mine, now)
            if len(mine) >= cap and member not in mine:
                return PresenceChange(changed=False, gone_user_ids=gone, refused=True)
            mine[member] = room[member] = now + ttl
            online = _user_ids(room)  # pruned above: every entry left is live
        return PresenceChange(changed=first, gone_user_ids=gone, online_user_ids=online)

    async def connection_closed(self, room_id, user_id, connection_id) -> PresenceChange:
        now, member = time.monotonic(), _member(user_id, connection_id)
        with self._lock:
            room = self._rooms.setdefault(room_id, {})
            room.pop(member, None)
            self._users.get(user_id, {}).pop(member, None)
            gone = self._prune(room, now)
            last = user_id not in _user_ids(room)
        return PresenceChange(changed=last, gone_user_ids=gone)

    async def connection_alive(self, room_id, user_id, connection_id, *, ttl) -> list[int]:
        now, member = time.monotonic(), _member(user_id, connection_id)
        with self._lock:
            room = self._rooms.setdefault(room_id, {})
            gone = self._prune(room, now)
            room[member] = self._users.setdefault(user_id, {})[member] = now + ttl
        return gone

    async def online_user_ids(self, room_id) -> set[int]:
        return self._live_user_ids(room_id)

    def _live_user_ids(self, room_id) -> set[int]:
        now = time.monotonic()
        with self._lock:
            return _user_ids(m for m, expiry in self._rooms.get(room_id, {}).items() if expiry > now)

    def online_counts(self, room_ids: list[int]) -> dict[int, int]:
        return {room_id: len(self._live_user_ids(room_id)) for room_id in room_ids}

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


_state: RedisState | MemoryState | None = None
_state_lock = threading.Lock()


def get_state() -> RedisState | MemoryState:
    """The process's state store, made on first use (settings are not read at import)."""
    global _state
    with _state_lock:
        if _state is None:
            if settings.REDIS_URL:
                _state = RedisState(settings.REDIS_URL, settings.REDIS_MAX_CONNECTIONS)
            else:
                _state = MemoryState()
        return _state


def reset_state() -> None:
    """Forget the store (tests switch settings between Redis and memory)."""
    global _state
    with _state_lock:
        _state = None
