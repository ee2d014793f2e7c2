"""Headless Chromium for the browser tests: the system's binary, driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CASECONSULTANT_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A Chromium browser shared by the tests of one module.

    Playwright's sync API keeps its event loop current in the main thread while it runs,
    so it stops with the module instead of lasting into tests that run their own loops.
    """
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install the Debian package 'chromium' "
                    "or set CASECONSULTANT_TEST_CHROMIUM")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser tab with its own cookies, whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in_browser(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
