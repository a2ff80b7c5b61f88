"""The layouts in a real browser: phone width, the menu button, keyboard focus, and a clean CSP console."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD, make_department, make_staff
from tests.cases.conftest import hall  # noqa: F401
from zhengwu.cases.domain import case_submit_online
from zhengwu.cases.domain.processing import case_accept_and_start

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

NO_HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_portal_home_fits_a_phone_screen(page, live_server, browser_log, screenshot_path):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + reverse("portal:home"))

    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    page.screenshot(path=screenshot_path("portal-home-phone"), full_page=True)
    assert browser_log.problems == []


def test_menu_button_opens_the_navigation_on_a_phone(page, live_server, browser_log):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + reverse("portal:home"))
    menu = page.get_by_role("button", name="菜单")
    nav = page.get_by_role("navigation", name="主导航")

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    menu.click()

    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="登录")).to_be_visible()
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    assert browser_log.problems == []


def test_wide_screen_shows_the_navigation_without_a_menu_button(page, live_server, browser_log, screenshot_path):
    page.goto(live_server.url + reverse("portal:home"))

    expect(page.get_by_role("button", name="菜单")).to_be_hidden()
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="首页")).to_be_visible()
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    page.screenshot(path=screenshot_path("portal-home-anonymous"), full_page=True)
    assert browser_log.problems == []


def test_first_tab_reveals_the_skip_link_which_moves_focus_to_main(page, live_server):
    page.goto(live_server.url + reverse("portal:home"))

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 0
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline == "solid"

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_workbench_home_fits_a_phone_screen(page, live_server, browser_log, screenshot_path):
    make_staff(username="wangfang", display_name="王芳", department=make_department(name="示范县行政审批局"))
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + reverse("workbench:login"))
    page.locator("[name='username']").fill("wangfang")
    page.locator("[name='password']").fill("Zw-test-pass-2026")
    page.locator("main form:has([name='username'])").locator("[type='submit']").click()
    expect(page).to_have_url(live_server.url + reverse("workbench:home"))
    page.wait_for_load_state("load")

    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    page.get_by_role("button", name="菜单").click()
    expect(page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="工作台首页")).to_be_visible()
    page.screenshot(path=screenshot_path("workbench-home-phone"), full_page=True)
    assert browser_log.problems == []


def test_workbench_home_with_work_waiting_fits_a_phone_screen(page, live_server, browser_log, screenshot_path, hall):
    case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    case_accept_and_start(actor=hall.handler, case=case)
    case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + reverse("workbench:login"))
    page.locator("[name='username']").fill("chengban")
    page.locator("[name='password']").fill(PASSWORD)
    page.locator("main form:has([name='username'])").locator("[type='submit']").click()
    expect(page).to_have_url(live_server.url + reverse("workbench:home"))
    page.wait_for_load_state("load")  # its script has folded the side navigation away

    expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
    expect(page.locator(".urgent-steps li")).to_have_count(1)
    expect(page.locator(".urgent-steps")).to_contain_text(case.number)
    expect(page.locator("#main").get_by_role("link", name="待受理")).to_be_visible()
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    page.screenshot(path=screenshot_path("workbench-home-work-phone"), full_page=True)
    assert browser_log.problems == []
