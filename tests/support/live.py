"""Real server processes for tests: Daphne on loopback ports, a migrated database of the
site's own, and optionally the shared Redis. Used by the multi-process and browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
RUN_DAPHNE = ROOT / "deploy" / "daphne" / "run.sh"
STARTUP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveDatabase:
    """A database for the live site: a SQLite file, or a fresh database on the PostgreSQL
    server named by DATABASE_URL (dropped afterwards)."""

    def __init__(self, tmp_path: Path, admin_url: str | None = None):
        self._admin_url = admin_url or os.environ.get("DATABASE_URL") or ""
        self._name = None
        if self._admin_url.startswith("postgres"):
            import psycopg

            self._name = f"rooms_live_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self._name}"')
            self.url = self._admin_url.rsplit("/", 1)[0] + "/" + self._name
        else:
            self.url = f"sqlite:///{tmp_path / 'live.sqlite3'}"

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read straight from the database, not through the app under test (`%s` placeholders)."""
        if self._name is None:
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()

    def drop(self) -> None:
        if self._name:
            import psycopg

            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')


class LiveSite:
    """N Daphne processes serving the site against one database (and Redis, when given)."""

    def __init__(
        self,
        tmp_path: Path,
        processes: int = 1,
        redis_url: str | None = None,
        env: dict | None = None,
        database_admin_url: str | None = None,
        database_url_rewrite=None,
        run_script: bool = False,
    ):
        """`database_admin_url` picks the server to create the database on (default: the
        DATABASE_URL of the test run); `database_url_rewrite` changes the URL the site uses
        (e.g. to go through a proxy a test can cut)."""
        self.tmp_path = tmp_path
        self.database_admin_url = database_admin_url
        self.database_url_rewrite = database_url_rewrite
        # deploy/daphne/run.sh instead of plain Daphne: serve.py (graceful stop, bounded send
        # buffers, its own send path) with the deployed flags (handshake timeout, pings...).
        self.run_script = run_script
        self.ports = [free_port() for _ in range(processes)]
        self.redis_url = redis_url
        self.extra_env = env or {}
        self.database: LiveDatabase | None = None
        self.procs: list[subprocess.Popen | None] = [None] * processes
        self.logs: list[Path] = [tmp_path / f"daphne-{i}.log" for i in range(processes)]
        # Called with (index, Popen) as each process starts, before it answers (the benchmark pins it).
        self.on_spawn = None

    # --- lifecycle ---

    def environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(
            DJANGO_SETTINGS_MODULE="chatsite.settings",
            DJANGO_DEBUG="1",
            GUEST_SIGNIN_ENABLED="1",
            DATABASE_URL=self.database_url_rewrite(self.database.url)
            if self.database_url_rewrite
            else self.database.url,
            # Sites started by concurrent tests share the Redis server, never its keys or channels.
            REDIS_PREFIX=f"live{uuid.uuid4().hex[:10]}:",
            # Every client of a test comes from 127.0.0.1: a test about the limit sets its own.
            GUEST_SIGNIN_PER_ADDRESS_BURST="100000",
            GUEST_SIGNIN_SITE_PER_MINUTE="100000",
            PYTHONUNBUFFERED="1",
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(self.extra_env)
        return env

    def start(self) -> LiveSite:
        self.database = LiveDatabase(self.tmp_path, self.database_admin_url)
        self.env = self.environment()
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True)
        for index in range(len(self.ports)):
            self._spawn(index)
        for index in range(len(self.ports)):
            self.wait_healthy(index)
        return self

    def _spawn(self, index: int) -> None:
        env = self.env
        if self.run_script:
            # run.sh execs Python: the pid is the server's own, for signals and measuring.
            command = [str(RUN_DAPHNE), *self.run_script_args(index)]
            env = {**env, "PYTHON": sys.executable, "DAPHNE_PORT": str(self.ports[index])}
        else:
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.ports[index])]
            command.append("chatsite.asgi:application")
        with open(self.logs[index], "ab") as log:
            self.procs[index] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if self.on_spawn is not None:
            self.on_spawn(index, self.procs[index])

    def run_script_args(self, index: int) -> list[str]:
        """More Daphne options for run.sh to pass on (with run_script)."""
        return []

    # Headers for the health probe (a site behind a TLS proxy needs X-Forwarded-Proto).
    health_headers: dict = {}

    def wait_healthy(self, index: int = 0, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[index]
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"daphne {index} exited: {self.logs[index].read_text()[-2000:]}")
            try:
                response = requests.get(self.url(index) + "/health/", headers=self.health_headers, timeout=2)
                if response.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"daphne {index} did not become healthy: {self.logs[index].read_text()[-2000:]}")

    def kill(self, index: int = 0) -> None:
        """SIGKILL: the process gets no chance to run disconnect handlers."""
        proc = self.procs[index]
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

    def terminate(self, index: int = 0) -> None:
        proc = self.procs[index]
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def restart(self, index: int = 0, timeout: float = STARTUP_TIMEOUT) -> None:
        self.terminate(index)
        self._spawn(index)
        self.wait_healthy(index, timeout)

    def stop(self) -> None:
        for index in range(len(self.ports)):
            self.terminate(index)
        if self.database is not None:
            self.database.drop()

    def shell(self, code: str) -> None:
        """Run `code` in `manage.py shell` against the site's database and Redis, without the
        send rate a person is held to: to seed history, or change it behind clients' backs."""
        env = {**self.env, "SEND_RATE_BURST": "100000", "SEND_RATE_COUNT": "100000"}
        subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)

    # --- addresses ---

    def url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def ws_url(self, index: int, path: str) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}{path}"


def guest_session(base_url: str, display_name: str) -> requests.Session:
    """Sign in as a guest the way the browser app does: CSRF token first, then the POST."""
    session = requests.Session()
    token = session.get(base_url + "/api/auth/csrf/", timeout=5).json()["csrf_token"]
    response = session.post(
        base_url + "/api/auth/guest/",
        json={"display_name": display_name},
        headers={"X-CSRFToken": token, "Referer": base_url + "/"},
        timeout=5,
    )
    response.raise_for_status()
    session.headers["X-CSRFToken"] = session.cookies.get("csrftoken") or token
    session.headers["Referer"] = base_url + "/"
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())
