"""A PostgreSQL database made for one benchmark run, beside the server's own, and dropped after
it: what bench/unread_rooms.py and bench/search_history.py measure in."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    database = os.environ.get("DATABASE_URL") or ""
    parser.add_argument(
        "--database",
        default=database if database.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres",
        help="admin URL of the PostgreSQL server the scratch database is made on",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (its URL is printed)")
    parser.add_argument("--out", help="write the JSON here too")


@contextmanager
def scratch_database(admin_url: str, prefix: str, *, keep: bool) -> Iterator[tuple[str, str]]:
    """(its URL, the server's version); Django's connections to it are closed at the end, and it
    is dropped unless `keep`."""
    name = f"{prefix}_{secrets.token_hex(5)}"
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        version = admin.execute("SHOW server_version").fetchone()[0]
    print(f"database {name}", file=sys.stderr, flush=True)
    try:
        yield url, version
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if keep:
            print(f"kept: {url}", file=sys.stderr, flush=True)
        else:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_report(report: dict, out: str | None) -> None:
    """Printed, and written to `out` too."""
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n")
    print(text)
