"""Steps the browser tests share, written the way a person uses the app."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def open_room(page: Page, slug: str = "general") -> None:
    page.get_by_test_id(f"room-card-{slug}").click()
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")


def send(page: Page, text: str) -> None:
    box = page.get_by_role("combobox", name="Message")
    box.fill(text)
    box.press("Enter")


def messages_with(page: Page, text: str):
    return page.get_by_test_id("message-body").filter(has_text=text)


def expect_message_once(page: Page, text: str, timeout: int | None = None) -> None:
    """Exactly one copy, and stored (not pending): the server's copy replaced the optimistic one."""
    rows = page.get_by_test_id("message").filter(has_text=text)
    expect(rows).to_have_count(1, timeout=timeout)
    expect(rows.first).not_to_have_attribute("data-pending", "pending", timeout=timeout)
    expect(rows.first).not_to_have_attribute("data-pending", "failed", timeout=timeout)


def seed_messages(site, slug: str, count: int, author: str = "Archivist") -> None:
    """Stores history straight through the services, without the send rate a person is held to."""
    site.shell(
        "from rooms.models import Room\n"
        "from rooms.services import guest_user_create, message_create\n"
        f"room = Room.objects.get(slug={slug!r})\n"
        f"user = guest_user_create(display_name={author!r})\n"
        f"for i in range(1, {count} + 1):\n"
        "    message_create(room=room, author=user, body=f'history {i:03d}', client_id=f'seed-{i}')\n"
    )


def edit_message(page: Page, old: str, new: str) -> None:
    """Edits the signed-in person's own message through its Edit button, as a person does."""
    row = page.get_by_test_id("message").filter(has_text=old)
    row.hover()
    row.get_by_test_id("edit-message").click()
    editor = page.get_by_role("textbox", name="Edit message")
    editor.fill(new)
    editor.press("Enter")
    expect(editor).to_have_count(0)


def delete_message(page: Page, text: str) -> None:
    row = page.get_by_test_id("message").filter(has_text=text)
    row.hover()
    row.get_by_test_id("delete-message").click()
    row.get_by_test_id("confirm-delete").click()


# What a message row shows, read from the DOM: its id, whether it is still pending, deleted,
# and the text of its bubble (which includes the "(edited)" mark and the deleted tombstone).
_ROWS_JS = """rows => rows.map(r => ({
    id: r.dataset.messageId ?? null,
    pending: r.dataset.pending ?? null,
    deleted: r.classList.contains('message--deleted'),
    text: (r.querySelector('[data-testid=message-body]')?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
}))"""


def message_rows(page: Page) -> list[dict]:
    """The visible message rows, top to bottom (system notices are not messages)."""
    return page.get_by_test_id("message").evaluate_all(_ROWS_JS)


def mark_page(page: Page) -> None:
    """Tags the page's JavaScript realm: `expect_not_reloaded` then proves no reload happened."""
    page.evaluate("window.__roomsNoReload = true")


def expect_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__roomsNoReload === true"), "the page was reloaded"
