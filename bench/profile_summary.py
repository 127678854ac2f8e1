"""Read a `py-spy record --format raw` file (collapsed stacks) and print where the samples go.

    .venv/bin/python bench/profile_summary.py PROFILE.txt [--top 25]

Prints the share of samples in the event-loop thread and in the sync worker threads, the
inclusive share of the functions the hot-path analysis in docs/benchmarks.md names, and the
top functions by inclusive and by self samples.
"""

import argparse
import collections
import json
import re

# Inclusive shares worth naming: (label, regex on a frame "function (file:line)").
MARKERS = [
    ("sync worker threads (database_sync_to_async)", r"^Thread\._bootstrap "),
    ("event loop thread (Daphne, Twisted, consumers)", r"^<module> \((daphne/__main__|.*serve\.py)"),
    ("aclose_old_connections (per-event thread hop)", r"(^|\.)aclose_old_connections \("),
    ("await_many_dispatch (consumer dispatch loop)", r"(^|\.)await_many_dispatch \("),
    ("room fan-out reader (layer event -> local sockets)", r"(RoomFanout|ProcessFanout)\._read \(rooms/fanout"),
    ("RoomConsumer.connect (socket open)", r"RoomConsumer\.connect \(rooms/consumers"),
    ("message_create_batch (service, in the worker)", r"^message_create_batch \(rooms/services"),
    ("  psycopg Connection.wait (waiting on PostgreSQL)", r"^Connection\.wait \(psycopg"),
    ("  take_tokens (sync Redis eval)", r"take_tokens \(rooms/state"),
    ("  publish_to_rooms (handed to the loop)", r"^publish_to_rooms \(rooms/realtime"),
    ("  message_data (DRF serializer)", r"^message_data \(rooms/serializers"),
    ("  CursorDebugWrapper (DEBUG query log)", r"CursorDebugWrapper\."),
    ("channels_redis pubsub", r"channels_redis/pubsub"),
    ("autobahn", r"\(autobahn/"),
]


def parse(path):
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line or " " not in line:
            continue
        stack, count = line.rsplit(" ", 1)
        try:
            yield stack.split(";"), int(count)
        except ValueError:
            continue


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    total = 0
    inclusive = collections.Counter()
    own = collections.Counter()
    markers = collections.Counter()
    for frames, count in parse(args.profile):
        total += count
        names = frames
        for name in set(names):
            inclusive[name] += count
        if names:
            own[names[-1]] += count
        for label, pattern in MARKERS:
            if any(re.search(pattern, n) for n in names):
                markers[label] += count

    def pct(n):
        return round(100 * n / total, 1) if total else 0.0

    print(
        json.dumps(
            {
                "samples": total,
                "markers_inclusive_pct": {label: pct(markers[label]) for label, _ in MARKERS},
                "top_inclusive_pct": [(n, pct(c)) for n, c in inclusive.most_common(args.top)],
                "top_self_pct": [(n, pct(c)) for n, c in own.most_common(args.top)],
            },
            indent=1,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
