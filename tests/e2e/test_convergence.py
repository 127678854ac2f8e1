"""Room events in real browsers: whoever was away converges on what everyone else sees, over a
reconnecting socket (`?since=<head>`) or over the HTTP fallback's poll (`changes?since=<head>`),
and an archive made in the admin reaches open rooms live (`room.updated`)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import expect

from .helpers import (
    delete_message,
    edit_message,
    expect_message_once,
    expect_not_reloaded,
    mark_page,
    message_rows,
    messages_with,
    open_room,
    send,
)

pytestmark = [pytest.mark.e2e, pytest.mark.live]

# A socket that failed a few times waits out a jittered backoff (up to 8 s by the time the outage
# below ends, at most 15 s), so noticing the server again gets the same room as test_resilience.
RECOVERY_MS = 30_000
# The HTTP fallback polls every 2 s: a change shows within a few polls.
POLL_MS = 2_000
# The catch-up is the reconnect's `hello` itself: once connected, what it carried is shown at once.
APPLIED_MS = 3_000
# room.updated is pushed to open sockets: about a second, with room for a loaded machine.
LIVE_MS = 3_000

CHANGES = re.compile(r"/api/rooms/[^/]+/changes/")


class SocketSwitch:
    """Installed on a browser context: lets its WebSockets through (recording every URL the page
    asked for) until `drop()` closes the open ones and refuses new ones; `restore()` lets them
    through again."""

    def __init__(self, context):
        self.blocked = False
        self.urls: list[str] = []
        self.open: list[tuple[object, object]] = []
        context.route_web_socket("**/ws/**", self._handle)

    def _handle(self, ws) -> None:
        self.urls.append(ws.url)
        if self.blocked:
            ws.close(code=1011, reason="blocked by the test")
            return
        server = ws.connect_to_server()
        self.open.append((ws, server))

    def drop(self) -> None:
        self.blocked = True
        for page_side, server_side in self.open:
            server_side.close(code=1000, reason="network gone (test)")
            page_side.close(code=1011, reason="network gone (test)")
        self.open.clear()

    def restore(self) -> int:
        """Lets sockets through again; returns how many attempts were made so far."""
        self.blocked = False
        return len(self.urls)


def room_head(page, site, slug: str = "general") -> int:
    """The room's event head as the server has it (REST, with the person's own cookies)."""
    response = page.request.get(f"{site.url()}/api/rooms/{slug}/")
    assert response.ok, response.status
    return response.json()["last_event"]


def since_of(url: str) -> str | None:
    values = parse_qs(urlparse(url).query).get("since")
    return values[0] if values else None


def expect_same_messages(reference, other) -> None:
    """`other` ends up showing exactly the message rows `reference` shows: the same texts in the
    same order (waited for), then the same ids and deleted state, nothing pending."""
    expected = message_rows(reference)
    assert expected and all(row["pending"] is None for row in expected), expected
    expect(other.get_by_test_id("message-body")).to_have_text([row["text"] for row in expected])
    assert message_rows(other) == expected


def test_reconnect_replays_edits_and_deletes_made_while_away(person, site):
    switch: dict[str, SocketSwitch] = {}

    def setup(context):
        switch["ben"] = SocketSwitch(context)

    ann = person("Ann")
    ben = person("Ben", setup=setup)
    open_room(ann.page)
    open_room(ben.page)
    for text in ("first: keep me", "second: tpyo to fix", "third: regret this"):
        send(ann.page, text)
    send(ben.page, "ben: hello all")
    for page in (ann.page, ben.page):
        for text in ("first: keep me", "second: tpyo to fix", "third: regret this", "ben: hello all"):
            expect_message_once(page, text)
    head = room_head(ben.page, site)
    mark_page(ben.page)

    # Ben's network goes: his socket closes and reconnects are refused. The HTTP fallback's poll
    # is refused for the rest of the test, so what Ben shows afterwards can only have come
    # through the reconnecting socket's catch-up.
    refused_polls: list[str] = []

    def refuse(route):
        refused_polls.append(route.request.url)
        route.abort()

    ben.context.route(CHANGES, refuse)
    switch["ben"].drop()
    ben_status = ben.page.get_by_test_id("connection-status")
    expect(ben_status).not_to_have_attribute("data-status", "connected")

    edit_message(ann.page, "second: tpyo to fix", "second: typo fixed")
    delete_message(ann.page, "third: regret this")
    expect_message_once(ann.page, "second: typo fixed")
    expect(ann.page.get_by_test_id("message").filter(has_text="second: typo fixed")).to_contain_text("edited")
    expect(messages_with(ann.page, "third: regret this")).to_have_count(0)
    expect(messages_with(ann.page, "message deleted")).to_have_count(1)
    # Away, Ben still shows the old state (nothing reached him another way).
    ben.page.wait_for_timeout(1_000)  # the outage lasts a little longer than Ann's two actions
    expect(messages_with(ben.page, "second: tpyo to fix")).to_have_count(1)
    expect(messages_with(ben.page, "third: regret this")).to_have_count(1)
    expect(ben_status).not_to_have_attribute("data-status", "connected")

    attempts_while_away = switch["ben"].restore()
    expect(ben_status).to_have_attribute("data-status", "connected", timeout=RECOVERY_MS)
    # The socket that got through resumed from Ben's head, not with a fresh join.
    resumed = switch["ben"].urls[attempts_while_away:]
    assert resumed, "Ben never reconnected"
    assert since_of(resumed[-1]) == str(head), (resumed, head)

    expect(messages_with(ben.page, "second: typo fixed")).to_have_count(1, timeout=APPLIED_MS)
    expect(ben.page.get_by_test_id("message").filter(has_text="second: typo fixed")).to_contain_text("edited")
    expect(messages_with(ben.page, "second: tpyo to fix")).to_have_count(0)
    expect(messages_with(ben.page, "third: regret this")).to_have_count(0)
    expect(messages_with(ben.page, "message deleted")).to_have_count(1)
    expect_same_messages(ann.page, ben.page)
    expect_not_reloaded(ben.page)
    assert ben.page.get_by_test_id("message").count() == 4

    # And the live path works again afterwards, both ways.
    send(ben.page, "ben: back online")
    expect_message_once(ann.page, "ben: back online")
    edit_message(ann.page, "first: keep me", "first: kept and edited live")
    expect_message_once(ben.page, "first: kept and edited live")
    expect_same_messages(ann.page, ben.page)


def test_http_fallback_polls_edits_and_deletes(person, site):
    polls: list[str] = []

    def block_websockets(context):
        context.route_web_socket("**/ws/**", lambda ws: ws.close(code=1011, reason="blocked by the test"))
        context.on("request", lambda request: polls.append(request.url) if CHANGES.search(request.url) else None)

    ann = person("Ann")
    ben = person("Ben", setup=block_websockets)
    open_room(ann.page)
    for text in ("one: stays", "two: tpyo to fix", "three: to delete"):
        send(ann.page, text)
    for text in ("one: stays", "two: tpyo to fix", "three: to delete"):
        expect_message_once(ann.page, text)

    ben.page.get_by_test_id("room-card-general").click()
    ben_status = ben.page.get_by_test_id("connection-status")
    expect(ben_status).to_have_attribute("data-status", "http")
    expect(ben.page.get_by_test_id("http-mode-banner")).to_be_visible()
    for text in ("one: stays", "two: tpyo to fix", "three: to delete"):
        expect_message_once(ben.page, text, timeout=3 * POLL_MS)
    mark_page(ben.page)
    head = room_head(ben.page, site)

    edit_message(ann.page, "two: tpyo to fix", "two: typo fixed")
    delete_message(ann.page, "three: to delete")
    expect_message_once(ann.page, "two: typo fixed")
    expect(messages_with(ann.page, "message deleted")).to_have_count(1)

    within = 3 * POLL_MS
    expect(messages_with(ben.page, "two: typo fixed")).to_have_count(1, timeout=within)
    expect(ben.page.get_by_test_id("message").filter(has_text="two: typo fixed")).to_contain_text("edited")
    expect(messages_with(ben.page, "three: to delete")).to_have_count(0, timeout=within)
    expect(messages_with(ben.page, "message deleted")).to_have_count(1)
    expect_same_messages(ann.page, ben.page)
    expect_not_reloaded(ben.page)
    # The whole time in HTTP mode, catching up by event from Ben's head on.
    expect(ben_status).to_have_attribute("data-status", "http")
    assert str(head) in [since_of(url) for url in polls], (head, polls)


def _admin_session(site) -> requests.Session:
    """A superuser signed in to the Django admin, as a moderator would be."""
    site.shell(
        "from rooms.models import User\n"
        "User.objects.create_superuser(username='admin', email='admin@example.com', password='e2e-admin-pw-123')\n"
    )
    session = requests.Session()
    login_url = site.url() + "/admin/login/"
    form = session.get(login_url, timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = session.post(
        login_url,
        data={"csrfmiddlewaretoken": token, "username": "admin", "password": "e2e-admin-pw-123", "next": "/admin/"},
        headers={"Referer": login_url},
        timeout=5,
    )
    assert response.ok and "/admin/login/" not in response.url, response.url
    return session


def _admin_room_action(site, session: requests.Session, room_id: int, action: str) -> str:
    changelist = site.url() + "/admin/rooms/room/"
    page = session.get(changelist, timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        changelist,
        data={"csrfmiddlewaretoken": token, "action": action, "_selected_action": [str(room_id)], "index": "0"},
        headers={"Referer": changelist},
        timeout=10,
    )
    assert response.ok, response.status_code
    return response.text


def _room_id(site, tmp_path, slug: str = "general") -> int:
    out = tmp_path / f"room-{slug}.id"
    site.shell(
        f"from rooms.models import Room\nopen({str(out)!r}, 'w').write(str(Room.objects.get(slug={slug!r}).pk))\n"
    )
    return int(out.read_text())


def test_archive_and_reopen_reach_open_rooms_live(person, site, tmp_path):
    # The site runs one process on the in-memory channel layer (the `site` fixture passes no
    # Redis), so a publish from a separate `manage.py shell` could reach no socket: the archive
    # goes through the real admin action, inside the site's own process, as a moderator's would.
    admin = _admin_session(site)
    room_id = _room_id(site, tmp_path)

    ann = person("Ann")
    ben = person("Ben")
    open_room(ann.page)
    open_room(ben.page)
    send(ann.page, "ann: before the archive")
    send(ben.page, "ben: me too")
    for page in (ann.page, ben.page):
        expect_message_once(page, "ann: before the archive")
        expect_message_once(page, "ben: me too")
        # Each can edit and delete their own message while the room is open.
        expect(page.get_by_test_id("edit-message")).to_have_count(1)
        expect(page.get_by_test_id("delete-message")).to_have_count(1)
        expect(page.get_by_test_id("archived-banner")).to_have_count(0)
        expect(page.get_by_test_id("composer-input")).to_be_enabled()
        mark_page(page)

    answer = _admin_room_action(site, admin, room_id, "archive")
    assert "Archived 1" in answer, answer[-2000:]
    for page in (ann.page, ben.page):
        expect(page.get_by_test_id("archived-banner")).to_be_visible(timeout=LIVE_MS)
    for page in (ann.page, ben.page):
        expect(page.get_by_test_id("composer-input")).to_be_disabled(timeout=LIVE_MS)
        expect(page.get_by_test_id("send-button")).to_be_disabled()
        expect(page.get_by_test_id("edit-message")).to_have_count(0, timeout=LIVE_MS)
        expect(page.get_by_test_id("delete-message")).to_have_count(0)
        expect(page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")
        expect_not_reloaded(page)
    # The messages themselves are untouched, and both still show the same room.
    expect_same_messages(ann.page, ben.page)

    answer = _admin_room_action(site, admin, room_id, "unarchive")
    assert "Reopened 1" in answer, answer[-2000:]
    for page in (ann.page, ben.page):
        expect(page.get_by_test_id("archived-banner")).to_have_count(0, timeout=LIVE_MS)
    for page in (ann.page, ben.page):
        expect(page.get_by_test_id("composer-input")).to_be_enabled(timeout=LIVE_MS)
        expect(page.get_by_test_id("edit-message")).to_have_count(1, timeout=LIVE_MS)
        expect(page.get_by_test_id("delete-message")).to_have_count(1)
        expect_not_reloaded(page)
    # Writable again: a message sent now reaches the other person.
    send(ben.page, "ben: open again")
    expect_message_once(ann.page, "ben: open again")
    expect_message_once(ben.page, "ben: open again")
