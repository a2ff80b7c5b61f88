"""What the fee window and the staff case page show of online payments through a platform that confirms later
(ADR 0014, "Asynchronous providers")."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification
from tests.html import assert_page_shell
from zhengwu.cases.domain import case_fee_pay, fee_payment_attempt_notify, fee_payment_attempt_start
from zhengwu.cases.payments import SimulatedGatewayProvider

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

    with time_machine.travel(MONDAY + timedelta(minutes=31), tick=False):
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
