"""The threads a socket's database work runs on.

Channels runs every `database_sync_to_async` call of a process on one shared thread. For a
chat server that means every send, in every room, waits for the commit of the send before it
(about 50 sends/s against PostgreSQL, docs/benchmarks.md), and every join waits behind them.
So, with PostgreSQL:

- Sends run on ROOMS["DB_WRITE_THREADS"] threads, each room always on the same one. Rooms
  commit side by side, while the sends of one room stay one after the other, as on the shared
  thread: each is published before the next is stored, so a process's live frames of a room
  leave in `seq` order and clients do not mistake a reordering for a gap.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, close_old_connections, connections

from rooms import realtime

logger = logging.getLogger(__name__)

# Each thread keeps a database connection of its own (CONN_MAX_AGE): keep the pools small.
_writers: list[ThreadPoolExecutor] = []
_readers: list[ThreadPoolExecutor] = []


def _with_connection_upkeep(func: Callable) -> Callable:
    """What Django does around a request (drop a connection that broke or outlived
    CONN_MAX_AGE), minus its health check at the start of every call: that is a `SELECT 1`
    round trip per call, as many as a send itself. Instead, a call that fails on a connection
    that turns out to be broken (the database restarted since) runs once more on a fresh one.
    So `func` must be safe to run twice: reads are, and a send is (its client_id makes the
    second a replay if the first was stored).

    Done here, inside the call, rather than by Channels' database_sync_to_async: asgiref runs
    the call in a copy of the caller's context, and the connections it opens there are not the
    ones close_old_connections sees from outside it (they would never be closed)."""

    @functools.wraps(func)
    def call(*args, **kwargs):
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
            if conn.errors_occurred or (conn.close_at is not None and time.monotonic() >= conn.close_at):
                close_old_connections()

    return call


def _handing_frames_to(loop: asyncio.AbstractEventLoop, func: Callable) -> Callable:
    @functools.wraps(func)
    def call(*args, **kwargs):
        with realtime.frames_handed_to(loop):
            return func(*args, **kwargs)

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


def db_write(func: Callable, *, room_id: int):
    """`func` as a coroutine function, run on the write thread of `room_id`. Frames it publishes
    are handed to the calling event loop, which publishes them in order (rooms/realtime.py).
    `func` must be safe to run twice (see _with_connection_upkeep): a message send is."""
    call = _with_connection_upkeep(_handing_frames_to(asyncio.get_running_loop(), func))
    size = settings.ROOMS["DB_WRITE_THREADS"]
    if size <= 0:
        return sync_to_async(call)
    while len(_writers) < size:
        _writers.append(
            ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"rooms-db-write-{len(_writers)}", initializer=_yield_on_wakeup
            )
        )
    return sync_to_async(call, thread_sensitive=False, executor=_writers[room_id % size])


def db_read(func: Callable):
    """`func` (a read) as a coroutine function, run on the read pool."""
    size = settings.ROOMS["DB_READ_THREADS"]
    if size <= 0:
        return sync_to_async(_with_connection_upkeep(func))
    if not _readers:
        _readers.append(
            ThreadPoolExecutor(max_workers=size, thread_name_prefix="rooms-db-read", initializer=_yield_on_wakeup)
        )
    return sync_to_async(_with_connection_upkeep(func), thread_sensitive=False, executor=_readers[0])
