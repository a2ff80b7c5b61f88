"""退费审批 in headless Chromium: the fee clerk asks for a refund on the notice page, the leader in charge
approves it from 待审批退费 and htmx swaps the row in place."""

# ruff: noqa: F811 (the `hall` fixture is imported)

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_case_journey import workbench_login
from tests.cases.conftest import hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from zhengwu.cases.domain import case_fee_pay
from zhengwu.cases.enums import FeeNoticeState, FeeRefundRequestState
from zhengwu.cases.models import FeeNotice, FeeRefund, FeeRefundRequest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_refund_is_asked_at_the_window_and_approved_by_the_leader(
    page, live_server, browser_log, screenshot_path, hall
):
    fees = make_fee_setup(hall)
    notice = fees.notice(fees.decided_case())
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)

    workbench_login(page, live_server, fees.fee_clerk.username)
    page.goto(live_server.url + reverse("workbench:fee_notice", args=[notice.pk]))
    page.get_by_label("退费金额（元）").fill("30")
    page.get_by_label("退费理由").fill("登记费减半")
    page.get_by_role("button", name="提交退费申请").click()

    expect(page.locator(".message--success")).to_contain_text("已申请退费 30.00 元")
    expect(page.locator("#refund-pending")).to_have_text("待审批退费合计 30.00 元，审批前不计入可退金额。")
    request = FeeRefundRequest.objects.get()
    assert not FeeRefund.objects.exists()

    workbench_login(page, live_server, fees.leader.username)
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="待审批退费").click()
    page.wait_for_url(live_server.url + reverse("workbench:fee_refund_queue"))  # htmx has loaded
    expect(page.get_by_role("heading", level=1)).to_have_text("待审批退费")
    row = page.locator(f"#refund-request-{request.pk}")
    row.get_by_role("button", name="不予退费").click()  # no reason: refused in place
    expect(page.locator(f"#refund-request-{request.pk} .form-errors")).to_contain_text("不予退费的，请填写审批意见。")
    page.locator(f"#refund-request-{request.pk}").get_by_role("button", name="批准退费").click()

    expect(page.locator(f"#refund-request-{request.pk} .message--success")).to_have_text(
        "已批准退费 30.00 元，款项已退还。"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("待审批退费")  # swapped, not reloaded
    page.screenshot(path=screenshot_path("fee-refund-approved"), full_page=True)
    request.refresh_from_db()
    assert (request.state, request.decided_by) == (FeeRefundRequestState.APPROVED, fees.leader)
    assert FeeRefund.objects.get().amount == Decimal("30.00")
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PARTIALLY_REFUNDED
    assert browser_log.problems == []
