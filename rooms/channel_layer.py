"""channels_redis' pub/sub layer, with group sends batched into pipelines.

The stock layer sends each `group_send` as its own PUBLISH while holding its shard's one lock,
so a process publishes one frame per Redis round trip, and under load each round trip also
waits for a turn of a busy event loop. At 200 messages/s (benchmark S1) frames queued there for
hundreds of milliseconds (docs/benchmarks.md). Here the group sends that arrive while a batch
is in flight go out together in the next one: one round trip for all of them, in the order
they were sent. Each `group_send` still returns only once Redis has taken its frame, and
raises if it could not, as before. Everything else (subscriptions, receiving) is the stock
layer's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import _close_redis, _wrap_close, create_pool
from redis import asyncio as aioredis

# A PUBLISH waiting for its batch: channel, payload, and its sender's wait.
_Publish = tuple[str, bytes, asyncio.Future[None]]


class _PublishBatcher:
    """The PUBLISHes to one Redis server, one pipeline at a time, on a connection pool of its
    own (publishes never wait behind the shard lock that subscribes take)."""

    def __init__(self, host: dict[str, Any]) -> None:
        self.host = host
        self.redis: aioredis.Redis | None = None
        self.pending: list[_Publish] = []
        self.flushing = False

    async def publish(self, channel: str, payload: bytes) -> None:
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((channel, payload, sent))
        if not self.flushing:
            self.flushing = True
            asyncio.ensure_future(self._flush())
        await sent

    async def _flush(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    if self.redis is None:
                        self.redis = aioredis.Redis(connection_pool=create_pool(self.host))
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for channel, payload, _ in batch:
                            pipe.publish(channel, payload)
                        await pipe.execute()
                except asyncio.CancelledError:
                    # The loop is going away: nobody waits for ever on a batch that never went.
                    for _, _, sent in batch + self.pending:
                        sent.cancel()
                    self.pending = []
                    raise
                except Exception as error:
                    _settle(batch, error)
                else:
                    _settle(batch, None)
        finally:
            self.flushing = False

    async def close(self) -> None:
        if self.redis is not None:
            redis, self.redis = self.redis, None
            await _close_redis(redis)


def _settle(batch: list[_Publish], error: Exception | None) -> None:
    for _, _, sent in batch:
        if sent.done():  # its sender gave up waiting (cancelled); the frame went all the same
            continue
        if error is None:
            sent.set_result(None)
        else:
            sent.set_exception(error)


# channels_redis ships no types: its classes are Any to mypy.
class BatchingPubSubLoopLayer(RedisPubSubLoopLayer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batchers = {shard: _PublishBatcher(shard.host) for shard in self._shards}

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        group_channel = self._get_group_channel_name(group)
        batcher = self._batchers[self._get_shard(group_channel)]
        await batcher.publish(group_channel, self.channel_layer.serialize(message))

    async def flush(self) -> None:
        await super().flush()
        for batcher in self._batchers.values():
            await batcher.close()


class BatchingPubSubChannelLayer(RedisPubSubChannelLayer):  # type: ignore[misc]
    """Settings' CHANNEL_LAYERS backend with CHANNEL_LAYER_BACKEND=pubsub (the default)."""

    def _get_layer(self) -> BatchingPubSubLoopLayer:
        # The stock method, building our loop layer instead of the stock one.
        loop = asyncio.get_running_loop()
        try:
            found: BatchingPubSubLoopLayer = self._layers[loop]
            return found
        except KeyError:
            layer = self._layers[loop] = BatchingPubSubLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
            return layer
