"""Room events over REST and from the admin (docs/protocol.md, "Room events"): the HTTP
fallback's poll asks the same question as a reconnecting socket, archiving is a room event that
reaches open sockets, and an archived room is read-only for members whatever they try."""

import re
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from rooms import services
from rooms.models import Message, Room
from tests.support.frames import frame_of_type, hello

ROOT = Path(__file__).resolve().parents[2]


def store(room, author, count, prefix="m"):
    return [
        services.message_create(room=room, author=author, body=f"{prefix}{i}", client_id=f"{prefix}-{i}").message
        for i in range(count)
    ]


@pytest.fixture
def moderator(make_user):
    return make_user("Mod", is_staff=True, is_superuser=True)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def message_url(message) -> str:
    return f"/api/rooms/{message.room.slug}/messages/{message.pk}/"


# --- The HTTP fallback's poll ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_http_poll_brings_edits_and_deletes_of_messages_already_held(api, room, user):
    messages = store(room, user, 3)  # events 1–3
    held = api.get("/api/rooms/lobby/changes/").json()
    assert held["event"] == 3 and [m["body"] for m in held["messages"]] == ["m0", "m1", "m2"]
    api.patch(message_url(messages[0]), {"body": "m0, edited"}, format="json")  # event 4
    api.delete(message_url(messages[1]))  # event 5

    changes = api.get("/api/rooms/lobby/changes/", {"since": held["event"]}).json()
    assert [(m["id"], m["event"], m["body"], m["deleted"]) for m in changes["messages"]] == [
        (messages[0].pk, 4, "m0, edited", False),
        (messages[1].pk, 5, "", True),
    ]
    assert changes["event"] == 5 and changes["resync"] is False
    assert changes["room"]["slug"] == "lobby" and changes["room"]["online_count"] == 0
    # The old poll, by message id, never sees either change: it is history paging, not catch-up.
    assert api.get("/api/rooms/lobby/messages/", {"after": messages[2].pk}).json()["messages"] == []


@pytest.mark.django_db
def test_the_http_poll_refuses_a_bad_since_and_an_unknown_room(api, room):
    response = api.get("/api/rooms/lobby/changes/", {"since": "-1"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_field"
    assert api.get("/api/rooms/nowhere/changes/").status_code == 404


@pytest.mark.django_db
def test_the_http_poll_needs_sign_in(anonymous_api, room):
    assert anonymous_api.get("/api/rooms/lobby/changes/").status_code == 401


# --- Archived rooms ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_authors_delete_in_an_archived_room_is_refused_like_an_edit(api, room, user):
    (message,) = store(room, user, 1)
    services.room_update(room=room, is_archived=True)
    deleted = api.delete(message_url(message))
    edited = api.patch(message_url(message), {"body": "changed"}, format="json")
    assert (deleted.status_code, deleted.json()["error"]["code"]) == (403, "room_archived")
    assert (edited.status_code, edited.json()["error"]["code"]) == (403, "room_archived")
    assert Message.objects.get(pk=message.pk).deleted is False
    assert Room.objects.get(pk=room.pk).last_event == 2  # the archive only: a refusal takes no number


@pytest.mark.django_db
def test_moderators_may_still_edit_and_delete_in_an_archived_room(room, user, moderator):
    first, second = store(room, user, 2)
    services.room_update(room=room, is_archived=True)
    mod = api_for(moderator)
    assert mod.patch(message_url(first), {"body": "cleaned up"}, format="json").status_code == 200
    assert mod.delete(message_url(second)).status_code == 204
    assert [(m.body, m.deleted, m.event) for m in Message.objects.order_by("id")] == [
        ("cleaned up", False, 4),
        ("m1", True, 5),
    ]


@pytest.mark.django_db
def test_editing_a_deleted_message_is_409_and_deleting_it_again_changes_nothing(api, room, user):
    (message,) = store(room, user, 1)
    assert api.delete(message_url(message)).status_code == 204
    edited = api.patch(message_url(message), {"body": "back"}, format="json")
    assert (edited.status_code, edited.json()["error"]["code"]) == (409, "message_deleted")
    assert api.delete(message_url(message)).status_code == 204
    assert Room.objects.get(pk=room.pk).last_event == 2  # the post and one delete


# --- From the admin ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_archiving_in_the_admin_reaches_open_sockets_and_says_what_it_did(connect, user, room, moderator):
    socket, _, _ = await connect(user, "lobby")
    await hello(socket)
    admin = Client()
    await database_sync_to_async(admin.force_login)(moderator)

    response = await database_sync_to_async(admin.post)(
        "/admin/rooms/room/", {"action": "archive", "_selected_action": [room.pk]}, follow=True
    )
    updated = await frame_of_type(socket, "room.updated")
    assert updated["room"]["is_archived"] is True and updated["event"] == 1
    assert "Archived 1: Lobby" in response.content.decode()

    response = await database_sync_to_async(admin.post)(
        "/admin/rooms/room/", {"action": "unarchive", "_selected_action": [room.pk]}, follow=True
    )
    reopened = await frame_of_type(socket, "room.updated")
    assert reopened["room"]["is_archived"] is False and reopened["event"] == 2
    assert "Reopened 1: Lobby" in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_renaming_in_the_admin_form_is_a_room_event_and_keeps_the_rooms_counters(connect, user, room, moderator):
    await database_sync_to_async(store)(room, user, 2)
    socket, _, _ = await connect(user, "lobby")
    await hello(socket)
    admin = Client()
    await database_sync_to_async(admin.force_login)(moderator)
    form = {"slug": "lobby", "name": "The Lobby", "description": "Say hi", "is_archived": "on", "position": 0}
    response = await database_sync_to_async(admin.post)(f"/admin/rooms/room/{room.pk}/change/", form)
    assert response.status_code == 302
    updated = await frame_of_type(socket, "room.updated")
    assert updated["event"] == 3
    assert {k: updated["room"][k] for k in ("name", "description", "is_archived", "last_seq", "last_event")} == {
        "name": "The Lobby",
        "description": "Say hi",
        "is_archived": True,
        "last_seq": 2,
        "last_event": 3,
    }


@pytest.mark.django_db
def test_an_admin_save_that_changes_nothing_shown_takes_no_event(room, moderator):
    admin = Client()
    admin.force_login(moderator)
    form = {"slug": "lobby", "name": room.name, "description": "", "position": 7}
    assert admin.post(f"/admin/rooms/room/{room.pk}/change/", form).status_code == 302
    saved = Room.objects.get(pk=room.pk)
    assert (saved.position, saved.last_event) == (7, 0)


# --- The protocol document -----------------------------------------------------------------------


def test_every_error_code_the_server_can_answer_is_in_the_protocol_document():
    sources = "\n".join(path.read_text() for path in (ROOT / "rooms").rglob("*.py"))
    codes = set(re.findall(r'ChatError\(\s*"([a-z_]+)"', sources)) | set(re.findall(r':\s*"([a-z_]+)",\n', sources))
    documented = set(re.findall(r"\| `([a-z_]+)` \|", (ROOT / "docs" / "protocol.md").read_text()))
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    assert {"message_deleted", "room_archived", "rate_limited"} <= codes
    assert codes - documented - {code for code in codes if f"`{code}`" in protocol} == set()
    assert "409" in protocol


@pytest.mark.django_db(transaction=True)
async def test_editing_a_message_in_the_admin_is_a_room_event_open_sockets_see(connect, user, room, moderator):
    (message,) = await database_sync_to_async(store)(room, user, 1)
    socket, _, _ = await connect(user, "lobby")
    await hello(socket)
    admin = Client()
    await database_sync_to_async(admin.force_login)(moderator)
    url = f"/admin/rooms/message/{message.pk}/change/"
    response = await database_sync_to_async(admin.post)(url, {"body": "said better"})
    assert response.status_code == 302
    edited = await frame_of_type(socket, "message.edited")
    assert (edited["event"], edited["message"]["body"]) == (2, "said better")
    # The admin holds a message to the same rules as the app.
    response = await database_sync_to_async(admin.post)(url, {"body": "x" * 4001})
    assert response.status_code == 200 and "longer than 4000 characters" in response.content.decode()


@pytest.mark.django_db
def test_the_admin_cannot_add_or_hard_delete_messages_only_mark_them_deleted(room, user, moderator):
    (message,) = store(room, user, 1)
    admin = Client()
    admin.force_login(moderator)
    assert admin.get(f"/admin/rooms/message/{message.pk}/delete/").status_code == 403
    assert admin.get("/admin/rooms/message/add/").status_code == 403
    admin.post("/admin/rooms/message/", {"action": "delete_selected", "_selected_action": [message.pk], "post": "yes"})
    assert Message.objects.filter(pk=message.pk).exists()
    admin.post("/admin/rooms/message/", {"action": "soft_delete", "_selected_action": [message.pk]})
    assert Message.objects.get(pk=message.pk).deleted is True
    # A deleted message's text cannot be brought back in the admin either.
    admin.post(f"/admin/rooms/message/{message.pk}/change/", {"body": "resurrected"})
    assert Message.objects.get(pk=message.pk).body == "m0"
