"""The threads a socket's database work runs on.

Channels runs every `database_sync_to_async` call of a process on one shared thread. For a
chat server that means every send, in every room, waits for the commit of the send before it
(about 50 sends/s against PostgreSQL, measured when this was built; no result file kept), and
every join waits behind them.
So, with PostgreSQL:

- Sends run on ROOMS["DB_WRITE_THREADS"] threads, each room always on the same one. Rooms
  commit side by side, while the sends of one room stay one after the other, as on the shared
  thread: each batch is published before the next is stored, so a process's live frames of a
  room leave in `seq` order and clients do not mistake a reordering for a gap.
- The sends that arrive while a write thread is busy wait for it together and go as one batch
  (db_write_batched): under load the fixed costs of a send (the hand-over to the thread, the
  rate-limit round trip, the statement, the commit, the loop's wake-up for the result) are
  paid once per batch instead of once per message (docs/benchmarks.md).
- What opening a socket reads (session, user, room, history) runs on ROOMS["DB_READ_THREADS"]
  threads, so a burst of sends does not hold up people joining, nor a join storm the sends.

SQLite has one writer at a time anyway, and its test databases live in one connection's memory,
so there everything stays on the shared thread (both settings 0).
"""

import asyncio
import functools
import logging
import os
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
Item = TypeVar("Item")
Outcome = TypeVar("Outcome")
Outcome_co = TypeVar("Outcome_co", covariant=True)
Event = TypeVar("Event")

# Each thread holds a database connection of its own: keep the pools small.
_writers: list[ThreadPoolExecutor] = []
_readers: list[ThreadPoolExecutor] = []

# With the connection pool (settings: DATABASE_POOL) these threads keep the connection they
# borrowed for this long, instead of handing it back after every call as a request does: each
# borrow is a lock, the pool's health-check round trip and a return, paid per send batch and per
# read. Held, the pool costs S1 and S3 nothing against per-thread persistent connections
# (docs/deploy.md, "Database connections"). Without the pool, CONN_MAX_AGE decides.
POOLED_CONNECTION_HOLD = 60.0


def _upkeep_after_call(conn: BaseDatabaseWrapper) -> None:
    if not conn.settings_dict.get("OPTIONS", {}).get("pool"):
        if conn.errors_occurred or (conn.close_at is not None and time.monotonic() >= conn.close_at):
            close_old_connections()
        return
    # close_old_connections would hand a pooled connection back at once (CONN_MAX_AGE is 0):
    # the same checks, with the hold. close_at is the moment the connection was borrowed.
    if conn.connection is None or conn.close_at is None:
        return
    if conn.errors_occurred:
        if not conn.is_usable():
            conn.close()
            return
        conn.errors_occurred = False
    if time.monotonic() >= conn.close_at + POOLED_CONNECTION_HOLD:
        conn.close()


def _with_connection_upkeep(func: Callable[P, R]) -> Callable[P, R]:
    """What Django does around a request (drop a connection that broke or outlived its age),
    minus its health check at the start of every call: that is a `SELECT 1` round trip per
    call, as many as a send itself. Instead, a call that fails on a connection
    that turns out to be broken (the database restarted since) runs once more on a fresh one.
    So `func` must be safe to run twice: reads are, and a send is (its client_id makes the
    second a replay if the first was stored).

    Done here, inside the call, rather than by Channels' database_sync_to_async: asgiref runs
    the call in a copy of the caller's context, and the connections it opens there are not the
    ones close_old_connections sees from outside it (they would never be closed)."""

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            try:
                return func(*args, **kwargs)
            except (OperationalError, InterfaceError):
                conn = connections[DEFAULT_DB_ALIAS]
                if conn.connection is None or conn.in_atomic_block or conn.is_usable():
                    raise  # not a stale connection: the database itself is failing
                conn.close()
                return func(*args, **kwargs)
        finally:
            conn = connections[DEFAULT_DB_ALIAS]
            _upkeep_after_call(conn)

    return call


def _yield_on_wakeup() -> None:
    """Run this thread under Linux's SCHED_BATCH policy: the same fair share of the CPU, but
    waking up does not preempt the thread that is running.

    These threads wake whenever the event loop hands them a call or PostgreSQL answers. Under
    the default policy the woken thread takes the core from the event loop on the spot, while
    the loop still holds the GIL, so it can do nothing but wait for it, and the loop waits in
    the run queue to get the core back. Under load that put S1's p99 past 100 ms in two runs of
    four; with SCHED_BATCH in none of four, and the process used 5 % less CPU
    (docs/benchmarks.md). Applies to the calling thread only (tid 0) and needs no privilege; where
    the policy is missing or refused, the thread keeps the default, as it would anyway."""
    if not hasattr(os, "SCHED_BATCH"):
        return
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except OSError as error:
        # An initializer that raises would break the pool, and with it every send.
        logger.warning("could not set SCHED_BATCH on a database thread: %r", error)


def _writer_for(room_id: int) -> tuple[int, ThreadPoolExecutor | None]:
    """The write thread of `room_id` (its index, its executor); None: the shared thread."""
    size = settings.ROOMS["DB_WRITE_THREADS"]
    if size <= 0:
        return 0, None
    while len(_writers) < size:
        _writers.append(
            ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"rooms-db-write-{len(_writers)}", initializer=_yield_on_wakeup
            )
        )
    return room_id % size, _writers[room_id % size]


def _on_thread(call: Callable[P, R], executor: ThreadPoolExecutor | None) -> Callable[P, Coroutine[Any, Any, R]]:
    """`call` as a coroutine function on `executor`, or on Channels' shared thread if None."""
    if executor is None:
        return sync_to_async(call)
    return sync_to_async(call, thread_sensitive=False, executor=executor)


class BatchResult(Protocol[Outcome_co, Event]):
    @property
    def outcomes(self) -> Sequence[Outcome_co | Exception]:
        """Per item, in order: its result, or the exception to raise to its caller."""

    @property
    def events(self) -> list[Event]:
        """What the batch's changes produced, for `publish`."""


class _WriteQueue(Generic[Item, Outcome, Event]):
    """The items waiting for one write thread, for one batch function, on one event loop. While
    the thread runs a batch, the items that arrive wait here and go together as the next one:
    one hand-over to the thread, one wake-up of the loop for the results, and whatever the
    batch function shares (for sends: the rate-limit round trip, the statement, the commit).
    With no load a batch is the one item, as if it went alone."""

    def __init__(
        self,
        run_batch: Callable[[list[Item]], Awaitable[BatchResult[Outcome, Event]]],
        max_items: int,
        publish: Callable[[list[Event]], None],
    ) -> None:
        self.run_batch = run_batch
        self.max_items = max_items
        self.publish = publish
        self.waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self.drainer: asyncio.Task[None] | None = None  # held: the loop keeps only a weak reference

    async def submit(self, item: Item) -> Outcome:
        outcome: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, outcome))
        if self.drainer is None:
            self.drainer = asyncio.ensure_future(self._drain())
        # Cancelling this wait (the socket went away) leaves the item in its batch: a send
        # that was taken is stored all the same.
        return await outcome

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[: self.max_items], self.waiting[self.max_items :]
                outcomes: Sequence[Outcome | Exception]
                try:
                    batch_result = await self.run_batch([item for item, _ in batch])
                    outcomes = batch_result.outcomes
                    # Before any caller hears of it, and whether or not they still wait: a
                    # change that was committed is published.
                    self.publish(batch_result.events)
                except asyncio.CancelledError:
                    # The loop is going away: nobody waits for ever on a batch that never ran.
                    for _, outcome in batch + self.waiting:
                        outcome.cancel()
                    self.waiting = []
                    raise
                except Exception as error:
                    outcomes = [error] * len(batch)
                for (_, outcome), result in zip(batch, outcomes, strict=True):
                    if outcome.done():  # its waiter was cancelled
                        continue
                    if isinstance(result, Exception):
                        outcome.set_exception(result)
                    else:
                        outcome.set_result(result)
        finally:
            self.drainer = None


# Per event loop: the queue of each batch function and write thread.
_write_queues: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[Hashable, int], _WriteQueue[Any, Any, Any]]
] = weakref.WeakKeyDictionary()


def db_write_batched(
    func: Callable[[list[Item]], BatchResult[Outcome, Event]],
    *,
    room_id: int,
    max_items: int,
    publish: Callable[[list[Event]], None],
) -> Callable[[Item], Coroutine[Any, Any, Outcome]]:
    """A coroutine function taking one item, which waits on the write thread of `room_id` with
    the other items for that thread and runs in a batch of at most `max_items`:
    `func(items) -> BatchResult` (an outcome that is an exception is raised to its item's
    caller). Its events go to `publish`, on the loop, as soon as the batch returns. Items of one
    room stay in submission order, batch after batch, and so do their events. `func` must be
    safe to run twice (see _with_connection_upkeep): message_create_batch is."""
    loop = asyncio.get_running_loop()
    index, executor = _writer_for(room_id)
    per_loop = _write_queues.setdefault(loop, {})
    queue: _WriteQueue[Item, Outcome, Event] | None = per_loop.get((func, index))
    if queue is None:
        call = _with_connection_upkeep(func)
        queue = per_loop[(func, index)] = _WriteQueue(_on_thread(call, executor), max_items, publish)
    return queue.submit


def db_read(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """`func` (a read) as a coroutine function, run on the read pool."""
    size = settings.ROOMS["DB_READ_THREADS"]
    if size > 0 and not _readers:
        _readers.append(
            ThreadPoolExecutor(max_workers=size, thread_name_prefix="rooms-db-read", initializer=_yield_on_wakeup)
        )
    return _on_thread(_with_connection_upkeep(func), _readers[0] if size > 0 else None)
