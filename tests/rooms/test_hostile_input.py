"""Hostile input against the REST API and the socket (issue: abuse and identity hardening):
each answer is a clear error in the API's one shape, never a 500 or Python's own error text."""

import pytest
from channels.db import database_sync_to_async
from django.db.models import F
from rest_framework.test import APIClient

from rooms.models import Message, User
from tests.support.frames import frame_of_type, frames_before_pong, hello

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = "[" * 10_000 + "]" * 10_000


def assert_api_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code


def test_json_nested_too_deeply_is_a_400_everywhere(api, anonymous_api, user, room):
    message = Message.objects.create(room=room, author=user, body="mine", client_id="c1", seq=1, event=1)
    assert_api_error(api.generic("POST", "/api/rooms/lobby/messages/", DEEP, "application/json"), 400, "invalid_json")
    assert_api_error(
        api.generic("PATCH", f"/api/rooms/lobby/messages/{message.pk}/", DEEP, "application/json"), 400, "invalid_json"
    )
    assert_api_error(anonymous_api.generic("POST", "/api/auth/guest/", DEEP, "application/json"), 400, "invalid_json")


@pytest.mark.parametrize(
    "query", ["after=²", "limit=²", "before=①", "after=٣", "before=" + "9" * 5000, "after=-1", "limit=1.5"]
)
def test_cursors_that_are_not_plain_numbers_are_a_400_without_python_internals(api, room, query):
    response = api.get(f"/api/rooms/lobby/messages/?{query}")
    assert_api_error(response, 400, "invalid_field")
    assert "conversion" not in response.content.decode() and "digits" not in response.content.decode()


@pytest.mark.parametrize("since", ["²", "①", "9" * 5000, "-3"])
async def test_a_socket_with_a_since_that_is_not_a_number_is_resynced_and_told(connect, user, room, since):
    socket, connected, _ = await connect(user, "lobby", since=since)
    assert connected
    first = await hello(socket)
    assert first["resync"] is True
    assert (await frame_of_type(socket, "error"))["code"] == "invalid_field"
    await socket.send_json_to({"type": "ping"})
    assert (await frame_of_type(socket, "pong"))["type"] == "pong"  # still open


async def test_a_socket_with_an_after_that_is_not_a_number_is_resynced(connect, user, room):
    socket, connected, _ = await connect(user, "lobby", after="²")
    assert connected and (await hello(socket))["resync"] is True


def test_carriage_returns_become_newlines_and_a_body_of_only_them_is_empty(api, room):
    stored = api.post("/api/rooms/lobby/messages/", {"body": "one\r\ntwo\rthree", "client_id": "cr"}, format="json")
    assert stored.status_code == 201 and stored.json()["body"] == "one\ntwo\nthree"
    assert Message.objects.get(client_id="cr").body == "one\ntwo\nthree"
    assert_api_error(
        api.post("/api/rooms/lobby/messages/", {"body": "\r\r\n", "client_id": "cr2"}, format="json"), 400, "empty_body"
    )


async def test_a_carriage_return_over_the_socket_is_stored_as_a_newline(connect, user, room):
    socket, connected, _ = await connect(user, "lobby")
    await hello(socket)
    await socket.send_json_to({"type": "send", "body": "a\r\nb", "client_id": "sock-cr"})
    assert (await frame_of_type(socket, "ack"))["message"]["body"] == "a\nb"
    assert await database_sync_to_async(lambda: Message.objects.get(client_id="sock-cr").body)() == "a\nb"


async def test_edits_and_deletes_share_the_send_budget_and_a_bystander_hears_only_what_passed(
    connect, user, other_user, room, settings
):
    settings.ROOMS = {**settings.ROOMS, "SEND_RATE_BURST": 3, "SEND_RATE_COUNT": 1, "SEND_RATE_PERIOD": 60}
    bystander, connected, _ = await connect(other_user, "lobby")
    await hello(bystander)
    author = APIClient()
    author.force_authenticate(user)

    def flood():
        sent = author.post("/api/rooms/lobby/messages/", {"body": "v0", "client_id": "flood"}, format="json")
        path = f"/api/rooms/lobby/messages/{sent.json()['id']}/"
        edits = [author.patch(path, {"body": f"v{i}"}, format="json") for i in range(1, 6)]
        return edits, author.delete(path)

    edits, delete = await database_sync_to_async(flood)()
    # The send took one token of three: two edits pass, then everything is refused, delete too.
    assert [r.status_code for r in edits] == [200, 200, 429, 429, 429]
    assert edits[2].json()["error"]["code"] == "rate_limited" and int(edits[2]["Retry-After"]) >= 1
    assert delete.status_code == 429
    edited = [f for f in await frames_before_pong(bystander) if f["type"] == "message.edited"]
    assert [f["message"]["body"] for f in edited] == ["v1", "v2"]


def test_moderators_are_not_held_to_the_budget_for_cleaning_up(api, user, make_user, room, settings):
    settings.ROOMS = {**settings.ROOMS, "SEND_RATE_BURST": 1, "SEND_RATE_COUNT": 1, "SEND_RATE_PERIOD": 60}
    moderator = APIClient()
    moderator.force_authenticate(make_user("Mod", is_staff=True))
    ids = [
        Message.objects.create(room=room, author=user, body=f"spam {i}", client_id=f"s{i}", seq=i, event=i).pk
        for i in range(1, 5)
    ]
    assert [moderator.delete(f"/api/rooms/lobby/messages/{pk}/").status_code for pk in ids] == [204] * 4


def sign_in_guest(address: str, name: str = "Guest"):
    client = APIClient(REMOTE_ADDR=address)
    return client.post("/api/auth/guest/", {"display_name": name}, format="json")


@pytest.mark.parametrize("limited_by", ["address", "site"])
def test_guest_sign_in_is_limited_per_address_and_for_the_site(settings, limited_by):
    if limited_by == "address":
        settings.GUEST_SIGNIN_RATE = {"PER_ADDRESS_PER_HOUR": 20, "PER_ADDRESS_BURST": 3, "SITE_PER_MINUTE": 1000}
        addresses = ["203.0.113.7"] * 4
    else:
        settings.GUEST_SIGNIN_RATE = {"PER_ADDRESS_PER_HOUR": 20, "PER_ADDRESS_BURST": 3, "SITE_PER_MINUTE": 3}
        addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
    answers = [sign_in_guest(address) for address in addresses]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert_api_error(answers[3], 429, "rate_limited")
    assert int(answers[3]["Retry-After"]) >= 1
    assert User.objects.filter(is_guest=True).count() == 3
    if limited_by == "address":
        assert sign_in_guest("198.51.100.9").status_code == 201  # another address is not held up


def test_idle_guests_are_retired_with_their_sessions_and_their_messages_stay(make_user, room):
    from datetime import timedelta

    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    long_ago = timezone.now() - timedelta(days=20)
    idle = make_user("Idle guest", is_guest=True, date_joined=long_ago, last_login=long_ago)
    recent = make_user("Recent guest", is_guest=True, last_login=timezone.now())
    google = make_user("Google person", date_joined=long_ago, last_login=long_ago)
    sessions = {}
    for user in (idle, recent):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session.save()
        sessions[user.pk] = session.session_key
    Message.objects.create(room=room, author=idle, body="still here", client_id="idle-1", seq=1, event=1)

    out = __import__("io").StringIO()
    call_command("retire_idle_guests", "--idle-days", "14", stdout=out)
    assert "Retired 1 guest" in out.getvalue()

    idle.refresh_from_db()
    assert (idle.is_active, idle.shown_name) == (False, "Former guest")
    assert not SessionStore().exists(sessions[idle.pk]) and SessionStore().exists(sessions[recent.pk])
    for other in (recent, google):
        other.refresh_from_db()
        assert other.is_active and other.shown_name != "Former guest"
    message = Message.objects.select_related("author").get(client_id="idle-1")
    assert (message.body, message.author.shown_name) == ("still here", "Former guest")


@pytest.mark.parametrize(
    "name",
    [
        "\u202egnp.exe",  # right-to-left override
        "\u200b\u200b",  # zero-width spaces only
        "\ufeffAdmin",  # byte-order mark
        "\u3164\u3164",  # Hangul fillers: letters that render blank
        "\u0410dmin",  # a Cyrillic A in a Latin word
        "Moderator \u2714",  # a verified-looking check mark
        "\u0301\u0301",  # combining marks and nothing to mark
    ],
    ids=["rlo", "zwsp-only", "bom", "blank-letters", "mixed-script", "badge", "marks-only"],
)
def test_display_names_that_hide_or_pretend_are_refused(anonymous_api, name):
    response = anonymous_api.post("/api/auth/guest/", {"display_name": name}, format="json")
    assert_api_error(response, 400, "invalid_display_name")


@pytest.mark.parametrize("name", ["민아", "Mina 김", "Ζωή", "Иван", "O'Brien-Smith", "Ｍｉｎａ"])
def test_ordinary_names_in_any_script_are_accepted(anonymous_api, name):
    response = anonymous_api.post("/api/auth/guest/", {"display_name": name}, format="json")
    assert response.status_code == 201, response.content
    if name == "Ｍｉｎａ":
        assert response.json()["display_name"] == "Mina"  # full-width letters folded (NFKC)


def test_a_guest_cannot_take_a_moderators_name(anonymous_api, make_user):
    make_user("Admin", is_staff=True)
    for name in ("Admin", "admin", " ADMIN ", "Ａｄｍｉｎ"):
        response = anonymous_api.post("/api/auth/guest/", {"display_name": name}, format="json")
        assert_api_error(response, 400, "invalid_display_name")
    make_user("Retired mod", is_staff=True, is_active=False)
    assert anonymous_api.post("/api/auth/guest/", {"display_name": "Retired mod"}, format="json").status_code == 201


async def test_every_author_shape_says_whether_the_user_is_staff(connect, make_user, room):
    """The UI marks staff from this flag, never from the name (docs/protocol.md, Author)."""
    moderator = await database_sync_to_async(make_user)("Admin", is_staff=True)
    member = await database_sync_to_async(make_user)("Admin \u2714")
    socket, connected, _ = await connect(member, "lobby")
    assert connected and (await hello(socket))["you"]["is_staff"] is False
    other, connected, _ = await connect(moderator, "lobby")
    assert connected
    staff_hello = await hello(other)
    assert {u["id"]: u["is_staff"] for u in staff_hello["online"]} == {member.pk: False, moderator.pk: True}
    heard: dict[int, bool] = {}
    while moderator.pk not in heard:
        heard.update({u["id"]: u["is_staff"] for u in (await frame_of_type(socket, "presence"))["joined"]})
    assert heard[moderator.pk] is True and heard.get(member.pk, False) is False
    await other.send_json_to({"type": "send", "body": "hello", "client_id": "m1"})
    frame = await frame_of_type(socket, "message.new")
    assert frame["message"]["author"]["is_staff"] is True
    await other.send_json_to({"type": "typing"})
    assert (await frame_of_type(socket, "typing"))["user"]["is_staff"] is True

    api = APIClient()
    await database_sync_to_async(api.force_authenticate)(member)
    listed = await database_sync_to_async(api.get)("/api/rooms/lobby/messages/")
    assert [m["author"]["is_staff"] for m in listed.json()["messages"]] == [True]


def admin_login(username: str, password: str, address: str = "203.0.113.50"):
    from django.test import Client

    client = Client(REMOTE_ADDR=address)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return response, client


@pytest.fixture
def admin_account(make_user):
    account = make_user("Boss", username="boss", is_staff=True, is_superuser=True)
    account.set_password("right horse battery staple")
    account.save()
    return account


def signed_in_to_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_admin_login_locks_an_account_after_repeated_failures(admin_account, settings):
    failures = [admin_login("boss", f"guess {i}", address=f"198.51.100.{i}")[0] for i in range(30)]
    assert [r.status_code for r in failures[: settings.AXES_FAILURE_LIMIT - 1]] == [200] * (
        settings.AXES_FAILURE_LIMIT - 1
    )  # the form again, with its error
    assert {r.status_code for r in failures[settings.AXES_FAILURE_LIMIT :]} == {429}
    locked, client = admin_login("boss", "right horse battery staple", address="192.0.2.1")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "Too many failed sign-ins" in locked.content.decode()
    assert not signed_in_to_admin(client)


def test_the_admin_login_locks_an_address_that_tries_many_accounts(admin_account, settings):
    tried = [admin_login(f"user{i}", "guess")[0].status_code for i in range(settings.AXES_FAILURE_LIMIT + 2)]
    assert tried[-1] == 429
    locked, client = admin_login("boss", "right horse battery staple")
    assert locked.status_code == 429 and not signed_in_to_admin(client)
    elsewhere, client = admin_login("boss", "right horse battery staple", address="192.0.2.9")
    assert elsewhere.status_code == 302 and signed_in_to_admin(client)


def test_an_admin_lockout_ends_after_the_cool_off(admin_account, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login("boss", "wrong")
    assert admin_login("boss", "right horse battery staple")[0].status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    response, client = admin_login("boss", "right horse battery staple")
    assert response.status_code == 302 and signed_in_to_admin(client)


def test_a_password_sign_in_without_a_request_is_not_counted_and_still_works(admin_account):
    # Django's test client and a shell authenticate without a request; axes alone would raise.
    from django.test import Client

    assert Client().login(username="boss", password="right horse battery staple")
    assert not Client().login(username="boss", password="wrong")
