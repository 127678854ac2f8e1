"""Message bodies are Markdown: a message typed with Shift+Enter between its lines shows its
formatting to the other person, with a mention inside it; hostile bodies (scripts, script
addresses, entities, enormous nesting, a 4,000-character code block) run nothing, load nothing
and break no layout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import expect_message_once, open_room

pytestmark = [pytest.mark.e2e, pytest.mark.live]

REL = "noopener noreferrer nofollow"

# Each tries to run `window.__pwned = …` or to open a dialog, or to load something. All of them
# are stored in one go (a person's send rate would take half a minute), each under 4,000 characters.
HOSTILE = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
    "<iframe src=\"javascript:parent.__pwned = 'iframe'\"></iframe>",
    "[click 1](javascript:window.__pwned='link')",
    "[click 2](JaVaScRiPt:window.__pwned='case')",
    "[click 3](&#x6A;avascript:window.__pwned='entity')",
    "[click 4](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click 5](vbscript:msgbox(1))",
    "<javascript:window.__pwned='autolink'>",
    "<a href=\"javascript:window.__pwned='anchor'\">click 6</a>",
    "![click 7](javascript:window.__pwned='image')",
    "[click 8][evil]\n\n[evil]: javascript:window.__pwned='reference'",
    "![tracker](http://127.0.0.1:9/pixel.png)",
    "&lt;b&gt;entities&lt;/b&gt; &#60;script&#62;alert(1)&#60;/script&#62;",
    "[mail me](mailto:someone@example.com)",
    ">" * 3985 + " deep quote",
    "*" * 1990 + "deep stars" + "*" * 1990,
    "+ " * 1990 + "deep list",
    "[" * 3990 + "brackets",
    "```\n" + "x" * 3990 + "\n```",
]
CLICKABLE_TEXT = [f"click {n}" for n in range(1, 9)]


def seed_hostile(site) -> None:
    site.shell(
        "from rooms.models import Room\n"
        "from rooms.services import guest_user_create, message_create\n"
        "room = Room.objects.get(slug='general')\n"
        "user = guest_user_create(display_name='Mallory')\n"
        f"for i, body in enumerate({HOSTILE!r}):\n"
        "    message_create(room=room, author=user, body=body, client_id=f'hostile-{i}')\n"
    )


def test_hostile_markdown_runs_nothing_loads_nothing_and_keeps_the_layout(person, site):
    seed_hostile(site)
    dialogs: list[str] = []
    popups: list[str] = []
    requests: list[str] = []

    def watch(context):
        context.on("request", lambda request: requests.append(request.url))

    mina = person("Mina", viewport={"width": 390, "height": 844}, setup=watch)
    page = mina.page
    mina.context.on("page", lambda opened: popups.append(opened.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_room(page)
    bodies = page.get_by_test_id("message-body")
    expect(bodies).to_have_count(len(HOSTILE))

    # Whatever looked like a link to a script is text: a click on it does nothing.
    for text in CLICKABLE_TEXT:
        target = bodies.get_by_text(text)
        expect(target).to_have_count(1)
        expect(bodies.get_by_role("link", name=text)).to_have_count(0)
        target.click()
    page.wait_for_timeout(300)

    assert dialogs == []
    assert popups == []
    assert page.evaluate("() => window.__pwned") is None
    assert (
        page.locator(
            "[data-testid=message-body] "
            ":is(script, img, svg, iframe, object, embed, style, form, input, video, audio, h1, h2)"
        ).count()
        == 0
    )
    found = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=message-body] *')].flatMap((el) =>
            el.getAttributeNames().filter((name) => /^on|^style$|^src/.test(name))
              .map((name) => `${el.tagName} ${name}`))"""
    )
    assert found == []
    # Nothing in a body was fetched: the picture shows as a link to it, not as an <img>.
    assert not [url for url in requests if "pixel.png" in url or url.startswith(("javascript:", "data:"))]

    # The only links are to http(s) and mailto addresses, each opening apart with rel nofollow.
    links = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=message-body] a')].map((a) =>
            ({ href: a.href, protocol: a.protocol, rel: a.rel, target: a.target, text: a.textContent }))"""
    )
    assert {link["href"] for link in links} == {"http://127.0.0.1:9/pixel.png", "mailto:someone@example.com"}
    for link in links:
        assert link["protocol"] in {"http:", "https:", "mailto:"}
        assert link["rel"] == REL
        assert link["target"] == "_blank"

    # Entities show as the characters they name, as text.
    expect(bodies.filter(has_text="<b>entities</b> <script>alert(1)</script>")).to_have_count(1)
    # The enormous nestings show, capped, with their text.
    for text in ("deep quote", "deep stars", "deep list", "brackets"):
        expect(bodies.filter(has_text=text)).to_have_count(1)
    nesting = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('[data-testid=message-body] *')].map((el) => {
            let depth = 0;
            for (let up = el; up && up.dataset?.testid !== 'message-body'; up = up.parentElement) depth++;
            return depth;
        }))"""
    )
    assert nesting < 40

    # The 4,000-character line of code scrolls inside its block, on a phone, without widening
    # its bubble or the page.
    code = page.locator("[data-testid=message-body] pre > code")
    expect(code).to_have_count(1)
    assert code.evaluate("el => el.textContent") == "x" * 3990
    pre = page.locator("[data-testid=message-body] pre")
    assert pre.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert pre.evaluate("el => el.scrollWidth > el.clientWidth")
    bubble = bodies.filter(has=page.locator("pre"))
    assert bubble.evaluate("el => el.getBoundingClientRect().right <= window.innerWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


MESSAGE_LINES = [
    "** and *italic* and ~~struck~~ and `inline <code>`",  # typed after the picked mention
    "",
    "> quoted line",
    "",
    "- first item",
    "- second item",
    "",
    "1. one",
    "2. two",
    "",
    "```",
    "const x = a < b;",
    "```",
    "",
    "see [the guide](https://example.com/guide) or https://example.com/docs",
]


def test_markdown_typed_with_shift_enter_shows_formatted_with_a_mention_in_bold(person):
    jun = person("Jun")
    mina = person("Mina")
    open_room(jun.page)  # Jun has been in the room: he can be mentioned there
    open_room(mina.page)

    box = mina.page.get_by_role("combobox", name="Message")
    box.press_sequentially("**bold @Ju")
    expect(mina.page.get_by_role("option", name=re.compile("Jun"))).to_have_count(1)
    box.press("Enter")  # picks Jun
    expect(box).to_have_value("**bold @Jun ")
    box.press("Backspace")
    for i, line in enumerate(MESSAGE_LINES):
        if i > 0:
            box.press("Shift+Enter")
        if line:
            box.press_sequentially(line)
    typed = "**bold @Jun" + "\n".join(MESSAGE_LINES)
    # Still one message being written, as plain text: Shift+Enter only added lines.
    expect(box).to_have_value(typed)
    box.press("Enter")
    expect(box).to_have_value("")
    expect_message_once(mina.page, "italic")

    expect_message_once(jun.page, "italic")
    body = jun.page.get_by_test_id("message-body").filter(has_text="italic")
    mention = body.locator("strong [data-testid=mention]")
    expect(mention).to_have_text("@Jun")
    expect(mention).to_have_class(re.compile("mention--me"))
    expect(body.locator("strong").first).to_contain_text("bold")
    expect(body.locator("em")).to_have_text("italic")
    expect(body.locator("del")).to_have_text("struck")
    expect(body.locator("p > code")).to_have_text("inline <code>")
    expect(body.locator("blockquote")).to_have_text("quoted line")
    expect(body.locator("ul > li")).to_have_text(["first item", "second item"])
    expect(body.locator("ol > li")).to_have_text(["one", "two"])
    expect(body.locator("pre > code")).to_have_text("const x = a < b;")
    for name, href in (
        ("the guide", "https://example.com/guide"),
        ("https://example.com/docs", "https://example.com/docs"),
    ):
        link = body.get_by_role("link", name=name)
        expect(link).to_have_attribute("href", href)
        expect(link).to_have_attribute("rel", REL)
        expect(link).to_have_attribute("target", "_blank")

    # Editing shows the text as it was typed, Markdown and all.
    row = mina.page.get_by_test_id("message").filter(has_text="italic")
    row.hover()
    row.get_by_test_id("edit-message").click()
    expect(mina.page.get_by_role("textbox", name="Edit message")).to_have_value(typed)
