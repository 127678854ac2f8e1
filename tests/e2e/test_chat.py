"""Two people chatting in real browsers: messages both ways, presence, edits and the phone layout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS
from .helpers import expect_message_once, messages_with, open_room, send

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_two_users_chat_both_ways(person):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)
    open_room(jun.page)

    send(mina.page, "Hi Jun, see https://example.com/docs")
    expect_message_once(jun.page, "Hi Jun")
    link = jun.page.get_by_role("link", name="https://example.com/docs")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(link).to_have_attribute("target", "_blank")

    send(jun.page, "Hello Mina! <b>not bold</b>")
    expect_message_once(mina.page, "Hello Mina!")
    expect(mina.page.locator("b", has_text="not bold")).to_have_count(0)

    # Each sees their own message as theirs and the other's with the author's name.
    own = mina.page.get_by_test_id("message").filter(has_text="Hi Jun")
    expect(own).to_have_attribute("data-own", "true")
    theirs = mina.page.get_by_test_id("message").filter(has_text="Hello Mina!")
    expect(theirs).not_to_have_attribute("data-own", "true")
    expect(theirs.get_by_test_id("message-author")).to_have_text("Jun")
    expect_message_once(mina.page, "Hi Jun")


def test_typing_indicator_reaches_the_other_person(person):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)
    open_room(jun.page)
    jun.page.get_by_role("combobox", name="Message").press_sequentially("thinking")
    expect(mina.page.get_by_test_id("typing-indicator")).to_have_text("Jun is typing…")


def test_join_and_leave_notices_and_online_counts(person):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)

    # The list polls: Jun sees Mina counted in the room without reloading.
    expect(jun.page.get_by_test_id("room-online-general")).to_have_attribute("data-count", "1")
    expect(jun.page.get_by_test_id("room-online-tech")).to_have_attribute("data-count", "0")

    open_room(jun.page)
    notices = mina.page.get_by_test_id("system-notice")
    expect(notices.filter(has_text="Jun joined")).to_have_count(1)
    expect(mina.page.get_by_test_id("online-count")).to_have_attribute("data-count", "2")
    expect(mina.page.get_by_test_id("online-list")).to_contain_text("Jun")

    jun.page.get_by_test_id("leave-room").click()
    expect(jun.page.get_by_test_id("room-list")).to_be_visible()
    expect(notices.filter(has_text="Jun left")).to_have_count(1)
    expect(mina.page.get_by_test_id("online-count")).to_have_attribute("data-count", "1")
    expect(jun.page.get_by_test_id("room-online-general")).to_have_attribute("data-count", "1")


def test_edit_and_delete_reach_the_other_person(person):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)
    open_room(jun.page)

    send(mina.page, "tpyo here")
    expect_message_once(jun.page, "tpyo here")
    row = mina.page.get_by_test_id("message").filter(has_text="tpyo here")
    row.hover()
    row.get_by_test_id("edit-message").click()
    editor = mina.page.get_by_role("textbox", name="Edit message")
    editor.fill("typo fixed")
    editor.press("Enter")
    expect_message_once(jun.page, "typo fixed")
    expect(jun.page.get_by_test_id("message").filter(has_text="typo fixed")).to_contain_text("edited")

    # Jun cannot edit or delete Mina's message.
    their_row = jun.page.get_by_test_id("message").filter(has_text="typo fixed")
    expect(their_row.get_by_test_id("edit-message")).to_have_count(0)
    expect(their_row.get_by_test_id("delete-message")).to_have_count(0)

    row = mina.page.get_by_test_id("message").filter(has_text="typo fixed")
    row.hover()
    row.get_by_test_id("delete-message").click()
    row.get_by_test_id("confirm-delete").click()
    expect(messages_with(jun.page, "typo fixed")).to_have_count(0)
    expect(messages_with(jun.page, "message deleted")).to_have_count(1)


def test_phone_layout_of_a_room(person):
    jun = person("Jun")
    mina = person("Mina", viewport={"width": 390, "height": 844})
    open_room(jun.page)
    open_room(mina.page)
    send(jun.page, "안녕하세요! Welcome to the general room.")
    send(mina.page, "Thanks! A very long word: " + "supercalifragilistic" * 5)
    send(jun.page, "Links wrap too: https://example.com/" + "a" * 80)
    expect_message_once(mina.page, "Links wrap too")
    expect_message_once(mina.page, "A very long word")

    page = mina.page
    page.mouse.move(0, 0)
    # Nothing may push the page sideways on a phone: long words and URLs must wrap.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    for testid in ("leave-room", "connection-status", "online-count", "send-button"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, testid
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "room-390x844.png"))


def test_room_addresses_unknown_rooms_and_sign_out(person, site):
    mina = person("Mina")
    page = mina.page
    # Django serves the app at /rooms/<slug>/ too: such a link opens that room.
    page.goto(site.url() + "/rooms/tech/")
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")
    expect(page.get_by_test_id("room-title")).not_to_have_text("…")
    expect(page).to_have_title(re.compile(r". · Rooms$"))
    page.get_by_test_id("leave-room").click()
    expect(page.get_by_test_id("room-list")).to_be_visible()

    page.goto(site.url() + "/#/rooms/no-such-room")
    expect(page.get_by_test_id("room-list")).to_be_visible()
    expect(page.get_by_text("This room does not exist.")).to_be_visible()

    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("guest-name")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("guest-name")).to_be_visible()
