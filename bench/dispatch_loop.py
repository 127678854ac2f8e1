"""CPU per client frame of the consumer's dispatch loop: Channels' await_many_dispatch (a task
and an asyncio.wait for every message) against awaiting the one source directly, as
RoomConsumer.__call__ does. Frames come from an asyncio.Queue, as Daphne hands them over.

    .venv/bin/python bench/dispatch_loop.py [--frames 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from channels.utils import await_many_dispatch


class _Done(Exception):
    pass


async def _cpu_us_per_frame(frames: int, *, direct: bool) -> float:
    queue: asyncio.Queue = asyncio.Queue()
    for index in range(frames):
        queue.put_nowait(index)
    queue.put_nowait(None)

    async def dispatch(message):
        if message is None:
            raise _Done

    started = time.process_time()
    try:
        if direct:
            while True:
                await dispatch(await queue.get())
        else:
            await await_many_dispatch([queue.get], dispatch)
    except _Done:
        pass
    return (time.process_time() - started) / frames * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"await_many_dispatch": [], "direct": []}
    for _ in range(args.repeat):  # alternating, so that the machine's drift hits both alike
        for name in results:
            results[name].append(round(asyncio.run(_cpu_us_per_frame(args.frames, direct=name == "direct")), 2))
    print(
        json.dumps(
            {name: {"runs_us_per_frame": runs, "median": statistics.median(runs)} for name, runs in results.items()}
        )
    )


if __name__ == "__main__":
    main()
