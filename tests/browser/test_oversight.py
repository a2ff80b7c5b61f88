"""The supervision centre in headless Chromium: a supervisor drills down from the dashboard to a red-card case
and reads its clock's explanation."""

# ruff: noqa: F811 (the `hall` and `office` fixtures are imported)

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.browser.test_journeys import submit
from tests.supervision.conftest import hall, office  # noqa: F401
from tests.supervision.factories import give_handling_clock, make_alert, make_case
from zhengwu.supervision.enums import AlertLevel

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_supervisor_drills_down_from_the_dashboard_to_a_red_card_case(
    page, live_server, browser_log, screenshot_path, office
):
    hall = office.hall
    case = make_case(hall.version, hall.department, received_at=timezone.now() - timedelta(days=30))
    give_handling_clock(case, limit=5)
    alert = make_alert(subject=case, level=AlertLevel.RED)
    calm = make_case(hall.version, hall.department, received_at=timezone.now())
    give_handling_clock(calm, limit=20)

    page.goto(live_server.url + reverse("workbench:login"))
    page.locator("[name='username']").fill(office.supervisor.username)
    page.locator("[name='password']").fill(PASSWORD)
    submit(page, "username")
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="电子监察中心").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("电子监察中心")
    expect(page.locator("#colour-red .colour-card__count")).to_have_text("1")
    expect(page.locator("#chart-trend canvas")).to_have_count(1)  # ECharts, served locally, drew the trend
    page.screenshot(path=screenshot_path("oversight-dashboard"), full_page=True)
    page.locator("#colour-red").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("监察对象：红牌")
    expect(page.get_by_role("link", name=calm.number)).to_have_count(0)
    page.get_by_role("link", name="查看告警").click()
    page.get_by_role("link", name=case.number).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("红牌：办理超时")
    expect(page.locator("#alert-status")).to_have_text("告警状态：待处理")
    page.get_by_role("link", name=f"办件 {case.number}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"办件 {case.number}")
    expect(page.get_by_role("heading", name="办理期限", exact=False)).to_be_visible()
    expect(page.locator(".clock-status--overdue")).to_have_text("已超期")
    expect(page.locator(".clock-lines li").first).to_be_visible()
    page.screenshot(path=screenshot_path("oversight-red-case"), full_page=True)
    assert alert.pk
    assert browser_log.problems == []
