"""The presence and rate-limit store (rooms/state.py): in Redis its Lua scripts run by SHA and
must survive Redis forgetting them."""

import pytest
import redis

from rooms.state import RedisState, get_state


@pytest.fixture
def redis_state(redis_url) -> RedisState:
    state = get_state()
    assert isinstance(state, RedisState)
    return state


def _forget_scripts(url: str) -> None:
    # What a Redis restart does to the script cache.
    redis.Redis.from_url(url).script_flush()


def test_rate_limit_still_counts_in_redis_after_its_script_is_forgotten(redis_state, redis_url, settings):
    assert redis_state.take_tokens(["send:1"], rate=1.0, burst=2) == [0]
    _forget_scripts(redis_url)
    # A failing script would fall back to a per-process bucket (services._send_rate_waits), so
    # check that the shared bucket itself is what runs out.
    assert redis_state.take_tokens(["send:1"], rate=1.0, burst=2) == [0]
    assert redis_state.take_tokens(["send:1"], rate=1.0, burst=2)[0] > 0
    prefix = settings.ROOMS["STATE_KEY_PREFIX"]
    assert redis.Redis.from_url(redis_url).exists(f"{prefix}rate:send:1")


def test_a_batch_takes_a_token_per_key_and_as_many_as_a_key_is_named(state_backend):
    # A write thread's batch decides every send's rate limit at once (services._send_rate_waits).
    waits = get_state().take_tokens(["send:1", "send:2", "send:1", "send:1", "send:2"], rate=1.0, burst=2)
    assert waits[:3] == [0, 0, 0] and waits[4] == 0
    assert 0 < waits[3] <= 1  # user 1's third send in one go: past its burst of 2


async def test_presence_scripts_reload_after_they_are_forgotten(redis_state, redis_url):
    first = await redis_state.connection_opened(7, 1, "conn-a", ttl=30, cap=5)
    assert first.changed
    _forget_scripts(redis_url)
    second = await redis_state.connection_opened(7, 1, "conn-b", ttl=30, cap=5)
    assert not second.changed  # the same user's second connection, seen through Redis
    assert await redis_state.online_user_ids(7) == {1}
    _forget_scripts(redis_url)
    assert redis_state.online_counts([7]) == {7: 1}
    _forget_scripts(redis_url)
    assert (await redis_state.connection_closed(7, 1, "conn-a")).changed is False
    assert (await redis_state.connection_closed(7, 1, "conn-b")).changed is True


async def test_opening_a_connection_reports_who_is_online_with_it(state_backend):
    state = get_state()
    assert (await state.connection_opened(9, 1, "a", ttl=30, cap=5)).online_user_ids == {1}
    opened = await state.connection_opened(9, 2, "b", ttl=30, cap=5)
    assert opened.changed and opened.online_user_ids == {1, 2}
    await state.connection_closed(9, 1, "a")
    assert (await state.connection_opened(9, 3, "c", ttl=30, cap=5)).online_user_ids == {2, 3}
    refused = await state.connection_opened(9, 3, "d", ttl=30, cap=1)
    assert refused.refused and not refused.online_user_ids
