"""PostgreSQL connections opened by guest sign-ins, with and without the connection pool.

    .venv/bin/python bench/signin_connections.py [--signins 500] [--runs 3] [--out FILE]

Each run starts Rooms as deployed (two Daphne processes by deploy/daphne/run.sh, PostgreSQL,
Redis, production settings: bench/servers.py), signs in `--signins` guests through the real API
from 8 threads (CSRF token, then the sign-in: two requests each, as the browser app does), and
reads from PostgreSQL how many sessions were opened on the site's database meanwhile
(`pg_stat_database.sessions`) and how many backends it has at the end. Two configurations
alternate, run after run, on the same machine:

- `persistent`: DATABASE_POOL=0 with DATABASE_CONN_MAX_AGE=60, a persistent connection per thread;
- `pool`: the default, Django's psycopg pool (DATABASE_POOL_MAX_SIZE per process).

Prints, and writes to --out, one JSON document with every run and the medians per
configuration (docs/deploy.md, "Database connections").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.servers import RoomsServer, guest_cookie_header  # noqa: E402

CONFIGURATIONS = {
    "persistent": {"DATABASE_POOL": "0", "DATABASE_CONN_MAX_AGE": "60"},
    "pool": {"DATABASE_POOL": "1"},
}


def sessions_opened(database_url: str) -> int:
    """Sessions PostgreSQL has opened on this database since its statistics began (PG 14+)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        (count,) = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return count


def backends(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        return count


def one_run(name: str, signins: int, redis_url: str, tmp: Path) -> dict:
    server = RoomsServer(tmp / name, redis_url, processes=2, pin_cores=False)
    server.site.extra_env.update(CONFIGURATIONS[name])
    server.start()
    try:
        database_url = server.site.database.url
        before = sessions_opened(database_url)
        base = server.site.url(0)
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: guest_cookie_header(base, f"guest-{i}"), range(signins)))
        seconds = time.perf_counter() - started
        # Sessions are counted as they end; the ones still open are backends.
        time.sleep(0.5)
        return {
            "configuration": name,
            "signins": signins,
            "seconds": round(seconds, 3),
            "signins_per_second": round(signins / seconds, 1),
            "sessions_opened": sessions_opened(database_url) - before,
            "backends_at_end": backends(database_url),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signins", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--out")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.runs):
            for name in CONFIGURATIONS:
                (Path(tmp) / name).mkdir(exist_ok=True)
                run = {"run": index + 1, **one_run(name, args.signins, args.redis, Path(tmp))}
                print(json.dumps(run), flush=True)
                runs.append(run)

    medians = {}
    for name in CONFIGURATIONS:
        mine = [r for r in runs if r["configuration"] == name]
        medians[name] = {
            key: statistics.median(r[key] for r in mine)
            for key in ("seconds", "signins_per_second", "sessions_opened", "backends_at_end")
        }
        medians[name]["seconds_range"] = [min(r["seconds"] for r in mine), max(r["seconds"] for r in mine)]
    document = {"signins": args.signins, "runs": runs, "medians": medians}
    print(json.dumps(medians, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
