"""Rooms under load, against the stock Channels tutorial consumer in the same run.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/run.py --scenario all --runs 3

Scenarios (docs/benchmarks.md): s1 chatty rooms, s2 big room, s3 saturation, s4 idle memory,
s5 reconnect storm; `all` is all five. Each run starts the baseline (bench/baseline/ on one
Daphne) and Rooms (two Daphne processes on PostgreSQL and Redis, tests/support/live.py) fresh,
one after the other. The load generator is pinned to core 0 and the loaded server process to
core 1. Prints, and writes to --out, one JSON document with every run and the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import scenarios  # noqa: E402
from bench.servers import BENCH_ENV, BaselineServer, RoomsServer, cores, pin_loadgen, raise_fd_limit  # noqa: E402

ALL = ["s1", "s2", "s3", "s4", "s5"]


async def run_target(kind: str, args, tmp: Path, run_index: int) -> dict:
    server = (
        RoomsServer(tmp, None if args.embedded else args.redis, processes=1 if args.embedded else 2)
        if kind == "rooms"
        else BaselineServer(tmp, args.redis, layer=args.baseline_layer)
    )
    server.start()
    out: dict = {}
    try:
        for name in args.scenarios:
            began = time.perf_counter()
            if name in ("s1", "s2"):
                rate = args.s1_rate if name == "s1" else args.s2_rate
                profile = None
                if args.profile and name == "s1":
                    profile = Path(args.profile) / f"{kind}-s1-run{run_index}.txt"
                out[name] = await scenarios.steady(
                    server,
                    kind,
                    name,
                    rate=rate,
                    duration=args.duration,
                    processes=args.serve_processes if kind == "rooms" else 1,
                    profile=profile,
                )
            elif name == "s3":
                out[name] = await scenarios.saturation(
                    server,
                    kind,
                    step_s=args.step,
                    processes=args.serve_processes if kind == "rooms" else 1,
                    shapes=args.s3_shapes,
                )
            elif name == "s4":
                out[name] = await scenarios.idle_memory(server, kind, connections=args.s4_connections)
            elif name == "s5":
                if kind != "rooms" or args.embedded:
                    # The tutorial stores nothing: there is nothing to catch up on. The embedded
                    # default is one process: nothing writes while it is down.
                    continue
                out[name] = await scenarios.reconnect_storm(server, clients=args.s5_clients)
            out[name]["scenario_wall_s"] = round(time.perf_counter() - began, 1)
            print(f"[run {run_index}] {kind} {name}: {brief(name, out[name])}", file=sys.stderr, flush=True)
    finally:
        server.stop()
    return out


def brief(name: str, result: dict) -> str:
    if name in ("s1", "s2", "smoke"):
        return (
            f"{result['deliveries_per_s']}/s lost={result['lost']} dup={result['duplicated']} "
            f"p50={result['latency_ms']['p50']} p99={result['latency_ms']['p99']} ms "
            f"cpu={result['server']['cpu_pct']}% {result['server']['cpu_us_per_delivery']} us/delivery"
        )
    if name == "s3":
        return ", ".join(
            f"{shape}: {r['highest_held_msgs_per_s']} msg/s = {r['highest_held_deliveries_per_s']}/s"
            for shape, r in result.items()
            if isinstance(r, dict)
        )
    if name == "s4":
        return f"{result['connections']['opened']} open, {result['kib_per_connection']} KiB/connection"
    if name == "s5":
        return (
            f"caught up in {result['time_to_all_caught_up_s']} s (restart {result['restart_s']} s), "
            f"lost={result['lost']} dup={result['duplicated']}"
        )
    return ""


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[dict]) -> dict:
    """Medians over runs of the figures the targets are about, with Rooms/baseline ratios."""
    out: dict = {}

    def med(kind, path):
        vals = []
        for run in runs:
            node = run.get(kind, {})
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            vals.append(node)
        return _median(vals)

    for name in ("s1", "s2"):
        row = {}
        for kind in ("rooms", "baseline"):
            row[kind] = {
                "deliveries_per_s": med(kind, [name, "deliveries_per_s"]),
                "p50_ms": med(kind, [name, "latency_ms", "p50"]),
                "p99_ms": med(kind, [name, "latency_ms", "p99"]),
                "lost": med(kind, [name, "lost"]),
                "duplicated": med(kind, [name, "duplicated"]),
                "cpu_us_per_delivery": med(kind, [name, "server", "cpu_us_per_delivery"]),
            }
        r, b = row["rooms"], row["baseline"]
        if r["p99_ms"] and b["p99_ms"]:
            row["p99_ratio_rooms_over_baseline"] = round(r["p99_ms"] / b["p99_ms"], 2)
        if r["cpu_us_per_delivery"] and b["cpu_us_per_delivery"]:
            row["cpu_ratio_rooms_over_baseline"] = round(r["cpu_us_per_delivery"] / b["cpu_us_per_delivery"], 2)
        out[name] = row
    s3 = {}
    for shape in ("s1", "s2"):
        row = {kind: med(kind, ["s3", shape, "highest_held_deliveries_per_s"]) for kind in ("rooms", "baseline")}
        if row["rooms"] is not None and row["baseline"]:
            row["ratio_rooms_over_baseline"] = round(row["rooms"] / row["baseline"], 2)
        s3[shape] = row
    out["s3"] = s3
    out["s4"] = {kind: med(kind, ["s4", "kib_per_connection"]) for kind in ("rooms", "baseline")}
    out["s5"] = {key: med("rooms", ["s5", key]) for key in ("time_to_all_caught_up_s", "lost", "duplicated")}
    return out


def write_report(report: dict, out: str | None) -> None:
    """Print a benchmark's JSON, and write it to `out` too when given."""
    text = json.dumps(report, indent=1)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n")
    print(text)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="all", help="comma-separated: s1,s2,s3,s4,s5 or all")
    parser.add_argument("--target", default="both", choices=["both", "rooms", "baseline"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--duration", type=float, default=15.0, help="S1/S2 load seconds")
    parser.add_argument("--step", type=float, default=5.0, help="S3 seconds per rate step")
    parser.add_argument(
        "--s3-shapes", default="s1,s2", help="S3's shapes: s1 (50 x 10), s2 (1 x 500) or both (a full run)"
    )
    parser.add_argument("--s1-rate", type=float, default=200.0)
    parser.add_argument("--s2-rate", type=float, default=10.0)
    parser.add_argument("--s4-connections", type=int, default=5000)
    parser.add_argument("--s5-clients", type=int, default=1000)
    parser.add_argument(
        "--serve-processes",
        type=int,
        default=1,
        choices=[1, 2],
        help="Rooms processes the S1-S3 clients are spread over (2 = one per core, unpinned load)",
    )
    parser.add_argument("--baseline-layer", default="pubsub", choices=["pubsub", "core"])
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test",
        help="admin URL: each run gets a fresh database beside it (sqlite:// for SQLite)",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="Rooms as `make run` serves it: one process, SQLite, no Redis (the in-process layer)",
    )
    parser.add_argument("--profile", help="directory: py-spy record (raw) of Rooms process 0 during S1")
    parser.add_argument("--out", help="write the JSON here too")
    args = parser.parse_args()
    args.scenarios = ALL if args.scenario == "all" else [s.strip() for s in args.scenario.split(",")]
    args.s3_shapes = [s.strip() for s in args.s3_shapes.split(",")]
    if args.embedded:
        args.database = "sqlite://"
    os.environ["DATABASE_URL"] = "" if args.database.startswith("sqlite") else args.database

    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    fds = raise_fd_limit()
    pin_loadgen()
    kinds = ["baseline", "rooms"] if args.target == "both" else [args.target]
    meta = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": git_commit(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadgen_affinity": sorted(os.sched_getaffinity(0)),
        "all_cores": sorted(cores()),
        "fd_limit": fds,
        "loadavg_at_start": os.getloadavg(),
        "database": "postgresql" if args.database.startswith("postgres") else "sqlite",
        "redis": None if args.embedded else args.redis,
        "baseline_layer": args.baseline_layer,
        "rooms_env": BENCH_ENV,
        "args": {k: v for k, v in vars(args).items() if k not in {"database"}},
    }
    runs = []
    with tempfile.TemporaryDirectory(prefix="rooms-bench-") as tmp:
        for index in range(1, args.runs + 1):
            run = {"run": index}
            for kind in kinds:
                run[kind] = asyncio.run(run_target(kind, args, Path(tmp), index))
            runs.append(run)
    meta["loadavg_at_end"] = os.getloadavg()
    write_report({"meta": meta, "runs": runs, "median": summarise(runs)}, args.out)


if __name__ == "__main__":
    main()
