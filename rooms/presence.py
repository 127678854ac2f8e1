"""Who is in a room: the presence store, one interface with two implementations.

A **connection** is a socket, or an HTTP-fallback client whose polls are its heartbeat; each
has an expiry its heartbeat pushes on. A **user is present** in a room from their first
connection there until their last one has been closed for the grace period, or until it
expired (its server process died). Per room the store keeps each present user with the time
their presence ends, and a **version** that every join and every departure increments: frames
carry it, so clients apply presence changes from several server processes in the order they
happened (docs/protocol.md, "Presence"). A room's versions start from the clock in
milliseconds, so a store that lost them (Redis restarted without its data) goes on above
every version clients hold, instead of from 1 below them.

Every operation costs the same whatever the room's size: nothing scans the room's members
(a user's own connections, at most MAX_CONNECTIONS_PER_USER, are the only list walked), and
the online list a snapshot returns is bounded.

With `REDIS_URL` set the store lives in Redis, one Lua script per operation (atomic across
processes); without it, in this process's memory. tests/rooms/test_presence_store.py runs
one contract against both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from rooms.redis_scripts import OnePerProcess, RedisScripts, decode


@dataclass(frozen=True)
class Departed:
    """Users whose presence ended, and the version of their leaving (0 when none)."""

    user_ids: list[int] = field(default_factory=list)
    version: int = 0


@dataclass(frozen=True)
class Snapshot:
    version: int
    count: int  # exact
    user_ids: list[int]  # at most the limit asked for


@dataclass(frozen=True)
class Refreshed:
    joined_version: int | None  # set when this connection made the user present
    departed: Departed


@dataclass(frozen=True)
class Opened(Refreshed):
    refused: bool = False  # the user already has the maximum number of connections
    snapshot: Snapshot | None = None  # who is present now, this user included


REFUSED = Opened(joined_version=None, departed=Departed(), refused=True)


class PresenceStore(Protocol):
    """`connection_id` is unique per connection across processes; `ttl`, `grace` in seconds."""

    async def open(
        self, room_id: int, user_id: int, connection_id: str, *, ttl: float, cap: int, limit: int
    ) -> Opened: ...

    async def alive(self, room_id: int, user_id: int, connection_id: str, *, ttl: float) -> Refreshed: ...

    async def close(self, room_id: int, user_id: int, connection_id: str, *, grace: float) -> bool:
        """True when it was the user's last connection in the room: sweep after `grace`."""

    async def sweep(self, room_ids: list[int]) -> dict[int, Departed]:
        """The rooms' users whose presence ended, removed: only rooms with departures."""

    async def status(self, room_id: int) -> tuple[int, int]:
        """(count, version)"""

    async def typing(self, room_id: int, user_id: int, *, seconds: float) -> None: ...

    # Blocking twins for the REST views (the HTTP fallback) and the room list.
    def open_blocking(
        self, room_id: int, user_id: int, connection_id: str, *, ttl: float, cap: int, limit: int
    ) -> Opened: ...

    def close_blocking(self, room_id: int, user_id: int, connection_id: str, *, grace: float) -> bool: ...

    def typing_blocking(self, room_id: int, user_id: int, *, seconds: float) -> None: ...

    def typing_now(self, room_id: int) -> list[int]: ...

    def online_counts(self, room_ids: list[int]) -> dict[int, int]: ...

    def online_user_ids(self, room_id: int, *, limit: int) -> list[int]:
        """At most `limit` of the users present in the room, in no particular order."""


def _prefix() -> str:
    return f"{settings.ROOMS['STATE_KEY_PREFIX']}presence:"


def _room_keys(room_id: int) -> list[str]:
    return [f"{_prefix()}room:{room_id}", f"{_prefix()}version:{room_id}"]


def _user_key(user_id: int) -> str:
    return f"{_prefix()}user:{user_id}"


def _typing_key(room_id: int) -> str:
    return f"{_prefix()}typing:{room_id}"


def _connection(room_id: int, connection_id: str) -> str:
    # A user's connections, across rooms, in one set: the cap counts them all.
    return f"{room_id}:{connection_id}"


# --- Redis -------------------------------------------------------------------------------------
# KEYS[1] room: user id -> when their presence ends. KEYS[2] room version. KEYS[3] the user's
# connections: "<room id>:<connection id>" -> expiry. Times are Redis TIME, in seconds.

_CLOCK = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local function next_version(key)
  if redis.call('EXISTS', key) == 0 then redis.call('SET', key, math.floor(now * 1000)) end
  return redis.call('INCR', key)
end
"""

_NOW = (
    _CLOCK
    + """
local function sweep()
  local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  if #gone == 0 then return gone, 0 end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  return gone, next_version(KEYS[2])
end
local function refresh(user, present_until)
  local old = redis.call('ZSCORE', KEYS[1], user)
  if old and tonumber(old) > present_until then present_until = tonumber(old) end
  redis.call('ZADD', KEYS[1], present_until, user)
  if old then return 0, tonumber(redis.call('GET', KEYS[2]) or 0) end
  return 1, next_version(KEYS[2])
end
local function own(member, ttl)
  redis.call('ZADD', KEYS[3], now + ttl, member)
  redis.call('EXPIRE', KEYS[3], math.ceil(ttl) + 1)
end
"""
)

# ARGV: user, connection, ttl, cap, limit. {-1} = refused; else {joined, version, gone,
# gone_version, count, online}.
_OPEN = (
    _NOW
    + """
local user, member, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if not redis.call('ZSCORE', KEYS[3], member) and redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
  return {-1}
end
own(member, ttl)
local gone, gone_version = sweep()
local joined, version = refresh(user, now + ttl)
return {joined, version, gone, gone_version, redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'),
        redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[5]))}
"""
)

# ARGV: user, connection, ttl. {joined, version, gone, gone_version}
_ALIVE = (
    _NOW
    + """
own(ARGV[2], tonumber(ARGV[3]))
local gone, gone_version = sweep()
local joined, version = refresh(ARGV[1], now + tonumber(ARGV[3]))
return {joined, version, gone, gone_version}
"""
)

# ARGV: user, connection, "<room id>:", grace. 1 = the user's last connection in the room.
_CLOSE = (
    _NOW
    + """
local prefix = ARGV[3]
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
for _, other in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if string.sub(other, 1, #prefix) == prefix then return 0 end
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
return 1
"""
)

# KEYS: room, version, room, version… Returns {index of the room, gone, version, …} for the
# rooms with departures.
_SWEEP = (
    _CLOCK
    + """
local out = {}
for i = 1, #KEYS, 2 do
  local gone = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', now)
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    table.insert(out, (i + 1) / 2)
    table.insert(out, gone)
    table.insert(out, next_version(KEYS[i + 1]))
  end
end
return out
"""
)

_STATUS = (
    _NOW
    + """
return {redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'), tonumber(redis.call('GET', KEYS[2]) or 0)}
"""
)

# KEYS: rooms' presence keys. The count of each.
_COUNTS = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('ZCOUNT', key, '(' .. now, '+inf') end
return out
"""

# KEYS[1] a room's presence key. ARGV: limit. Up to `limit` users present.
_ONLINE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'LIMIT', 0, tonumber(ARGV[1]))
"""

# KEYS[1] the room's typing set. ARGV: user, seconds (0 = read only). Who is typing now.
_TYPING = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local seconds = tonumber(ARGV[2])
if seconds > 0 then
  redis.call('ZADD', KEYS[1], now + seconds, ARGV[1])
  redis.call('EXPIRE', KEYS[1], math.ceil(seconds) + 1)
  return {}
end
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""


def _ints(values: Iterable[bytes | str]) -> list[int]:
    return [int(decode(v)) for v in values]


def _refreshed(answer: list[Any]) -> Refreshed:
    joined, version, gone, gone_version = answer[:4]
    return Refreshed(joined_version=int(version) if joined == 1 else None, departed=Departed(_ints(gone), gone_version))


def _opened(answer: list[Any]) -> Opened:
    if answer[0] == -1:
        return REFUSED
    refreshed = _refreshed(answer)
    count, online = answer[4], answer[5]
    return Opened(
        joined_version=refreshed.joined_version,
        departed=refreshed.departed,
        snapshot=Snapshot(version=int(answer[1]), count=int(count), user_ids=_ints(online)),
    )


class RedisPresence:
    def __init__(self, url: str, max_connections: int):
        self._redis = RedisScripts(
            url,
            max_connections,
            {
                "open": _OPEN,
                "alive": _ALIVE,
                "close": _CLOSE,
                "sweep": _SWEEP,
                "status": _STATUS,
                "counts": _COUNTS,
                "online": _ONLINE,
                "typing": _TYPING,
            },
        )

    @staticmethod
    def _open_call(
        room_id: int, user_id: int, connection_id: str, ttl: float, cap: int, limit: int
    ) -> tuple[str, list[str], list[Any]]:
        keys = [*_room_keys(room_id), _user_key(user_id)]
        return "open", keys, [user_id, _connection(room_id, connection_id), ttl, cap, limit]

    @staticmethod
    def _close_call(room_id: int, user_id: int, connection_id: str, grace: float) -> tuple[str, list[str], list[Any]]:
        keys = [*_room_keys(room_id), _user_key(user_id)]
        return "close", keys, [user_id, _connection(room_id, connection_id), f"{room_id}:", grace]

    async def open(self, room_id: int, user_id: int, connection_id: str, *, ttl: float, cap: int, limit: int) -> Opened:
        return _opened(await self._redis.arun(*self._open_call(room_id, user_id, connection_id, ttl, cap, limit)))

    def open_blocking(
        self, room_id: int, user_id: int, connection_id: str, *, ttl: float, cap: int, limit: int
    ) -> Opened:
        return _opened(self._redis.run(*self._open_call(room_id, user_id, connection_id, ttl, cap, limit)))

    async def alive(self, room_id: int, user_id: int, connection_id: str, *, ttl: float) -> Refreshed:
        keys = [*_room_keys(room_id), _user_key(user_id)]
        return _refreshed(await self._redis.arun("alive", keys, [user_id, _connection(room_id, connection_id), ttl]))

    async def close(self, room_id: int, user_id: int, connection_id: str, *, grace: float) -> bool:
        last: int = await self._redis.arun(*self._close_call(room_id, user_id, connection_id, grace))
        return last == 1

    def close_blocking(self, room_id: int, user_id: int, connection_id: str, *, grace: float) -> bool:
        last: int = self._redis.run(*self._close_call(room_id, user_id, connection_id, grace))
        return last == 1

    async def sweep(self, room_ids: list[int]) -> dict[int, Departed]:
        keys = [key for room_id in room_ids for key in _room_keys(room_id)]
        answer = await self._redis.arun("sweep", keys, [])
        return {
            room_ids[int(answer[i]) - 1]: Departed(_ints(answer[i + 1]), int(answer[i + 2]))
            for i in range(0, len(answer), 3)
        }

    async def status(self, room_id: int) -> tuple[int, int]:
        count, version = await self._redis.arun("status", _room_keys(room_id), [])
        return int(count), int(version)

    async def typing(self, room_id: int, user_id: int, *, seconds: float) -> None:
        await self._redis.arun("typing", [_typing_key(room_id)], [user_id, seconds])

    def typing_blocking(self, room_id: int, user_id: int, *, seconds: float) -> None:
        self._redis.run("typing", [_typing_key(room_id)], [user_id, seconds])

    def typing_now(self, room_id: int) -> list[int]:
        return _ints(self._redis.run("typing", [_typing_key(room_id)], [0, 0]))

    def online_counts(self, room_ids: list[int]) -> dict[int, int]:
        if not room_ids:
            return {}
        counts = self._redis.run("counts", [_room_keys(room_id)[0] for room_id in room_ids], [])
        return dict(zip(room_ids, (int(count) for count in counts), strict=True))

    def online_user_ids(self, room_id: int, *, limit: int) -> list[int]:
        return _ints(self._redis.run("online", [_room_keys(room_id)[0]], [limit]))


# --- Memory ------------------------------------------------------------------------------------


class _Room:
    def __init__(self) -> None:
        self.present_until: dict[int, float] = {}
        self.version = 0  # set from the clock at the first change (see the module's docstring)
        self.typing_until: dict[int, float] = {}

    def sweep(self, now: float) -> Departed:
        gone = [user for user, until in self.present_until.items() if until <= now]
        if not gone:
            return Departed()
        for user in gone:
            del self.present_until[user]
        return Departed(sorted(gone), self._next_version())

    def refresh(self, user_id: int, present_until: float) -> int | None:
        old = self.present_until.get(user_id)
        self.present_until[user_id] = max(present_until, old or 0.0)
        if old is not None:
            return None
        return self._next_version()

    def _next_version(self) -> int:
        if self.version == 0:
            self.version = int(time.time() * 1000)
        self.version += 1
        return self.version

    def count(self, now: float) -> int:
        return sum(1 for until in self.present_until.values() if until > now)


class MemoryPresence:
    """The same operations for a single process without Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rooms: dict[int, _Room] = {}
        self._connections: dict[int, dict[str, float]] = {}  # user id -> connection -> expiry

    def _room(self, room_id: int) -> _Room:
        return self._rooms.setdefault(room_id, _Room())

    def _live_connections(self, user_id: int, now: float) -> dict[str, float]:
        mine = self._connections.setdefault(user_id, {})
        for member in [m for m, expiry in mine.items() if expiry <= now]:
            del mine[member]
        return mine

    def open_blocking(
        self, room_id: int, user_id: int, connection_id: str, *, ttl: float, cap: int, limit: int
    ) -> Opened:
        now, member = time.monotonic(), _connection(room_id, connection_id)
        with self._lock:
            mine = self._live_connections(user_id, now)
            if member not in mine and len(mine) >= cap:
                return REFUSED
            mine[member] = now + ttl
            room = self._room(room_id)
            departed = room.sweep(now)
            joined_version = room.refresh(user_id, now + ttl)
            latest_first = sorted(room.present_until.items(), key=lambda item: item[1], reverse=True)
            online = [user for user, until in latest_first if until > now]
            snapshot = Snapshot(version=room.version, count=len(online), user_ids=online[:limit])
        return Opened(joined_version=joined_version, departed=departed, snapshot=snapshot)

    async def open(self, room_id: int, user_id: int, connection_id: str, *, ttl: float, cap: int, limit: int) -> Opened:
        return self.open_blocking(room_id, user_id, connection_id, ttl=ttl, cap=cap, limit=limit)

    async def alive(self, room_id: int, user_id: int, connection_id: str, *, ttl: float) -> Refreshed:
        now = time.monotonic()
        with self._lock:
            self._connections.setdefault(user_id, {})[_connection(room_id, connection_id)] = now + ttl
            room = self._room(room_id)
            departed = room.sweep(now)
            return Refreshed(joined_version=room.refresh(user_id, now + ttl), departed=departed)

    def close_blocking(self, room_id: int, user_id: int, connection_id: str, *, grace: float) -> bool:
        now, prefix = time.monotonic(), f"{room_id}:"
        with self._lock:
            mine = self._live_connections(user_id, now)
            mine.pop(_connection(room_id, connection_id), None)
            if any(member.startswith(prefix) for member in mine):
                return False
            room = self._room(room_id)
            if user_id not in room.present_until:
                return False
            room.present_until[user_id] = now + grace
            return True

    async def close(self, room_id: int, user_id: int, connection_id: str, *, grace: float) -> bool:
        return self.close_blocking(room_id, user_id, connection_id, grace=grace)

    async def sweep(self, room_ids: list[int]) -> dict[int, Departed]:
        now, found = time.monotonic(), {}
        with self._lock:
            for room_id in room_ids:
                departed = self._room(room_id).sweep(now)
                if departed.user_ids:
                    found[room_id] = departed
        return found

    async def status(self, room_id: int) -> tuple[int, int]:
        with self._lock:
            room = self._room(room_id)
            return room.count(time.monotonic()), room.version

    def typing_blocking(self, room_id: int, user_id: int, *, seconds: float) -> None:
        with self._lock:
            self._room(room_id).typing_until[user_id] = time.monotonic() + seconds

    async def typing(self, room_id: int, user_id: int, *, seconds: float) -> None:
        self.typing_blocking(room_id, user_id, seconds=seconds)

    def typing_now(self, room_id: int) -> list[int]:
        now = time.monotonic()
        with self._lock:
            room = self._room(room_id)
            room.typing_until = {user: until for user, until in room.typing_until.items() if until > now}
            return sorted(room.typing_until)

    def online_counts(self, room_ids: list[int]) -> dict[int, int]:
        now = time.monotonic()
        with self._lock:
            return {room_id: self._room(room_id).count(now) for room_id in room_ids}

    def online_user_ids(self, room_id: int, *, limit: int) -> list[int]:
        now = time.monotonic()
        with self._lock:
            present = self._room(room_id).present_until.items()
            return [user for user, until in present if until > now][:limit]


_presence: OnePerProcess[PresenceStore] = OnePerProcess(RedisPresence, MemoryPresence)
# The process's presence store; reset_presence forgets it (tests switch between Redis and memory).
get_presence = _presence.get
reset_presence = _presence.reset
