"""A first visit in a real browser: no request fails and nothing is logged as an error, the sign-in
screen claims no connection it does not have, and focus follows the screens for keyboard users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import TIMEOUT_MS

pytestmark = [pytest.mark.e2e, pytest.mark.live]


class Visit:
    """A fresh browser context (no cookies: a first visit) and everything that went wrong in it."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        page = self.page
        page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"console error: {m.text} ({m.location.get('url')})"),
        )
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.method} {r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.request.method} {r.url}"),
        )


@pytest.fixture
def visit(browser, site) -> Iterator[Visit]:
    v = Visit(browser)
    yield v
    v.context.close()


def sign_in_as_guest(page: Page, name: str) -> None:
    page.get_by_test_id("guest-name").fill(name)
    page.get_by_test_id("guest-submit").click()
    expect(page.get_by_test_id("room-list")).to_be_visible()


def test_first_visit_fails_nothing_and_focus_follows_sign_in(visit, site):
    page = visit.page
    page.goto(site.url() + "/")
    expect(page.get_by_test_id("guest-name")).to_be_visible()
    # Nothing has connected yet, so no connection status is claimed.
    expect(page.get_by_test_id("connection-status")).to_have_count(0)
    # Every request of the first visit (the page, its assets, the config, the CSRF token) is
    # answered by now; none may have failed (an anonymous /api/me/ would have: 401).
    page.wait_for_load_state("networkidle")
    assert visit.problems == []

    # The browser asks for the page's icon on its own (not always as a request Playwright
    # reports), so it is checked directly: the one the page links, and the conventional path.
    icon = page.evaluate("document.querySelector('link[rel~=\"icon\"]')?.href ?? null")
    assert icon, "the page links no icon"
    for url in (icon, site.url() + "/favicon.ico"):
        response = page.request.get(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert response.headers["content-type"].startswith("image/"), url

    sign_in_as_guest(page, "Mina")
    expect(page.get_by_role("heading", level=1, name="Rooms", exact=True)).to_be_focused()
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")
    assert visit.problems == []


def test_entering_a_room_puts_the_keyboard_in_the_message_box(visit, site):
    page = visit.page
    page.goto(site.url() + "/")
    sign_in_as_guest(page, "Jun")
    page.get_by_test_id("room-card-general").click()
    box = page.get_by_role("combobox", name="Message")
    expect(box).to_be_focused()
    # No click first: the keyboard is already there.
    page.keyboard.type("typed right away")
    expect(box).to_have_value("typed right away")
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message").filter(has_text="typed right away")).to_have_count(1)
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    assert visit.problems == []
