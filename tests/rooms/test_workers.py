"""The socket threads (rooms/workers.py): their database connections and their scheduling."""

import os

import pytest
from django.db import OperationalError, connection, connections

from rooms import realtime, services, workers
from rooms.models import Message
from rooms.workers import db_read, db_write_batched

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the thread pools are PostgreSQL's"),
]


def on_write_thread(func, *, room_id: int):
    """`func()` run on the write thread of `room_id`, as a batch of one."""
    return db_write_batched(
        lambda items: services.SendBatch([func() for _ in items], events=[]),
        room_id=room_id,
        max_items=1,
        publish=lambda events: None,
    )(None)


def break_this_threads_connection() -> None:
    """What a database restart leaves behind: a connection Django still holds but that is dead,
    kept past the call as with DATABASE_CONN_MAX_AGE (the suite runs with 0)."""
    conn = connections["default"]
    conn.ensure_connection()
    conn.close_at = None
    conn.connection.close()


async def test_a_send_on_a_connection_that_died_since_is_stored_once_on_a_fresh_one(user, room):
    await on_write_thread(break_this_threads_connection, room_id=room.pk)

    store = db_write_batched(
        services.message_create_batch,
        room_id=room.pk,
        max_items=services.BATCH_MAX_SENDS,
        publish=realtime.publish_from_loop,
    )
    result = await store(services.SendRequest(room=room, author=user, body="after the restart", client_id="r-1"))
    assert result.created and result.message.seq == 1
    assert await db_read(lambda: list(Message.objects.values_list("body", flat=True)))() == ["after the restart"]


async def test_a_read_pool_thread_recovers_from_a_dead_connection(room):
    # The pool has several threads: break each of them, then every read still answers.
    for _ in range(8):
        await db_read(break_this_threads_connection)()
    for _ in range(8):
        assert await db_read(lambda: Message.objects.filter(room=room).count())() == 0


async def test_a_database_that_is_really_failing_is_not_retried_forever(room):
    calls = []

    def failing():
        calls.append(1)
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    with pytest.raises(OperationalError):
        await on_write_thread(failing, room_id=room.pk)
    assert len(calls) == 2  # the first try, and one retry on a fresh connection


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="a Linux scheduling policy")
async def test_the_socket_threads_do_not_preempt_the_event_loop_when_they_wake(room):
    def policy() -> int:
        return os.sched_getscheduler(0)  # 0: the calling thread

    assert await on_write_thread(policy, room_id=room.pk) == os.SCHED_BATCH
    assert await db_read(policy)() == os.SCHED_BATCH
    assert policy() != os.SCHED_BATCH  # the event loop's thread keeps the default


def test_a_refused_scheduling_policy_leaves_the_thread_working(monkeypatch, caplog):
    # A container may refuse the call: the pool's initializer must not raise (that would break
    # the pool, and every send with it).
    def refuse(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(workers.os, "sched_setscheduler", refuse)
    workers._yield_on_wakeup()
    assert "could not set SCHED_BATCH" in caplog.text


async def test_a_socket_thread_keeps_its_pooled_connection_between_calls(room):
    pool = connections["default"].pool
    if pool is None:
        pytest.skip("DATABASE_POOL is off")

    def borrows() -> int:
        Message.objects.filter(room=room).count()
        return pool.get_stats()["requests_num"]

    first = await on_write_thread(borrows, room_id=room.pk)
    later = [await on_write_thread(borrows, room_id=room.pk) for _ in range(5)]
    # No borrow (a lock, a health-check round trip, a return) per call: the thread holds it.
    assert later == [first] * 5

    def held_since_then() -> None:
        connections["default"].close_at -= workers.POOLED_CONNECTION_HOLD

    await on_write_thread(held_since_then, room_id=room.pk)
    assert await on_write_thread(borrows, room_id=room.pk) == first + 1  # handed back, borrowed again
