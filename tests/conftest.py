"""Fixtures shared by the whole suite: users, rooms, signed-in clients and sockets, and the
switch to a real Redis for the tests that need one."""

import os
import uuid

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.test import APIClient

from chatsite.asgi import application
from rooms import room_lookup
from rooms.models import Room, User
from rooms.presence import reset_presence
from rooms.state import reset_state

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(reason: str):
    """Under CI a missing service is a failure, not a skip: CI must run every test."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_state():
    reset_state()
    reset_presence()
    room_lookup.forget_all()
    yield
    reset_state()
    reset_presence()
    room_lookup.forget_all()


def reachable_redis_url() -> str:
    """The suite's Redis (REDIS_URL), answering a PING, or a skip (a failure under CI)."""
    url = django_settings.TEST_REDIS_URL
    if not url:
        require_service("REDIS_URL is not set")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        require_service(f"Redis at {url} is unreachable: {error}")
    return url


def reachable_postgres_url() -> str:
    """PostgreSQL whatever database the run uses: the run's DATABASE_URL when it is one, else
    TEST_POSTGRES_URL (set by the Makefile) or the local server."""
    import psycopg

    url = os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgres"):
        url = os.environ.get("TEST_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/test"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as error:
        require_service(f"PostgreSQL at {url} is unreachable: {error}")
    return url


@pytest.fixture
def redis_url(settings):
    """Point the channel layer and the presence/rate-limit state at the real Redis, with
    keys under a prefix of this test's own."""
    url = reachable_redis_url()
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    settings.REDIS_URL = url
    settings.ROOMS = {**settings.ROOMS, "STATE_KEY_PREFIX": prefix}
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "rooms.channel_layer.BatchingPubSubChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": prefix},
        }
    }
    reset_state()
    reset_presence()
    yield url
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def state_backend(request):
    """Run a test against the in-process state and layer, and against real Redis (several
    processes' worth of state and the pub/sub layer)."""
    if request.param == "redis":
        request.getfixturevalue("redis_url")
    return request.param


@pytest.fixture
def postgres_url() -> str:
    return reachable_postgres_url()


@pytest.fixture
def make_user(db):
    def make(name: str = "Mina", **fields) -> User:
        username = fields.pop("username", f"{name.lower()}-{uuid.uuid4().hex[:6]}")
        return User.objects.create(username=username, display_name=name, **fields)

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user("Mina")


@pytest.fixture
def other_user(make_user) -> User:
    return make_user("Jun")


@pytest.fixture
def make_room(db):
    def make(slug: str = "lobby", **fields) -> Room:
        fields.setdefault("name", slug.title())
        return Room.objects.create(slug=slug, **fields)

    return make


@pytest.fixture
def room(make_room) -> Room:
    return make_room("lobby", name="Lobby")


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def anonymous_api() -> APIClient:
    return APIClient()


@database_sync_to_async
def session_cookie_for(user: User, expiry_seconds: int | None = None) -> bytes:
    """A real session for `user`, as the browser would hold after signing in."""
    session = SessionStore()
    if expiry_seconds is not None:
        session.set_expiry(expiry_seconds)
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{django_settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


@pytest.fixture
def connect():
    """Open a room socket through the full ASGI stack (origin check, session auth, routing).
    `user=None` connects without a session."""
    opened: list[WebsocketCommunicator] = []

    async def open_socket(
        user, slug: str, *, since=None, after=None, origin: bytes = b"https://localhost", scope_user=None
    ):
        query = "&".join(f"{name}={value}" for name, value in (("since", since), ("after", after)) if value is not None)
        path = f"/ws/rooms/{slug}/" + (f"?{query}" if query else "")
        headers = [(b"host", b"localhost"), (b"origin", origin)]
        if user is not None:
            headers.append((b"cookie", await session_cookie_for(user)))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        if scope_user is not None:
            communicator.scope["user"] = scope_user
        opened.append(communicator)
        connected, code = await communicator.connect(timeout=5)
        return communicator, connected, code

    yield open_socket
    for communicator in opened:
        communicator.stop(exceptions=False)


def pytest_terminal_summary(terminalreporter):
    """Numbers that tests record for people (the soak's counts and memory), shown after the run."""
    for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed"):
        for name, value in getattr(report, "user_properties", []):
            if name == "soak":
                terminalreporter.write_line(f"soak report ({report.nodeid}): {value}")
