"""Lua scripts run against one Redis, from threads (a blocking client) and from event loops
(an asyncio client per loop), for the stores that keep short-lived shared state
(rooms/state.py, rooms/presence.py).

Each operation is one script, so it is atomic across server processes. Scripts run by SHA
(EVALSHA) and redis-py loads them again if the server lost them (a restart): EVAL would send
the whole script with every call, and the server hash it, for every send and every socket.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import redis
import redis.asyncio as aioredis
from django.conf import settings

Store = TypeVar("Store")


def decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisScripts:
    def __init__(self, url: str, max_connections: int, scripts: dict[str, str]):
        self._url, self._max_connections, self._sources = url, max_connections, scripts
        self.client = redis.Redis.from_url(url, max_connections=max_connections)
        self._blocking = self._register(self.client)
        # redis.asyncio clients are bound to the event loop that created them.
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[aioredis.Redis, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )

    def _register(self, client: redis.Redis | aioredis.Redis) -> dict[str, Any]:
        # redis-py's Script (blocking) or AsyncScript, by the client: called the same way.
        return {name: client.register_script(source) for name, source in self._sources.items()}

    def _this_loops(self) -> tuple[aioredis.Redis, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        found = self._per_loop.get(loop)
        if found is None:
            client = aioredis.Redis.from_url(self._url, max_connections=self._max_connections)
            found = self._per_loop[loop] = (client, self._register(client))
        return found

    def aclient(self) -> aioredis.Redis:
        return self._this_loops()[0]

    def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Blocking: for threads (REST views, write threads). The script's reply, as Redis
        gave it (Lua tables as lists, numbers as ints, strings as bytes)."""
        return self._blocking[name](keys=keys, args=args)

    async def arun(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._this_loops()[1][name](keys=keys, args=args)


class OnePerProcess(Generic[Store]):
    """A store made on first use (settings are not read at import): in Redis when `REDIS_URL`
    is set, else in this process's memory."""

    def __init__(self, in_redis: Callable[[str, int], Store], in_memory: Callable[[], Store]):
        self._in_redis, self._in_memory = in_redis, in_memory
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                if settings.REDIS_URL:
                    self._store = self._in_redis(settings.REDIS_URL, settings.REDIS_MAX_CONNECTIONS)
                else:
                    self._store = self._in_memory()
            return self._store

    def reset(self) -> None:
        """Forget the store (tests switch settings between Redis and memory)."""
        with self._lock:
            self._store = None
