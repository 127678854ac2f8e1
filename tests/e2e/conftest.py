"""Browser tests: Debian's chromium driven by Playwright against a real Daphne serving the
built front end. Each test gets a fresh site (database and process) of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.live import LiveSite

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMEOUT_MS = 10_000
PRESENCE_GRACE = 2


def _unavailable(reason: str) -> None:
    """Under CI a missing browser is a failure: CI must run every test."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def _sources_mtime() -> float:
    files = [p for folder in ("src", "public") for p in (FRONTEND / folder).rglob("*") if p.is_file()]
    files += [FRONTEND / name for name in ("index.html", "package-lock.json", "vite.config.ts")]
    return max(p.stat().st_mtime for p in files if p.exists())


@pytest.fixture(scope="session")
def frontend_build() -> Path:
    """The site serves frontend/dist; (re)build it when it is missing or older than its sources,
    so a browser test never passes or fails against yesterday's bundle."""
    manifest = FRONTEND / "dist" / ".vite" / "manifest.json"
    if not manifest.exists() or manifest.stat().st_mtime < _sources_mtime():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("frontend/dist is not built and npm is not installed")
        if not (FRONTEND / "node_modules").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
        subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)
    return manifest


# Package scope, not session: Playwright's sync API keeps an event loop running on the main
# thread while it is open, and any async test pytest schedules after the browser tests (pytest-
# django runs tests without a database mark last) would then fail to start its own.
@pytest.fixture(scope="package")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def site(tmp_path, frontend_build) -> Iterator[LiveSite]:
    # Started as `make run` starts it (deploy/daphne/run.sh, serve.py): the browser then gets
    # room frames through serve.py's own send path, as users do.
    # A short reconnect grace, so that a leave shows within the browser tests' waits.
    live = LiveSite(tmp_path, run_script=True, env={"PRESENCE_GRACE": str(PRESENCE_GRACE)}).start()
    yield live
    live.stop()


@dataclass
class Person:
    """One browser context (its own cookies: one signed-in user) and its page."""

    name: str
    context: object
    page: object
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def person(browser, site) -> Iterator[Callable[..., Person]]:
    """`person("Mina")` signs a new guest in through the UI and returns them on the room list."""
    from playwright.sync_api import expect

    people: list[Person] = []

    def make(name: str, *, viewport: dict | None = None, setup: Callable | None = None) -> Person:
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        if setup is not None:
            setup(context)
        page = context.new_page()
        who = Person(name, context, page)
        page.on("pageerror", lambda error: who.errors.append(str(error)))
        people.append(who)
        page.goto(site.url() + "/")
        page.get_by_test_id("guest-name").fill(name)
        page.get_by_test_id("guest-submit").click()
        expect(page.get_by_test_id("room-list")).to_be_visible()
        return who

    yield make
    for who in people:
        who.context.close()
    # An uncaught exception in the page is a bug even when the screen looked right.
    assert [e for who in people for e in who.errors] == []
