"""Long rooms: history loads upwards as you scroll, and new messages never yank you down."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import messages_with, open_room, seed_messages, send

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_history_scrolls_up_and_new_messages_wait_for_the_reader(person, site):
    seed_messages(site, "general", 120)
    jun = person("Jun")
    mina = person("Mina", viewport={"width": 390, "height": 844})
    open_room(jun.page)
    open_room(mina.page)
    page = mina.page
    scroller = page.get_by_test_id("message-scroller")

    # The newest 50 come with the room; the rest arrive page by page as Mina scrolls up.
    expect(messages_with(page, "history 120")).to_be_in_viewport()
    expect(messages_with(page, "history 071")).to_have_count(1)
    expect(messages_with(page, "history 070")).to_have_count(0)
    scroller.evaluate("el => { el.scrollTop = 0; }")
    expect(messages_with(page, "history 021")).to_have_count(1)
    # Prepending keeps the reader's place instead of jumping to the new top.
    assert scroller.evaluate("el => el.scrollTop") > 0
    scroller.evaluate("el => { el.scrollTop = 0; }")
    expect(messages_with(page, "history 001")).to_have_count(1)
    expect(page.get_by_text("This is the beginning of the room.")).to_be_visible()

    # Reading old history: a new message is announced with a button, not scrolled to.
    scroller.evaluate("el => { el.scrollTop = 0; }")
    send(jun.page, "fresh news")
    button = page.get_by_test_id("new-messages")
    expect(button).to_contain_text("(1)")
    expect(messages_with(page, "fresh news")).not_to_be_in_viewport()
    expect(page.get_by_test_id("live-region")).to_have_text("Jun: fresh news")
    button.click()
    expect(messages_with(page, "fresh news")).to_be_in_viewport()
    expect(button).to_have_count(0)

    # At the bottom, the view follows the conversation by itself.
    send(jun.page, "and more news")
    expect(messages_with(page, "and more news")).to_be_in_viewport()
    expect(button).to_have_count(0)
