"""The project's entry points on a fresh clone with no environment: `manage.py` is a Django
developer's development server and tools, and the production entry points (the ASGI
application Daphne serves, deploy/daphne/run.sh) refuse to start without a secret key rather
than serve in debug."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import websockets

from tests.support.live import ROOT, free_port

pytestmark = [pytest.mark.live]

# What a fresh shell on a developer's machine lacks: none of the project's variables.
PROJECT_VARIABLES = ("DJANGO_", "DATABASE_URL", "REDIS_URL", "DOTENV_FILE", "GUEST_SIGNIN", "ALLOWED_HOSTS")


def bare_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_VARIABLES)}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """This checkout's files as `git clone` would give them, uncommitted changes included:
    nothing git ignores, so no .env, no database, no front-end build."""
    clone = tmp_path_factory.mktemp("clone")
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listing, cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone


def last_line(result: subprocess.CompletedProcess) -> list[str]:
    # `shell` first says how many objects it imported for you.
    return result.stdout.strip().splitlines()[-1].split()


def manage(clone: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=clone,
        env=env or bare_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_migrates_creates_a_superuser_and_opens_a_shell_with_no_environment(fresh_clone):
    migrated = manage(fresh_clone, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    created = manage(
        fresh_clone,
        "createsuperuser",
        "--noinput",
        "--username",
        "boss",
        "--email",
        "boss@example.com",
        env=bare_environment(DJANGO_SUPERUSER_PASSWORD="a long admin password"),
    )
    assert created.returncode == 0, created.stderr
    shell = manage(
        fresh_clone,
        "shell",
        "-c",
        "from rooms.models import User; boss = User.objects.get(username='boss');"
        "print(boss.is_superuser, boss.check_password('a long admin password'))",
    )
    assert shell.returncode == 0 and last_line(shell) == ["True", "True"], shell.stderr
    assert (fresh_clone / "db.sqlite3").is_file()  # the embedded default: SQLite beside manage.py


def test_runserver_serves_the_app_and_its_websockets_with_no_environment(fresh_clone):
    assert manage(fresh_clone, "migrate", "--noinput").returncode == 0
    port = free_port()
    log = (fresh_clone / "runserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=fresh_clone,
        env=bare_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get(origin + "/health/", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, (fresh_clone / "runserver.log").read_text()
                assert time.monotonic() < deadline, "runserver did not answer"
                time.sleep(0.3)
        assert health.status_code == 200 and health.json()["status"] == "ok"

        session = requests.Session()
        token = session.get(origin + "/api/auth/csrf/", timeout=5).json()["csrf_token"]
        signed_in = session.post(
            origin + "/api/auth/guest/",
            json={"display_name": "Mina"},
            headers={"X-CSRFToken": token, "Origin": origin},
            timeout=5,
        )
        assert signed_in.status_code == 201, signed_in.text
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)

        async def first_frame() -> dict:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/rooms/general/",
                origin=origin,
                additional_headers={"Cookie": cookie},
                open_timeout=10,
            ) as socket:
                return json.loads(await asyncio.wait_for(socket.recv(), 10))

        hello = asyncio.run(first_frame())
        assert hello["type"] == "hello" and hello["you"]["display_name"] == "Mina"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_the_asgi_application_refuses_to_start_without_a_secret_key(fresh_clone):
    started = subprocess.run(
        [sys.executable, "-c", "import chatsite.asgi"],
        cwd=fresh_clone,
        env=bare_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0 and "DJANGO_SECRET_KEY must be set" in started.stderr


def test_the_deployed_run_script_refuses_to_start_without_a_secret_key(fresh_clone):
    started = subprocess.run(
        [str(fresh_clone / "deploy" / "daphne" / "run.sh")],
        cwd=fresh_clone,
        env=bare_environment(PYTHON=sys.executable, DAPHNE_PORT=str(free_port())),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0 and "DJANGO_SECRET_KEY must be set" in started.stderr


def test_a_dotenv_file_is_read_by_manage_py_and_the_environment_wins(fresh_clone, tmp_path):
    (fresh_clone / ".env").write_text(
        "# a comment\nexport MESSAGE_MAX_LENGTH=123\nHISTORY_SIZE='7'\nSEND_RATE_COUNT=3\nDJANGO_DEBUG=0\n"
        "DJANGO_SECRET_KEY=from-the-dotenv-file\n"
    )
    try:
        shown = manage(
            fresh_clone,
            "shell",
            "-c",
            "from django.conf import settings as s;"
            "print(s.ROOMS['MESSAGE_MAX_LENGTH'], s.ROOMS['HISTORY_SIZE'], s.ROOMS['SEND_RATE_COUNT'], s.DEBUG)",
            env=bare_environment(SEND_RATE_COUNT="9"),
        )
        assert shown.returncode == 0, shown.stderr
        # .env's DJANGO_DEBUG=0 beats manage.py's development default; the environment beats .env.
        assert last_line(shown) == ["123", "7", "9", "False"]
    finally:
        (fresh_clone / ".env").unlink()


def test_a_copy_of_the_env_example_keeps_the_embedded_default(fresh_clone):
    shutil.copy(fresh_clone / ".env.example", fresh_clone / ".env")
    try:
        shown = manage(
            fresh_clone,
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.REDIS_URL)",
        )
        assert shown.returncode == 0, shown.stderr
        assert last_line(shown) == ["True", "django.db.backends.sqlite3", "None"]
    finally:
        (fresh_clone / ".env").unlink()
