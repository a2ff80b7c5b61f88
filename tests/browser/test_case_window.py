"""The hall window in headless Chromium: a window clerk registers a walk-in case and accepts it."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.browser.test_journeys import submit
from tests.cases.conftest import PDF, hall  # noqa: F401
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_window_clerk_registers_a_case_and_accepts_it(page, live_server, browser_log, screenshot_path, hall, tmp_path):
    scan = tmp_path / "申请书.pdf"
    scan.write_bytes(PDF)
    page.goto(live_server.url + reverse("workbench:login"))
    page.locator("[name='username']").fill("chuangkou")
    page.locator("[name='password']").fill(PASSWORD)
    submit(page, "username")
    expect(page).to_have_url(live_server.url + reverse("workbench:home"))

    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="窗口登记").click()
    page.get_by_label("事项名称或编码").fill("食品经营")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="登记 食品经营许可证核发").click()
    page.get_by_label("申请人类型").select_option("legal")
    page.get_by_label("申请人姓名或名称").fill("青川绿源农业科技有限公司")
    page.get_by_label("证件号码或统一社会信用代码").fill(hall.enterprise.enterprise.credit_code)
    page.get_by_label("联系电话").fill("13953600003")
    page.get_by_label("食品经营许可申请书").set_input_files(str(scan))
    page.get_by_label("营业执照").set_input_files(str(scan))
    page.screenshot(path=screenshot_path("case-window-register"), full_page=True)
    page.get_by_role("button", name="登记办件").click()

    case = Case.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"办件 {case.number}")
    expect(page.locator("#case-state")).to_have_text("待受理")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator("#case-state")).to_have_text("办理中")
    expect(page.get_by_role("heading", name="办理期限", exact=False)).to_be_visible()
    page.screenshot(path=screenshot_path("case-window-accepted"), full_page=True)
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS
    assert case.accepted_at is not None
    assert case.registered_by == hall.clerk
    assert browser_log.problems == []
