"""Presence as rooms hear it: connections open, stay alive and close through here, and each
room's changes go out as few frames as the room can afford.

- **Coalesced.** A process collects a room's joins and departures and sends them as one
  `presence` frame per interval: PRESENCE_INTERVAL (0.25 s), stretched in big rooms so that a
  room's presence frames cost its sockets at most PRESENCE_FRAME_RATE deliveries a second. A
  join storm of n sockets then costs O(n) frames, not one frame per join to everyone present.
- **Grace.** A user whose last connection closes stays present for PRESENCE_GRACE; coming back
  within it announces nothing. Departures (the grace run out, a dead process's connections
  expired, an HTTP client that stopped polling) are found by sweeping the room: every heartbeat
  and open sweeps, and a process sweeps each room it holds sockets in every SWEEP_EVERY seconds,
  and for a grace period after its last one there closed.
- **Best effort.** While the store is unreachable the room keeps working (history, sends, live
  frames); presence heals by expiry once it is back.

Sockets call the async functions on the event loop; the HTTP fallback's views call the blocking
ones, whose changes go out at once (a poll joins or leaves a user rarely: nothing to coalesce).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import redis
from asgiref.sync import async_to_sync
from django.conf import settings

from rooms import metrics, realtime, selectors, state
from rooms.errors import ChatError
from rooms.models import User
from rooms.presence import Departed, Opened, Refreshed, Snapshot, get_presence
from rooms.serializers import AuthorData, author_data
from rooms.workers import db_read

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# The store's expiry of a socket outlives the server's own close of a silent socket (at
# PRESENCE_TTL) by this much, so that while its process lives the socket is closed, and its
# entry removed, before the entry could expire under it.
EXPIRY_MARGIN = 5
SWEEP_EVERY = 2.0


@dataclass(frozen=True)
class Change:
    user_id: int
    present: bool
    version: int
    user: AuthorData | None = None  # author_data, when at hand


def _changes(user: User, opened_or_refreshed: Refreshed) -> list[Change]:
    found = _departures(opened_or_refreshed.departed)
    if opened_or_refreshed.joined_version is not None:
        found.append(Change(user.pk, True, opened_or_refreshed.joined_version, author_data(user)))
    return found


def _departures(departed: Departed) -> list[Change]:
    return [Change(user_id, False, departed.version) for user_id in departed.user_ids]


def presence_frame(changes: list[Change], users: dict[int, AuthorData], *, count: int, version: int) -> dict[str, Any]:
    latest: dict[int, Change] = {}
    for change in changes:
        if change.user_id not in latest or change.version > latest[change.user_id].version:
            latest[change.user_id] = change
    joined: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    for change in sorted(latest.values(), key=lambda c: c.version):
        user = change.user or users.get(change.user_id)
        if user is not None:  # a user deleted since: nobody lists them anyway
            (joined if change.present else left).append({**user, "version": change.version})
    return {"type": "presence", "version": version, "online_count": count, "joined": joined, "left": left}


def _users_by_id(user_ids: Iterable[int]) -> dict[int, AuthorData]:
    return {user.pk: author_data(user) for user in selectors.users_by_ids(user_ids)}


class RoomFeed:
    """One room's presence frames from one process: changes collected, one frame per interval."""

    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.pending: list[Change] = []
        self.flush_task: asyncio.Task[None] | None = None
        self.interval = settings.ROOMS["PRESENCE_INTERVAL"]

    def note(self, changes: list[Change]) -> None:
        if not changes:
            return
        self.pending.extend(changes)
        if self.flush_task is None:
            self.flush_task = asyncio.ensure_future(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.interval)
        changes, self.pending, self.flush_task = self.pending, [], None
        try:
            count, version = await get_presence().status(self.room_id)
            unknown = {c.user_id for c in changes if c.user is None}
            users = await db_read(_users_by_id)(unknown) if unknown else {}
        except Exception as error:
            logger.warning("presence of room %s not announced: %r", self.room_id, error)
            return
        # Big rooms hear less often: at most PRESENCE_FRAME_RATE deliveries a second.
        self.interval = max(settings.ROOMS["PRESENCE_INTERVAL"], count / settings.ROOMS["PRESENCE_FRAME_RATE"])
        await realtime.apublish_to_room(self.room_id, presence_frame(changes, users, count=count, version=version))


class _Sweeper:
    """Finds departures in every room this process holds sockets in, and in each for a grace
    period after its last socket here closed: one store call every SWEEP_EVERY for all of them."""

    def __init__(self) -> None:
        self.sockets: dict[int, int] = {}  # room id -> local sockets
        self.lingering: dict[int, float] = {}  # room id -> loop time to stop sweeping it
        self.task: asyncio.Task[None] | None = None

    def socket_came(self, room_id: int) -> None:
        self.sockets[room_id] = self.sockets.get(room_id, 0) + 1
        self.lingering.pop(room_id, None)
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())

    def socket_went(self, room_id: int) -> None:
        left = self.sockets.get(room_id, 0) - 1
        if left > 0:
            self.sockets[room_id] = left
            return
        self.sockets.pop(room_id, None)
        loop = asyncio.get_running_loop()
        self.lingering[room_id] = loop.time() + settings.ROOMS["PRESENCE_GRACE"] + 2 * SWEEP_EVERY

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.sockets or self.lingering:
                await asyncio.sleep(SWEEP_EVERY)
                now = loop.time()
                self.lingering = {room: until for room, until in self.lingering.items() if until > now}
                rooms = sorted({*self.sockets, *self.lingering})
                if rooms:
                    await sweep(rooms)
        finally:
            self.task = None


# Per event loop (tests run each case on a loop of its own): each room's feed, and the sweeper.
_feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, RoomFeed]] = weakref.WeakKeyDictionary()
_sweepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweeper] = weakref.WeakKeyDictionary()


def _feed(room_id: int) -> RoomFeed:
    per_loop = _feeds.setdefault(asyncio.get_running_loop(), {})
    feed = per_loop.get(room_id)
    if feed is None:
        feed = per_loop[room_id] = RoomFeed(room_id)
    return feed


def _sweeper() -> _Sweeper:
    return _sweepers.setdefault(asyncio.get_running_loop(), _Sweeper())


async def sweep(room_ids: list[int]) -> None:
    found = await _best_effort(get_presence().sweep, room_ids)
    for room_id, departed in (found or {}).items():
        _feed(room_id).note(_departures(departed))


async def _best_effort(operation: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs) -> R | None:
    try:
        return await operation(*args, **kwargs)
    except redis.RedisError as error:
        logger.warning("presence store unreachable: %r", error)
        return None


def _best_effort_blocking(operation: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R | None:
    try:
        return operation(*args, **kwargs)
    except redis.RedisError as error:
        logger.warning("presence store unreachable: %r", error)
        return None


# --- Sockets (on the event loop) ---------------------------------------------------------------


async def socket_opened(room_id: int, user: User, socket_id: str) -> Opened | None:
    """The socket's presence: refused past the user's connection cap, or a snapshot of the room
    for its hello. None while the store is unreachable."""
    opened = await _best_effort(
        get_presence().open,
        room_id,
        user.pk,
        socket_id,
        ttl=settings.ROOMS["PRESENCE_TTL"] + EXPIRY_MARGIN,
        cap=settings.ROOMS["MAX_CONNECTIONS_PER_USER"],
        limit=settings.ROOMS["ONLINE_LIST_MAX"],
    )
    if opened is None or not opened.refused:
        _sweeper().socket_came(room_id)  # socket_closed() follows, whether or not the store answered
        if opened is not None:
            _feed(room_id).note(_changes(user, opened))
    return opened


async def socket_alive(room_id: int, user: User, socket_id: str) -> None:
    """A heartbeat. It also brings back a user the store lost (Redis restarted): as a join."""
    refreshed = await _best_effort(
        get_presence().alive, room_id, user.pk, socket_id, ttl=settings.ROOMS["PRESENCE_TTL"] + EXPIRY_MARGIN
    )
    if refreshed is not None:
        _feed(room_id).note(_changes(user, refreshed))


async def socket_closed(room_id: int, user: User, socket_id: str) -> None:
    _sweeper().socket_went(room_id)
    grace = settings.ROOMS["PRESENCE_GRACE"]
    if await _best_effort(get_presence().close, room_id, user.pk, socket_id, grace=grace):
        # The user's last connection here: their departure is due when the grace runs out.
        asyncio.get_running_loop().call_later(grace + 0.05, lambda: asyncio.ensure_future(sweep([room_id])))


async def socket_typing(room_id: int, user: User, socket_id: str) -> None:
    """Tell the room's sockets, and keep it for the HTTP clients' next poll."""
    await realtime.apublish_to_room(room_id, {"type": "typing", "user": author_data(user)}, skip_socket=socket_id)
    await _best_effort(get_presence().typing, room_id, user.pk, seconds=settings.ROOMS["TYPING_SHOWN"])


# --- The HTTP fallback (blocking, in views) ----------------------------------------------------


def poll_heartbeat(room_id: int, user: User, connection_id: str) -> Snapshot | None:
    """A poll is its connection's heartbeat. Raises ChatError past the connection cap."""
    opened = _best_effort_blocking(
        get_presence().open_blocking,
        room_id,
        user.pk,
        f"http:{connection_id}",
        ttl=settings.ROOMS["HTTP_PRESENCE_TTL"],
        cap=settings.ROOMS["MAX_CONNECTIONS_PER_USER"],
        limit=settings.ROOMS["ONLINE_LIST_MAX"],
    )
    if opened is None:
        return None
    if opened.refused:
        metrics.connection_refusals.labels("http").inc()
        raise ChatError("too_many_connections", "Too many open connections for this user.", status=429)
    changes = _changes(user, opened)
    if changes:
        assert opened.snapshot is not None, "an open that is not refused has a snapshot"
        unknown = {c.user_id for c in changes if c.user is None}
        frame = presence_frame(
            changes, _users_by_id(unknown), count=opened.snapshot.count, version=opened.snapshot.version
        )
        _publish_now(room_id, frame)
    return opened.snapshot


def poll_ended(room_id: int, user: User, connection_id: str) -> None:
    """The HTTP client left the room: its presence ends after the grace period, as a socket's."""
    _best_effort_blocking(
        get_presence().close_blocking, room_id, user.pk, f"http:{connection_id}", grace=settings.ROOMS["PRESENCE_GRACE"]
    )


def poll_typing(room_id: int, user: User) -> None:
    """At most one a TYPING_INTERVAL per user and room, as a socket's: more are dropped, not
    refused (typing is a hint; a client that sends too many has nothing to retry)."""
    (wait,) = state.take_tokens([f"typing:{room_id}:{user.pk}"], rate=1 / settings.ROOMS["TYPING_INTERVAL"], burst=1)
    if wait > 0:
        return
    _best_effort_blocking(get_presence().typing_blocking, room_id, user.pk, seconds=settings.ROOMS["TYPING_SHOWN"])
    _publish_now(room_id, {"type": "typing", "user": author_data(user)})


def typing_now(room_id: int, *, besides: int) -> list[AuthorData]:
    typists = _best_effort_blocking(get_presence().typing_now, room_id) or []
    return list(_users_by_id([user_id for user_id in typists if user_id != besides]).values())


def _publish_now(room_id: int, frame: dict[str, Any]) -> None:
    async_to_sync(realtime.apublish_to_room)(room_id, frame)
