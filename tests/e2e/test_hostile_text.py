"""Text people may send — markup, scripts, right-to-left and zero-width characters, emoji,
a 4,000-character word — shows as exactly that text, runs nothing, breaks no layout, and comes
back from the API byte for byte."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import expect_message_once, messages_with, open_room, send

pytestmark = [pytest.mark.e2e, pytest.mark.live]

BODIES = [
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> <b>bold?</b>',
    "RTL: שלום עולם and مرحبا بالعالم \u202ereversed\u202c end",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom",
    "emoji 👩\u200d👩\u200d👧 🇰🇷 ✨ 안녕하세요",
    "w" * 4000,
]


def test_hostile_text_renders_as_text_and_round_trips_exactly(person, site):
    mina = person("Mina")
    jun = person("Jun", viewport={"width": 390, "height": 844})
    open_room(mina.page)
    open_room(jun.page)

    for body in BODIES:
        send(mina.page, body)
        expect_message_once(mina.page, body[:20])

    for page in (mina.page, jun.page):
        for body in BODIES:
            shown = messages_with(page, body[:20])
            expect(shown).to_have_count(1)
            assert shown.first.evaluate("element => element.textContent") == body
        # Nothing in a message became markup, and nothing ran.
        assert page.locator("[data-testid=message-body] script, [data-testid=message-body] img").count() == 0
        assert page.locator("[data-testid=message-body] b").count() == 0
        assert page.evaluate("() => window.__pwned") is None

    # The long word wraps inside its bubble on a phone instead of widening the page.
    long_word = messages_with(jun.page, "wwwwwwwwwwwwwwwwwwww").first
    assert long_word.evaluate("element => element.scrollWidth <= element.clientWidth + 1")
    assert jun.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    stored = jun.page.request.get(site.url() + "/api/rooms/general/messages/?limit=10")
    assert stored.ok
    assert [m["body"] for m in reversed(stored.json()["messages"])][-len(BODIES) :] == BODIES
