"""The scenarios of docs/benchmarks.md. Each takes a started server and returns a dict."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import websockets
from websockets.exceptions import ConnectionClosed

from bench.loadgen import PAD, Population, ServerMeter

P99_LIMIT_MS = 250.0
# Users signed in per server; connections beyond that reuse users (at most 20 sockets each,
# the product's MAX_CONNECTIONS_PER_USER).
USER_POOL = 500
# Send rates (messages/s in total) tried by S3, lowest first; each step is x1.5.
S3_STEPS = {
    "s1": [50, 75, 110, 160, 240, 360, 540, 800, 1200, 1800, 2700, 4000],
    "s2": [2, 3, 5, 7, 10, 15, 22, 33, 50, 75, 110, 160],
}
SHAPES = {"s1": (50, 10), "s2": (1, 500)}


def _room_names(prefix: str, count: int) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"{prefix}_{run}_{i}" for i in range(count)]  # \w+ only: the tutorial routes no hyphens


async def _populate(server, kind: str, rooms: int, members: int, *, prefix: str, processes: int = 1):
    names = _room_names(prefix, rooms)
    server.create_rooms(names)
    cookies = server.ensure_users(min(USER_POOL, rooms * members))
    population = Population(server, kind)
    connected = await population.connect(names, members, cookies=cookies, processes=processes)
    meter = ServerMeter(server.pids(list(range(processes))), server.metrics_urls(list(range(processes))))
    connected["settle_s"] = await meter.wait_quiet()
    connected["presence_frames"] = population.presence_frames
    return population, meter, connected


def _profile_start(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    beside = Path(sys.executable).parent / "py-spy"  # the venv's, from bench/requirements.txt
    return subprocess.Popen(
        [
            str(beside) if beside.exists() else "py-spy",
            "record",
            # Only the thread holding the GIL: py-spy's idle detection counts threads blocked on
            # a socket as busy on this kind of VM (docs/benchmarks.md).
            "--gil",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def steady(
    server, kind: str, name: str, *, rate: float, duration: float, processes: int = 1, profile: Path | None = None
) -> dict:
    """S1 / S2: one shape at one send rate."""
    rooms, members = SHAPES[name]
    population, meter, connected = await _populate(server, kind, rooms, members, prefix=name, processes=processes)
    spy = _profile_start(server.pids([0])[0], duration, profile) if profile else None
    try:
        load = await population.run_load(rate, duration, meter=meter)
    finally:
        if spy is not None:
            spy.wait(timeout=duration + 30)
        await population.close()
        await meter.wait_quiet()
    return {
        "shape": {"rooms": rooms, "members": members},
        "connections": connected,
        **load,
        "held": held(load),
        "profiled": profile is not None,
    }


def held(load: dict) -> bool:
    p99 = load["latency_ms"]["p99"]
    return load["lost"] == 0 and load["send_errors"] == 0 and p99 is not None and p99 <= P99_LIMIT_MS


async def saturation(server, kind: str, *, step_s: float, processes: int = 1, shapes=("s1", "s2")) -> dict:
    """S3: both shapes (or those named), the send rate stepped up until p99 > 250 ms or
    anything is lost."""
    out = {}
    for name in shapes:
        rooms, members = SHAPES[name]
        population, meter, connected = await _populate(
            server, kind, rooms, members, prefix=f"s3{name}", processes=processes
        )
        steps, best = [], None
        try:
            for rate in S3_STEPS[name]:
                load = await population.run_load(rate, step_s, drain=3.0, meter=meter)
                ok = held(load)
                steps.append(
                    {
                        "rate_msgs_per_s": rate,
                        "held": ok,
                        "deliveries_per_s": load["deliveries_per_s"],
                        "offered_deliveries_per_s": load["offered_deliveries_per_s"],
                        "lost": load["lost"],
                        "duplicated": load["duplicated"],
                        "send_errors": load["send_errors"],
                        "latency_ms": load["latency_ms"],
                        "server_cpu_pct": load["server"]["cpu_pct"],
                        "cpu_us_per_delivery": load["server"]["cpu_us_per_delivery"],
                        "loadgen_cpu_pct": load["server"]["loadgen_cpu_pct"],
                        "gc": load["server"]["gc"],
                    }
                )
                if not ok:
                    break
                best = steps[-1]
                await meter.wait_quiet(timeout=20)
        finally:
            await population.close()
            await meter.wait_quiet()
        out[name] = {
            "shape": {"rooms": rooms, "members": members},
            "connections": connected,
            "step_s": step_s,
            "highest_held_msgs_per_s": best["rate_msgs_per_s"] if best else None,
            # The offered rate of the highest step that held: every copy arrived within it.
            "highest_held_deliveries_per_s": best["offered_deliveries_per_s"] if best else 0,
            "steps": steps,
        }
    return out


async def idle_memory(server, kind: str, *, connections: int, rooms: int = 50) -> dict:
    """S4: resident memory per idle connection (server RSS delta / connections)."""
    names = _room_names("s4", rooms)
    server.create_rooms(names)
    cookies = server.ensure_users(min(USER_POOL, max(1, connections // 10)))
    meter = ServerMeter(server.pids([0]))
    # One socket per room first, so lazily made things (imports, pools, per-room state) are
    # in the "before" figure and the delta is what each further socket costs.
    warm = Population(server, kind)
    await warm.connect(names, 1, cookies=cookies)
    await meter.wait_quiet()
    before = meter.rss()[0]
    population = Population(server, kind)
    connected = await population.connect(names, connections // rooms, cookies=cookies)
    settle = await meter.wait_quiet(timeout=120)
    await asyncio.sleep(2)
    after = meter.rss()[0]
    opened = connected["opened"]
    await population.close()
    await warm.close()
    await meter.wait_quiet(timeout=120)
    return {
        "connections": connected,
        "settle_s": settle,
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_mib": round(after / 2**20, 1),
        "kib_per_connection": round((after - before) / 1024 / opened, 1) if opened else None,
    }


class _Held:
    """One S5 client: the ids it holds, the room event it holds everything up to, its socket."""

    def __init__(self, index: int, room: int, cookie: str):
        self.index, self.room, self.cookie = index, room, cookie
        self.ids: set[int] = set()
        self.head: int | None = None
        self.ws = None
        self.attempts = 0
        self.reconnected = asyncio.Event()


def _backoff(failures: int) -> float:
    # frontend/src/lib/socket.ts: base 500 ms, cap 15 s, "equal jitter".
    ceiling = min(15.0, 0.5 * 2 ** max(0, failures - 1))
    return ceiling / 2 + random.random() * ceiling / 2


async def reconnect_storm(
    server, *, clients: int, rooms: int = 20, before: int = 10, during: int = 10, timeout: float = 60.0
) -> dict:
    """S5: `clients` sockets in `rooms` rooms on process 0, which is killed (SIGKILL) and
    restarted; while it is down, a writer on process 1 stores `during` messages per room.
    Clients reconnect like the front end does (backoff with jitter, `?since=<event head>`)."""
    names = _room_names("s5", rooms)
    server.create_rooms(names)
    users = max(1, clients // 2)  # two tabs per user
    cookies = server.ensure_users(users + rooms)
    writer_cookies = cookies[users : users + rooms]
    stored: list[set[int]] = [set() for _ in range(rooms)]
    stats = {"duplicated": 0, "resync": 0, "failed_attempts": 0, "failures": {}}
    storm = {"on": False}

    def take(client: _Held, message: dict) -> None:
        if message["id"] in client.ids:
            stats["duplicated"] += 1
        client.ids.add(message["id"])

    async def connect(client: _Held) -> bool:
        client.attempts += 1
        try:
            ws = await websockets.connect(
                server.ws_url(0, names[client.room], client.head),
                additional_headers=server.headers(0, client.cookie),
                compression=None,
                ping_interval=None,
                max_size=None,
                open_timeout=30,
                close_timeout=1,
            )
            hello = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        except (OSError, TimeoutError, ConnectionClosed, websockets.InvalidHandshake) as error:
            stats["failed_attempts"] += 1
            name = type(error).__name__
            stats["failures"][name] = stats["failures"].get(name, 0) + 1
            return False
        if hello.get("resync"):
            stats["resync"] += 1
            client.ids = set()
        for message in hello["messages"]:
            take(client, message)
        client.head = hello.get("event")  # None from the baseline, which has no events
        client.ws = ws
        return True

    async def live(client: _Held) -> None:
        while True:
            try:
                async for raw in client.ws:
                    frame = orjson.loads(raw)
                    if frame.get("type") == "message.new":
                        take(client, frame["message"])
                        if client.head is not None:
                            client.head = max(client.head, frame["event"])
            except ConnectionClosed:
                pass
            if not storm["on"]:
                return
            failures = 1
            while True:
                await asyncio.sleep(_backoff(failures))
                if await connect(client):
                    client.reconnected.set()
                    break
                failures += 1

    population = [_Held(i, i % rooms, cookies[i % users]) for i in range(clients)]
    sem = asyncio.Semaphore(64)

    async def first(client: _Held) -> bool:
        async with sem:
            return await connect(client)

    started = time.perf_counter()
    opened = await asyncio.gather(*(first(c) for c in population))
    connect_s = time.perf_counter() - started
    population = [c for c, ok in zip(population, opened, strict=True) if ok]
    meter = ServerMeter(server.pids([0]))
    await meter.wait_quiet()
    readers = [asyncio.create_task(live(c)) for c in population]

    # Writers on process 1, one per room; their acks say what is stored.
    writers = []
    for room in range(rooms):
        ws = await websockets.connect(
            server.ws_url(1, names[room]),
            additional_headers=server.headers(1, writer_cookies[room]),
            compression=None,
            ping_interval=None,
            max_size=None,
        )
        await ws.recv()
        writers.append(ws)

    async def write(room: int, count: int, tag: str) -> None:
        ws = writers[room]
        for n in range(count):
            await ws.send(orjson.dumps({"type": "send", "body": PAD, "client_id": f"{tag}-{room}-{n}"}).decode())
        acked = 0
        while acked < count:
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame.get("type") == "ack":
                stored[room].add(frame["message"]["id"])
                acked += 1

    def missing() -> int:
        return sum(len(stored[c.room] - c.ids) for c in population)

    async def until_caught_up(limit: float) -> float | None:
        began = time.perf_counter()
        while time.perf_counter() - began < limit:
            if missing() == 0:
                return time.perf_counter()
            await asyncio.sleep(0.02)
        return None

    run = uuid.uuid4().hex[:6]
    await asyncio.gather(*(write(r, before, f"pre{run}") for r in range(rooms)))
    warm_ok = await until_caught_up(30)

    storm["on"] = True
    killed = time.perf_counter()
    server.kill(0)
    await asyncio.gather(*(write(r, during, f"out{run}") for r in range(rooms)))
    outage_written = time.perf_counter()
    # Watched from now, not from when the restarted process first answers /health/: clients
    # reconnect as soon as it listens, and the probe itself waits in line behind their storm.
    watch = asyncio.create_task(until_caught_up(timeout))
    await asyncio.to_thread(server.restart, 0)
    healthy = time.perf_counter()
    done = await watch
    reconnected = sum(1 for c in population if c.reconnected.is_set())
    storm["on"] = False
    for ws in writers:
        await ws.close()
    for task in readers:
        task.cancel()
    for client in population:
        if client.ws is not None:
            try:
                await asyncio.wait_for(client.ws.close(), 2)
            except (TimeoutError, ConnectionClosed, OSError):
                pass
    total_stored = sum(len(s) for s in stored)
    return {
        "clients": clients,
        "rooms": rooms,
        "opened": len(population),
        "connect_wall_s": round(connect_s, 2),
        "messages_stored": total_stored,
        "stored_during_outage": rooms * during,
        "warm_caught_up": warm_ok is not None,
        "restart_s": round(healthy - killed, 2),
        "outage_writes_s": round(outage_written - killed, 2),
        "reconnected": reconnected,
        "caught_up": done is not None,
        "time_to_all_caught_up_s": round(done - killed, 2) if done else None,
        # Negative when every client was caught up before the health probe got its answer.
        "after_server_healthy_s": round(done - healthy, 2) if done else None,
        # Stored messages some client still did not hold when the scenario gave up (0 if caught up).
        "lost": missing(),
        "duplicated": stats["duplicated"],
        "resync": stats["resync"],
        "failed_attempts": stats["failed_attempts"],
        "failures": stats["failures"],
        "server_rss_mib": [round(r / 2**20, 1) for r in ServerMeter(server.pids([0])).rss()],  # the new process
    }


async def smoke(server, kind: str = "rooms") -> dict:
    """A few seconds at tiny scale, for the test suite: 2 rooms x 3 members, 20 messages."""
    names = _room_names("smoke", 2)
    server.create_rooms(names)
    population = Population(server, kind)
    connected = await population.connect(names, 3, cookies=server.ensure_users(6))
    meter = ServerMeter(server.pids([0]))
    try:
        load = await population.run_load(20, 1.0, drain=5.0, meter=meter)
    finally:
        await population.close()
    return {"shape": {"rooms": 2, "members": 3}, "connections": connected, **load, "held": held(load)}
