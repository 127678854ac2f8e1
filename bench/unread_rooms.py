"""Unread counts on the room list: `GET /api/rooms/` for a member of 100 rooms of 100,000 messages each.

    .venv/bin/python bench/unread_rooms.py [--rooms 100] [--messages-per-room 100000] [--calls 200]
        [--out bench/results/unread-room-list-100x100k.json] [--keep]

Creates a scratch PostgreSQL database beside `--database` (default: DATABASE_URL's server, or
the local one; `rooms_bench_unread_<random>`, dropped at the end unless `--keep`), migrates it with the
project's settings (chatsite.settings_dev, on PostgreSQL and Redis), and fills it with set-based
SQL (generate_series, not the ORM): `--rooms` rooms of `--messages-per-room` messages each,
gapless seq and event, by 300 authors who are members of every room, with the message indexes
built after the rows (`--insert-with-indexes` keeps them during the insert, for comparison).
The measured user is a member of every room; their read positions go round five kinds of room
(fully read, 1 % behind, 99 % behind, 10 behind, never read), 1 message in 1,000 mentions them
by name (a Mention row), and 1 in 5,000 is an @room message (some by them, some deleted). About
1 in 97 messages mentions another author, and 1 in 777 is deleted. Then VACUUM ANALYZE.

Measured in this process, through Django's test client signed in as the user: the latency of
`GET /api/rooms/` (warm-up, then `--calls` calls: median, p90, p99), and of
`membership.membership_list` alone with its query count; the same for a user with no
memberships. The two statements membership_list runs are run again under
`EXPLAIN (ANALYZE, BUFFERS)`, and the plans are checked to use the indexes `mention_user_room_seq`
and `message_room_mention` and never to scan rooms_message whole. The counts the call returns
are checked, room by room for one room of each kind, against a brute-force count over the
messages themselves (their `mentions` column, not the Mention rows).

Prints progress, and the JSON result (written to `--out` too). docs/benchmarks.md, "Unread
counts on the room list", reads `bench/results/unread-room-list-100x100k.json` (about a minute
on the 2-core benchmark machine, most of it making the corpus). A tiny run with a room of each
kind, `--rooms 5 --messages-per-room 200` (mentions and @room messages then come more often, so
that every room has some), takes a few seconds; its plans are checked with whole-table scans
disabled, as the planner rightly scans a table of a thousand rows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench import scratch_database  # noqa: E402

AUTHORS = 300
OTHER_MENTION_EVERY = 97  # a message that mentions another author
MENTION_SEQS_SHOWN = 100  # settings.ROOMS["MENTION_SEQS_MAX"]; checked below
# The measured user's read position, room by room in turn: how far behind the room's last seq,
# as a function of the messages per room.
READ_KINDS = {
    "fully read": lambda m: 0,
    "1 % behind": lambda m: m // 100,
    "99 % behind": lambda m: m * 99 // 100,
    "10 behind": lambda m: min(10, m),
    "never read": lambda m: m,
}
EXPECTED_INDEXES = ("mention_user_room_seq", "message_room_mention")
# Below this many messages the plans are checked with whole-table scans disabled.
PLAN_CHECK_MIN_MESSAGES = 100_000


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def every(default: int, per_room: int, at_least: int) -> int:
    """One message in `default`, or more often in small rooms so that each has `at_least`."""
    return min(default, max(2, per_room // at_least))


def percentiles(seconds: list[float]) -> dict:
    """Milliseconds, nearest rank (as bench/loadgen.py)."""
    ordered = sorted(seconds)
    last = len(ordered) - 1

    def at(q: float) -> float:
        return round(ordered[min(last, int(q * len(ordered)))] * 1000, 3)

    return {
        "calls": len(ordered),
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": round(ordered[last] * 1000, 3),
        "mean": round(statistics.fmean(ordered) * 1000, 3),
    }


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- The corpus ------------------------------------------------------------------------------


class Corpus:
    """Fills the migrated database with plain SQL on a connection of its own."""

    def __init__(self, url: str, rooms: int, per_room: int, batch_rooms: int, with_indexes: bool):
        self.url, self.rooms, self.per_room = url, rooms, per_room
        self.batch_rooms, self.with_indexes = batch_rooms, with_indexes
        self.mention_every = every(1000, per_room, 20)
        self.room_mention_every = every(5000, per_room, 10)
        self.deleted_every = every(777, per_room, 7)
        self.timings: dict[str, float] = {}

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.perf_counter() - started, 2)
        log(f"  {name}: {self.timings[name]} s")

    def build(self) -> dict:
        began = time.perf_counter()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute("SET synchronous_commit = off")
            started = time.perf_counter()
            self.user_id, self.empty_user_id, self.author_ids = self._users(conn)
            self.room_ids = self._rooms(conn)
            self._timed("users_and_rooms_s", started)

            dropped = [] if self.with_indexes else self._drop_message_indexes(conn)
            started = time.perf_counter()
            for first in range(0, self.rooms, self.batch_rooms):
                batch = self.room_ids[first : first + self.batch_rooms]
                with conn.transaction():
                    self._messages(conn, first, batch)
                log(f"  messages: {first + len(batch)} / {self.rooms} rooms")
            self._timed("messages_insert_s", started)
            if dropped:
                started = time.perf_counter()
                self._restore_message_indexes(conn, dropped)
                self._timed("message_indexes_s", started)

            started = time.perf_counter()
            with conn.transaction():
                self._mentions(conn)
            self._timed("mention_rows_s", started)
            started = time.perf_counter()
            with conn.transaction():
                self._memberships(conn)
            self._timed("memberships_s", started)
            started = time.perf_counter()
            conn.execute("VACUUM (ANALYZE)")
            self._timed("vacuum_analyze_s", started)
            self.timings["total_s"] = round(time.perf_counter() - began, 2)
            return self._describe(conn)

    def _users(self, conn: psycopg.Connection) -> tuple[int, int, list[int]]:
        names = ["unread-reader", "unread-newcomer"] + [f"unread-author-{n}" for n in range(AUTHORS)]
        rows = conn.execute(
            """
            INSERT INTO rooms_user (password, is_superuser, username, first_name, last_name, email,
                                    is_staff, is_active, date_joined, display_name, avatar_url, is_guest)
            SELECT '!', false, name, '', '', '', false, true, now(), initcap(replace(name, '-', ' ')), '', false
            FROM unnest(%(names)s::text[]) WITH ORDINALITY AS n(name, position)
            ORDER BY position
            RETURNING id
            """,
            {"names": names},
        ).fetchall()
        ids = [row[0] for row in rows]
        return ids[0], ids[1], ids[2:]

    def _rooms(self, conn: psycopg.Connection) -> list[int]:
        rows = conn.execute(
            """
            INSERT INTO rooms_room (slug, name, description, is_archived, position, created_at,
                                    last_seq, last_event, last_message_at, allow_room_mention)
            SELECT 'unread-' || lpad(n::text, 3, '0'), 'Unread ' || n, '', false, 100 + n,
                   now() - interval '30 days', %(m)s, %(m)s, now(), true
            FROM generate_series(1, %(rooms)s) n
            ORDER BY n
            RETURNING id
            """,
            {"rooms": self.rooms, "m": self.per_room},
        ).fetchall()
        return [row[0] for row in rows]

    def _drop_message_indexes(self, conn: psycopg.Connection) -> list[tuple[str, str]]:
        """Every index and constraint of rooms_message but its primary key, as the statements
        that make them again, in the order to run them; then drops them."""
        constraints = conn.execute(
            """
            SELECT conname, contype, pg_get_constraintdef(oid), conindid FROM pg_constraint
            WHERE conrelid = 'rooms_message'::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname
            """
        ).fetchall()
        backing = {indid for _, kind, _, indid in constraints if kind == "u"}
        indexes = conn.execute(
            """
            SELECT i.indexrelid, c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'rooms_message'::regclass AND NOT i.indisprimary ORDER BY c.relname
            """
        ).fetchall()
        remake = [(name, definition) for oid, name, definition in indexes if oid not in backing]
        remake += [
            (name, f'ALTER TABLE rooms_message ADD CONSTRAINT "{name}" {definition}')
            for name, _, definition, _ in constraints
        ]
        for name, _, _, _ in constraints:
            conn.execute(f'ALTER TABLE rooms_message DROP CONSTRAINT "{name}"')
        for oid, name, _ in indexes:
            if oid not in backing:
                conn.execute(f'DROP INDEX "{name}"')
        log(f"  dropped {len(remake)} indexes and constraints of rooms_message for the insert")
        return remake

    def _restore_message_indexes(self, conn: psycopg.Connection, remake: list[tuple[str, str]]) -> None:
        for name, statement in remake:
            started = time.perf_counter()
            conn.execute(statement)
            log(f"    {name}: {time.perf_counter() - started:.1f} s")

    def _messages(self, conn: psycopg.Connection, first: int, room_ids: list[int]) -> None:
        # Per row: at_room, an @room message (every fifth of them by the measured user, every
        # seventh from the fourth deleted); at_user, a message naming the measured user (at an
        # offset per room); at_other, one naming another author.
        conn.execute(
            """
            INSERT INTO rooms_message (room_id, author_id, seq, event, body, client_id, created_at,
                                       edited_at, deleted, mentions, mentions_room, reaction_count)
            SELECT room_id,
                   CASE WHEN at_room AND (s / %(re)s) %% 5 = 0 THEN %(user)s ELSE author END,
                   s, s,
                   CASE WHEN at_user THEN '<@' || %(user)s || '> could you look at this? (' || s || ')'
                        WHEN at_room THEN '@room heads up, everyone: the build is red (' || s || ')'
                        WHEN at_other THEN '<@' || other || '> thanks, that works for me (' || s || ')'
                        ELSE 'message ' || s || ': the quick brown fox jumps over the lazy dog again'
                   END,
                   'bench-' || room_id || '-' || s,
                   now() - interval '30 days' + s * interval '1 second',
                   NULL,
                   s %% %(de)s = 0 OR (at_room AND (s / %(re)s) %% 7 = 3),
                   CASE WHEN at_user THEN jsonb_build_array(%(user)s::bigint)
                        WHEN at_other THEN jsonb_build_array(other)
                        ELSE '[]'::jsonb
                   END,
                   at_room,
                   0
            FROM (
                SELECT r.room_id, s,
                       s %% %(re)s = %(re)s / 2 AS at_room,
                       s %% %(me)s = (r.position * 37) %% %(me)s AS at_user,
                       s %% %(oe)s = 13 AS at_other,
                       (%(authors)s::bigint[])[1 + (r.position * 7 + s) %% %(a)s] AS author,
                       (%(authors)s::bigint[])[1 + (r.position * 7 + s + 1) %% %(a)s] AS other
                FROM unnest(%(rooms)s::bigint[], %(positions)s::bigint[]) AS r(room_id, position)
                CROSS JOIN generate_series(1, %(m)s) AS s
            ) AS row
            """,
            {
                "rooms": room_ids,
                "positions": list(range(first, first + len(room_ids))),
                "m": self.per_room,
                "user": self.user_id,
                "authors": self.author_ids,
                "a": len(self.author_ids),
                "re": self.room_mention_every,
                "me": self.mention_every,
                "oe": OTHER_MENTION_EVERY,
                "de": self.deleted_every,
            },
        )

    def _mentions(self, conn: psycopg.Connection) -> None:
        """A Mention row per person a message names, but not for its author and not once the
        message is deleted (rooms/membership.py, mention_rows_replace)."""
        conn.execute(
            """
            INSERT INTO rooms_mention (message_id, user_id, room_id, seq)
            SELECT m.id, named.user_id::bigint, m.room_id, m.seq
            FROM rooms_message m CROSS JOIN LATERAL jsonb_array_elements_text(m.mentions) AS named(user_id)
            WHERE m.mentions <> '[]'::jsonb AND NOT m.deleted AND named.user_id::bigint <> m.author_id
            """
        )

    def read_seq(self, index: int) -> int:
        behind = list(READ_KINDS.values())[index % len(READ_KINDS)](self.per_room)
        return self.per_room - behind

    def _memberships(self, conn: psycopg.Connection) -> None:
        conn.execute(
            """
            INSERT INTO rooms_membership (user_id, room_id, read_seq, notify, joined_at)
            SELECT %(user)s, room_id, read_seq, 'mentions', now() - interval '30 days'
            FROM unnest(%(rooms)s::bigint[], %(reads)s::bigint[]) AS r(room_id, read_seq)
            """,
            {
                "user": self.user_id,
                "rooms": self.room_ids,
                "reads": [self.read_seq(index) for index in range(len(self.room_ids))],
            },
        )
        # The authors: members of every room, mostly caught up; a tenth hear every message.
        conn.execute(
            """
            INSERT INTO rooms_membership (user_id, room_id, read_seq, notify, joined_at)
            SELECT a.user_id, r.room_id, greatest(0, %(m)s - (a.position * 13 + r.position) %% 200),
                   CASE WHEN a.position %% 10 = 0 THEN 'all' ELSE 'mentions' END, now() - interval '30 days'
            FROM unnest(%(authors)s::bigint[]) WITH ORDINALITY AS a(user_id, position)
            CROSS JOIN unnest(%(rooms)s::bigint[]) WITH ORDINALITY AS r(room_id, position)
            """,
            {"authors": self.author_ids, "rooms": self.room_ids, "m": self.per_room},
        )

    def _describe(self, conn: psycopg.Connection) -> dict:
        def one(sql: str, params: dict | None = None) -> int:
            return conn.execute(sql, params or {}).fetchone()[0]

        user = {"user": self.user_id}
        indexes = conn.execute(
            """
            SELECT c.relname, pg_relation_size(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'rooms_message'::regclass ORDER BY c.relname
            """
        ).fetchall()
        return {
            "rooms": self.rooms,
            "messages_per_room": self.per_room,
            "messages": one("SELECT count(*) FROM rooms_message"),
            "authors": len(self.author_ids),
            "deleted_messages": one("SELECT count(*) FROM rooms_message WHERE deleted"),
            "room_mention_messages": one("SELECT count(*) FROM rooms_message WHERE mentions_room"),
            "room_mention_messages_not_deleted": one(
                "SELECT count(*) FROM rooms_message WHERE mentions_room AND NOT deleted"
            ),
            "mention_rows": one("SELECT count(*) FROM rooms_mention"),
            "mention_rows_of_measured_user": one("SELECT count(*) FROM rooms_mention WHERE user_id = %(user)s", user),
            "memberships": one("SELECT count(*) FROM rooms_membership"),
            "rooms_in_list": one("SELECT count(*) FROM rooms_room"),
            "every": {
                "mention_of_measured_user": self.mention_every,
                "room_mention": self.room_mention_every,
                "deleted": self.deleted_every,
                "mention_of_another_author": OTHER_MENTION_EVERY,
            },
            "read_positions": {
                kind: {"behind": behind(self.per_room), "rooms": len(range(i, self.rooms, len(READ_KINDS)))}
                for i, (kind, behind) in enumerate(READ_KINDS.items())
            },
            "message_table_mib": round(one("SELECT pg_relation_size('rooms_message')") / 2**20, 1),
            "message_indexes_mib": {name: round(size / 2**20, 1) for name, size in indexes},
        }


# --- Measuring -------------------------------------------------------------------------------


class GcWatch:
    """Python's garbage collections while it is installed (gc.callbacks): how many of each
    generation, and how long each took."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def full(self) -> int:
        return sum(1 for generation, _ in self.pauses if generation == 2)


def timed_calls(call, warmup: int, calls: int) -> dict:
    """Latency of `calls` calls after `warmup`, and the garbage collections among them: the
    process's full (generation 2) collections land in single calls, and the calls they do not
    land in are given apart."""
    for _ in range(warmup):
        call()
    seconds, spared = [], []
    watch = GcWatch()
    gc.callbacks.append(watch)
    try:
        for _ in range(calls):
            full = watch.full()
            started = time.perf_counter()
            call()
            seconds.append(time.perf_counter() - started)
            if watch.full() == full:
                spared.append(seconds[-1])
    finally:
        gc.callbacks.remove(watch)
    full_pauses = [pause for generation, pause in watch.pauses if generation == 2]
    return {
        **percentiles(seconds),
        "gc": {
            "collections": {str(g): sum(1 for gen, _ in watch.pauses if gen == g) for g in (0, 1, 2)},
            "full_collection_ms": [round(pause * 1000, 1) for pause in full_pauses],
            "calls_with_a_full_collection": len(seconds) - len(spared),
            "calls_without": percentiles(spared) if spared else None,
        },
    }


def brief(figures: dict) -> str:
    shown = ", ".join(f"{key} {figures[key]} ms" for key in ("p50", "p90", "p99", "max"))
    return f"{shown}; {figures['queries']} queries; {figures['gc']['collections']['2']} full collections"


def explain(sql: str, *, seq_scans: bool = True) -> dict:
    """The statement's plan as run (EXPLAIN ANALYZE executes it); with `seq_scans` off, the
    plan the planner makes when it may not scan a table whole (the small corpus's check)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if not seq_scans:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [row[0] for row in cursor.fetchall()]
    execution = next((line for line in lines if line.startswith("Execution Time")), "")
    return {
        "sql": sql,
        "plan": lines,
        "execution_ms": float(execution.split(":")[1].split()[0]) if execution else None,
    }


def check_plans(plans: list[dict]) -> dict:
    text = "\n".join(line for plan in plans for line in plan["plan"])
    uses = {name: name in text for name in EXPECTED_INDEXES}
    seq_scans = sorted({line.strip() for line in text.splitlines() if "Seq Scan on rooms_message" in line})
    return {
        "uses": uses,
        "seq_scans_on_rooms_message": seq_scans,
        "ok": all(uses.values()) and not seq_scans,
    }


def brute_force(room_id: int, user_id: int, read_seq: int) -> tuple[int, list[int]]:
    """Unread messages and the seqs of unread mentions of the user, from the messages
    themselves (a scan of the room's messages: slow, and only for checking)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), coalesce(array_agg(seq ORDER BY seq) FILTER (
                       WHERE NOT deleted AND author_id <> %(user)s
                         AND (mentions_room OR mentions @> jsonb_build_array(%(user)s::bigint))), '{}')
            FROM rooms_message WHERE room_id = %(room)s AND seq > %(read)s
            """,
            {"room": room_id, "user": user_id, "read": read_seq},
        )
        unread, seqs = cursor.fetchone()
    return unread, list(seqs)


def check_counts(corpus: Corpus, found: list[dict]) -> dict:
    from django.conf import settings

    assert settings.ROOMS["MENTION_SEQS_MAX"] == MENTION_SEQS_SHOWN
    by_slug = {row["room"]: row for row in found}
    checked, ok = [], True
    picks = sorted(set(range(min(len(READ_KINDS), corpus.rooms))) | {corpus.rooms - 1})
    for index in picks:
        slug = f"unread-{index + 1:03d}"
        row = by_slug[slug]
        unread, seqs = brute_force(corpus.room_ids[index], corpus.user_id, row["read_seq"])
        same = (
            row["read_seq"] == corpus.read_seq(index)
            and row["unread_count"] == unread
            and row["mention_count"] == len(seqs)
            and row["mention_seqs"] == seqs[:MENTION_SEQS_SHOWN]
        )
        ok = ok and same
        checked.append(
            {
                "room": slug,
                "kind": list(READ_KINDS)[index % len(READ_KINDS)],
                "read_seq": row["read_seq"],
                "unread_count": row["unread_count"],
                "brute_force_unread": unread,
                "mention_count": row["mention_count"],
                "brute_force_mentions": len(seqs),
                "mention_seqs_shown": len(row["mention_seqs"]),
                "same": same,
            }
        )
    return {"rooms": checked, "ok": ok}


def measure(corpus: Corpus, warmup: int, calls: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rooms import membership
    from rooms.models import User

    user = User.objects.get(pk=corpus.user_id)
    newcomer = User.objects.get(pk=corpus.empty_user_id)
    out: dict = {"rest_room_list": {}, "membership_list": {}}
    for label, who, rooms in (("with_memberships", user, corpus.rooms), ("without_memberships", newcomer, 0)):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(who)

        def rest(client: Client = client) -> dict:
            answer = client.get("/api/rooms/")
            assert answer.status_code == 200, (answer.status_code, answer.content[:300])
            return answer.json()

        started = time.perf_counter()
        body = rest()
        first_ms = round((time.perf_counter() - started) * 1000, 3)
        assert len(body["memberships"]) == rooms, len(body["memberships"])
        # The captured queries are read from the connection's log, which the next request
        # empties: count them now.
        with CaptureQueriesContext(connection) as captured:
            rest()
        rest_queries = len(captured)
        out["rest_room_list"][label] = {
            **timed_calls(rest, warmup, calls),
            "first_call_ms": first_ms,
            "queries": rest_queries,
            "rooms_listed": len(body["rooms"]),
            "memberships_listed": len(body["memberships"]),
            "response_bytes": len(json.dumps(body, separators=(",", ":"))),
        }
        log(f"  GET /api/rooms/ {label}: {brief(out['rest_room_list'][label])}")

        def alone(who: User = who) -> list:
            return membership.membership_list(user=who)

        with CaptureQueriesContext(connection) as captured:
            alone()
        statements = [query["sql"] for query in captured]
        out["membership_list"][label] = {**timed_calls(alone, warmup, calls), "queries": len(statements)}
        log(f"  membership_list {label}: {brief(out['membership_list'][label])}")
        if label == "with_memberships":
            plan_statements = statements
            found = alone()
            totals = {
                "unread_total": sum(row["unread_count"] for row in found),
                "mention_total": sum(row["mention_count"] for row in found),
                "rooms_with_more_mentions_than_listed": sum(
                    row["mention_count"] > len(row["mention_seqs"]) for row in found
                ),
                "most_mentions_in_a_room": max((row["mention_count"] for row in found), default=0),
            }

    names = ["memberships joined with rooms", "unread mention seqs (UNION ALL)"]
    names += [f"statement {n}" for n in range(len(names) + 1, len(plan_statements) + 1)]
    plans = [{"statement": name, **explain(sql)} for name, sql in zip(names, plan_statements, strict=True)]
    out["plans"] = plans
    if corpus.rooms * corpus.per_room >= PLAN_CHECK_MIN_MESSAGES:
        out["plan_check"] = {"on": "the plans as run", **check_plans(plans)}
    else:
        # On a few thousand rows a whole-table scan is the planner's right choice: check instead
        # that the indexes serve these statements when it may not scan.
        forced = [
            {"statement": name, **explain(sql, seq_scans=False)}
            for name, sql in zip(names, plan_statements, strict=True)
        ]
        out["plan_check"] = {"on": "the plans with enable_seqscan off (small corpus)", **check_plans(forced)}
        out["plan_check"]["plans"] = forced
    out["measured_user"] = totals
    log("  checking the counts against a brute-force count over the messages")
    out["correctness"] = check_counts(corpus, found)
    return out


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--messages-per-room", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200, help="timed calls of each kind, after the warm-up")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch-rooms", type=int, default=10, help="rooms of messages per INSERT (one transaction)")
    parser.add_argument(
        "--insert-with-indexes",
        action="store_true",
        help="insert the messages with every index in place (default: build the indexes after)",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        help="the presence store the room list reads online counts from ('' for the in-memory one)",
    )
    scratch_database.add_arguments(parser)
    args = parser.parse_args()
    if args.rooms < 1 or args.messages_per_room < 1:
        parser.error("--rooms and --messages-per-room must be positive")

    with scratch_database.scratch_database(args.database, "rooms_bench_unread", keep=args.keep) as (url, version):
        os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="chatsite.settings_dev")
        os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per force_login (django-axes)
        if args.redis:
            os.environ.update(REDIS_URL=args.redis, REDIS_PREFIX=f"bench-unread-{secrets.token_hex(5)}:")
        else:
            os.environ.pop("REDIS_URL", None)
        meta = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commit": git_commit(),
            "python": platform.python_version(),
            "postgresql": version,
            "cpus": os.cpu_count(),
            "settings": "chatsite.settings_dev",
            "redis": bool(args.redis),
            "args": {key: value for key, value in vars(args).items() if key != "database"},
        }
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        meta["debug"] = settings.DEBUG
        meta["database_pool"] = "pool" in settings.DATABASES["default"].get("OPTIONS", {})
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        log(f"migrated in {time.perf_counter() - started:.1f} s; generating")
        corpus = Corpus(url, args.rooms, args.messages_per_room, args.batch_rooms, args.insert_with_indexes)
        described = corpus.build()
        log(f"generated in {corpus.timings['total_s']} s; measuring")
        measured = measure(corpus, args.warmup, args.calls)
        meta["loadavg_at_end"] = os.getloadavg()
        report = {"meta": meta, "corpus": described, "generation_s": corpus.timings, **measured}

    scratch_database.write_report(report, args.out)
    check = report["plan_check"]
    if not check["ok"]:
        log(
            "WARNING: the room list's plans do not read as expected: "
            f"indexes used {check['uses']}, seq scans on rooms_message {check['seq_scans_on_rooms_message']}"
        )
    if not report["correctness"]["ok"]:
        log("WARNING: the counts differ from the brute-force count (see `correctness`)")
    if not (check["ok"] and report["correctness"]["ok"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
