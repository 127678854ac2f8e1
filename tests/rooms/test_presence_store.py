"""The presence store's contract (rooms/presence.py), run against both implementations: the
in-process one and Redis (what several server processes share)."""

import asyncio

import pytest
import redis
from django.conf import settings

from rooms.presence import MemoryPresence, RedisPresence

TTL, CAP, LIMIT = 30, 5, 100


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return MemoryPresence()
    request.getfixturevalue("redis_url")
    return RedisPresence(settings.REDIS_URL, 10)


async def open_(store, room, user, connection, *, ttl=TTL, cap=CAP, limit=LIMIT):
    return await store.open(room, user, connection, ttl=ttl, cap=cap, limit=limit)


async def test_the_first_connection_makes_a_user_present_and_the_snapshot_counts_them(store):
    first = await open_(store, 1, 10, "a")
    start = first.joined_version
    assert first.snapshot.user_ids == [10] and first.snapshot.count == 1 and first.snapshot.version == start
    again = await open_(store, 1, 10, "b")  # a second tab: nothing to announce
    assert again.joined_version is None and again.snapshot.version == start
    other = await open_(store, 1, 11, "c")
    assert other.joined_version == start + 1
    assert sorted(other.snapshot.user_ids) == [10, 11] and other.snapshot.count == 2
    assert await store.status(1) == (2, start + 1)
    assert store.online_counts([1, 2]) == {1: 2, 2: 0}


async def test_the_online_list_is_bounded_and_the_count_is_not(store):
    for user in range(20, 27):
        opened = await open_(store, 1, user, f"c{user}", limit=3)
    assert len(opened.snapshot.user_ids) == 3 and opened.snapshot.count == 7


async def test_the_cap_counts_open_connections_in_every_room_for_as_long_as_they_live(store):
    for index in range(3):
        assert not (await open_(store, index, 10, f"s{index}", ttl=1, cap=3)).refused
    assert (await open_(store, 9, 10, "s3", ttl=1, cap=3)).refused
    # Heartbeats keep them open past their first expiry: the cap holds.
    for _ in range(3):
        await asyncio.sleep(0.5)
        for index in range(3):
            await store.alive(index, 10, f"s{index}", ttl=1)
    assert (await open_(store, 9, 10, "s3", ttl=1, cap=3)).refused
    await store.close(0, 10, "s0", grace=0)
    assert not (await open_(store, 9, 10, "s3", ttl=1, cap=3)).refused


async def test_a_user_who_closes_stays_present_for_the_grace_and_then_departs_once(store):
    joined = await open_(store, 1, 10, "a")
    assert await store.close(1, 10, "a", grace=0.4) is True
    assert await store.status(1) == (1, joined.joined_version)  # within grace: still counted
    assert await store.sweep([1]) == {}
    await asyncio.sleep(0.5)
    departed = (await store.sweep([1]))[1]
    assert departed.user_ids == [10] and departed.version > joined.joined_version
    assert await store.sweep([1]) == {}  # announced by one sweep only
    assert await store.status(1) == (0, departed.version)


async def test_coming_back_within_the_grace_announces_nothing(store):
    await open_(store, 1, 10, "a")
    await store.close(1, 10, "a", grace=0.4)
    back = await open_(store, 1, 10, "b")
    assert back.joined_version is None
    await asyncio.sleep(0.5)
    assert await store.sweep([1]) == {}
    assert (await store.status(1))[0] == 1


async def test_closing_one_of_two_connections_in_a_room_is_not_the_last(store):
    await open_(store, 1, 10, "a")
    await open_(store, 1, 10, "b")
    await open_(store, 2, 10, "c")  # another room does not count for room 1
    assert await store.close(1, 10, "a", grace=5) is False
    assert await store.close(1, 10, "b", grace=5) is True


async def test_connections_that_stop_beating_expire_and_are_swept_by_any_later_operation(store):
    # Their process died: no close ever comes.
    await open_(store, 1, 10, "dead", ttl=0.3)
    alive = await open_(store, 1, 11, "live")
    await asyncio.sleep(0.4)
    assert (await store.status(1))[0] == 1
    refreshed = await store.alive(1, 11, "live", ttl=TTL)
    assert refreshed.departed.user_ids == [10] and refreshed.departed.version > alive.joined_version
    assert refreshed.joined_version is None


async def test_a_heartbeat_brings_back_a_user_the_store_lost(store):
    await open_(store, 1, 10, "a", ttl=0.2)
    await asyncio.sleep(0.3)
    await store.sweep([1])  # gone, as after a Redis restart
    refreshed = await store.alive(1, 10, "a", ttl=TTL)
    assert refreshed.joined_version is not None
    assert (await store.status(1)) == (1, refreshed.joined_version)


async def test_typing_is_remembered_for_its_seconds(store):
    await store.typing(1, 10, seconds=0.3)
    store.typing_blocking(1, 11, seconds=5)
    assert sorted(store.typing_now(1)) == [10, 11] and store.typing_now(2) == []
    await asyncio.sleep(0.4)
    assert store.typing_now(1) == [11]


async def test_the_blocking_twins_are_the_same_operations(store):
    opened = store.open_blocking(1, 10, "http:x", ttl=TTL, cap=CAP, limit=LIMIT)
    assert opened.joined_version is not None and opened.snapshot.user_ids == [10]
    assert store.close_blocking(1, 10, "http:x", grace=0) is True
    assert (await store.sweep([1]))[1].user_ids == [10]


async def test_redis_scripts_reload_after_redis_forgets_them(redis_url):
    store = RedisPresence(redis_url, 5)
    assert (await open_(store, 7, 1, "a")).joined_version is not None
    redis.Redis.from_url(redis_url).script_flush()  # what a Redis restart does to the cache
    assert (await open_(store, 7, 1, "b")).joined_version is None
    redis.Redis.from_url(redis_url).script_flush()
    assert store.online_counts([7]) == {7: 1}


async def test_one_sweep_covers_many_rooms_and_names_only_those_with_departures(store):
    in_1 = await open_(store, 1, 10, "a", ttl=0.2)
    await open_(store, 2, 11, "b")
    await open_(store, 3, 12, "c", ttl=0.2)
    in_3 = await open_(store, 3, 13, "d", ttl=0.2)
    await asyncio.sleep(0.3)
    found = await store.sweep([1, 2, 3, 4])
    assert sorted(found) == [1, 3]
    assert found[1].user_ids == [10] and sorted(found[3].user_ids) == [12, 13]
    # Each room's own version, one past its last change.
    assert found[1].version == in_1.joined_version + 1 and found[3].version == in_3.joined_version + 1


async def test_versions_start_from_the_clock_so_a_store_that_lost_them_goes_on_above(store, settings):
    before = await open_(store, 1, 10, "a")
    # Everything forgotten, as by a Redis restart without its data (or a new process in memory).
    if isinstance(store, RedisPresence):
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(*client.keys(f"{settings.ROOMS['STATE_KEY_PREFIX']}presence:*"))
        fresh = store
    else:
        fresh = MemoryPresence()
    await asyncio.sleep(0.01)
    after = await open_(fresh, 1, 11, "b")
    assert after.joined_version > before.joined_version
