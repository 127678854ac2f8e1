"""Every screen loads under the site's Content-Security-Policy without one violation, and the
policy is really enforced: a script injected into the page does not run."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import edit_message, expect_message_once, open_room, send

pytestmark = [pytest.mark.e2e, pytest.mark.live]

# Installed before any script of every document: records what the browser refused.
WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
ADMIN_PASSWORD = "correct horse battery staple"


def watch(context, seen: list[str]) -> None:
    context.add_init_script(WATCH)
    context.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def visit(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.ok, f"{url}: {response.status}"
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_load_state("networkidle")
    return violations(page)


def test_every_screen_loads_under_the_policy_without_a_violation(browser, person, site):
    site.shell(
        "from rooms.models import Room, User\n"
        "from rooms.services import message_create\n"
        f"boss = User.objects.create_superuser('boss', 'boss@example.com', {ADMIN_PASSWORD!r}, display_name='Boss')\n"
        "message_create(room=Room.objects.get(slug='general'), author=boss, body='welcome', client_id='w1')\n"
    )
    console: list[str] = []

    # The app: sign-in, the room list, a room with history, presence, typing, sending, editing.
    mina = person("Mina", setup=lambda context: watch(context, console))
    jun = person("Jun", setup=lambda context: watch(context, console))
    open_room(mina.page)
    open_room(jun.page)
    boss_message = mina.page.get_by_test_id("message").filter(has_text="welcome")
    expect(boss_message.get_by_test_id("staff-mark")).to_be_visible()
    send(mina.page, "under the policy")
    expect_message_once(jun.page, "under the policy")
    edit_message(mina.page, "under the policy", "still under the policy")
    expect_message_once(jun.page, "still under the policy")
    jun.page.get_by_role("combobox", name="Message").press_sequentially("typing")
    expect(mina.page.get_by_test_id("typing-indicator")).to_have_text("Jun is typing…")
    mina.page.go_back()
    expect(mina.page.get_by_test_id("room-list")).to_be_visible()
    assert violations(mina.page) == [] and violations(jun.page) == [] and console == []

    # The policy is enforced, not just sent: a script added to the page is refused.
    ran = mina.page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.append(s); return window.__ran === 1; }"
    )
    assert ran is False
    assert any(v.startswith("script-src-elem blocked inline") for v in violations(mina.page))
    assert len(console) == 1 and "inline script" in console[0]
    console.clear()

    # The admin and the API docs, as staff.
    admin = browser.new_context(locale="en-US")
    watch(admin, console)
    page = admin.new_page()
    assert visit(page, site.url() + "/admin/login/") == []
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Site administration")).to_be_visible()
    assert violations(page) == []
    message_id = site_message_id(site)
    for path in [
        "/admin/",
        "/admin/rooms/room/",
        "/admin/rooms/room/add/",
        "/admin/rooms/message/",
        f"/admin/rooms/message/{message_id}/change/",
        "/admin/rooms/user/",
        "/api/docs/",
    ]:
        assert visit(page, site.url() + path) == [], path
    expect(page.locator(".swagger-ui .information-container")).to_be_visible()
    assert violations(page) == []
    admin.close()

    # The page a locked-out password sign-in gets.
    guesser = browser.new_context(locale="en-US")
    watch(guesser, console)
    page = guesser.new_page()
    page.goto(site.url() + "/admin/login/")
    for attempt in range(10):
        page.get_by_label("Username").fill("boss")
        page.get_by_label("Password").fill(f"guess {attempt}")
        page.get_by_role("button", name="Log in").click()
        if page.get_by_text("Too many failed sign-ins").is_visible():
            break
        assert violations(page) == []
    expect(page.get_by_text("Too many failed sign-ins")).to_be_visible()
    assert violations(page) == []
    guesser.close()

    assert console == []


def site_message_id(site) -> int:
    (row,) = site.database.rows("SELECT id FROM rooms_message WHERE client_id = %s", ("w1",))
    return row[0]
