"""What the fee window and the staff case page show of online payments through a platform that confirms later
(ADR 0014, "Asynchronous providers"), and the fee window returning money that could not be recorded."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification, paid_at_platform
from tests.html import assert_page_shell
from zhengwu.cases.domain import (
    case_fee_pay,
    fee_payment_attempt_notify,
    fee_payment_attempt_start,
    fee_payment_attempts_reconcile,
)
from zhengwu.cases.payments import PaymentError, SimulatedGatewayProvider

pytestmark = pytest.mark.django_db

CASE_CSS = ["/static/workbench/cases.css"]
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def fees(hall, settings):
    settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED
    return make_fee_setup(hall)


def notice_url(notice) -> str:
    return reverse("workbench:fee_notice", args=[notice.pk])


@time_machine.travel(MONDAY, tick=False)
def test_the_fee_window_is_warned_of_an_online_payment_in_progress(client, fees, django_assert_num_queries):
    notice = fees.notice(fees.decided_case())
    attempt = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    client.force_login(fees.fee_clerk)
    client.get(notice_url(notice))

    # session, user, the window's departments; the notice (and whether it has online payments), lines, payment;
    # the online payments; unread messages
    with django_assert_num_queries(8):
        page = client.get(notice_url(notice))

    html = page.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert "申请人于 2026-03-02 10:00 发起了网上支付，10:30 前仍可能付款成功。" in html
    row = html[html.index(f'id="online-attempt-{attempt.pk}"') :]
    assert re.findall(r"<td>(.*?)</td>", row)[:5] == [
        f"<code>{attempt.reference}</code>",
        "2026-03-02 10:00",
        "90.00",
        "支付处理中",
        "—",
    ]

    # Lapsed, not yet settled by reconciliation: a payment made just before may still be confirmed.
    with time_machine.travel(MONDAY + timedelta(minutes=31), tick=False):
        html = client.get(notice_url(notice)).content.decode()
    assert (
        "申请人于 2026-03-02 10:00 发起了网上支付，订单已于 10:30 失效，系统正在向支付平台查单确认是否已付款。"
    ) in html
    assert "<td>支付处理中</td>" in html

    with time_machine.travel(MONDAY + timedelta(minutes=31), tick=False):
        assert fee_payment_attempts_reconcile().expired == 1
        html = client.get(notice_url(notice)).content.decode()
    assert "发起了网上支付" not in html
    assert "<td>已超时</td>" in html


def test_a_notice_without_online_payments_shows_none(client, fees):
    notice = fees.notice(fees.decided_case())
    client.force_login(fees.fee_clerk)

    html = client.get(notice_url(notice)).content.decode()

    assert "网上支付订单" not in html and "发起了网上支付" not in html


def test_money_taken_but_not_recorded_is_shown_for_return_through_the_platform(client, fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    attempt = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
    sent = notification(attempt)
    fee_payment_attempt_notify(provider=SimulatedGatewayProvider(), notification=sent)
    client.force_login(fees.fee_clerk)

    html = client.get(notice_url(notice)).content.decode()

    row = html[html.index(f'id="online-attempt-{attempt.pk}"') :]
    cells = re.findall(r"<td>(.*?)</td>", row)[3:6]
    assert cells == ["已付款未入账", sent.provider_reference, "缴费通知当前状态为“已缴费”。须经支付平台退回申请人。"]

    client.force_login(fees.hall.handler)
    html = client.get(reverse("workbench:case_detail", args=[case.number])).content.decode()
    timeline = html[html.index('id="timeline-heading"') :]
    labels = re.findall(r"</time> ([^<]*)</li>", timeline)
    assert labels[-3:] == [
        f"发起网上支付 · 青川绿源农业科技有限公司：订单号 {attempt.reference}，90.00 元",
        "缴费 · 收费员",
        f"网上支付已到账未入账 · 系统：订单号 {attempt.reference}，90.00 元；支付流水号 {sent.provider_reference}；"
        "缴费通知当前状态为“已缴费”。",
    ]


def test_the_staff_timeline_shows_what_reconciliation_found(client, fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    with time_machine.travel(MONDAY, tick=False):
        lost = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
        trade = paid_at_platform(lost)["trade_no"]
    with time_machine.travel(MONDAY + timedelta(minutes=6), tick=False):
        fee_payment_attempts_reconcile()
    other = fees.decided_case()
    with time_machine.travel(MONDAY, tick=False):
        lapsed = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=fees.notice(other))
    with time_machine.travel(MONDAY + timedelta(minutes=31), tick=False):
        fee_payment_attempts_reconcile()
    client.force_login(fees.hall.handler)

    def labels(case):
        html = client.get(reverse("workbench:case_detail", args=[case.number])).content.decode()
        return re.findall(r"</time> ([^<]*)</li>", html[html.index('id="timeline-heading"') :])

    assert labels(case)[-2:] == [
        "缴费 · 青川绿源农业科技有限公司",
        f"网上支付查单补记 · 系统：订单号 {lost.reference}，90.00 元；支付平台查单结果：已付款，支付流水号 {trade}",
    ]
    assert labels(other)[-1] == (
        f"网上支付订单超时关闭 · 系统：订单号 {lapsed.reference}，90.00 元；支付平台查单结果：未付款，"
        "已在支付平台关闭订单"
    )


# ---------------------------------------------------------------- 退回缴费人 (returning unrecorded money)


def unrecorded(fees):
    """Money reported online after the notice was paid in cash: (case, notice, attempt, transaction number)."""
    case = fees.decided_case()
    notice = fees.notice(case)
    attempt = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
    sent = notification(attempt)
    fee_payment_attempt_notify(provider=SimulatedGatewayProvider(), notification=sent)
    return case, notice, attempt, sent.provider_reference


def return_url(attempt) -> str:
    return reverse("workbench:fee_payment_attempt_return", args=[attempt.pk])


def attempt_row(html: str, attempt) -> str:
    start = html.index(f'id="online-attempt-{attempt.pk}"')
    return html[start : html.index("</tr>", start)]


@time_machine.travel(MONDAY, tick=False)
def test_the_fee_window_returns_unrecorded_money_from_the_notice_page(client, fees, django_assert_num_queries):
    case, notice, attempt, trade = unrecorded(fees)
    client.force_login(fees.fee_clerk)
    client.get(notice_url(notice))

    # as with an online payment in progress, plus the cash payment's refunds and refund requests; whether the
    # clerk may return the money needs no query of its own
    with django_assert_num_queries(10):
        page = client.get(notice_url(notice))

    html = page.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    row = attempt_row(html, attempt)
    assert f'<form method="post" action="{return_url(attempt)}" id="return-attempt-{attempt.pk}">' in row
    assert "确认将 90.00 元经支付平台原路退回缴费人（退回后不能撤销）" in row
    assert f'<input type="checkbox" id="return-confirm-{attempt.pk}" name="confirm" required>' in row
    assert ">退回缴费人</button>" in row

    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False):
        response = client.post(return_url(attempt), {"confirm": "on"})

    assert (response.status_code, response["Location"]) == (302, notice_url(notice))
    attempt.refresh_from_db()
    assert attempt.state == "returned"
    html = client.get(notice_url(notice)).content.decode()
    assert f"已将 90.00 元经支付平台退回缴费人，退款流水号 {attempt.return_reference}。" in html
    row = attempt_row(html, attempt)
    assert re.findall(r"<td>(.*?)</td>", row)[3:] == [
        "已退回",
        trade,
        f"缴费通知当前状态为“已缴费”。已于 2026-03-02 10:05 退回（退款流水号 {attempt.return_reference}）。",
        "经办：收费员",
    ]
    assert "<form" not in row

    client.force_login(fees.hall.handler)
    html = client.get(reverse("workbench:case_detail", args=[case.number])).content.decode()
    timeline = html[html.index('id="timeline-heading"') :]
    assert re.findall(r"</time> ([^<]*)</li>", timeline)[-1] == (
        f"网上支付未入账款项退回缴费人 · 收费员：订单号 {attempt.reference}，90.00 元；支付流水号 {trade}；"
        f"退款流水号 {attempt.return_reference}"
    )


def test_returning_without_ticking_the_confirmation_changes_nothing(client, fees):
    _case, _notice, attempt, _trade = unrecorded(fees)
    client.force_login(fees.fee_clerk)

    response = client.post(return_url(attempt), {})

    assert response.status_code == 400
    assert "请勾选确认后再退回 90.00 元。" in response.content.decode()
    assert type(attempt).objects.get(pk=attempt.pk).state == "unrecorded"


def test_a_refusal_by_the_platform_is_shown_on_the_page(client, fees):
    _case, _notice, attempt, _trade = unrecorded(fees)
    client.force_login(fees.fee_clerk)

    with mock.patch.object(
        SimulatedGatewayProvider, "refund", autospec=True, side_effect=PaymentError("原交易已超过可退款期限")
    ):
        response = client.post(return_url(attempt), {"confirm": "on"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "支付平台未能退回：原交易已超过可退款期限" in html
    assert f'id="return-attempt-{attempt.pk}"' in html  # may be tried again
    assert type(attempt).objects.get(pk=attempt.pk).state == "unrecorded"


def test_returning_money_already_returned_says_so(client, fees):
    _case, _notice, attempt, _trade = unrecorded(fees)
    client.force_login(fees.fee_clerk)
    client.post(return_url(attempt), {"confirm": "on"})

    response = client.post(return_url(attempt), {"confirm": "on"})

    assert response.status_code == 400
    assert "该网上支付订单当前状态为“已退回”，不能退回。" in response.content.decode()


def test_only_the_fee_windows_serving_the_department_reach_the_return(client, fees):
    _case, _notice, attempt, _trade = unrecorded(fees)

    for user, status in ((fees.hall.handler, 403), (fees.fee_clerk_elsewhere, 403), (fees.other_fee_clerk, 404)):
        client.force_login(user)
        assert client.post(return_url(attempt), {"confirm": "on"}).status_code == status
    assert type(attempt).objects.get(pk=attempt.pk).state == "unrecorded"


def test_the_return_button_is_offered_only_for_unrecorded_money_to_those_who_may_return_it(client, fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    attempt = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    client.force_login(fees.fee_clerk)

    assert "退回缴费人" not in client.get(notice_url(notice)).content.decode()  # in progress
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
    fee_payment_attempt_notify(provider=SimulatedGatewayProvider(), notification=notification(attempt))
    assert ">退回缴费人</button>" in client.get(notice_url(notice)).content.decode()
    with mock.patch("zhengwu.cases.rules.can_return_online_payment", return_value=False):
        assert "退回缴费人" not in client.get(notice_url(notice)).content.decode()
