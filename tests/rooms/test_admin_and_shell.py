"""The app shell and its assets as Daphne serves them, and the admin pages moderators use."""

import json

import pytest
from django.conf import settings
from django.test import Client

from rooms import services
from rooms.models import Message, Room

pytestmark = pytest.mark.django_db


def test_the_shell_is_never_cached_and_hashed_assets_are_cached_for_ever():
    manifest_path = settings.FRONTEND_DIST_DIR / ".vite" / "manifest.json"
    assert manifest_path.exists(), "the front end is not built (make test builds it)"
    entry = json.loads(manifest_path.read_text())["src/main.tsx"]
    client = Client()

    shell = client.get("/")
    assert shell.status_code == 200 and "no-cache" in shell["Cache-Control"]
    assert f'src="/static/{entry["file"]}"' in shell.content.decode()
    assert "csrftoken" in shell.cookies

    asset = client.get(f"/static/{entry['file']}")
    assert asset.status_code == 200
    assert "immutable" in asset["Cache-Control"] and "max-age=315360000" in asset["Cache-Control"]
    assert client.get("/rooms/general/").status_code == 200  # deep links load the same shell


@pytest.fixture
def moderator(make_user):
    return make_user("Mod", is_staff=True, is_superuser=True)


def test_moderators_find_messages_by_text_and_author_and_filter_by_room(moderator, user, room, make_room):
    services.message_create(room=room, author=user, body="the needle", client_id="n1")
    services.message_create(room=make_room("other"), author=user, body="hay", client_id="h1")
    client = Client()
    client.force_login(moderator)
    by_text = client.get("/admin/rooms/message/", {"q": "needle"})
    assert b"the needle" in by_text.content and b"hay" not in by_text.content
    by_author = client.get("/admin/rooms/message/", {"q": user.display_name})
    assert b"the needle" in by_author.content and b"hay" in by_author.content
    by_room = client.get("/admin/rooms/message/", {"room__id__exact": room.pk})
    assert b"the needle" in by_room.content and b"hay" not in by_room.content


def test_moderators_archive_rooms_and_delete_messages_from_admin(moderator, user, room):
    message = services.message_create(room=room, author=user, body="spam", client_id="s1").message
    client = Client()
    client.force_login(moderator)
    client.post("/admin/rooms/room/", {"action": "archive", "_selected_action": [room.pk]})
    client.post("/admin/rooms/message/", {"action": "soft_delete", "_selected_action": [message.pk]})
    assert Room.objects.get(pk=room.pk).is_archived
    assert Message.objects.get(pk=message.pk).deleted
    assert client.get("/admin/rooms/user/").status_code == 200


def test_people_who_are_not_staff_cannot_reach_admin(user):
    client = Client()
    client.force_login(user)
    assert client.get("/admin/rooms/message/").status_code == 302
