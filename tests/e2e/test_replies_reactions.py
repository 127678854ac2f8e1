"""Replies and reactions between two people in real browsers: the quote, the jump to the original
(older history loaded on the way), a deleted original, reactions through the picker and the chips."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import expect_message_once, open_room, seed_messages, send

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def row_of(page: Page, text: str):
    """The row whose own body holds `text`: a reply's row also holds its original's text, in its quote."""
    return page.get_by_test_id("message").filter(has=page.get_by_test_id("message-body").filter(has_text=text))


def test_reply_quote_jumps_to_the_original_and_follows_its_delete(person, site):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)
    open_room(jun.page)

    send(mina.page, "Where shall we meet?")
    expect_message_once(jun.page, "Where shall we meet?")
    # Enough said after it that a fresh window (the newest 50) no longer holds it.
    seed_messages(site, "general", 60)

    original = row_of(jun.page, "Where shall we meet?")
    original.hover()
    original.get_by_role("button", name="Reply to Mina").click()
    bar = jun.page.get_by_test_id("reply-bar")
    expect(bar).to_contain_text("Replying to Mina: Where shall we meet?")
    box = jun.page.get_by_role("combobox", name="Message")
    expect(box).to_be_focused()
    box.press_sequentially("At the station")
    box.press("Enter")
    expect(bar).to_have_count(0)
    expect_message_once(jun.page, "At the station")
    expect(row_of(jun.page, "At the station").get_by_test_id("reply-quote")).to_have_accessible_name(
        "Go to Mina's message: Where shall we meet?"
    )

    # Mina's original is far above, out of view: her quote scrolls to it and marks it.
    expect_message_once(mina.page, "At the station")
    target = row_of(mina.page, "Where shall we meet?")
    expect(target).not_to_be_in_viewport()
    row_of(mina.page, "At the station").get_by_role("button", name="Go to Mina's message: Where shall we meet?").click()
    expect(target).to_be_in_viewport()
    expect(target).to_have_class(re.compile(r"\bmessage--highlighted\b"))

    # Ana comes in now: her window (the newest 50) does not reach the original; the quote loads
    # older history back to it.
    ana = person("Ana")
    open_room(ana.page)
    expect_message_once(ana.page, "At the station")
    expect(row_of(ana.page, "Where shall we meet?")).to_have_count(0)
    row_of(ana.page, "At the station").get_by_role("button", name="Go to Mina's message: Where shall we meet?").click()
    expect(row_of(ana.page, "Where shall we meet?")).to_be_in_viewport()
    expect(row_of(ana.page, "Where shall we meet?")).to_have_class(re.compile(r"\bmessage--highlighted\b"))

    # Mina deletes the original: every quote of it says so.
    target.hover()
    target.get_by_test_id("delete-message").click()
    target.get_by_test_id("confirm-delete").click()
    expect(row_of(jun.page, "At the station").get_by_test_id("reply-quote")).to_have_accessible_name(
        "Go to Mina's message: Original message deleted"
    )
    for page in (mina.page, ana.page):
        expect(row_of(page, "At the station").get_by_test_id("reply-quote")).to_contain_text("Original message deleted")


def test_reactions_through_the_picker_and_the_chips(person):
    mina = person("Mina")
    jun = person("Jun")
    open_room(mina.page)
    open_room(jun.page)

    send(jun.page, "Lunch at noon?")
    expect_message_once(mina.page, "Lunch at noon?")

    row = row_of(mina.page, "Lunch at noon?")
    row.hover()
    row.get_by_role("button", name="React to Jun's message").click()
    mina.page.get_by_role("group", name="Choose a reaction").get_by_role("button", name="React with 👍").click()
    mina_chip = row.get_by_test_id("reaction").filter(has_text="👍")
    expect(mina_chip).to_have_attribute("aria-pressed", "true")

    jun_chip = row_of(jun.page, "Lunch at noon?").get_by_test_id("reaction").filter(has_text="👍")
    expect(jun_chip).to_have_text("👍 1")
    expect(jun_chip).to_have_accessible_name("👍 1: Mina")
    expect(jun_chip).to_have_attribute("aria-pressed", "false")
    jun_chip.click()
    expect(jun_chip).to_have_text("👍 2")
    expect(jun_chip).to_have_attribute("aria-pressed", "true")
    expect(jun_chip).to_have_accessible_name("👍 2: Mina, Jun")
    expect(mina_chip).to_have_text("👍 2")

    # What the server holds, after a reload: the same two, Mina's own still marked hers.
    mina.page.reload()
    expect(mina.page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")
    chip = row_of(mina.page, "Lunch at noon?").get_by_test_id("reaction").filter(has_text="👍")
    expect(chip).to_have_attribute("data-count", "2")
    expect(chip).to_have_attribute("aria-pressed", "true")
    # The picker remembers what she used, first among the recent ones.
    row = row_of(mina.page, "Lunch at noon?")
    row.hover()
    row.get_by_role("button", name="React to Jun's message").click()
    expect(mina.page.get_by_test_id("recent-emoji").get_by_role("button").first).to_have_accessible_name(
        "React with 👍"
    )
