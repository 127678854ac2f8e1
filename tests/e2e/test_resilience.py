"""The app survives the server dying and a network that blocks WebSockets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import expect_message_once, open_room, send

pytestmark = [pytest.mark.e2e, pytest.mark.live]

# Reconnecting waits out a jittered backoff (at most 15 s between tries), so the steps that wait
# for the client to notice the server again get more room than the default 10 s.
RECOVERY_MS = 30_000


def test_killed_and_restarted_server_loses_and_duplicates_nothing(person, site):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)
    open_room(jun.page)
    send(mina.page, "before the crash")
    expect_message_once(jun.page, "before the crash")

    site.kill(0)
    status = mina.page.get_by_test_id("connection-status")
    expect(status).not_to_have_attribute("data-status", "connected")
    send(mina.page, "sent while the server was down")
    pending = mina.page.get_by_test_id("message").filter(has_text="sent while the server was down")
    expect(pending).to_have_attribute("data-pending", "pending")

    site.restart(0)
    expect(status).to_have_attribute("data-status", "connected", timeout=RECOVERY_MS)
    expect(jun.page.get_by_test_id("connection-status")).to_have_attribute(
        "data-status", "connected", timeout=RECOVERY_MS
    )
    for page in (mina.page, jun.page):
        expect_message_once(page, "sent while the server was down", timeout=RECOVERY_MS)
        expect_message_once(page, "before the crash")

    send(jun.page, "after the restart")
    expect_message_once(mina.page, "after the restart")
    # A reload shows what the server stored: still one copy of each.
    mina.page.reload()
    expect(mina.page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")
    for text in ("before the crash", "sent while the server was down", "after the restart"):
        expect_message_once(mina.page, text)


def test_http_mode_when_websockets_are_blocked(person):
    blocked = {"on": True}

    def block_websockets(context):
        def handle(ws):
            if blocked["on"]:
                ws.close(code=1011, reason="blocked by the test")
            else:
                ws.connect_to_server()

        context.route_web_socket("**/ws/**", handle)

    mina = person("Mina", setup=block_websockets)
    jun = person("Jun")
    mina.page.get_by_test_id("room-card-general").click()
    status = mina.page.get_by_test_id("connection-status")
    expect(status).to_have_attribute("data-status", "http")
    expect(mina.page.get_by_test_id("http-mode-banner")).to_be_visible()
    open_room(jun.page)

    send(mina.page, "over plain HTTP")
    expect_message_once(jun.page, "over plain HTTP")
    expect_message_once(mina.page, "over plain HTTP")
    send(jun.page, "polled back to you")
    expect_message_once(mina.page, "polled back to you")

    # The WebSocket keeps being retried in the background and takes over once it works.
    blocked["on"] = False
    expect(status).to_have_attribute("data-status", "connected", timeout=RECOVERY_MS)
    send(jun.page, "live again")
    expect_message_once(mina.page, "live again")
    expect_message_once(mina.page, "polled back to you")
