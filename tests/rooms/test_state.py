"""The rate-limit store (rooms/state.py): in Redis its Lua script runs by SHA and must survive
Redis forgetting it."""

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
    # A failing script would fall back to a per-process bucket (state.take_tokens), so
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
