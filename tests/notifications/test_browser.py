"""In Chromium: marking messages read swaps the list and the header badge in place (htmx, CSP-clean)."""

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_citizen_marks_messages_read_without_reloading_the_page(
    page, live_server, browser_log, screenshot_path, citizen
):
    for subject in ("您的申请已受理", "请补正材料"):
        notify(recipients=[citizen], category=Category.CASE_ACCEPTED, subject=subject, body="", channels=("inapp",))
    page.goto(live_server.url + "/login/")
    page.locator("[name='username']").fill(citizen.phone)
    page.locator("[name='password']").fill(PASSWORD)
    page.locator("main form:has([name='username'])").locator("[type='submit']").click()

    badge = page.get_by_role("banner").locator("#unread-badge")
    expect(badge).to_have_text("2条未读")
    page.get_by_role("banner").get_by_role("link", name="消息").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的消息")
    page.evaluate("window.zwNotReloaded = true")
    page.screenshot(path=screenshot_path("messages-inbox"), full_page=True)

    page.locator(".inbox__item").filter(has_text="请补正材料").get_by_role("button", name="标为已读").click()

    expect(page.locator("#inbox-summary")).to_have_text("1 条未读消息")
    expect(badge).to_have_text("1条未读")
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator("#inbox-summary")).to_have_text("没有未读消息")
    expect(badge).to_be_hidden()
    assert page.evaluate("window.zwNotReloaded") is True
    assert browser_log.problems == []
