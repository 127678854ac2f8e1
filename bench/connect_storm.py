"""What one socket open costs the server: N sockets opened 64 at a time against Rooms process 0.

    .venv/bin/python bench/connect_storm.py [--sockets 1000] [--profile PROFILE.txt]

Starts Rooms as bench/run.py does (PostgreSQL from DATABASE_URL or the local server, Redis,
two Daphne processes through deploy/daphne/run.sh, process 0 pinned to core 1), signs in one
guest per two sockets, and opens the sockets in 20 rooms, half of them with `?since=0`, each
waiting for its `hello`. Prints the wall time and process 0's CPU per handshake as JSON. With
--profile, py-spy records process 0 meanwhile (`--gil`: only the thread holding the GIL, so the
samples add up to where the process's time goes); read it with bench/profile_summary.py.
It also reports the CPU every PostgreSQL and Redis process on the machine used meanwhile.
This is the cost S5's reconnect storm and S2's room filling are made of (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.servers import RoomsServer, pin_loadgen, raise_fd_limit  # noqa: E402

ROOMS = 20
AT_ONCE = 64


def start_recorder(pid: int, out: Path) -> subprocess.Popen:
    py_spy = Path(sys.executable).parent / "py-spy"  # the venv's, from bench/requirements.txt
    return subprocess.Popen(
        [str(py_spy), "record", "--gil", "--nonblocking", "--rate", "200", "--format", "raw"]
        + ["--output", str(out), "--pid", str(pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def service_cpu_seconds() -> dict[str, float]:
    """CPU so far of every PostgreSQL and Redis process on the machine (they serve only the
    benchmark here): what a handshake costs them, beside the server process's own."""
    totals = {"postgresql": 0.0, "redis": 0.0}
    for process in psutil.process_iter(["name"]):
        name = process.info["name"] or ""
        kind = "postgresql" if name.startswith("postgres") else "redis" if name.startswith("redis-server") else None
        if kind is None:
            continue
        try:
            totals[kind] += cpu_seconds(process)
        except psutil.NoSuchProcess:
            continue  # a backend that ended meanwhile: its time is lost either way
    return totals


async def storm(server: RoomsServer, sockets: int, profile: Path | None) -> dict:
    names = [f"storm-{n}" for n in range(ROOMS)]
    server.create_rooms(names)
    cookies = server.ensure_users(max(1, sockets // 2))
    opened = []
    gate = asyncio.Semaphore(AT_ONCE)

    async def open_one(n: int) -> None:
        async with gate:
            ws = await websockets.connect(
                server.ws_url(0, names[n % ROOMS], 0 if n % 2 else None),
                additional_headers=server.headers(0, cookies[n % len(cookies)]),
                compression=None,
                ping_interval=None,
                max_size=None,
                open_timeout=60,
            )
            await ws.recv()  # hello
            opened.append(ws)

    pid = server.pids([0])[0]
    recorder = None
    if profile is not None:
        recorder = start_recorder(pid, profile)
        await asyncio.sleep(1)
    process = psutil.Process(pid)
    services_before = service_cpu_seconds()
    cpu_before, started = cpu_seconds(process), time.perf_counter()
    await asyncio.gather(*(open_one(n) for n in range(sockets)))
    wall, cpu = time.perf_counter() - started, cpu_seconds(process) - cpu_before
    services = {name: seconds - services_before[name] for name, seconds in service_cpu_seconds().items()}
    if recorder is not None:
        recorder.send_signal(2)
        recorder.wait()
    for ws in opened:
        await ws.close()
    return {
        "sockets": sockets,
        "wall_s": round(wall, 2),
        "server_cpu_ms_per_handshake": round(cpu * 1000 / sockets, 2),
        # PostgreSQL's backends lose their time when they end: these are lower bounds.
        "postgresql_cpu_ms_per_handshake": round(services["postgresql"] * 1000 / sockets, 2),
        "redis_cpu_ms_per_handshake": round(services["redis"] * 1000 / sockets, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    raise_fd_limit()
    pin_loadgen()
    server = RoomsServer(Path(tempfile.mkdtemp()), os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0").start()
    try:
        result = asyncio.run(storm(server, args.sockets, args.profile))
    finally:
        server.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    report = {"commit": commit.stdout.strip(), "args": {"sockets": args.sockets}, **result}
    print(json.dumps(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
