"""Search between two people in real browsers: across every room and in one, Korean and English
words, `from:`, the matches marked, a result opening its room at the message (older history
loaded on the way, with what came before it above it), and a deleted message gone from results.
A result too far back for that opens in the context view, with the history around it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    delete_message,
    expect_message_once,
    expect_not_reloaded,
    mark_page,
    message_rows,
    open_room,
    seed_messages,
    send,
)

pytestmark = [pytest.mark.e2e, pytest.mark.live]

HIGHLIGHTED = re.compile(r"\bmessage--highlighted\b")


def search(page: Page, query: str, box_name: str = "Search messages in all rooms"):
    """Types the query into the box and presses Enter; waits until the search has answered."""
    box = page.get_by_role("searchbox", name=box_name)
    box.fill(query)
    box.press("Enter")
    status = page.get_by_test_id("search-status")
    expect(status).not_to_have_text("Searching…")
    return page.get_by_test_id("search-result")


def result_with(page: Page, text: str):
    return page.get_by_test_id("search-result").filter(
        has=page.get_by_test_id("search-result-body").filter(has_text=text)
    )


def marks(result) -> list[str]:
    return result.locator("mark").all_text_contents()


def row_by_id(page: Page, message_id: str):
    return page.locator(f'[data-testid="message"][data-message-id="{message_id}"]')


def test_search_across_rooms_and_in_one(person, site):
    seed_messages(site, "general", 3, author="Early")
    mina = person("Mina")
    jun = person("Jun")

    open_room(mina.page, "general")
    for body in ("내일 회의를 합니다", "The release notes are ready", "Release party tonight", "삭제할 회의 메모"):
        send(mina.page, body)
        expect_message_once(mina.page, body)
    mina.page.get_by_test_id("leave-room").click()
    open_room(mina.page, "tech")
    send(mina.page, "회의 자료는 여기 있어요")
    expect_message_once(mina.page, "회의 자료는 여기 있어요")
    # Enough said after it that a fresh window (the newest 50) no longer holds the Korean message.
    seed_messages(site, "general", 60, author="Later")

    # Jun, on the room list, searches every room: a Korean word finds it with its particle.
    page = jun.page
    results = search(page, "회의")
    expect(results).to_have_count(3)
    expect(page.get_by_test_id("search-status")).to_have_text("3 messages found")
    # Newest first, each saying where it was said.
    expect(results.get_by_test_id("search-result-body")).to_have_text(
        ["회의 자료는 여기 있어요", "삭제할 회의 메모", "내일 회의를 합니다"]
    )
    expect(results.first.get_by_test_id("search-result-room")).to_have_text("기술 토론")
    expect(result_with(page, "내일 회의를 합니다").get_by_test_id("search-result-room")).to_have_text("일반 대화")
    expect(result_with(page, "내일 회의를 합니다").get_by_test_id("search-result-author")).to_have_text("Mina")
    assert marks(result_with(page, "내일 회의를 합니다")) == ["회의를"]

    # Two English words: both must match, as prefixes, whatever their case.
    results = search(page, "release notes")
    expect(results).to_have_count(1)
    assert marks(results.first) == ["release", "notes"]
    results = search(page, "RELEASE")
    expect(results).to_have_count(2)
    assert marks(result_with(page, "Release party tonight")) == ["Release"]

    # By author, and a name the server does not know is explained.
    results = search(page, "from:Mina 회의")
    expect(results).to_have_count(3)
    results = search(page, "from:Nobody")
    expect(results).to_have_count(0)
    expect(page.get_by_role("alert")).to_contain_text("Nobody")
    results = search(page, "release in:tech")
    expect(page.get_by_test_id("search-status")).to_have_text("No messages match.")

    # Page after page, newest first: the next page starts before the last result shown.
    results = search(page, "history")
    first_page = results.count()
    assert 0 < first_page < 63
    page.get_by_role("button", name="Load more results").click()
    expect(results).not_to_have_count(first_page)
    ids = [int(i) for i in results.evaluate_all("rs => rs.map(r => r.dataset.messageId)")]
    assert len(ids) > first_page and ids == sorted(set(ids), reverse=True)

    # Mina deletes one: it is gone from what Jun finds.
    mina.page.get_by_test_id("leave-room").click()
    open_room(mina.page, "general")
    delete_message(mina.page, "삭제할 회의 메모")
    expect(mina.page.get_by_test_id("message").filter(has_text="삭제할 회의 메모")).to_have_count(0)
    results = search(page, "회의")
    expect(results).to_have_count(2)
    expect(result_with(page, "삭제할 회의 메모")).to_have_count(0)

    # A result opens its room at the message: history loaded back to it and past it, marked.
    target = result_with(page, "내일 회의를 합니다")
    message_id = target.get_attribute("data-message-id")
    target.click()
    expect(page).to_have_url(re.compile(rf"#/rooms/general\?message={message_id}$"))
    expect(page.get_by_test_id("room-title")).to_have_text("일반 대화")
    row = row_by_id(page, message_id)
    expect(row).to_have_class(HIGHLIGHTED)
    expect(row).to_be_in_viewport()
    # What came before it is there too, above it.
    rows = message_rows(page)
    at = [r["id"] for r in rows].index(message_id)
    assert at > 0 and rows[at - 1]["text"] == "history 003"
    expect(page.get_by_test_id("jump-note")).to_have_count(0)

    # The room's own box searches that room alone.
    mark_page(page)
    page.get_by_test_id("message-scroller").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(row).not_to_be_in_viewport()
    page.get_by_role("button", name="Search this room").click()
    room_box = "Search messages in 일반 대화"
    expect(page.get_by_role("searchbox", name=room_box)).to_be_focused()
    results = search(page, "회의", room_box)
    expect(results).to_have_count(1)
    expect(results.get_by_test_id("search-result-room")).to_have_count(0)
    assert marks(results.first) == ["회의를"]
    # Chosen there, it is shown in place: the room does not reload or change.
    results.first.click()
    expect(row).to_have_class(HIGHLIGHTED)
    expect(row).to_be_in_viewport()
    expect_not_reloaded(page)

    # Widened to every room, the other room's message comes too, and opens that room.
    page.get_by_role("checkbox", name="All rooms").check()
    expect(results).to_have_count(2)
    elsewhere = result_with(page, "회의 자료는 여기 있어요")
    expect(elsewhere.get_by_test_id("search-result-room")).to_have_text("기술 토론")
    elsewhere_id = elsewhere.get_attribute("data-message-id")
    elsewhere.click()
    expect(page.get_by_test_id("room-title")).to_have_text("기술 토론")
    expect(row_by_id(page, elsewhere_id)).to_have_class(HIGHLIGHTED)

    # Escape closes the room's box and gives the keyboard back to its button.
    page.get_by_role("button", name="Search this room").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("searchbox")).to_have_count(0)
    expect(page.get_by_role("button", name="Search this room")).to_be_focused()


def say(site, slug: str, author: str, body: str) -> None:
    """One message stored straight through the services, as `seed_messages` does (not published:
    the site's channel layer is in its own process)."""
    site.shell(
        "from rooms.models import Room\n"
        "from rooms.services import guest_user_create, message_create\n"
        f"room = Room.objects.get(slug={slug!r})\n"
        f"user = guest_user_create(display_name={author!r})\n"
        f"message_create(room=room, author=user, body={body!r}, client_id='said-1')\n"
    )


def test_result_far_back_opens_in_context_and_jumps_to_the_present(person, site):
    seed_messages(site, "general", 30, author="Early")
    say(site, "general", "Keeper", "The zeppelin lands at noon")
    # Far more said since than the timeline pages back through (1,000 messages).
    seed_messages(site, "general", 1100, author="Later")
    page = person("Jun").page

    results = search(page, "zeppelin")
    expect(results).to_have_count(1)
    target_id = results.first.get_attribute("data-message-id")
    results.first.click()
    expect(page).to_have_url(re.compile(rf"#/rooms/general\?message={target_id}$"))

    # Shown apart from the timeline: the message marked, with 25 messages each side of it.
    view = page.get_by_role("region", name="Older messages around the one you opened")
    expect(view.get_by_role("status")).to_contain_text("You're viewing older messages")
    row = view.locator(f'[data-testid="message"][data-message-id="{target_id}"]')
    expect(row).to_have_class(HIGHLIGHTED)
    expect(row).to_have_attribute("aria-current", "true")
    expect(row).to_be_in_viewport()
    texts = [t.strip() for t in view.get_by_test_id("message-body").all_inner_texts()]
    at = texts.index("The zeppelin lands at noon")
    assert texts[at - 1] == "history 030" and texts[at + 1] == "history 001"
    assert (at, len(texts)) == (25, 51)
    expect(page.get_by_test_id("message-list")).to_have_count(0)
    expect(page.get_by_test_id("jump-note")).to_have_count(0)

    # A page more each way.
    view.get_by_role("button", name="Older messages").click()
    expect(view.get_by_text("This is the beginning of the room.")).to_be_visible()
    expect(view.get_by_test_id("message").first.get_by_test_id("message-body")).to_have_text("history 001")
    view.get_by_role("button", name="Newer messages").click()
    expect(view.get_by_test_id("message").last.get_by_test_id("message-body")).to_have_text("history 050")
    expect(row).to_have_class(HIGHLIGHTED)

    # Said meanwhile: it goes to the live timeline, not into the view.
    mina = person("Mina")
    open_room(mina.page, "general")
    send(mina.page, "Fresh news from today")
    expect_message_once(mina.page, "Fresh news from today")
    page.wait_for_timeout(300)
    expect(view.get_by_text("Fresh news from today")).to_have_count(0)

    view.get_by_role("button", name="Jump to the present").click()
    expect(view).to_have_count(0)
    newest = page.get_by_test_id("message").filter(has_text="Fresh news from today")
    expect(newest).to_be_in_viewport()
    rows = message_rows(page)
    assert [r["text"] for r in rows[-2:]] == ["history 1100", "Fresh news from today"]
    expect(page.get_by_role("combobox", name="Message")).to_be_focused()
