"""The shipped deployment, run for real: nginx with deploy/nginx/*.conf (TLS, HTTP/2) in front
of two Daphne processes started by deploy/daphne/run.sh, on Redis and a fresh PostgreSQL
database. Every request below goes through https:// or wss:// on nginx, verified against a
CA made for the test."""

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
import requests
import websockets

from tests.conftest import reachable_postgres_url, reachable_redis_url, require_service
from tests.deploy.topology import (
    PIN_HEADER,
    SIGNIN_BURST,
    SIGNIN_RATE_PER_SECOND,
    WS_CONNECTIONS_PER_CLIENT,
    WS_PROXY_TIMEOUT,
    DeployedSite,
    Nginx,
    make_certificates,
    nginx_binary,
)
from tests.support.live import ROOT, cookie_header, guest_session
from tests.support.wsclient import frame_of_type, message_where

pytestmark = [pytest.mark.live]

STATIC_ROOT = ROOT / "staticfiles"
DRAIN_SECONDS = 5


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    if nginx_binary() is None:
        require_service("nginx is not installed (tests/support/ensure-services.sh installs it)")
    if not (STATIC_ROOT / "admin" / "css" / "base.css").exists():
        pytest.fail("staticfiles/ is empty: run `make static` (make test does) before this test")
    database, channel_redis = reachable_postgres_url(), reachable_redis_url()
    tmp = tmp_path_factory.mktemp("topology")
    certs = make_certificates(tmp)
    site = DeployedSite(
        tmp,
        processes=2,
        redis_url=channel_redis,
        env={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "GUEST_SIGNIN_ENABLED": "1",
            "SEND_RATE_COUNT": "1000",
            "SEND_RATE_BURST": "1000",
            "DAPHNE_DRAIN_SECONDS": str(DRAIN_SECONDS),
        },
    )
    nginx = None
    # requests (and so guest_session) trusts the test CA; LiveDatabase reads DATABASE_URL.
    with mock.patch.dict(os.environ, {"DATABASE_URL": database, "REQUESTS_CA_BUNDLE": str(certs["ca"])}):
        try:
            site.start()
            nginx = Nginx(tmp / "nginx", daphne_ports=site.ports, certs=certs, static_root=STATIC_ROOT).start()
            yield Topology(site, nginx, certs)
        finally:
            if nginx is not None:
                nginx.stop()
            site.stop()


class Topology:
    def __init__(self, site: DeployedSite, nginx: Nginx, certs):
        self.site, self.nginx = site, nginx
        self.ca = str(certs["ca"])
        self.tls = ssl.create_default_context(cafile=self.ca)

    @property
    def origin(self) -> str:
        return self.nginx.origin

    def guest(self, name: str) -> requests.Session:
        return guest_session(self.origin, name)

    async def open_room(self, session, *, pin=None, slug="general", since=None, **options):
        headers = {"Cookie": cookie_header(session), "Origin": self.origin}
        if pin is not None:
            headers[PIN_HEADER] = str(pin)
        query = f"?since={since}" if since is not None else ""
        socket_ = await websockets.connect(
            f"{self.nginx.ws_origin}/ws/rooms/{slug}/{query}", ssl=self.tls, additional_headers=headers, **options
        )
        hello = json.loads(await asyncio.wait_for(socket_.recv(), 5))
        assert hello["type"] == "hello"
        return socket_, hello

    def online_count(self, session, slug="general") -> int:
        rooms = session.get(self.origin + "/api/rooms/", timeout=5).json()["rooms"]
        return next(room["online_count"] for room in rooms if room["slug"] == slug)


async def send_message(socket_, body, others=None):
    """Send and wait for the ack: the message is then stored. Frames that arrive meanwhile go
    to `others`."""
    client_id = uuid.uuid4().hex
    await socket_.send(json.dumps({"type": "send", "body": body, "client_id": client_id}))
    async with asyncio.timeout(5):
        while True:
            frame = json.loads(await socket_.recv())
            if frame["type"] == "ack" and frame["client_id"] == client_id:
                return frame["message"]
            if others is not None:
                others.append(frame)


# --- The two processes behave as one site ---------------------------------------------------


async def test_clients_pinned_to_different_processes_talk_both_ways_and_agree_on_presence(topology):
    mina, jun = topology.guest("Mina"), topology.guest("Jun")
    on_first, _ = await topology.open_room(mina, pin=0)
    on_second, hello = await topology.open_room(jun, pin=1)
    assert {user["display_name"] for user in hello["online"]} >= {"Mina", "Jun"}

    sent = await send_message(on_first, "over nginx, from process 0")
    assert (await message_where(on_second, lambda m: m["id"] == sent["id"]))["body"] == "over nginx, from process 0"
    sent = await send_message(on_second, "and back, from process 1")
    assert (await message_where(on_first, lambda m: m["id"] == sent["id"]))["body"] == "and back, from process 1"

    # Each process answers for the other's user: the presence lives in Redis, not in a process.
    counts = {
        pin: requests.get(
            topology.origin + "/api/rooms/", cookies=mina.cookies, headers={PIN_HEADER: str(pin)}, timeout=5
        ).json()["rooms"]
        for pin in (0, 1)
    }
    general = [next(r["online_count"] for r in rooms if r["slug"] == "general") for rooms in counts.values()]
    assert general[0] == general[1] >= 2
    await on_first.close()
    await on_second.close()

    # The pins really sent each socket to its own process (Daphne logs every handshake).
    assert "WSCONNECT /ws/rooms/general/" in topology.site.access_log(0).read_text()
    assert "WSCONNECT /ws/rooms/general/" in topology.site.access_log(1).read_text()


# --- What nginx does itself ----------------------------------------------------------------


def test_static_files_come_from_nginx_compressed_and_cacheable(topology):
    response = requests.get(
        topology.origin + "/static/admin/css/base.css", headers={"Accept-Encoding": "gzip"}, timeout=5
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.text == (STATIC_ROOT / "admin" / "css" / "base.css").read_text()

    hashed = (
        sorted(p for p in (STATIC_ROOT / "assets").glob("*.js") if p.is_file())
        if (STATIC_ROOT / "assets").is_dir()
        else []
    )
    if hashed:
        asset = requests.get(f"{topology.origin}/static/assets/{hashed[0].name}", timeout=5)
        assert asset.status_code == 200
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    missing = requests.get(topology.origin + "/static/admin/css/no-such-file.css", timeout=5)
    assert missing.status_code == 404

    # No Daphne saw these: nginx logged them without an upstream.
    lines = [line for line in topology.nginx.access_log().splitlines() if "/static/" in line]
    assert lines and all("upstream=- " in line for line in lines)


def test_api_json_is_gzipped_on_the_way_out(topology):
    session = topology.guest("Zip")
    response = session.get(topology.origin + "/api/rooms/", headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.json()["rooms"]


def test_health_and_the_original_scheme_pass_through_the_proxy(topology):
    response = requests.get(topology.origin + "/health/", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    # Debug is off: Django would answer a request it believed to be plain HTTP with a redirect
    # to HTTPS (a loop behind the proxy) and would not send HSTS. Both depend on X-Forwarded-Proto.
    assert "Strict-Transport-Security" in response.headers
    assert response.headers["Server"] == "nginx"  # server_tokens off: no version to look up


def test_metrics_are_not_served_through_the_proxy_but_each_process_serves_them(topology):
    outside = requests.get(topology.origin + "/metrics/", timeout=5)
    assert outside.status_code == 404 and "rooms_" not in outside.text
    for port in topology.site.ports:  # Prometheus's way in: each Daphne process, from loopback
        # As Prometheus asks: plain HTTP, the process's own address as Host (not ALLOWED_HOSTS).
        direct = requests.get(f"http://127.0.0.1:{port}/metrics/", timeout=5, allow_redirects=False)
        assert direct.status_code == 200 and "rooms_open_sockets" in direct.text


def test_the_container_health_check_passes_against_a_live_daphne(topology):
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "daphne" / "healthcheck.py")],
        env={"DAPHNE_PORT": str(topology.site.ports[0]), "ALLOWED_HOSTS": ".localhost,127.0.0.1"},
        timeout=15,
    )
    assert result.returncode == 0


def test_plain_http_redirects_to_https_except_acme_challenges(topology):
    http = f"http://127.0.0.1:{topology.nginx.http_port}"
    response = requests.get(
        http + "/rooms/general/?x=1", headers={"Host": "localhost"}, allow_redirects=False, timeout=5
    )
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://localhost:{topology.nginx.https_port}/rooms/general/?x=1"

    (topology.nginx.acme_root / ".well-known" / "acme-challenge" / "token-1").write_text("proof")
    challenge = requests.get(http + "/.well-known/acme-challenge/token-1", timeout=5)
    assert (challenge.status_code, challenge.text) == (200, "proof")


def test_tls_offers_http2_and_forward_secret_ciphers(topology):
    context = ssl.create_default_context(cafile=topology.ca)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", topology.nginx.https_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.version() in {"TLSv1.2", "TLSv1.3"}

    tls12 = ssl.create_default_context(cafile=topology.ca)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", topology.nginx.https_port), timeout=5) as raw:
        with tls12.wrap_socket(raw, server_hostname="localhost") as tls:
            name, _, bits = tls.cipher()
            assert name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name)


def test_a_client_supplied_forwarded_for_never_reaches_daphne(topology):
    marker = uuid.uuid4().hex
    for pin in (0, 1):
        response = requests.get(
            f"{topology.origin}/api/auth/config/?probe={marker}",
            headers={"X-Forwarded-For": "203.0.113.9", PIN_HEADER: str(pin)},
            timeout=5,
        )
        assert response.status_code == 200
    logged = [
        line for index in (0, 1) for line in topology.site.access_log(index).read_text().splitlines() if marker in line
    ]
    # Daphne takes the leftmost X-Forwarded-For entry as the client: nginx must have replaced it.
    assert len(logged) == 2
    assert all(line.startswith("127.0.0.1") and "203.0.113.9" not in line for line in logged)


def test_a_request_body_over_the_limit_is_refused_by_nginx(topology):
    session = topology.guest("Big")
    response = session.post(
        topology.origin + "/api/rooms/general/messages/",
        data=b'{"body": "' + b"x" * (70 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 413


# --- Sockets through the proxy -------------------------------------------------------------


async def test_an_idle_socket_outlives_the_proxy_read_timeout(topology):
    """nginx drops a proxied socket after proxy_read_timeout without traffic from Daphne; the
    test config shortens it to 3 s. Daphne's pings must keep a silent client's socket open."""
    session = topology.guest("Quiet")
    # No client pings: only Daphne's keep the connection busy.
    idle, _ = await topology.open_room(session, ping_interval=None)
    await asyncio.sleep(WS_PROXY_TIMEOUT + 1.5)
    await idle.send(json.dumps({"type": "ping"}))
    assert (await frame_of_type(idle, "pong"))["type"] == "pong"
    await idle.close()
    assert "timed out" not in topology.nginx.error_log()


async def test_frames_over_the_app_limit_are_refused_with_1009_and_the_limit_itself_passes(topology):
    session = topology.guest("Sizes")
    socket_, _ = await topology.open_room(session)
    await socket_.send("x" * 65536)  # at the limit: reaches the app, which answers
    assert (await frame_of_type(socket_, "error"))["code"] == "invalid_json"
    await socket_.send("x" * 65537)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(5):
            while True:
                await socket_.recv()
    assert closed.value.rcvd.code == 1009


async def test_open_sockets_per_client_address_are_capped(topology):
    sessions = [topology.guest(f"Tab{i}") for i in range(WS_CONNECTIONS_PER_CLIENT + 1)]
    opened = [(await topology.open_room(s))[0] for s in sessions[:WS_CONNECTIONS_PER_CLIENT]]
    try:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await topology.open_room(sessions[-1])
        assert refused.value.response.status_code == 429
    finally:
        for socket_ in opened:
            await socket_.close()
    # Closed sockets give their places back.
    again, _ = await topology.open_room(sessions[-1])
    await again.close()


# --- Rate limit -----------------------------------------------------------------------------


def hammer(url: str, times: int = 150) -> tuple[list[requests.Response], list[requests.Response], float]:
    """`times` requests from 6 threads at once: (answered, refused with 429, seconds taken)."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: requests.get(url, timeout=10, allow_redirects=False), range(times)))
    elapsed = time.monotonic() - started
    limited = [r for r in statuses if r.status_code == 429]
    return [r for r in statuses if r.status_code != 429], limited, elapsed


def wait_until_answered(url: str) -> None:
    client = requests.Session()
    deadline = time.monotonic() + 5
    while client.get(url, timeout=5, allow_redirects=False).status_code == 429:
        assert time.monotonic() < deadline, f"{url} stayed limited"
        time.sleep(0.2)


def test_hammering_the_api_gets_429_from_nginx_and_the_app_stays_healthy(topology):
    # Unauthenticated, the room list is a quick 401 from the app, which has no limit of its own
    # there: every 429 is nginx's. Past the burst of 40, nginx lets through 20 requests a second
    # (+2 for the edges of the window).
    url = topology.origin + "/api/rooms/"
    allowed, limited, elapsed = hammer(url)
    assert limited and {r.status_code for r in allowed} == {401}
    assert len(allowed) <= 40 + 20 * elapsed + 2
    assert limited[0].json()["error"]["code"] == "rate_limited"
    assert limited[0].headers["Retry-After"] == "1"

    assert requests.get(topology.origin + "/health/", timeout=5).status_code == 200
    wait_until_answered(url)
    # Let the burst allowance refill (40 at 20/s) so the tests after this one start unlimited.
    time.sleep(2)


@pytest.mark.parametrize("path", ["/admin/login/", "/auth/login/google-oauth2/", "/api/auth/config/"])
def test_sign_in_and_the_admin_have_a_tighter_limit_of_their_own(topology, path):
    # Shipped: 1 a second after a burst of 20; here 20 a second (the guests of the other tests).
    # Without a limit of their own these paths would fall under `location /`, which has none.
    allowed, limited, elapsed = hammer(topology.origin + path)
    assert limited, f"{path} had no limit"
    assert len(allowed) <= SIGNIN_BURST + SIGNIN_RATE_PER_SECOND * elapsed + 2
    assert limited[0].headers["Retry-After"] == "1"
    if path.startswith("/api/"):
        assert limited[0].json()["error"]["code"] == "rate_limited"
    else:
        assert limited[0].headers["Content-Type"].startswith("text/plain")
    wait_until_answered(topology.origin + path)
    time.sleep(SIGNIN_BURST / SIGNIN_RATE_PER_SECOND + 0.5)


# --- A process stopping (deploy, restart) ---------------------------------------------------


async def test_sigterm_moves_a_processs_clients_to_the_other_without_losing_a_message(topology):
    mina, jun = topology.guest("Mina"), topology.guest("Jun")
    sender, _ = await topology.open_room(mina, pin=0)
    moving, hello = await topology.open_room(jun, pin=1)
    jun_id = hello["you"]["id"]
    held = {m["id"] for m in hello["messages"]}
    head = hello["event"]  # the room event up to which Jun holds everything
    seen_by_sender: list[dict] = []
    sent_ids: list[int] = []

    async def keep_sending(count):
        for n in range(count):
            sent_ids.append((await send_message(sender, f"during the restart {n}", seen_by_sender))["id"])
            await asyncio.sleep(0.01)

    for n in range(3):
        sent_ids.append((await send_message(sender, f"before the restart {n}", seen_by_sender))["id"])
    async with asyncio.timeout(5):
        while not set(sent_ids) <= held:
            frame = json.loads(await moving.recv())
            if frame["type"] == "message.new":
                held.add(frame["message"]["id"])
                head = frame["event"]

    sending = asyncio.create_task(keep_sending(40))
    await asyncio.sleep(0.1)
    stopped_at = time.monotonic()
    topology.site.procs[1].send_signal(signal.SIGTERM)

    # The stopping process says goodbye with 1012 ("service restart"), not a dropped connection.
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(5):
            while True:
                frame = json.loads(await moving.recv())
                if frame["type"] == "message.new":
                    assert frame["event"] == head + 1, "one process sends a room's events in order"
                    held.add(frame["message"]["id"])
                    head = frame["event"]
    assert closed.value.rcvd.code == 1012

    # It drains and exits cleanly well within its drain period, while the other keeps serving.
    exit_code = await asyncio.to_thread(topology.site.procs[1].wait, DRAIN_SECONDS + 5)
    assert exit_code == 0
    assert time.monotonic() - stopped_at < DRAIN_SECONDS
    # Its consumers' disconnect handlers ran: Jun's leave reached Mina when the reconnect grace
    # ran out (PRESENCE_GRACE, 10 s), not when his entry expired (PRESENCE_TTL, 60 s, + 5), as it
    # would if the process had just cancelled them.
    async with asyncio.timeout(10 + 5):
        while not any(
            f["type"] == "presence" and any(user["id"] == jun_id for user in f["left"]) for f in seen_by_sender
        ):
            await asyncio.sleep(0.05)
            if sending.done():
                seen_by_sender.append(json.loads(await sender.recv()))

    # Reconnect as the client does: through nginx, unpinned (nginx skips the stopped process),
    # with its event head.
    moved, hello = await topology.open_room(jun, since=head)
    replayed = [m["id"] for m in hello["messages"]]
    assert replayed, "messages were sent while Jun was away"
    assert not held & set(replayed), "catch-up repeated messages the client held"
    assert all(m["event"] > head for m in hello["messages"]) and hello["resync"] is False
    assert len(replayed) == len(set(replayed))
    received = held | set(replayed)
    await sending
    async with asyncio.timeout(10):
        while not set(sent_ids) <= received:
            frame = json.loads(await moved.recv())
            if frame["type"] == "message.new":
                received.add(frame["message"]["id"])
    assert len(sent_ids) == len(set(sent_ids)) == 43
    assert set(sent_ids) <= received

    sent = await send_message(moved, "from the survivor")
    assert (await message_where(sender, lambda m: m["id"] == sent["id"]))["author"]["id"] == jun_id
    await sender.close()
    await moved.close()
