"""Steps the browser tests share, written the way a person uses the app."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def open_room(page: Page, slug: str = "general") -> None:
    page.get_by_test_id(f"room-card-{slug}").click()
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
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
