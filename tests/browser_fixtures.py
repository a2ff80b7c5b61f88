"""Playwright fixtures: Debian's Chromium, headless, isolated per test, no request ever leaves the live server."""

import os
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = os.environ.get("ZHENGWU_SCREENSHOT_DIR", "/tmp")


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); it is missing. "
            "These tests are never skipped.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class BrowserLog:
    """What a page reported: console errors (CSP violations land here), uncaught errors, off-site requests."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.offsite_requests: list[str] = []

    @property
    def problems(self) -> list[str]:
        return self.console_errors + self.page_errors + self.offsite_requests


@pytest.fixture
def browser_log():
    return BrowserLog()


@pytest.fixture
def page(chromium, live_server, browser_log):
    """A fresh browser context (no cookies) whose requests may only go to the live server."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    server = urlsplit(live_server.url).netloc

    def only_live_server(route):
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            browser_log.offsite_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_live_server)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and browser_log.console_errors.append(message.text))
    page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def screenshot_path():
    def path(name: str) -> str:
        return os.path.join(SCREENSHOT_DIR, f"zw-{name}.png")

    return path
