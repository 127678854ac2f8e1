"""Search over a large history: `GET /api/search/` on PostgreSQL with 1,000,000 messages.

    .venv/bin/python bench/search_history.py [--rooms 50] [--messages-per-room 20000] [--calls 30]
        [--out bench/results/search-1m.json] [--keep]

Creates a scratch PostgreSQL database beside `--database` (as bench/unread_rooms.py does,
`rooms_bench_search_<random>`, dropped at the end unless `--keep`), migrates it, and fills it
with set-based SQL: `--rooms` rooms of `--messages-per-room` messages by 300 authors. Each
message is 6 to 14 words drawn from a vocabulary of 4,000 made-up English-like words and 1,000
Korean ones (a stem and a particle: `회의를`, `회의에서`), the word of rank r drawn about as
often as 1/r (a Zipf-like law, as words are in real text), and 1 in 777 messages is deleted.
The search index (a GIN index, migration 0006) is built after the rows, and its build time
kept. Then VACUUM ANALYZE.

The queries: two-word queries from each band of word frequency (two common words, a common and
a rare one, two mid-frequency ones, two rare ones), two Korean stems that match only with their
particles, a phrase, a one-word query, and a two-word query narrowed with `from:` and with
`in:`. Each is timed through Django's test client signed in (the whole request: parsing, rate
limit, the statement, the page's frames, JSON), `--calls` times after a warm-up; the figure the
issue names is the median over every two-word query's calls. Each query's statement is run again
under EXPLAIN (ANALYZE, BUFFERS), and each query's first page is checked against a brute-force
scan with regular expressions over the bodies (words start at a space in this corpus).

Prints progress and the JSON result (written to `--out` too). docs/benchmarks.md, "Search",
reads `bench/results/search-1m.json`. A tiny run (`--rooms 2 --messages-per-room 500`) takes
seconds and is what tests/bench/test_bench_smoke.py runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench import scratch_database  # noqa: E402
from bench.unread_rooms import explain, git_commit, log, timed_calls  # noqa: E402

AUTHORS = 300
ENGLISH_WORDS = 4000
KOREAN_STEMS = 1000
KOREAN_PARTICLES = ["", "을", "를", "이", "가", "은", "는", "에", "에서", "의", "으로", "와"]
DELETED_EVERY = 777
# Rank r is drawn with probability about 1/r: the index of a word is VOCABULARY ** random() - 1.
SYLLABLES_EN = ["ka", "lo", "mi", "ren", "sto", "dar", "vel", "qui", "bran", "tor", "nix", "pel", "sha", "gru"]
SYLLABLES_KO = "가나다라마바사아자차카타파하회의일정보고서계획준비검토확인수정배포"


def vocabulary() -> list[str]:
    """The words, most frequent first: English-like and Korean stems interleaved, so that both
    have common and rare words. Deterministic, and every word distinct."""
    english, seen = [], set()
    n = 0
    while len(english) < ENGLISH_WORDS:
        word, k = "", n
        for _ in range(2 + n % 3):
            word += SYLLABLES_EN[k % len(SYLLABLES_EN)]
            k //= len(SYLLABLES_EN)
        n += 1
        if word not in seen:
            seen.add(word)
            english.append(word)
    korean = []
    for n in range(KOREAN_STEMS):
        a, b, c = n % 37, (n // 37) % 37, n // (37 * 37)
        stem = SYLLABLES_KO[a % len(SYLLABLES_KO)] + SYLLABLES_KO[b % len(SYLLABLES_KO)]
        stem += SYLLABLES_KO[c % len(SYLLABLES_KO)] if c else ""
        korean.append(stem)
    korean = list(dict.fromkeys(korean))
    words = []
    for index in range(max(len(english), len(korean) * 4)):
        if index < len(english):
            words.append(english[index])
        if index % 4 == 0 and index // 4 < len(korean):
            words.append(korean[index // 4])
    return words


class Corpus:
    def __init__(self, url: str, rooms: int, per_room: int, partial: bool) -> None:
        self.url, self.rooms, self.per_room, self.partial = url, rooms, per_room, partial
        self.words = vocabulary()
        self.timings: dict[str, float] = {}

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.perf_counter() - started, 2)
        log(f"  {name}: {self.timings[name]} s")

    def build(self) -> dict:
        began = time.perf_counter()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute("SET synchronous_commit = off")
            conn.execute("SELECT setseed(0.42)")
            self.author_ids = [
                row[0]
                for row in conn.execute(
                    """
                    INSERT INTO rooms_user (password, is_superuser, username, first_name, last_name, email,
                                            is_staff, is_active, date_joined, display_name, avatar_url, is_guest)
                    SELECT '!', false, 'search-author-' || n, '', '', '', false, true, now(),
                           'Author ' || n, '', false
                    FROM generate_series(1, %(n)s) n ORDER BY n RETURNING id
                    """,
                    {"n": AUTHORS},
                ).fetchall()
            ]
            self.room_ids = [
                row[0]
                for row in conn.execute(
                    """
                    INSERT INTO rooms_room (slug, name, description, is_archived, position, created_at,
                                            last_seq, last_event, last_message_at, allow_room_mention)
                    SELECT 'search-' || lpad(n::text, 3, '0'), 'Search ' || n, '', false, 100 + n, now(),
                           %(m)s, %(m)s, now(), false
                    FROM generate_series(1, %(rooms)s) n ORDER BY n RETURNING id
                    """,
                    {"rooms": self.rooms, "m": self.per_room},
                ).fetchall()
            ]
            # Looked up by rank: an element of a text[] parameter is found by walking the array.
            conn.execute("CREATE TEMPORARY TABLE bench_words (rank integer PRIMARY KEY, word text, korean boolean)")
            conn.execute(
                "INSERT INTO bench_words SELECT n, word, octet_length(word) > length(word) "
                "FROM unnest(%(words)s::text[]) WITH ORDINALITY AS v(word, n)",
                {"words": self.words},
            )
            conn.execute("DROP INDEX message_body_search")
            started = time.perf_counter()
            for room_index, room_id in enumerate(self.room_ids):
                self._messages(conn, room_index, room_id)
                if (room_index + 1) % 10 == 0 or room_index + 1 == self.rooms:
                    log(f"  messages: {room_index + 1} / {self.rooms} rooms")
            self._timed("messages_insert_s", started)
            started = time.perf_counter()
            # --partial-index: the alternative migration 0006 measured and did not take.
            conn.execute(
                "CREATE INDEX message_body_search ON rooms_message USING gin (to_tsvector('simple'::regconfig, body))"
                + (" WHERE NOT deleted" if self.partial else "")
            )
            self._timed("search_index_build_s", started)
            started = time.perf_counter()
            conn.execute("VACUUM (ANALYZE)")
            self._timed("vacuum_analyze_s", started)
            self.timings["total_s"] = round(time.perf_counter() - began, 2)
            one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
            return {
                "rooms": self.rooms,
                "messages_per_room": self.per_room,
                "messages": one("SELECT count(*) FROM rooms_message"),
                "deleted_messages": one("SELECT count(*) FROM rooms_message WHERE deleted"),
                "vocabulary": len(self.words),
                "words_per_message_mean": float(
                    one("SELECT avg(array_length(regexp_split_to_array(body, ' '), 1)) FROM rooms_message")
                ),
                "message_table_mib": round(one("SELECT pg_relation_size('rooms_message')") / 2**20, 1),
                "search_index_mib": round(one("SELECT pg_relation_size('message_body_search')") / 2**20, 1),
            }

    def _messages(self, conn: psycopg.Connection, room_index: int, room_id: int) -> None:
        # A word's index is floor(V ** random()) - 1: rank r comes with probability about 1/r;
        # a Korean stem takes a particle. The inner series references s so that each message
        # draws its own words.
        conn.execute(
            """
            INSERT INTO rooms_message (room_id, author_id, seq, event, body, client_id, created_at,
                                       edited_at, deleted, mentions, mentions_room, reaction_count)
            SELECT %(room)s, (%(authors)s::bigint[])[1 + (s * 7 + %(ri)s) %% %(a)s], s, s,
                   (SELECT string_agg(w.word || CASE WHEN w.korean
                                                     THEN (%(particles)s::text[])[1 + floor(random() * %(p)s)::int]
                                                     ELSE '' END, ' ' ORDER BY d.n)
                    FROM (SELECT n, floor(power(%(v)s, random()))::int AS rank
                          FROM generate_series(1, 6 + s %% 9) AS n) AS d
                    JOIN bench_words w ON w.rank = d.rank),
                   'bench-' || %(room)s || '-' || s,
                   now() - interval '30 days' + s * interval '1 second', NULL,
                   s %% %(de)s = 0, '[]'::jsonb, false, 0
            FROM generate_series(1, %(m)s) AS s
            """,
            {
                "room": room_id,
                "ri": room_index,
                "authors": self.author_ids,
                "a": len(self.author_ids),
                "v": len(self.words),
                "m": self.per_room,
                "de": DELETED_EVERY,
                "particles": KOREAN_PARTICLES,
                "p": len(KOREAN_PARTICLES),
            },
        )


def queries(corpus: Corpus) -> list[dict]:
    """The measured queries, by kind. `words` are what a brute-force check looks for."""
    words = corpus.words
    korean = [w for w in words if re.fullmatch(r"[가-힣]+", w)]
    english = [w for w in words if w.isascii()]

    def pick(pool: list[str], rank: int) -> str:
        return pool[min(rank, len(pool) - 1)]

    two = [
        ("two common words", [pick(english, 2), pick(english, 5)]),
        ("a common and a rare word", [pick(english, 3), pick(english, 1500)]),
        ("two mid-frequency words", [pick(english, 60), pick(english, 90)]),
        ("two rare words", [pick(english, 2500), pick(english, 3200)]),
        ("two Korean stems (with particles)", [pick(korean, 4), pick(korean, 30)]),
        ("a Korean and an English word", [pick(korean, 10), pick(english, 40)]),
    ]
    out = [{"kind": kind, "q": " ".join(pair), "words": pair, "two_words": True} for kind, pair in two]
    phrase = [pick(english, 1), pick(english, 2)]
    out.append({"kind": "a phrase of two words", "q": f'"{phrase[0]} {phrase[1]}"', "words": phrase, "phrase": True})
    out.append({"kind": "one mid-frequency word", "q": pick(english, 200), "words": [pick(english, 200)]})
    narrowed = [pick(english, 7), pick(english, 20)]
    out.append(
        {
            "kind": "two words, from: one author",
            "q": f"{' '.join(narrowed)} from:search-author-7",
            "words": narrowed,
            "two_words": True,
            "author": "search-author-7",
        }
    )
    out.append(
        {
            "kind": "two words, in: one room",
            "q": f"{' '.join(narrowed)} in:search-001",
            "words": narrowed,
            "two_words": True,
            "room": "search-001",
        }
    )
    return out


def brute_force(query: dict, limit: int) -> list[int]:
    """The first page by regular expressions over every body: the words at a word's start, in
    any order (a phrase: next to each other), newest first."""
    from django.db import connection

    if query.get("phrase"):
        patterns = ["(^| )" + r"[^ ]* ".join(query["words"])]
    else:
        patterns = [f"(^| ){word}" for word in query["words"]]
    conditions = " AND ".join(["m.body ~ %s"] * len(patterns))
    params: list = list(patterns)
    extra = ""
    if "author" in query:
        extra += " AND u.username = %s"
        params.append(query["author"])
    if "room" in query:
        extra += " AND r.slug = %s"
        params.append(query["room"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id FROM rooms_message m JOIN rooms_user u ON u.id = m.author_id "
            f"JOIN rooms_room r ON r.id = m.room_id WHERE NOT m.deleted AND {conditions}{extra} "
            "ORDER BY m.id DESC LIMIT %s",
            [*params, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def measure(corpus: Corpus, warmup: int, calls: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rooms.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=corpus.author_ids[0]))
    page_size = settings.ROOMS["SEARCH_PAGE_SIZE"]
    measured, two_word_calls = [], []
    for query in queries(corpus):

        def call(q: str = query["q"]) -> dict:
            answer = client.get("/api/search/", {"q": q})
            assert answer.status_code == 200, (answer.status_code, answer.content[:300])
            return answer.json()

        started = time.perf_counter()
        body = call()
        first_ms = round((time.perf_counter() - started) * 1000, 3)
        with CaptureQueriesContext(connection) as captured:
            call()
        statement = next(q["sql"] for q in captured if "to_tsvector" in q["sql"] or "rooms_message" in q["sql"])
        figures = timed_calls(call, warmup, calls)
        expected = brute_force(query, page_size)
        found = [result["id"] for result in body["results"]]
        plan = explain(statement)
        if query.get("two_words"):
            two_word_calls.append(figures["p50"])
        row = {
            **{key: query[key] for key in ("kind", "q")},
            "results": len(found),
            "has_more": body["has_more"],
            "same_as_brute_force": found == expected,
            "first_call_ms": first_ms,
            "queries": len(captured),
            **{key: figures[key] for key in ("p50", "p90", "p99", "max", "mean")},
            "statement_execution_ms": plan["execution_ms"],
            "uses_search_index": any("message_body_search" in line for line in plan["plan"]),
            "plan": plan["plan"],
        }
        measured.append(row)
        log(
            f"  {row['kind']!s:40} p50 {row['p50']:8.2f} ms  p99 {row['p99']:8.2f} ms  "
            f"{row['results']:2} results  same as brute force: {row['same_as_brute_force']}"
        )
    return {
        "queries": measured,
        "two_word_median_of_medians_ms": round(statistics.median(two_word_calls), 3),
        "two_word_worst_median_ms": max(two_word_calls),
        "correct": all(row["same_as_brute_force"] for row in measured),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--messages-per-room", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=30, help="timed calls of each query, after the warm-up")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--partial-index",
        action="store_true",
        help="index only the messages not deleted (the alternative migration 0006 did not take)",
    )
    scratch_database.add_arguments(parser)
    args = parser.parse_args()

    with scratch_database.scratch_database(args.database, "rooms_bench_search", keep=args.keep) as (url, version):
        # The rate limit is per user; the benchmark is one user asking as fast as it can.
        os.environ.update(
            DATABASE_URL=url, DJANGO_SETTINGS_MODULE="chatsite.settings_dev", SEARCH_RATE_PER_SECOND="100000"
        )
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        os.environ.pop("REDIS_URL", None)  # rate-limit buckets in memory: only the database is measured
        meta = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commit": git_commit(),
            "python": platform.python_version(),
            "postgresql": version,
            "cpus": os.cpu_count(),
            "args": {key: value for key, value in vars(args).items() if key != "database"},
        }
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        corpus = Corpus(url, args.rooms, args.messages_per_room, args.partial_index)
        described = corpus.build()
        log(f"generated in {corpus.timings['total_s']} s; measuring")
        measured = measure(corpus, args.warmup, args.calls)
        meta["loadavg_at_end"] = os.getloadavg()
        report = {"meta": meta, "corpus": described, "generation_s": corpus.timings, **measured}

    scratch_database.write_report(report, args.out)
    log(f"two-word queries: median {report['two_word_median_of_medians_ms']} ms")
    if not report["correct"]:
        log("WARNING: some first pages differ from the brute-force scan (see `same_as_brute_force`)")
        sys.exit(1)


if __name__ == "__main__":
    main()
