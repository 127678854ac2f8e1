"""Presence that tells the truth, in real browsers: someone in HTTP mode is online and typing
like anyone else, a dead server shows Reconnecting or Offline (never HTTP mode), and a reconnect
within the grace period adds no join or leave line."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import PRESENCE_GRACE
from .helpers import expect_message_once, open_room, send
from .test_convergence import SocketSwitch

pytestmark = [pytest.mark.e2e, pytest.mark.live]

RECOVERY_MS = 30_000


def block_websockets(context) -> None:
    context.route_web_socket("**/ws/**", lambda ws: ws.close(code=1011, reason="blocked by the test"))


def test_an_http_mode_user_is_online_for_others_and_typing_goes_both_ways(person):
    mina = person("Mina")
    jun = person("Jun", setup=block_websockets)
    open_room(mina.page)
    jun.page.get_by_test_id("room-card-general").click()
    expect(jun.page.get_by_test_id("connection-status")).to_have_attribute("data-state", "http")

    # Mina, on a socket, lists Jun; Jun's own panel lists both of them.
    expect(mina.page.get_by_test_id("online-list")).to_contain_text("Jun")
    expect(mina.page.get_by_test_id("online-count")).to_have_attribute("data-count", "2")
    expect(mina.page.get_by_test_id("system-notice").filter(has_text="Jun joined")).to_have_count(1)
    jun_list = jun.page.get_by_test_id("online-list")
    expect(jun_list).to_contain_text("Mina")
    expect(jun_list).to_contain_text("Jun")
    expect(jun.page.get_by_test_id("online-count")).to_have_attribute("data-count", "2")
    expect(jun_list).to_have_attribute("data-stale", "false")

    mina.page.get_by_role("combobox", name="Message").press_sequentially("thinking")
    expect(jun.page.get_by_test_id("typing-indicator")).to_have_text("Mina is typing…")
    jun.page.get_by_role("combobox", name="Message").press_sequentially("me too")
    expect(mina.page.get_by_test_id("typing-indicator")).to_have_text("Jun is typing…")

    # And he leaves like anyone else.
    jun.page.get_by_test_id("leave-room").click()
    expect(mina.page.get_by_test_id("system-notice").filter(has_text="Jun left")).to_have_count(1)
    expect(mina.page.get_by_test_id("online-count")).to_have_attribute("data-count", "1")


STATES = """
() => {
  window.__states = [];
  const status = document.querySelector('[data-testid="connection-status"]');
  const record = () => window.__states.push(status.getAttribute('data-state'));
  record();
  new MutationObserver(record).observe(status, { attributes: true, attributeFilter: ['data-state'] });
}
"""


def test_a_stopped_server_is_reconnecting_then_offline_never_http_mode(person, site):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)
    open_room(jun.page)
    expect(mina.page.get_by_test_id("online-count")).to_have_attribute("data-count", "2")
    mina.page.evaluate(STATES)

    site.kill(0)
    status = mina.page.get_by_test_id("connection-status")
    expect(status).to_have_attribute("data-state", "reconnecting")
    expect(mina.page.get_by_test_id("connection-retry")).to_be_visible()
    expect(status).to_have_attribute("data-state", "offline", timeout=RECOVERY_MS)
    online_list = mina.page.get_by_test_id("online-list")
    expect(online_list).to_have_attribute("data-stale", "true")

    send(mina.page, "written while nothing answers")
    pending = mina.page.get_by_test_id("message").filter(has_text="written while nothing answers")
    expect(pending.get_by_test_id("pending-state")).to_have_attribute("data-state", "waiting")
    mina.page.wait_for_timeout(3_000)  # several probes, every one of them unanswered
    assert "http" not in mina.page.evaluate("window.__states"), mina.page.evaluate("window.__states")

    site.restart(0)
    expect(status).to_have_attribute("data-state", "connected", timeout=RECOVERY_MS)
    expect(online_list).to_have_attribute("data-stale", "false")
    expect_message_once(mina.page, "written while nothing answers", timeout=RECOVERY_MS)
    expect_message_once(jun.page, "written while nothing answers", timeout=RECOVERY_MS)
    assert "http" not in mina.page.evaluate("window.__states")


def test_a_reconnect_within_the_grace_shows_no_join_or_leave_line(person):
    switch: dict[str, SocketSwitch] = {}

    def setup(context):
        switch["jun"] = SocketSwitch(context)

    mina = person("Mina")
    jun = person("Jun", setup=setup)
    open_room(mina.page)
    open_room(jun.page)
    notices = mina.page.get_by_test_id("system-notice")
    expect(notices.filter(has_text="Jun joined")).to_have_count(1)

    switch["jun"].drop()
    jun_status = jun.page.get_by_test_id("connection-status")
    expect(jun_status).not_to_have_attribute("data-state", "connected")
    switch["jun"].restore()
    expect(jun_status).to_have_attribute("data-state", "connected", timeout=RECOVERY_MS)

    send(jun.page, "back already")
    expect_message_once(mina.page, "back already")
    mina.page.wait_for_timeout((PRESENCE_GRACE + 2) * 1000)  # past the grace: still nothing
    expect(notices).to_have_count(1)
    expect(notices.filter(has_text="Jun joined")).to_have_count(1)
    expect(mina.page.get_by_test_id("online-count")).to_have_attribute("data-count", "2")
