"""The pub/sub layer with batched group sends (rooms/channel_layer.py), against the real Redis."""

import asyncio
import uuid

import pytest
import redis

from rooms.channel_layer import BatchingPubSubChannelLayer


def new_layer(url: str) -> BatchingPubSubChannelLayer:
    return BatchingPubSubChannelLayer(hosts=[url], prefix=f"test:{uuid.uuid4().hex[:12]}:")


async def receive_numbers(layer, channel, count: int) -> list[int]:
    return [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(count)]


async def test_concurrent_group_sends_arrive_complete_and_in_the_order_sent(redis_url):
    layer = new_layer(redis_url)
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    try:
        # Sent side by side, they share pipelines; each send returns once Redis has its frame.
        await asyncio.gather(*(layer.group_send("room", {"type": "x", "n": n}) for n in range(300)))
        assert await receive_numbers(layer, channel, 300) == list(range(300))
        # A send on its own, after the batches, goes out too.
        await layer.group_send("room", {"type": "x", "n": 300})
        assert await receive_numbers(layer, channel, 1) == [300]
    finally:
        await layer.flush()


async def test_a_sender_that_gives_up_waiting_does_not_hold_up_the_others(redis_url):
    layer = new_layer(redis_url)
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    try:
        sends = [asyncio.ensure_future(layer.group_send("room", {"type": "x", "n": n})) for n in range(10)]
        await asyncio.sleep(0)  # every send has handed in its frame
        sends[3].cancel()
        await asyncio.gather(*sends[:3], *sends[4:])
        # Handed in before it was cancelled, its frame still went out, in its place.
        assert await receive_numbers(layer, channel, 10) == list(range(10))
    finally:
        await layer.flush()


async def test_a_send_fails_loudly_while_redis_is_unreachable_and_the_next_is_not_stuck(redis_url):
    layer = BatchingPubSubChannelLayer(hosts=["redis://127.0.0.1:1"])
    for _ in range(2):  # a failed batch must not leave the next send waiting for ever
        with pytest.raises(redis.ConnectionError):
            await asyncio.wait_for(layer.group_send("room", {"type": "x"}), 10)
    await layer.flush()
