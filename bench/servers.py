"""The two servers under test, started the same way for every scenario.

Rooms: `tests.support.live.LiveSite` (Daphne against a fresh, migrated database and the shared
Redis), two processes, with the send rate limit lifted for the load. Baseline: the Channels
tutorial consumer (bench/baseline/) on one Daphne process against the same Redis.
Both servers' clients speak their own protocol through `protocol`, so the load generator is
the same code for both.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.support.live import LiveDatabase, LiveSite, free_port  # noqa: E402

# The product's limits are for people, not for a load generator: a per-user send rate of
# 10 per 10 s would refuse almost every benchmark message. Connections per user stay at the
# default (20); the benchmark signs in enough guests to stay under it.
BENCH_ENV = {
    "SEND_RATE_COUNT": "1000000",
    "SEND_RATE_PERIOD": "1",
    "SEND_RATE_BURST": "1000000",
    "LOG_LEVEL": "WARNING",
    # Only with DATABASE_POOL=0 (the pool, the default, ignores it): without it a new PostgreSQL
    # connection per database_sync_to_async call alone holds S1 under 30 deliveries/s.
    "DATABASE_CONN_MAX_AGE": "60",
    # Production settings, as deployed. With DEBUG on, Django also logs every query it runs
    # (CursorDebugWrapper), and secure-only cookies and HTTPS redirects are off.
    "DJANGO_DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "GUEST_SIGNIN_ENABLED": "1",
    # The load generator signs in hundreds of guests from one address.
    "GUEST_SIGNIN_PER_ADDRESS_BURST": "100000",
    "GUEST_SIGNIN_SITE_PER_MINUTE": "100000",
}


@contextmanager
def app_in_this_process(database: LiveDatabase, **extra_env: str) -> Iterator[None]:
    """For a benchmark that calls the app's code in its own process, with no server: production
    settings (DEBUG off, so no query log) on `database`, no Redis (in-process state and layer).
    At the end Django's connections close and the database is dropped."""
    os.environ.update(
        DATABASE_URL=database.url,
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        **extra_env,
    )
    os.environ.pop("REDIS_URL", None)
    try:
        yield
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        database.drop()


# What nginx adds in front of Daphne (deploy/nginx/rooms.conf): TLS ended, scheme passed on.
# With DEBUG off, Django redirects plain-HTTP requests to HTTPS without it.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}

SERVER_CORE = 1  # the server under load; the load generator takes core 0
LOADGEN_CORE = 0


# The cores this machine gives us, read at import: pin_loadgen() narrows the benchmark process
# to the load generator's core, and a check made after it would find only that core and leave
# every server unpinned, sharing the load generator's core (sessions 1-5 ran that way).
_MACHINE_CORES = frozenset(os.sched_getaffinity(0))


def cores() -> set[int]:
    return set(_MACHINE_CORES)


def pin(pid: int, core_set: set[int]) -> None:
    """Pin every thread of a process (taskset -a): threads made later inherit it."""
    if not core_set:
        return
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                os.sched_setaffinity(int(tid), core_set)
            except (ProcessLookupError, PermissionError):
                pass
    except FileNotFoundError:
        pass


def _pinning_possible() -> bool:
    return {LOADGEN_CORE, SERVER_CORE} <= cores()


def pin_loadgen() -> None:
    if _pinning_possible():
        os.sched_setaffinity(0, {LOADGEN_CORE})


def raise_fd_limit() -> int:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class RoomsServer:
    kind = "rooms"

    def __init__(self, tmp_path: Path, redis_url: str | None, *, processes: int = 2, pin_cores: bool = True):
        env = {**BENCH_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
        # Started as deployed: deploy/daphne/run.sh, with its flags (a 10 s handshake timeout,
        # pings, frame limits) around deploy/daphne/serve.py.
        self.site = LiveSite(tmp_path, processes=processes, redis_url=redis_url, env=env, run_script=True)
        self.site.health_headers = PROXY_HEADERS
        self.pin_cores = pin_cores and _pinning_possible()
        if self.pin_cores:
            # As each process starts, not once it answers: S5's restarted process must handle
            # the reconnect storm on its own core, not on the load generator's.
            self.site.on_spawn = self._pin
        self._sessions: list[str] = []

    def start(self) -> RoomsServer:
        self.site.start()
        return self

    @staticmethod
    def _pin(index: int, proc) -> None:
        # Process 0 takes the load on the server core; process 1 (the S5 writer's, idle
        # otherwise) shares the load generator's core.
        pin(proc.pid, {SERVER_CORE} if index == 0 else {LOADGEN_CORE})

    @property
    def processes(self) -> int:
        return len(self.site.ports)

    def pids(self, indexes: list[int] | None = None) -> list[int]:
        indexes = list(range(self.processes)) if indexes is None else indexes
        return [self.site.procs[i].pid for i in indexes if self.site.procs[i] is not None]

    def create_rooms(self, slugs: list[str]) -> None:
        code = (
            "from rooms.models import Room;"
            f"Room.objects.bulk_create([Room(slug=s, name=s) for s in {slugs!r}], ignore_conflicts=True)"
        )
        subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=self.site.env, check=True)

    def ensure_users(self, count: int) -> list[str]:
        """Cookie headers of `count` signed-in guests (signed in through the real API, once)."""
        missing = count - len(self._sessions)
        if missing > 0:
            base = self.site.url(0)
            start = len(self._sessions)
            with ThreadPoolExecutor(8) as pool:
                sessions = pool.map(lambda i: guest_cookie_header(base, f"bench-{i}"), range(start, count))
                self._sessions.extend(sessions)
        return self._sessions[:count]

    def metrics_urls(self, indexes: list[int]) -> list[str]:
        """Each process's /metrics/ (loopback is allowed by default): its garbage collections."""
        return [self.site.url(i) + "/metrics/" for i in indexes]

    def ws_url(self, index: int, room: str, since: int | None = None) -> str:
        query = f"?since={since}" if since is not None else ""
        return self.site.ws_url(index, f"/ws/rooms/{quote(room)}/{query}")

    def headers(self, index: int, cookie: str) -> dict:
        origin = self.site.url(index).replace("http://", "https://", 1)
        return {"Cookie": cookie, "Origin": origin, **PROXY_HEADERS}

    def kill(self, index: int) -> None:
        self.site.kill(index)

    def restart(self, index: int) -> None:
        # Healthy means answering /health/ while the reconnect storm is on: give it time, so a
        # slow recovery is measured (S5's restart time) rather than ending the run.
        self.site.restart(index, timeout=120)

    def stop(self) -> None:
        self.site.stop()


def guest_cookie_header(base_url: str, display_name: str) -> str:
    """Sign a guest in as the browser app does behind nginx, and return its Cookie header.

    The cookies are Secure (DEBUG off), so they are carried by hand: an HTTP client will not
    send them over the plain-HTTP loopback the benchmark talks to."""
    https_origin = base_url.replace("http://", "https://", 1)
    response = requests.get(base_url + "/api/auth/csrf/", headers=PROXY_HEADERS, timeout=10)
    response.raise_for_status()
    csrf_cookie = response.cookies["csrftoken"]
    response = requests.post(
        base_url + "/api/auth/guest/",
        json={"display_name": display_name},
        headers={
            **PROXY_HEADERS,
            "Origin": https_origin,
            "X-CSRFToken": response.json()["csrf_token"],
            "Cookie": f"csrftoken={csrf_cookie}",
        },
        timeout=10,
    )
    response.raise_for_status()
    cookies = {"csrftoken": csrf_cookie, **response.cookies.get_dict()}
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class BaselineServer:
    """The tutorial consumer on Daphne: no auth (guests are not needed), no database."""

    kind = "baseline"
    processes = 1

    def __init__(self, tmp_path: Path, redis_url: str, *, layer: str = "pubsub", pin_cores: bool = True):
        self.port = free_port()
        self.redis_url = redis_url
        self.layer = layer
        self.log = tmp_path / f"baseline-{uuid.uuid4().hex[:6]}.log"
        self.pin_cores = pin_cores and _pinning_possible()
        self.proc: subprocess.Popen | None = None

    def start(self) -> BaselineServer:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(
            DJANGO_SETTINGS_MODULE="bench.baseline.settings",
            REDIS_URL=self.redis_url,
            BASELINE_LAYER=self.layer,
            PYTHONUNBUFFERED="1",
        )
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "bench.baseline.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baseline daphne exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("baseline daphne did not start")
        time.sleep(0.5)  # Django setup happens on the first request; let the import settle
        if self.pin_cores:
            pin(self.proc.pid, {SERVER_CORE})
        return self

    def pids(self, indexes: list[int] | None = None) -> list[int]:
        return [self.proc.pid] if self.proc is not None else []

    def create_rooms(self, slugs: list[str]) -> None:
        return None  # tutorial rooms exist by being named

    def ensure_users(self, count: int) -> list[str]:
        return [""] * count

    def metrics_urls(self, indexes: list[int]) -> list[str]:
        return []  # the tutorial has none

    def ws_url(self, index: int, room: str, since: int | None = None) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/{quote(room)}/"

    def headers(self, index: int, cookie: str) -> dict:
        return {"Origin": f"http://127.0.0.1:{self.port}"}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
