"""The load generator: many WebSocket clients in one asyncio process.

A `Population` is a set of connected members, grouped in rooms, on one server. `run_load`
sends messages open-loop at a fixed rate (each from a member of its room, round robin) and
counts, per member, every copy that comes back: latency from the moment the frame was
written to the socket, losses (expected copies that never came) and duplicates (a member
getting the same message twice). Rooms clients speak docs/protocol.md (`send` with a
`client_id`, `ack`, `message.new`); baseline clients speak the tutorial's `{"message": …}`.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field

import orjson
import psutil
import websockets
from websockets.exceptions import ConnectionClosed

# The browser app's ping period (frontend/src/lib/socket.ts).
APP_PING_SECONDS = 25.0

# A typical chat line; the baseline carries the same bytes after its message key.
PAD = "the quick brown fox jumps over the lazy dog, then sits down for tea"
# Daphne drops a handshake the application has not accepted within 5 s; more sockets
# connecting at once than the server can accept in that time only turns into retries.
CONNECT_CONCURRENCY = 16
CONNECT_ATTEMPTS = 5


def percentiles(values: list[float], scale: float = 1000.0) -> dict:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)
    last = len(ordered) - 1

    def at(q: float) -> float:
        return round(ordered[min(last, int(q * len(ordered)))] * scale, 2)

    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(ordered[last] * scale, 2)}


def scrape_gc_pauses(url: str) -> dict[str, list[float]]:
    """A Rooms process's garbage collections so far, from its /metrics/ (rooms/metrics.py), per
    generation: [collections, seconds paused in all, collections over 10 ms]."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return {}
    out: dict[str, list[float]] = {}
    for line in text.splitlines():
        if not line.startswith("rooms_gc_pause_seconds"):
            continue
        name, value = line.rsplit(" ", 1)
        generation = name.split('generation="')[1].split('"')[0]
        entry = out.setdefault(generation, [0.0, 0.0, 0.0])
        if name.startswith("rooms_gc_pause_seconds_count"):
            entry[0] = float(value)
            entry[2] += float(value)
        elif name.startswith("rooms_gc_pause_seconds_sum"):
            entry[1] = float(value)
        elif 'le="0.01"' in name:
            entry[2] -= float(value)
    return out


class ServerMeter:
    """CPU seconds and resident memory of the server processes (and of this process), and,
    given their /metrics/ URLs, their garbage collections."""

    def __init__(self, pids: list[int], metrics_urls: list[str] | None = None):
        self.procs = [psutil.Process(pid) for pid in pids]
        self.me = psutil.Process()
        self.metrics_urls = metrics_urls or []

    @staticmethod
    def _cpu(proc: psutil.Process) -> float:
        try:
            times = proc.cpu_times()
            return times.user + times.system
        except psutil.NoSuchProcess:
            return 0.0

    def snapshot(self, *, with_gc: bool = True) -> dict:
        return {
            "at": time.perf_counter(),
            "cpu": [self._cpu(p) for p in self.procs],
            "me": self._cpu(self.me),
            "gc": [scrape_gc_pauses(url) for url in self.metrics_urls] if with_gc else [],
        }

    @staticmethod
    def _gc_between(start: dict[str, list[float]], end: dict[str, list[float]]) -> dict:
        out = {}
        for generation, (count, seconds, long_ones) in sorted(end.items()):
            before = start.get(generation, [0.0, 0.0, 0.0])
            out[generation] = {
                "collections": int(count - before[0]),
                "pause_ms": round((seconds - before[1]) * 1000, 1),
                "over_10_ms": int(long_ones - before[2]),
            }
        return out

    def rss(self) -> list[int]:
        out = []
        for proc in self.procs:
            try:
                out.append(proc.memory_info().rss)
            except psutil.NoSuchProcess:
                out.append(0)
        return out

    def since(self, start: dict, deliveries: int) -> dict:
        end = self.snapshot()
        wall = max(1e-9, end["at"] - start["at"])
        cpu = [round(b - a, 3) for a, b in zip(start["cpu"], end["cpu"], strict=True)]
        total = sum(cpu)
        return {
            "pids": [p.pid for p in self.procs],
            "cpu_s": cpu,
            "cpu_pct": [round(100 * c / wall, 1) for c in cpu],
            "cpu_us_per_delivery": round(1e6 * total / deliveries, 1) if deliveries else None,
            "rss_mib": [round(r / 2**20, 1) for r in self.rss()],
            "loadgen_cpu_pct": round(100 * (end["me"] - start["me"]) / wall, 1),
            # Where each server ran: the proof that the load generator did not share its core.
            "cores": [self._cores(p) for p in self.procs],
            # Per process, per generation: collections, the time they stopped it, how many took over 10 ms.
            "gc": [self._gc_between(a, b) for a, b in zip(start["gc"], end["gc"], strict=True)],
        }

    @staticmethod
    def _cores(proc: psutil.Process) -> list[int]:
        try:
            return sorted(proc.cpu_affinity())
        except psutil.NoSuchProcess:
            return []

    async def wait_quiet(self, threshold_pct: float = 15.0, timeout: float = 60.0, interval: float = 0.5) -> float:
        """Wait until the servers stop working off a previous phase (joins, leaves, backlog)."""
        started = time.perf_counter()
        previous = self.snapshot(with_gc=False)
        while time.perf_counter() - started < timeout:
            await asyncio.sleep(interval)
            now = self.snapshot(with_gc=False)
            busy = max((b - a for a, b in zip(previous["cpu"], now["cpu"], strict=True)), default=0.0)
            previous = now
            if 100 * busy / interval < threshold_pct:
                break
        return round(time.perf_counter() - started, 2)


@dataclass(eq=False)
class Member:
    index: int
    room: int
    ws: websockets.ClientConnection | None = None
    seen: set = field(default_factory=set)
    reader: asyncio.Task | None = None


@dataclass
class Window:
    """The books of one measured load."""

    tag: str
    members_per_room: list[int]
    send_at: dict = field(default_factory=dict)  # client_id -> perf_counter at send
    sender: dict = field(default_factory=dict)  # client_id -> member index
    room_of: dict = field(default_factory=dict)  # client_id -> room index
    sent: int = 0
    send_errors: int = 0
    error_codes: dict = field(default_factory=dict)
    expected: int = 0
    received: int = 0
    duplicated: int = 0
    latencies: list = field(default_factory=list)
    acks: list = field(default_factory=list)
    first_send: float = 0.0
    last_delivery: float = 0.0
    sent_all: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Population:
    def __init__(self, server, kind: str):
        self.server = server
        self.kind = kind  # "rooms" or "baseline"
        self.members: list[Member] = []
        self.rooms: list[list[Member]] = []
        self.room_names: list[str] = []
        self.window: Window | None = None
        self.connect_times: list[float] = []
        self.failed = 0  # sockets that never opened, after CONNECT_ATTEMPTS tries
        self.retries = 0
        self.failures: dict = {}  # per attempt, by error
        self.closed_unexpectedly = 0
        self._counter = 0
        self.heartbeat: asyncio.Task | None = None
        self.presence_frames = 0  # heard by all members: what filling the rooms cost in frames

    # --- connecting ---

    async def connect(
        self, room_names: list[str], members_per_room: int, *, cookies: list[str], processes: int = 1
    ) -> dict:
        self.room_names = room_names
        self.rooms = [[] for _ in room_names]
        total = len(room_names) * members_per_room
        sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
        started = time.perf_counter()

        async def one(i: int) -> None:
            room = i % len(room_names)
            member = Member(index=i, room=room)
            ok = False
            for attempt in range(CONNECT_ATTEMPTS):
                if attempt:
                    self.retries += 1
                    await asyncio.sleep(0.5 * 2**attempt)
                async with sem:
                    ok = await self._open(member, cookies[i % len(cookies)], process=i % processes)
                if ok:
                    break
            if not ok:
                self.failed += 1
            if ok:
                self.members.append(member)
                self.rooms[room].append(member)

        await asyncio.gather(*(one(i) for i in range(total)))
        if self.kind == "rooms" and self.heartbeat is None:
            self.heartbeat = asyncio.create_task(self._ping_like_the_app())
        return {
            "requested": total,
            "opened": len(self.members),
            "failed": self.failed,
            "retries": self.retries,
            "failed_attempts_by_error": self.failures,
            "connect_wall_s": round(time.perf_counter() - started, 2),
            "connect_ms": percentiles(self.connect_times),
        }

    async def _open(self, member: Member, cookie: str, *, process: int, since: int | None = None) -> bool:
        url = self.server.ws_url(process, self.room_names[member.room], since)
        started = time.perf_counter()
        try:
            ws = await websockets.connect(
                url,
                additional_headers=self.server.headers(process, cookie),
                ssl=getattr(self.server, "ssl", None),  # a server behind TLS gives its context
                compression=None,
                ping_interval=None,
                max_size=None,
                open_timeout=60,
                close_timeout=2,
            )
            if self.kind == "rooms":
                first = orjson.loads(await asyncio.wait_for(ws.recv(), 60))
                if first.get("type") != "hello":
                    raise RuntimeError(f"first frame {first.get('type')}")
        except (OSError, TimeoutError, ConnectionClosed, websockets.InvalidHandshake, RuntimeError) as error:
            name = type(error).__name__
            if isinstance(error, ConnectionClosed) and error.rcvd is not None:
                name = f"close {error.rcvd.code}"
            self.failures[name] = self.failures.get(name, 0) + 1
            return False
        self.connect_times.append(time.perf_counter() - started)
        member.ws = ws
        member.reader = asyncio.create_task(self._read(member))
        return True

    async def _ping_like_the_app(self) -> None:
        """Every member pings every 25 s, as the browser app does, spread over the period: the
        server closes a socket silent for PRESENCE_TTL (60 s) with 4408."""
        ping = orjson.dumps({"type": "ping"}).decode()
        while True:
            members = [m for m in self.members if m.ws is not None]
            for member in members:
                await asyncio.sleep(APP_PING_SECONDS / max(1, len(members)))
                try:
                    await member.ws.send(ping)
                except ConnectionClosed:
                    pass
            if not members:
                await asyncio.sleep(APP_PING_SECONDS)

    async def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None
        for member in self.members:
            if member.reader is not None:
                member.reader.cancel()
        sem = asyncio.Semaphore(256)

        async def one(member: Member) -> None:
            async with sem:
                try:
                    await asyncio.wait_for(member.ws.close(), 5)
                except (TimeoutError, ConnectionClosed, OSError):
                    pass

        await asyncio.gather(*(one(m) for m in self.members if m.ws is not None))
        self.members, self.rooms = [], []

    # --- receiving ---

    async def _read(self, member: Member) -> None:
        rooms = self.kind == "rooms"
        try:
            async for raw in member.ws:
                now = time.perf_counter()
                if rooms and raw.startswith('{"type":"presence"'):
                    self.presence_frames += 1
                    continue
                window = self.window
                if window is None:
                    continue
                frame = orjson.loads(raw)
                if rooms:
                    kind = frame.get("type")
                    if kind == "message.new":
                        self._delivered(window, member, frame["message"]["client_id"], now)
                    elif kind == "ack":
                        sent_at = window.send_at.get(frame["client_id"])
                        if sent_at is not None:
                            window.acks.append(now - sent_at)
                    elif kind == "error":
                        window.send_errors += 1
                        code = frame.get("code")
                        window.error_codes[code] = window.error_codes.get(code, 0) + 1
                else:
                    client_id = frame["message"].split(" ", 1)[0]
                    if window.sender.get(client_id) == member.index:
                        sent_at = window.send_at.get(client_id)
                        if sent_at is not None:
                            window.acks.append(now - sent_at)
                    self._delivered(window, member, client_id, now)
        except ConnectionClosed:
            self.closed_unexpectedly += 1

    @staticmethod
    def _delivered(window: Window, member: Member, client_id: str, now: float) -> None:
        sent_at = window.send_at.get(client_id)
        if sent_at is None:
            return  # an earlier window's, or a message we did not send
        if client_id in member.seen:
            window.duplicated += 1
            return
        member.seen.add(client_id)
        window.received += 1
        window.latencies.append(now - sent_at)
        window.last_delivery = now
        if window.received >= window.expected and window.sent_all:
            window.done.set()

    # --- sending ---

    def _frame(self, client_id: str) -> str:
        if self.kind == "rooms":
            return orjson.dumps({"type": "send", "body": PAD, "client_id": client_id}).decode()
        return orjson.dumps({"message": f"{client_id} {PAD}"}).decode()

    async def run_load(
        self, rate: float, duration: float, *, drain: float = 5.0, meter: ServerMeter, keep_latencies: bool = False
    ) -> dict:
        """Send `rate` messages per second for `duration` seconds, then wait up to `drain`
        seconds for the last copies. Returns the window's figures, with every latency in
        seconds if `keep_latencies` (to merge the figures of several load generators)."""
        self._counter += 1
        window = Window(tag=f"w{self._counter}-{time.time_ns() % 10**9}", members_per_room=[len(r) for r in self.rooms])
        for member in self.members:
            member.seen = set()
        self.window = window
        live_rooms = [r for r in range(len(self.rooms)) if self.rooms[r]]
        if not live_rooms:
            raise RuntimeError(f"no member connected: {self.failures}")
        total = max(1, int(rate * duration))
        cursor = [0] * len(self.rooms)
        start_meter = meter.snapshot()
        start = time.perf_counter()
        window.first_send = start
        n = 0
        while n < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while n < due:
                room = live_rooms[n % len(live_rooms)]
                members = self.rooms[room]
                member = members[cursor[room] % len(members)]
                cursor[room] += 1
                client_id = f"{window.tag}-{n}"
                window.send_at[client_id] = time.perf_counter()
                window.sender[client_id] = member.index
                window.room_of[client_id] = room
                window.expected += len(members)
                try:
                    await member.ws.send(self._frame(client_id))
                    window.sent += 1
                except ConnectionClosed:
                    window.send_errors += 1
                    window.error_codes["closed"] = window.error_codes.get("closed", 0) + 1
                n += 1
            pause = start + n / rate - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
        send_wall = time.perf_counter() - start
        window.sent_all = True
        if window.received >= window.expected:
            window.done.set()
        try:
            await asyncio.wait_for(window.done.wait(), drain)
        except TimeoutError:
            pass
        end = window.last_delivery or time.perf_counter()
        server = meter.since(start_meter, window.received)
        self.window = None
        lost = window.expected - window.received
        span = max(1e-9, end - start)
        figures = {
            "rate_msgs_per_s": rate,
            "duration_s": duration,
            "send_wall_s": round(send_wall, 2),
            "messages_sent": window.sent,
            "send_errors": window.send_errors,
            "error_codes": window.error_codes,
            "deliveries_expected": window.expected,
            "deliveries_received": window.received,
            "lost": lost,
            "duplicated": window.duplicated,
            "deliveries_per_s": round(window.received / span),
            "offered_deliveries_per_s": round(window.expected / duration),
            "latency_ms": percentiles(window.latencies),
            "ack_ms": percentiles(window.acks),
            "server": server,
        }
        if keep_latencies:
            figures["latencies_s"] = window.latencies
        return figures
