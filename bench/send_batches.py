"""CPU per stored send, by the size of the batch a write thread takes, no server.

    .venv/bin/python bench/send_batches.py [--sizes 1,8,32] [--batches 300] [--database sqlite]

Makes a scratch database (a SQLite file beside the project, as `make run` keeps its own; or,
with `--database postgres://...`, a database on that server, dropped at the end), 50 rooms and
50 users, then stores batches of 64-byte sends spread over the rooms through
`services.message_create_batch`, commit included, and prints the median CPU microseconds per
send of this process for each batch size as JSON. On SQLite that CPU includes the kernel's work
to sync the write-ahead log at each commit; PostgreSQL's own CPU is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import write_report  # noqa: E402
from bench.servers import app_in_this_process  # noqa: E402
from tests.support.live import LiveDatabase  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,8,32")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL admin URL")
    parser.add_argument("--out", help="write the JSON here too")
    args = parser.parse_args()

    # On the project's disk: a /tmp in memory would leave out the commit's sync.
    with tempfile.TemporaryDirectory(dir=ROOT, prefix=".bench-send-batches-") as tmp:
        database = LiveDatabase(Path(tmp), "" if args.database == "sqlite" else args.database)
        # The benchmark's sends are not a person's: no rate limit.
        with app_in_this_process(database, SEND_RATE_COUNT="1000000000", SEND_RATE_BURST="1000000000"):
            sizes = [int(size) for size in args.sizes.split(",")]
            result = {
                "database": "sqlite" if args.database == "sqlite" else "postgresql",
                **measure(sizes, args.batches),
            }
    write_report(result, args.out)


def measure(sizes: list[int], batches: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from rooms.models import Room, User
    from rooms.services import SendRequest, message_create_batch

    rooms = [Room.objects.create(slug=f"batch-{n}", name=f"Batch {n}") for n in range(50)]
    users = [User.objects.create(username=f"sender-{n}") for n in range(50)]
    sent = 0
    out: dict = {"us_cpu_per_send": {}}
    for size in sizes:
        per_send = []
        for _ in range(batches):
            sends = []
            for _ in range(size):
                sent += 1
                sends.append(
                    SendRequest(room=rooms[sent % 50], author=users[sent % 50], body="x" * 64, client_id=f"c{sent}")
                )
            started = time.process_time()
            outcomes = message_create_batch(sends).outcomes
            per_send.append((time.process_time() - started) / size * 1e6)
            assert all(getattr(outcome, "created", False) for outcome in outcomes), outcomes
        out["us_cpu_per_send"][str(size)] = round(statistics.median(per_send), 1)
    return out


if __name__ == "__main__":
    main()
