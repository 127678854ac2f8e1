"""Compare the two channels_redis layers on the fan-out our rooms do, in one run.

    .venv/bin/python bench/layer_compare.py [--redis redis://127.0.0.1:6379/0]

For each layer: 50 groups × 10 member channels (the S1 room shape) and 1 group × 500 (S2),
every member reading concurrently; we publish a burst of messages per group and count what
arrives. Then the failure mode that matters most to us: a member that does not read during a
burst larger than the layer's per-channel capacity. Prints one JSON document.
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer


def make_layer(kind: str, url: str, capacity: int = 100):
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    if kind == "core":
        return RedisChannelLayer(hosts=[url], prefix=prefix, capacity=capacity)
    return RedisPubSubChannelLayer(hosts=[url], prefix=prefix)


async def fan_out(kind: str, url: str, groups: int, members: int, per_group: int) -> dict:
    layer = make_layer(kind, url)
    channels = {}
    for g in range(groups):
        channels[g] = [await layer.new_channel() for _ in range(members)]
        for channel in channels[g]:
            await layer.group_add(f"g{g}", channel)
    expected = groups * members * per_group
    received = 0
    latencies = []
    done = asyncio.Event()

    async def reader(channel):
        nonlocal received
        for _ in range(per_group):
            message = await layer.receive(channel)
            latencies.append(time.perf_counter() - message["t"])
            received += 1
            if received == expected:
                done.set()

    readers = [asyncio.create_task(reader(c)) for chans in channels.values() for c in chans]
    await asyncio.sleep(0.2)
    start = time.perf_counter()
    for i in range(per_group):
        for g in range(groups):
            await layer.group_send(f"g{g}", {"type": "x", "i": i, "t": time.perf_counter()})
    try:
        await asyncio.wait_for(done.wait(), 30)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - start
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await layer.flush()
    latencies.sort()
    return {
        "layer": kind,
        "shape": f"{groups}x{members}",
        "expected": expected,
        "received": received,
        "lost": expected - received,
        "deliveries_per_s": round(received / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
    }


async def slow_reader(kind: str, url: str, burst: int) -> dict:
    """One member stops reading while `burst` messages are published, then drains."""
    layer = make_layer(kind, url, capacity=100)
    channel = await layer.new_channel()
    await layer.group_add("slow", channel)
    await asyncio.sleep(0.2)
    for i in range(burst):
        await layer.group_send("slow", {"type": "x", "i": i})
    await asyncio.sleep(0.5)
    got = 0
    while True:
        try:
            await asyncio.wait_for(layer.receive(channel), 0.5)
            got += 1
        except TimeoutError:
            break
    await layer.flush()
    return {"layer": kind, "burst": burst, "received_after_stall": got, "silently_dropped": burst - got}


async def main(url: str) -> None:
    results = {"fan_out": [], "slow_reader": []}
    for kind in ("core", "pubsub"):
        results["fan_out"].append(await fan_out(kind, url, groups=50, members=10, per_group=40))
        results["fan_out"].append(await fan_out(kind, url, groups=1, members=500, per_group=40))
        results["slow_reader"].append(await slow_reader(kind, url, burst=300))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    asyncio.run(main(parser.parse_args().redis))
