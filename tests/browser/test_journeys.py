"""A citizen registers, logs out and in again; a staff member logs in to the workbench — in headless Chromium."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import make_department, make_staff
from zhengwu.accounts.domain.identity import resident_id_check_char

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "Zw-Browser-2026!"


def valid_resident_id(first17: str = "33010219900307123") -> str:
    return first17 + resident_id_check_char(first17)


def submit(page, field_name: str) -> None:
    """Submit the form in <main> that holds the named field."""
    page.locator(f"main form:has([name='{field_name}'])").locator("[type='submit']").click()


def test_citizen_registers_logs_out_logs_in_and_is_greeted(page, live_server, browser_log, screenshot_path):
    page.goto(live_server.url + reverse("portal:register_citizen"))
    page.locator("[name='real_name']").fill("李明华")
    page.locator("[name='id_type']").select_option("resident_id")
    page.locator("[name='id_number']").fill(valid_resident_id())
    page.locator("[name='phone']").fill("13912345678")
    page.locator("[name='password1']").fill(PASSWORD)
    page.locator("[name='password2']").fill(PASSWORD)
    submit(page, "real_name")

    expect(page).to_have_url(live_server.url + reverse("portal:home"))
    expect(page.locator("main .greeting")).to_have_text("您好，李明华")

    page.get_by_role("banner").get_by_role("button", name="退出").click()

    expect(page).to_have_url(live_server.url + reverse("portal:home"))
    expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()
    expect(page.locator("main .greeting")).to_have_count(0)

    page.goto(live_server.url + reverse("portal:login"))
    expect(page.get_by_role("banner").locator(".site-name")).to_have_text("政务服务平台")
    page.locator("[name='username']").fill("13912345678")
    page.locator("[name='password']").fill(PASSWORD)
    submit(page, "username")

    expect(page).to_have_url(live_server.url + reverse("portal:home"))
    expect(page.locator("main .greeting")).to_have_text("您好，李明华")
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的账户")).to_be_visible()
    page.screenshot(path=screenshot_path("portal-home"), full_page=True)
    assert browser_log.problems == []


def test_staff_member_logs_in_to_the_workbench(page, live_server, browser_log, screenshot_path):
    department = make_department(name="示范县行政审批局")
    make_staff(username="wangfang", display_name="王芳", department=department, roles=("handler",))

    page.goto(live_server.url + reverse("workbench:home"))
    expect(page).to_have_url(re.compile(re.escape(live_server.url + reverse("workbench:login")) + r"\?next="))
    # The layout's site name, not the host name Django's LoginView puts into its context as `site_name`.
    expect(page.get_by_role("banner").locator(".site-name")).to_have_text("政务服务平台工作台")
    page.locator("[name='username']").fill("wangfang")
    page.locator("[name='password']").fill("Zw-test-pass-2026")
    submit(page, "username")

    expect(page).to_have_url(live_server.url + reverse("workbench:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，王芳")
    banner = page.get_by_role("banner")
    expect(banner.locator(".user-bar__name")).to_have_text("王芳")
    expect(banner.locator(".user-bar__dept")).to_have_text("示范县行政审批局")
    expect(page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="工作台首页")).to_have_attribute(
        "aria-current", "page"
    )
    page.screenshot(path=screenshot_path("workbench-home"), full_page=True)
    assert browser_log.problems == []
