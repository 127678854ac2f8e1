"""REST endpoints: every endpoint, permission and error, in the one error shape."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from rooms import services
from rooms.models import Message, Room, User

pytestmark = pytest.mark.django_db


def post_message(api, slug="lobby", body="hi", client_id="c1"):
    return api.post(f"/api/rooms/{slug}/messages/", {"body": body, "client_id": client_id}, format="json")


def store(room, author, count, prefix="m"):
    return [
        services.message_create(room=room, author=author, body=f"{prefix}{i}", client_id=f"{prefix}-{i}").message
        for i in range(count)
    ]


# --- Identity ----------------------------------------------------------------------------


def test_auth_config_says_which_sign_ins_are_on_the_limits_and_nobody_signed_in(anonymous_api, settings):
    settings.GUEST_SIGNIN_ENABLED = True
    settings.ROOMS = {**settings.ROOMS, "MESSAGE_MAX_LENGTH": 123}
    response = anonymous_api.get("/api/auth/config/")
    assert response.status_code == 200  # a first visit asks this, not /api/me/ (no 401 in the console)
    assert response.json() == {
        "guest_enabled": True,
        "google_enabled": False,
        "google_login_url": None,
        "limits": {
            "message_max_length": 123,
            "display_name_max_length": 32,
            "mentions_max": 20,
            "search_query_max_length": 200,
        },
        "user": None,
    }


def test_auth_config_names_the_signed_in_user_as_me_does(api):
    assert api.get("/api/auth/config/").json()["user"] == api.get("/api/me/").json()


def test_guest_sign_in_creates_a_user_and_a_session():
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/auth/csrf/").json()["csrf_token"]
    response = client.post(
        "/api/auth/guest/", {"display_name": "  민아  "}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201
    body = response.json()
    assert body["display_name"] == "민아" and body["is_guest"] is True and body["is_staff"] is False
    assert client.get("/api/me/").json()["id"] == body["id"]
    assert User.objects.get(pk=body["id"]).has_usable_password() is False


def test_guest_sign_in_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/auth/guest/", {"display_name": "Mina"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    ["", "   ", "x" * 33, "tab\there", "bell\u0007", 42],
    ids=["empty", "blank", "long", "tab", "ctrl", "number"],
)
def test_guest_display_names_are_validated(anonymous_api, name):
    response = anonymous_api.post("/api/auth/guest/", {"display_name": name}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_display_name", "invalid_field"}


def test_guest_sign_in_can_be_turned_off(anonymous_api, settings):
    settings.GUEST_SIGNIN_ENABLED = False
    response = anonymous_api.post("/api/auth/guest/", {"display_name": "Mina"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "guest_disabled"


def test_me_requires_sign_in_with_401(anonymous_api):
    response = anonymous_api.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_describes_the_user(api, user):
    assert api.get("/api/me/").json() == {
        "id": user.pk,
        "display_name": "Mina",
        "avatar_url": "",
        "is_staff": False,
        "is_guest": False,
    }


def test_logout_ends_the_session(user):
    client = Client()
    client.force_login(user)
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.get("/api/me/").status_code == 401


def test_logout_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/auth/logout/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    assert client.get("/api/me/").status_code == 200


# --- Rooms -------------------------------------------------------------------------------


def test_the_four_starting_rooms_exist_with_their_names():
    assert list(Room.objects.order_by("position").values_list("slug", "name")) == [
        ("general", "일반 대화"),
        ("tech", "기술 토론"),
        ("hobbies", "취미 공유"),
        ("music-movies", "음악 & 영화"),
    ]


def test_room_list_shows_counts_and_last_activity_with_archived_last(api, user, make_room):
    Room.objects.all().delete()
    make_room("zeta", is_archived=True, position=0)
    busy = make_room("busy", position=2)
    make_room("quiet", position=1)
    store(busy, user, 2)
    rooms = api.get("/api/rooms/").json()["rooms"]
    assert [r["slug"] for r in rooms] == ["quiet", "busy", "zeta"]
    busy_row = rooms[1]
    assert busy_row["last_seq"] == 2 and busy_row["last_message_at"] and busy_row["online_count"] == 0


def test_room_list_requires_sign_in(anonymous_api):
    assert anonymous_api.get("/api/rooms/").status_code == 401


def test_room_detail_and_unknown_room(api, room):
    assert api.get("/api/rooms/lobby/").json()["name"] == "Lobby"
    response = api.get("/api/rooms/nope/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


# --- History -----------------------------------------------------------------------------


def test_history_pages_backwards_newest_first(api, room, user):
    stored = store(room, user, 7)
    first = api.get("/api/rooms/lobby/messages/?limit=3").json()
    assert [m["id"] for m in first["messages"]] == [m.pk for m in stored[6:3:-1]] and first["has_more"]
    before = first["messages"][-1]["id"]
    second = api.get(f"/api/rooms/lobby/messages/?limit=3&before={before}").json()
    assert [m["id"] for m in second["messages"]] == [m.pk for m in stored[3:0:-1]] and second["has_more"]
    last = api.get(f"/api/rooms/lobby/messages/?limit=3&before={stored[1].pk}").json()
    assert [m["id"] for m in last["messages"]] == [stored[0].pk] and last["has_more"] is False


def test_history_catches_up_oldest_first(api, room, user):
    stored = store(room, user, 5)
    page = api.get(f"/api/rooms/lobby/messages/?after={stored[1].pk}").json()
    assert [m["id"] for m in page["messages"]] == [m.pk for m in stored[2:]] and page["has_more"] is False


def test_history_limit_is_capped(api, room, user, settings):
    settings.ROOMS = {**settings.ROOMS, "HISTORY_PAGE_MAX": 4}
    store(room, user, 6)
    assert len(api.get("/api/rooms/lobby/messages/?limit=1000").json()["messages"]) == 4


@pytest.mark.parametrize("query", ["before=abc", "after=-1", "limit=x", "before=3&after=1"])
def test_history_refuses_bad_cursors(api, room, query):
    response = api.get(f"/api/rooms/lobby/messages/?{query}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_field"


def test_history_only_holds_the_rooms_own_messages(api, room, make_room, user):
    other = make_room("other")
    store(other, user, 2, prefix="o")
    store(room, user, 1)
    assert [m["body"] for m in api.get("/api/rooms/lobby/messages/").json()["messages"]] == ["m0"]


# --- Sending over HTTP -------------------------------------------------------------------


def test_http_send_stores_the_message(api, room, user):
    response = post_message(api, body="over http", client_id="h1")
    assert response.status_code == 201
    message = Message.objects.get()
    assert response.json()["id"] == message.pk and message.author == user and message.seq == 1


def test_http_resend_returns_the_same_message_with_200(api, room):
    first = post_message(api, client_id="same")
    second = post_message(api, client_id="same")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and Message.objects.count() == 1


def test_http_send_reusing_a_client_id_in_another_room_is_a_conflict(api, room, make_room):
    make_room("other")
    post_message(api, client_id="dup")
    response = post_message(api, slug="other", client_id="dup")
    assert response.status_code == 400 and response.json()["error"]["code"] == "client_id_conflict"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "empty_body"),
        ("   ", "empty_body"),
        ("x" * 4001, "body_too_long"),
        ("nul\u0000", "invalid_body"),
        (None, "invalid_field"),
        (["a"], "invalid_field"),
    ],
    ids=["empty", "blank", "long", "nul", "missing", "list"],
)
def test_http_send_validates_the_body(api, room, body, code):
    response = post_message(api, body=body)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert Message.objects.count() == 0


def test_http_send_refuses_a_lone_surrogate(api, room):
    raw = '{"body": "half \\ud800", "client_id": "s1"}'
    response = api.post("/api/rooms/lobby/messages/", raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_body"


def test_http_send_needs_a_json_object(api, room):
    response = api.post("/api/rooms/lobby/messages/", [1, 2], format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_field"
    response = api.post("/api/rooms/lobby/messages/", "{nope", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


def test_http_send_to_archived_room_is_refused(api, make_room):
    make_room("old", is_archived=True)
    response = post_message(api, slug="old")
    assert response.status_code == 403 and response.json()["error"]["code"] == "room_archived"


def test_http_send_is_rate_limited_with_retry_after(api, room, settings):
    settings.ROOMS = {**settings.ROOMS, "SEND_RATE_COUNT": 1, "SEND_RATE_PERIOD": 30, "SEND_RATE_BURST": 1}
    assert post_message(api, client_id="r1").status_code == 201
    response = post_message(api, client_id="r2")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and response["Retry-After"] == str(error["retry_after"])
    assert 1 <= error["retry_after"] <= 30


def test_http_send_requires_csrf_with_a_session_cookie(user, room):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/api/rooms/lobby/messages/", {"body": "x", "client_id": "c"}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    assert Message.objects.count() == 0


def test_http_send_to_unknown_room_is_404(api):
    assert post_message(api, slug="nope").status_code == 404


# --- Editing and deleting ----------------------------------------------------------------


def test_author_edits_own_message(api, room, user):
    message = store(room, user, 1)[0]
    response = api.patch(f"/api/rooms/lobby/messages/{message.pk}/", {"body": "fixed"}, format="json")
    assert response.status_code == 200 and response.json()["body"] == "fixed" and response.json()["edited_at"]


def test_others_cannot_edit_or_delete(room, user, other_user):
    message = store(room, user, 1)[0]
    client = APIClient()
    client.force_authenticate(other_user)
    assert client.patch(f"/api/rooms/lobby/messages/{message.pk}/", {"body": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/rooms/lobby/messages/{message.pk}/").status_code == 403
    message.refresh_from_db()
    assert message.body == "m0" and not message.deleted


def test_staff_can_delete_anyones_message_and_it_keeps_its_place(room, user, make_user):
    moderator = make_user("Mod", is_staff=True)
    first, second = store(room, user, 2)
    client = APIClient()
    client.force_authenticate(moderator)
    assert client.delete(f"/api/rooms/lobby/messages/{first.pk}/").status_code == 204
    history = client.get("/api/rooms/lobby/messages/").json()["messages"]
    assert [(m["id"], m["deleted"], m["body"]) for m in history] == [(second.pk, False, "m1"), (first.pk, True, "")]


def test_deleted_messages_cannot_be_edited(api, room, user):
    message = store(room, user, 1)[0]
    api.delete(f"/api/rooms/lobby/messages/{message.pk}/")
    response = api.patch(f"/api/rooms/lobby/messages/{message.pk}/", {"body": "again"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "message_deleted"


def test_message_of_another_room_is_404(api, room, make_room, user):
    other = make_room("other")
    message = store(other, user, 1)[0]
    assert api.delete(f"/api/rooms/lobby/messages/{message.pk}/").status_code == 404


# --- Schema and health -------------------------------------------------------------------


def test_schema_and_docs_are_for_staff_only_unless_made_public(anonymous_api, api, make_user, settings):
    settings.API_DOCS_PUBLIC = False
    assert anonymous_api.get("/api/schema/").status_code in (401, 403)
    assert api.get("/api/schema/").status_code == 403  # signed in, not staff
    assert Client().get("/api/docs/").status_code in (401, 403)
    staff = APIClient()
    staff.force_authenticate(make_user("Admin", is_staff=True))
    assert staff.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 200


def test_openapi_schema_and_docs_are_served(anonymous_api, settings):
    settings.API_DOCS_PUBLIC = True
    schema = anonymous_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/rooms/{slug}/messages/" in schema.json()["paths"]
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


@pytest.mark.django_db(transaction=True)
def test_health_reports_each_part():
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok", "state": "ok"}


@pytest.mark.django_db(transaction=True)
def test_health_names_the_part_that_is_down(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "rooms.channel_layer.BatchingPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1"]},
        }
    }
    response = Client().get("/health/")
    assert response.status_code == 503
    assert response.json()["channel_layer"] == "down" and response.json()["database"] == "ok"


def test_unknown_api_paths_answer_in_the_error_shape(api):
    for path in ("/api/nope/", "/api/rooms/a%0Ab/messages/1/"):
        response = api.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"


def test_hand_built_frames_match_the_documented_serializers(room, user):
    from rooms.serializers import (
        AuthorSerializer,
        MessageSerializer,
        UserSerializer,
        author_data,
        message_data,
        user_data,
    )

    message = store(room, user, 1)[0]
    services.message_edit(message=message, actor=user, body="edited")
    message.refresh_from_db()
    assert message_data(message) == MessageSerializer(message).data
    assert author_data(user) == AuthorSerializer(user).data
    assert user_data(user) == UserSerializer(user).data
    user.is_staff = True
    assert user_data(user) == UserSerializer(user).data
    services.message_delete(message=message, actor=user)
    message.refresh_from_db()
    assert message_data(message) == MessageSerializer(message).data
