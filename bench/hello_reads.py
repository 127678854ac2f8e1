"""CPU per hello build: the reads a socket open makes for its `hello`, in a loop, no server.

    .venv/bin/python bench/hello_reads.py [--calls 200] [--repeats 7]

Creates a scratch PostgreSQL database (DATABASE_URL's server, or the local one; dropped at the
end) with one room of 210 messages by 25 users, then times `selectors.room_hello` on one
thread: a reconnect that missed 10 messages (`?since=`) and a fresh join (the latest 50), with
all 25 users online. Prints the median CPU milliseconds per call as JSON. This is the database
part of S5's reconnect storm (docs/benchmarks.md), without the socket around it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.servers import app_in_this_process  # noqa: E402
from tests.support.live import LiveDatabase  # noqa: E402


def median_ms(call, calls: int, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(calls):
            call()
        runs.append((time.process_time() - started) / calls * 1000)
    return round(statistics.median(runs), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    admin_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    with tempfile.TemporaryDirectory() as tmp, app_in_this_process(LiveDatabase(Path(tmp), admin_url)):
        print(json.dumps(measure(args.calls, args.repeats)))


def measure(calls: int, repeats: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from rooms import membership, selectors
    from rooms.models import Message, Room, User
    from rooms.presence import Snapshot

    room = Room.objects.create(slug="hello-reads", name="Hello reads")
    users = [User.objects.create(username=f"reader-{n}", display_name=f"Reader {n}") for n in range(25)]
    Message.objects.bulk_create(
        Message(room=room, author=users[n % 25], seq=n + 1, event=n + 1, body="x" * 67, client_id=f"c-{n}")
        for n in range(210)
    )
    Room.objects.filter(pk=room.pk).update(last_seq=210, last_event=210)
    since = 200

    online = [user.pk for user in users]
    presence = Snapshot(version=1, count=len(online), user_ids=online)

    def hello(since: int | None):
        return selectors.room_hello(room_id=room.pk, you=users[0], since=since, resync=False, presence=presence)

    assert len(hello(since)["messages"]) == 10

    # The handshake's sign-in check: the session row and its user, as SessionUserMiddleware reads them.
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

    from rooms.sessions import SessionStore
    from rooms.socket_auth import _session_user

    stored = DatabaseSessionStore()
    stored[SESSION_KEY], stored[HASH_SESSION_KEY] = str(users[0].pk), users[0].get_session_auth_hash()
    stored[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    stored.save()

    def session_user():
        user = _session_user.func({"session": SessionStore(stored.session_key)})  # the thread's body
        assert user.pk == users[0].pk
        return user

    return {
        "session_and_user_ms_cpu": median_ms(session_user, calls, repeats),
        "reconnect_10_missed_ms_cpu": median_ms(lambda: hello(since), calls, repeats),
        "fresh_join_50_ms_cpu": median_ms(lambda: hello(None), calls, repeats),
        # The part of either that is the user's membership (read position, unread mentions).
        "membership_ms_cpu": median_ms(
            lambda: membership.membership_enter(user=users[0], room_id=room.pk, room_slug=room.slug, last_seq=210),
            calls,
            repeats,
        ),
        "online_users": len(online),
    }


if __name__ == "__main__":
    main()
