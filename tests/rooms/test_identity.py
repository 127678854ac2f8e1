"""Sign-in and transport security: Google through social-auth (only Google's HTTP endpoints
stubbed), WebSocket tickets, origins, CORS, CSRF, and sockets closing when a sign-in ends."""

import asyncio
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from chatsite.asgi import application
from rooms.models import User
from rooms.origins import origin_allowed
from tests.conftest import session_cookie_for
from tests.support.frames import HOST, SAME_SITE, closed_with, hello

GOOGLE_TOKEN_URL = "https://accounts.google.com/o/oauth2/token"
GOOGLE_USERINFO_URL = "https://www.googleapis.com/oauth2/v3/userinfo"
ROOT = Path(__file__).resolve().parents[2]


# --- Google sign-in ----------------------------------------------------------------------


@pytest.fixture
def google(settings):
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = "test-client-id"
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "test-client-secret"
    settings.GOOGLE_SIGNIN_ENABLED = True
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        yield stub


def google_profile(**overrides):
    profile = {
        "sub": "109876543210",
        "email": "mina@example.com",
        "email_verified": True,
        "name": "Mina Kim",
        "given_name": "Mina",
        "family_name": "Kim",
        "picture": "https://lh3.googleusercontent.com/a/mina",
    }
    return {**profile, **overrides}


def stub_google(stub, profile):
    stub.add(
        responses.POST, GOOGLE_TOKEN_URL, json={"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}
    )
    stub.add(responses.GET, GOOGLE_USERINFO_URL, json=profile)


def start_google_sign_in(client) -> str:
    """Start at our login URL (a POST, so another site cannot start a sign-in) and follow it to
    Google's consent page; return the state Google would echo."""
    response = client.post("/auth/login/google-oauth2/")
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://accounts.google.com/o/oauth2/auth"
    query = parse_qs(location.query)
    assert query["client_id"] == ["test-client-id"]
    assert query["redirect_uri"] == ["http://testserver/auth/complete/google-oauth2/"]
    return query["state"][0]


@pytest.mark.django_db
def test_google_sign_in_creates_the_user_with_name_email_and_avatar(google):
    stub_google(google, google_profile())
    client = Client()
    state = start_google_sign_in(client)
    response = client.get("/auth/complete/google-oauth2/", {"code": "auth-code", "state": state})
    assert response.status_code == 302 and response["Location"] == "/"
    me = client.get("/api/me/").json()
    assert me["display_name"] == "Mina Kim" and me["avatar_url"] == "https://lh3.googleusercontent.com/a/mina"
    assert me["is_guest"] is False
    assert User.objects.get(pk=me["id"]).email == "mina@example.com"


@pytest.mark.django_db
def test_the_same_google_account_signs_in_to_the_same_user(google):
    stub_google(google, google_profile(name="Mina K."))
    first, second = Client(), Client()
    first.get("/auth/complete/google-oauth2/", {"code": "c1", "state": start_google_sign_in(first)})
    second.get("/auth/complete/google-oauth2/", {"code": "c2", "state": start_google_sign_in(second)})
    assert first.get("/api/me/").json()["id"] == second.get("/api/me/").json()["id"]
    assert User.objects.filter(is_guest=False).count() == 1


@pytest.mark.django_db(transaction=True)
async def test_a_guest_signing_in_with_google_gets_the_google_user_a_new_session_and_loses_the_old_sockets(
    google, room
):
    stub_google(google, google_profile())
    browser = Client()

    def as_guest():
        token = browser.get("/api/auth/csrf/").json()["csrf_token"]
        browser.post(
            "/api/auth/guest/", {"display_name": "Guest"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
        )
        return browser.get("/api/me/").json(), browser.cookies["sessionid"].value

    guest, guest_session = await sync_to_async(as_guest)()
    cookie = f"sessionid={guest_session}".encode()
    socket = WebsocketCommunicator(application, "/ws/rooms/lobby/", headers=[*SAME_SITE, (b"cookie", cookie)])
    assert (await socket.connect(timeout=5))[0] and (await hello(socket))["you"]["id"] == guest["id"]

    def with_google():
        state = start_google_sign_in(browser)
        browser.get("/auth/complete/google-oauth2/", {"code": "auth-code", "state": state})
        return browser.get("/api/me/").json(), browser.cookies["sessionid"].value

    me, session = await sync_to_async(with_google)()
    assert me["id"] != guest["id"] and me["is_guest"] is False and me["display_name"] == "Mina Kim"
    assert session != guest_session
    assert await closed_with(socket) == 4401
    assert await sync_to_async(lambda: User.objects.get(pk=guest["id"]).is_guest)()  # the guest stays a guest


@pytest.mark.django_db(transaction=True)
async def test_a_google_session_opens_a_socket_as_its_user(google, room):
    """Sessions Google signed in name social-auth's backend, whose user lookup is its own."""
    stub_google(google, google_profile())
    browser = Client()

    def sign_in():
        browser.get("/auth/complete/google-oauth2/", {"code": "auth-code", "state": start_google_sign_in(browser)})
        return browser.get("/api/me/").json(), browser.cookies["sessionid"].value

    me, session = await sync_to_async(sign_in)()
    cookie = f"sessionid={session}".encode()
    socket = WebsocketCommunicator(application, "/ws/rooms/lobby/", headers=[*SAME_SITE, (b"cookie", cookie)])
    assert (await socket.connect(timeout=5))[0] and (await hello(socket))["you"]["id"] == me["id"]
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_session_that_no_longer_verifies_opens_no_socket_and_ends(user, room):
    """A password changed since the sign-in: the socket is refused as signed out, and the
    session is gone, as Django ends it for a request."""
    from django.contrib.sessions.models import Session

    cookie = await session_cookie_for(user)
    await database_sync_to_async(lambda: (user.set_password("a new one"), user.save()))()
    socket = WebsocketCommunicator(application, "/ws/rooms/lobby/", headers=[*SAME_SITE, (b"cookie", cookie)])
    await socket.connect(timeout=5)  # accepted, to say why it closes
    assert await closed_with(socket) == 4401
    assert not await database_sync_to_async(Session.objects.exists)()


@pytest.mark.django_db
def test_a_socket_reads_its_user_as_the_orm_does(make_user):
    """rooms/socket_auth.py's fixed statement gives the same user, every field converted as the
    ORM converts it (SQLite's datetimes and booleans), and None for nobody."""
    from django.forms.models import model_to_dict

    from rooms.socket_auth import _user_read

    someone = make_user("Mina", is_staff=True, avatar_url="https://example.com/a.png")
    someone.last_login = someone.date_joined
    someone.save()
    read = _user_read(someone.pk)
    by_orm = User.objects.get(pk=someone.pk)
    assert type(read) is User and read._state.adding is False
    fields = [field.attname for field in User._meta.concrete_fields]
    assert {f: getattr(read, f) for f in fields} == {f: getattr(by_orm, f) for f in fields}
    assert model_to_dict(read) == model_to_dict(by_orm)
    assert _user_read(someone.pk + 1000) is None


@pytest.mark.django_db
def test_a_guest_signing_in_with_a_google_account_already_known_gets_that_accounts_user(google):
    stub_google(google, google_profile())
    first = Client()
    first.get("/auth/complete/google-oauth2/", {"code": "c1", "state": start_google_sign_in(first)})
    mina = first.get("/api/me/").json()
    browser = Client()
    token = browser.get("/api/auth/csrf/").json()["csrf_token"]
    browser.post("/api/auth/guest/", {"display_name": "Guest"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    response = browser.get("/auth/complete/google-oauth2/", {"code": "c2", "state": start_google_sign_in(browser)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert browser.get("/api/me/").json()["id"] == mina["id"]


@pytest.mark.django_db
def test_auth_config_offers_google_when_keys_are_set(google):
    config = Client().get("/api/auth/config/").json()
    assert config["google_enabled"] is True and config["google_login_url"] == "/auth/login/google-oauth2/"


@pytest.mark.django_db
def test_a_domain_outside_the_allow_list_gets_a_readable_refusal(google, settings):
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_WHITELISTED_DOMAINS = ["company.example"]
    stub_google(google, google_profile())
    client = Client()
    response = client.get("/auth/complete/google-oauth2/", {"code": "c", "state": start_google_sign_in(client)})
    assert response.status_code == 403 and b"Sign-in failed" in response.content
    assert not User.objects.exists() and client.get("/api/me/").status_code == 401


@pytest.mark.django_db
def test_a_state_mismatch_gets_a_readable_page(google):
    client = Client()
    start_google_sign_in(client)
    response = client.get("/auth/complete/google-oauth2/", {"code": "c", "state": "forged-state"})
    assert response.status_code in (400, 403) and b"Sign-in failed" in response.content
    assert client.get("/api/me/").status_code == 401


@pytest.mark.django_db
def test_access_denied_on_googles_side_gets_a_readable_page(google):
    client = Client()
    state = start_google_sign_in(client)
    response = client.get("/auth/complete/google-oauth2/", {"error": "access_denied", "state": state})
    assert response.status_code == 403 and b"Sign-in failed" in response.content


@pytest.mark.django_db
def test_google_unreachable_gets_a_readable_page_not_a_500(google):
    google.add(responses.POST, GOOGLE_TOKEN_URL, body=requests.ConnectionError("no route to Google"))
    client = Client()
    response = client.get("/auth/complete/google-oauth2/", {"code": "c", "state": start_google_sign_in(client)})
    assert 500 < response.status_code < 600 and b"try again" in response.content
    assert not User.objects.exists()


# --- Tickets -----------------------------------------------------------------------------

FRONT_END = "https://app.example.com"


@pytest.fixture
def decoupled_front_end(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]
    settings.CSRF_TRUSTED_ORIGINS = [FRONT_END]


async def ticket_for(user) -> str:
    def issue():
        client = Client()
        client.force_login(user)
        response = client.post("/api/ws-ticket/")
        assert response.status_code == 201 and response.json()["expires_in"] == settings.ROOMS["WS_TICKET_TTL"]
        return response.json()["ticket"]

    return await sync_to_async(issue)()


async def open_with_ticket(ticket: str, origin: str = FRONT_END):
    socket = WebsocketCommunicator(
        application,
        f"/ws/rooms/lobby/?ticket={ticket}",
        headers=[HOST, (b"origin", origin.encode())],
    )
    connected, _ = await socket.connect(timeout=5)
    return socket, connected


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_opens_a_socket_from_the_allowed_front_end_once(decoupled_front_end, user, room):
    ticket = await ticket_for(user)
    nonce, _timestamp, _signature = ticket.split(":")
    assert len(nonce) == 32  # only a random nonce is readable in the URL
    socket, connected = await open_with_ticket(ticket)
    assert connected and (await hello(socket))["you"]["id"] == user.pk

    replay, _ = await open_with_ticket(ticket)
    assert await closed_with(replay) == 4401
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_tampered_and_expired_tickets_are_refused(decoupled_front_end, user, room, settings):
    ticket = await ticket_for(user)
    nonce, timestamp, signature = ticket.split(":")
    tampered, _ = await open_with_ticket(f"{nonce}x:{timestamp}:{signature}")
    assert await closed_with(tampered) == 4401

    settings.ROOMS = {**settings.ROOMS, "WS_TICKET_TTL": 1}
    ticket = await ticket_for(user)
    await asyncio.sleep(2.1)
    expired, _ = await open_with_ticket(ticket)
    assert await closed_with(expired) == 4401


@pytest.mark.django_db(transaction=True)
async def test_tickets_work_across_processes_through_redis(decoupled_front_end, user, room, redis_url):
    ticket = await ticket_for(user)
    socket, connected = await open_with_ticket(ticket)
    assert connected and (await hello(socket))["you"]["id"] == user.pk
    replay, _ = await open_with_ticket(ticket)
    assert await closed_with(replay) == 4401
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_is_refused_once_the_session_that_issued_it_has_ended(decoupled_front_end, user, room):
    def issue_then_sign_out():
        client = Client()
        client.force_login(user)
        kept = client.post("/api/ws-ticket/").json()["ticket"]
        spent = client.post("/api/ws-ticket/").json()["ticket"]
        return kept, spent, client

    kept, spent, client = await sync_to_async(issue_then_sign_out)()
    opened, connected = await open_with_ticket(spent)
    assert connected and (await hello(opened))["you"]["id"] == user.pk
    assert (await sync_to_async(client.post)("/api/auth/logout/")).status_code == 204
    assert await closed_with(opened) == 4401  # the socket it opened ends with the session
    after, _ = await open_with_ticket(kept)
    assert await closed_with(after) == 4401  # and one issued before, taken after, is refused


@pytest.mark.django_db
def test_a_ticket_needs_sign_in_and_csrf(user):
    assert Client().post("/api/ws-ticket/").status_code == 401
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/api/ws-ticket/").json()["error"]["code"] == "csrf_failed"


# --- Origins, CORS, CSRF -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_foreign_page_cannot_open_a_socket_with_the_users_cookie(user, room, caplog):
    cookie = await session_cookie_for(user)
    socket = WebsocketCommunicator(
        application,
        "/ws/rooms/lobby/",
        headers=[HOST, (b"origin", b"https://evil.example"), (b"cookie", cookie)],
    )
    with caplog.at_level(logging.WARNING, logger="rooms.security"):
        connected, _ = await socket.connect(timeout=5)
    assert not connected
    assert "refused WebSocket handshake from origin https://evil.example" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_without_origin_is_refused(user, room):
    socket = WebsocketCommunicator(
        application, "/ws/rooms/lobby/", headers=[(b"cookie", await session_cookie_for(user))]
    )
    connected, _ = await socket.connect(timeout=5)
    assert not connected


@pytest.mark.django_db
def test_cors_headers_only_for_allowed_origins(decoupled_front_end, user):
    client = Client()
    client.force_login(user)
    allowed = client.get("/api/rooms/", HTTP_ORIGIN=FRONT_END)
    assert allowed["Access-Control-Allow-Origin"] == FRONT_END
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    other = client.get("/api/rooms/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    preflight = client.options(
        "/api/rooms/lobby/messages/", HTTP_ORIGIN=FRONT_END, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight["Access-Control-Allow-Origin"] == FRONT_END


@pytest.mark.django_db
def test_csrf_from_the_allowed_front_end_origin_is_accepted_over_https(decoupled_front_end, user, room):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/api/auth/csrf/").json()["csrf_token"]
    response = client.post(
        "/api/rooms/lobby/messages/",
        {"body": "from the static host", "client_id": "x-origin"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN=FRONT_END,
        secure=True,
    )
    assert response.status_code == 201
    forged = client.post(
        "/api/rooms/lobby/messages/",
        {"body": "forged", "client_id": "x-forged"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="https://evil.example",
        secure=True,
    )
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"


# --- Sign-in ending closes sockets -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_deactivating_a_user_in_admin_closes_their_sockets(connect, user, room, make_user):
    admin_user = await database_sync_to_async(make_user)("Admin", is_staff=True, is_superuser=True)
    socket, connected, _ = await connect(user, "lobby")
    await hello(socket)

    def deactivate():
        client = Client()
        client.force_login(admin_user)
        response = client.post("/admin/rooms/user/", {"action": "deactivate", "_selected_action": [user.pk]})
        assert response.status_code == 302

    await sync_to_async(deactivate)()
    assert await closed_with(socket) == 4401
    await database_sync_to_async(user.refresh_from_db)()
    assert user.is_active is False


@pytest.mark.django_db(transaction=True)
async def test_a_socket_closes_when_its_session_expires(user, room):
    cookie = await session_cookie_for(user, expiry_seconds=2)
    socket = WebsocketCommunicator(
        application,
        "/ws/rooms/lobby/",
        headers=[*SAME_SITE, (b"cookie", cookie)],
    )
    connected, _ = await socket.connect(timeout=5)
    assert connected and (await hello(socket))["you"]["id"] == user.pk
    assert await closed_with(socket, timeout=6) == 4401


# --- Production settings -----------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "chat.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="chatsite.settings", DJANGO_DEBUG="0", ALLOWED_HOSTS="chat.example.com")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("https://localhost", "localhost", True),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("https://127.0.0.1:9999", "127.0.0.1:8000", False),  # another port of the same host
        ("http://127.0.0.1:8000", "127.0.0.1:8000", False),  # plain HTTP outside debug
        ("https://evil.example", "evil.example", False),  # not one of ALLOWED_HOSTS
        ("https://app.example.com", "chat.example.com", True),  # the front end named in full
        ("http://app.example.com", "chat.example.com", False),  # its scheme must match too
        ("https://app.example.com:8443", "chat.example.com", False),  # and its port
        ("https://localhost", None, False),  # no Host header: nothing to be the same origin as
        ("null", "localhost", False),
        (None, "localhost", False),
    ],
)
def test_a_socket_origin_must_match_scheme_host_and_port(settings, origin, host, allowed):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "chat.example.com"]
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    assert origin_allowed(origin, host) is allowed


def test_plain_http_from_the_site_itself_is_allowed_in_debug(settings):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    assert origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8000")


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_from_another_port_of_the_same_host_is_refused(user, room):
    cookie = await session_cookie_for(user)
    headers = [(b"host", b"localhost:8000"), (b"origin", b"https://localhost:9999"), (b"cookie", cookie)]
    connected, _ = await WebsocketCommunicator(application, "/ws/rooms/lobby/", headers=headers).connect()
    assert not connected
    headers[1] = (b"origin", b"https://localhost:8000")
    connected, _ = await WebsocketCommunicator(application, "/ws/rooms/lobby/", headers=headers).connect()
    assert connected
