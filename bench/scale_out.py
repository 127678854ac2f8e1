"""S3's chatty shape behind the shipped nginx with 1, 2, 4, 8… Daphne processes: how far Rooms
scales out on one machine, and which part runs out of CPU first.

    .venv/bin/python bench/scale_out.py --processes 1,2 --out bench/results/<name>.json
    # the whole curve, on a machine with the cores for it (one load generator per 4 servers):
    .venv/bin/python bench/scale_out.py --processes 1,2,4,8 --loadgens 2 --out bench/results/<name>.json

Each point starts afresh: N Daphne processes started by deploy/daphne/run.sh with production
settings, on a fresh PostgreSQL database and the shared Redis (pub/sub layer), and nginx with
the shipped rooms.conf and rooms-upstream.conf, the upstream listing the N processes. nginx ends
TLS on loopback with a throwaway CA; the config's other changes are tests/deploy/topology.py's,
with the shipped socket timeouts and the per-address socket limit lifted (every client comes
from 127.0.0.1). Clients sign in on a Daphne process directly (not measured), then open their
sockets through nginx (wss), which spreads them over the processes (least_conn). The load is
S3's chatty shape (50 rooms × 10 members, the rate raised ×1.5 per step until a step's p99
passes 250 ms or it loses a message: bench/scenarios.py).

Cores. The load generators (`--loadgens` processes, each driving its share of the rooms) take
the first cores, one each; the server side gets the rest: Daphne processes pinned round robin,
nginx with a worker per server core. PostgreSQL and Redis are the machine's own services and are
not pinned. On a 2-core machine that leaves one core for every Daphne process: the point with 2
processes measures what scaling out costs, not what it gains (`--server-cores` overrides).
Every step records the CPU of each part (Daphne, nginx, PostgreSQL, Redis, the load
generators), as % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.connect_storm import service_cpu_seconds  # noqa: E402
from bench.loadgen import Population, percentiles  # noqa: E402
from bench.run import git_commit, write_report  # noqa: E402
from bench.scenarios import S3_STEPS, SHAPES, USER_POOL, _room_names, held  # noqa: E402
from bench.servers import BENCH_ENV, RoomsServer, cores, pin, raise_fd_limit  # noqa: E402
from tests.deploy.topology import Limits, Nginx, make_certificates, nginx_binary  # noqa: E402

# The shipped timeouts; sockets per address far above what one address opens here.
NGINX_LIMITS = Limits(ws_proxy_timeout_s=3600, ws_connections_per_client=60_000, signin_rate_per_second=1)
STEP_DRAIN_S = 3.0


# --- The load generators: worker processes, each with its own event loop and rooms ----------


class _ThroughNginx:
    """What a Population needs of a server, for sockets opened through nginx."""

    kind = "rooms"

    def __init__(self, ws_origin: str, origin: str, cafile: str):
        import ssl

        self.ws_origin, self.origin = ws_origin, origin
        self.ssl = ssl.create_default_context(cafile=cafile)

    def ws_url(self, index: int, room: str, since: int | None = None) -> str:
        return f"{self.ws_origin}/ws/rooms/{room}/" + (f"?since={since}" if since is not None else "")

    def headers(self, index: int, cookie: str) -> dict:
        return {"Cookie": cookie, "Origin": self.origin}


class _NoMeter:
    """The parent measures the servers; a worker measures nothing."""

    def snapshot(self) -> dict:
        return {}

    def since(self, start: dict, deliveries: int) -> dict:
        return {}


def _worker(conn, core: int | None) -> None:
    if core is not None:
        os.sched_setaffinity(0, {core})
    raise_fd_limit()
    population: Population | None = None

    async def serve() -> None:
        nonlocal population
        while True:
            command, *args = await asyncio.to_thread(conn.recv)
            if command == "connect":
                target_args, names, members, cookies = args
                population = Population(_ThroughNginx(*target_args), "rooms")
                conn.send(await population.connect(names, members, cookies=cookies))
            elif command == "load":
                rate, step_s = args
                assert population is not None
                conn.send(
                    await population.run_load(rate, step_s, drain=STEP_DRAIN_S, meter=_NoMeter(), keep_latencies=True)
                )
            elif command == "close":
                if population is not None:
                    await population.close()
                conn.send(None)
                return

    asyncio.run(serve())


class LoadGenerators:
    def __init__(self, count: int, loadgen_cores: list[int | None]):
        context = multiprocessing.get_context("spawn")
        self.conns, self.procs = [], []
        for index in range(count):
            parent, child = context.Pipe()
            proc = context.Process(target=_worker, args=(child, loadgen_cores[index % len(loadgen_cores)]), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]

    def ask(self, commands: list[tuple]) -> list[Any]:
        for conn, command in zip(self.conns, commands, strict=True):
            conn.send(command)
        return [conn.recv() for conn in self.conns]

    def stop(self) -> None:
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()


# --- CPU per part ------------------------------------------------------------------------------


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
        return times.user + times.system
    except psutil.NoSuchProcess:
        return 0.0  # ended meanwhile: its time is lost either way


class PartsMeter:
    """CPU seconds so far of each part of the server side, and of the load generators."""

    def __init__(self, daphne_pids: list[int], nginx_pid: int, loadgen_pids: list[int]):
        self.daphne = [psutil.Process(pid) for pid in daphne_pids]
        self.nginx = psutil.Process(nginx_pid)
        self.loadgens = [psutil.Process(pid) for pid in loadgen_pids]

    def snapshot(self) -> dict[str, float]:
        parts = {"daphne": sum(_cpu(p) for p in self.daphne), **service_cpu_seconds()}
        parts["nginx"] = _cpu(self.nginx) + sum(_cpu(p) for p in self.nginx.children())
        parts["loadgen"] = sum(_cpu(p) for p in self.loadgens)
        parts["at"] = time.perf_counter()
        return parts

    @staticmethod
    def between(start: dict[str, float], end: dict[str, float], deliveries: int) -> dict:
        wall = max(1e-9, end["at"] - start["at"])
        used = {part: end[part] - start[part] for part in start if part != "at"}
        server_side = sum(seconds for part, seconds in used.items() if part != "loadgen")
        return {
            "cpu_pct": {part: round(100 * seconds / wall, 1) for part, seconds in used.items()},
            "server_side_cpu_pct": round(100 * server_side / wall, 1),
            "server_side_us_per_delivery": round(1e6 * server_side / deliveries, 1) if deliveries else None,
        }


# --- One point of the curve ---------------------------------------------------------------------


def _merge(loads: list[dict], rate: float, step_s: float) -> dict:
    latencies = [value for load in loads for value in load["latencies_s"]]
    expected = sum(load["deliveries_expected"] for load in loads)
    received = sum(load["deliveries_received"] for load in loads)
    return {
        "rate_msgs_per_s": rate,
        "send_errors": sum(load["send_errors"] for load in loads),
        "lost": expected - received,
        "duplicated": sum(load["duplicated"] for load in loads),
        "offered_deliveries_per_s": round(expected / step_s),
        "deliveries_per_s": sum(load["deliveries_per_s"] for load in loads),
        "latency_ms": percentiles(latencies),
    }


def run_point(processes: int, args, tmp: Path, server_cores: list[int], loadgen_cores: list[int | None]) -> dict:
    certs = make_certificates(tmp)
    server = RoomsServer(tmp, args.redis, processes=processes, pin_cores=False)
    server.site.extra_env["ALLOWED_HOSTS"] = "localhost,127.0.0.1"
    if server_cores:
        server.site.on_spawn = lambda index, proc: pin(proc.pid, {server_cores[index % len(server_cores)]})
    nginx = loadgens = None
    try:
        server.start()
        limits = Limits(
            **{**NGINX_LIMITS.__dict__, "worker_processes": max(1, len(server_cores)), "worker_connections": 8192}
        )
        nginx = Nginx(
            tmp / f"nginx-{processes}",
            daphne_ports=server.site.ports,
            certs=certs,
            static_root=ROOT / "staticfiles",
            limits=limits,
        ).start()
        if server_cores:
            for process in [psutil.Process(nginx.proc.pid), *psutil.Process(nginx.proc.pid).children()]:
                pin(process.pid, set(server_cores))
        rooms, members = SHAPES["s1"]
        names = _room_names("scale", rooms)
        server.create_rooms(names)
        cookies = server.ensure_users(min(USER_POOL, rooms * members))
        loadgens = LoadGenerators(args.loadgens, loadgen_cores)
        target = (nginx.ws_origin, nginx.origin, str(certs["ca"]))
        shares = [names[index :: args.loadgens] for index in range(args.loadgens)]
        connected = loadgens.ask([("connect", target, share, members, cookies) for share in shares])
        meter = PartsMeter(server.pids(), nginx.proc.pid, loadgens.pids())
        time.sleep(2)
        steps, best = [], None
        for rate in S3_STEPS["s1"][: args.max_steps]:
            start = meter.snapshot()
            loads = loadgens.ask([("load", rate * len(share) / rooms, args.step) for share in shares])
            step = _merge(loads, rate, args.step)
            step.update(PartsMeter.between(start, meter.snapshot(), sum(load["deliveries_received"] for load in loads)))
            step["held"] = held(step)
            steps.append(step)
            print(f"  {processes} process(es), {rate} msg/s: {brief(step)}", file=sys.stderr, flush=True)
            if not step["held"]:
                break
            best = step
            time.sleep(2)  # the servers work off the step's tail before the next
        return {
            "processes": processes,
            "connected": {
                "opened": sum(c["opened"] for c in connected),
                "failed": sum(c["failed"] for c in connected),
                "connect_wall_s": max(c["connect_wall_s"] for c in connected),
            },
            "spread_over_processes": sockets_per_process(server),
            "highest_held_msgs_per_s": best["rate_msgs_per_s"] if best else None,
            "highest_held_deliveries_per_s": best["offered_deliveries_per_s"] if best else 0,
            "steps": steps,
        }
    finally:
        if loadgens is not None:
            try:
                loadgens.ask([("close",)] * args.loadgens)
            finally:
                loadgens.stop()
        if nginx is not None:
            nginx.stop()
        server.stop()


def sockets_per_process(server: RoomsServer) -> list[int]:
    """Established TCP connections on each Daphne port: how nginx spread the sockets."""
    ports = server.site.ports
    counts = dict.fromkeys(ports, 0)
    for connection in psutil.net_connections("tcp"):
        if connection.status == psutil.CONN_ESTABLISHED and connection.laddr and connection.laddr.port in counts:
            counts[connection.laddr.port] += 1
    return [counts[port] for port in ports]


def brief(step: dict) -> str:
    return (
        f"held={step['held']} lost={step['lost']} p50={step['latency_ms']['p50']} p99={step['latency_ms']['p99']} ms "
        f"cpu%={step['cpu_pct']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", default="1,2", help="comma-separated: the Daphne processes of each point")
    parser.add_argument("--loadgens", type=int, default=1, help="load generator processes, one core each")
    parser.add_argument("--server-cores", help="comma-separated cores for the server side (default: the rest)")
    parser.add_argument("--step", type=float, default=5.0, help="seconds per rate step")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, help="stop after this many steps (the smoke test's)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test",
        help="PostgreSQL admin URL: each point gets a fresh database beside it",
    )
    parser.add_argument("--out", help="write the JSON here too")
    args = parser.parse_args()
    if nginx_binary() is None:
        sys.exit("nginx is not installed: tests/support/ensure-services.sh installs it")
    os.environ["DATABASE_URL"] = args.database
    counts = [int(n) for n in args.processes.split(",")]

    machine = sorted(cores())
    loadgen_cores: list[int | None] = list(machine[: args.loadgens]) if len(machine) > args.loadgens else [None]
    if args.server_cores:
        server_cores = [int(c) for c in args.server_cores.split(",")]
    else:
        server_cores = [c for c in machine if c not in loadgen_cores]
    os.sched_setaffinity(0, set(machine))  # the parent only orchestrates
    report: dict = {
        "meta": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commit": git_commit(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadgen_cores": loadgen_cores,
            "server_cores": server_cores,
            "loadavg_at_start": os.getloadavg(),
            "rooms_env": BENCH_ENV,
            "nginx_limits": NGINX_LIMITS.__dict__,
            "args": {k: v for k, v in vars(args).items() if k != "database"},
        },
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="rooms-scale-") as tmp:
        for run in range(1, args.runs + 1):
            points = []
            for processes in counts:
                print(f"[run {run}] {processes} Daphne process(es) behind nginx", file=sys.stderr, flush=True)
                point_dir = Path(tmp) / f"run{run}-{processes}"
                point_dir.mkdir()
                points.append(run_point(processes, args, point_dir, server_cores, loadgen_cores))
            report["runs"].append(points)
    report["median_highest_held_msgs_per_s"] = {
        str(n): statistics.median(
            [
                point["highest_held_msgs_per_s"] or 0
                for run in report["runs"]
                for point in run
                if point["processes"] == n
            ]
        )
        for n in counts
    }
    report["meta"]["loadavg_at_end"] = os.getloadavg()
    write_report(report, args.out)


if __name__ == "__main__":
    main()
