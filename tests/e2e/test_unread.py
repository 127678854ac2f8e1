"""Knowing what is new, in real browsers: a mention typed with the keyboard reaches the person in
another room as a count and a notification; they land on the "New messages" divider, and reading
clears the count in their other tab."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import expect_message_once, open_room, seed_messages, send

pytestmark = [pytest.mark.e2e, pytest.mark.live]

# Records every notification the page shows, through the browser's own Notification API (the
# permission is granted by the test, as a person would by clicking "Allow").
SPY_ON_NOTIFICATIONS = """
window.__notifications = [];
const RealNotification = window.Notification;
class RecordedNotification extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.__notifications.push({ title, body: (options && options.body) || '' });
  }
}
Object.defineProperty(RecordedNotification, 'permission', { get: () => RealNotification.permission });
RecordedNotification.requestPermission = (...args) => RealNotification.requestPermission(...args);
window.Notification = RecordedNotification;
"""


def allow_notifications(site):
    def setup(context):
        context.grant_permissions(["notifications"], origin=site.url())
        context.add_init_script(SPY_ON_NOTIFICATIONS)

    return setup


def notifications(page) -> list[dict]:
    return page.evaluate("window.__notifications")


def test_a_mention_reaches_the_person_elsewhere_and_reading_clears_it_in_every_tab(person, site):
    seed_messages(site, "general", 30)
    bora = person("Bora", setup=allow_notifications(site))
    open_room(bora.page, "general")  # Bora has been in the room: she can be mentioned there
    expect(bora.page.get_by_test_id("message").filter(has_text="history 030")).to_be_visible()
    bora.page.get_by_test_id("leave-room").click()
    open_room(bora.page, "tech")

    # Bora's second tab sits on the room list.
    second = bora.context.new_page()
    second.goto(site.url() + "/")
    expect(second.get_by_test_id("room-card-general")).to_be_visible()
    expect(second.get_by_test_id("room-badges-general")).to_have_count(0)

    ari = person("Ari")
    open_room(ari.page, "general")
    send(ari.page, "Morning all")
    box = ari.page.get_by_role("combobox", name="Message")
    box.press_sequentially("lunch? @Bo")
    options = ari.page.get_by_role("listbox").get_by_role("option")
    expect(options.filter(has_text="Bora")).to_have_count(1)
    box.press("ArrowDown")
    expect(ari.page.get_by_role("option", name=re.compile("Bora"), selected=True)).to_be_visible()
    box.press("Enter")  # picks Bora, keyboard only
    expect(box).to_have_value("lunch? @Bora ")
    box.press("Enter")  # sends
    expect_message_once(ari.page, "lunch?")
    mention = ari.page.get_by_test_id("message").filter(has_text="lunch?").locator(".mention")
    expect(mention).to_have_text("@Bora")

    # In another room, Bora sees the mention counted on the way back to the list...
    expect(bora.page.get_by_test_id("leave-mentions")).to_have_attribute("data-count", "1")
    expect(bora.page.get_by_test_id("leave-room")).to_have_accessible_name(re.compile("1 mention elsewhere"))
    # ... and gets a notification, as she allowed.
    bora.page.wait_for_function("window.__notifications.length === 1")
    (shown,) = notifications(bora.page)
    assert shown["title"] == "Ari mentioned you in 일반 대화"
    assert shown["body"] == "lunch? @Bora"
    # Her second tab counts both of Ari's messages, one a mention, in words for screen readers.
    badges = second.get_by_test_id("room-badges-general")
    expect(badges).to_have_attribute("aria-label", "2 unread, 1 mention")

    # She opens the room: it lands on the divider, above Ari's two messages.
    bora.page.get_by_test_id("leave-room").click()
    open_room(bora.page, "general")
    divider = bora.page.get_by_role("separator", name="New messages")
    expect(divider).to_be_in_viewport()
    rows_after = bora.page.locator("[data-testid=unread-divider] ~ [data-testid=message]")
    expect(rows_after).to_have_count(2)
    expect(rows_after.first).to_contain_text("Morning all")
    expect(bora.page.get_by_test_id("message").filter(has_text="lunch?")).to_have_class(re.compile("mentions-me"))

    # Reading them (they are on screen, the tab visible) clears the count in the other tab.
    expect(second.get_by_test_id("room-badges-general")).to_have_count(0)
    # Bora is looking at the room now: a message there notifies her of nothing.
    send(ari.page, "thanks Bora")
    expect_message_once(bora.page, "thanks Bora")
    assert len(notifications(bora.page)) == 1
