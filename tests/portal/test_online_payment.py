"""Paying a fee through a platform that confirms later, end to end with the simulated platform (ADR 0014,
"Asynchronous providers"): the order, the cashier page, the signed notification, the return page; money that could
not be recorded, and its return by the fee window."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification_fields
from tests.html import assert_page_shell
from zhengwu.cases.domain import (
    case_fee_notice_cancel,
    case_fee_pay,
    fee_payment_attempt_return,
    fee_payment_attempts_reconcile,
)
from zhengwu.cases.enums import FeeNoticeState, PaymentAttemptState
from zhengwu.cases.models import FeeNotice, FeePayment, PaymentAttempt

pytestmark = pytest.mark.django_db

CASHIER = "/payments/simulated/"
NOTIFY = "/api/payments/notify/simulated/"
# As tests/portal/test_fees.py's PAGE_QUERIES, plus the online payments of the case.
PAGE_QUERIES = 14


@pytest.fixture
def fees(hall, settings):
    settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED
    return make_fee_setup(hall)


@pytest.fixture
def paying(client, fees):
    """The applicant logged in, with a case whose notice awaits payment."""
    case = fees.decided_case()
    client.force_login(fees.hall.enterprise)
    return case, fees.notice(case)


def detail_url(case) -> str:
    return reverse("portal:case_detail", args=[case.number])


def return_url(case, attempt) -> str:
    return reverse("portal:case_fee_payment_return", args=[case.number, attempt.reference])


def start(client, case, notice) -> str:
    """Press 在线支付; the cashier page's order token."""
    response = client.post(reverse("portal:case_fee_pay", args=[case.number, notice.pk]))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == CASHIER
    return parse_qs(location.query)["order"][0]


def test_the_applicant_pays_at_the_simulated_cashier_and_returns_to_a_paid_notice(client, fees, paying):
    case, notice = paying
    html = client.get(detail_url(case)).content.decode()
    assert "在线支付 90.00 元" in html
    assert "模拟支付平台（开发测试用）" in html

    token = start(client, case, notice)

    attempt = PaymentAttempt.objects.get()
    assert (attempt.notice_id, attempt.state, attempt.amount) == (notice.pk, PaymentAttemptState.STARTED, TOTAL)
    assert not FeePayment.objects.exists()
    cashier = client.get(CASHIER, {"order": token})
    assert cashier.status_code == 200
    page = cashier.content.decode()
    assert_page_shell(page)
    assert "确认支付 90.00 元" in page
    assert "确认支付（模拟通知丢失）" in page
    assert f"{case.number} 食品经营许可证补办 缴费" in page
    assert attempt.reference in page
    html = client.get(detail_url(case)).content.decode()
    assert "支付处理中" in html
    assert "继续支付 90.00 元" in html
    assert return_url(case, attempt) in html

    paid = client.post(CASHIER, {"order": token, "action": "pay"})

    assert paid.status_code == 302
    assert paid["Location"] == return_url(case, attempt)
    payment = FeePayment.objects.get()
    assert (payment.notice_id, payment.method, payment.collected_by) == (notice.pk, "online", fees.hall.enterprise)
    assert PaymentAttempt.objects.get().payment == payment
    page = client.get(paid["Location"]).content.decode()
    assert_page_shell(page)
    assert f"缴费成功：90.00 元，票据号 {payment.receipt_number}。" in page
    assert reverse("portal:case_fee_receipt", args=[case.number, payment.pk]) in page
    assert "模拟支付平台" not in page  # no warning: the notification was acknowledged
    html = client.get(detail_url(case)).content.decode()
    assert f"票据号 {payment.receipt_number}" in html
    assert "在线支付 90.00 元" not in html and "支付处理中" not in html


def test_the_return_page_never_records_a_payment_by_itself(client, paying):
    case, notice = paying
    start(client, case, notice)
    attempt = PaymentAttempt.objects.get()
    url = return_url(case, attempt)
    claims = {"status": "SUCCESS", "trade_no": f"SIM-{attempt.reference}-x", "amount": "90.00", "paid": "1"}

    page = client.get(url, claims)
    posted = client.post(url, claims)

    assert page.status_code == 200
    assert "支付处理中：正在等待支付平台确认结果。" in page.content.decode()
    assert (posted.status_code, posted["Location"]) == (303, url)
    assert "支付处理中" in client.get(posted["Location"]).content.decode()
    assert not FeePayment.objects.exists()
    assert PaymentAttempt.objects.get().state == PaymentAttemptState.STARTED
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.ISSUED


def test_a_notification_arriving_before_the_payer_returns(client, paying):
    case, notice = paying
    start(client, case, notice)
    attempt = PaymentAttempt.objects.get()

    assert client.post(NOTIFY, notification_fields(attempt)).content == b"success"

    page = client.get(return_url(case, attempt)).content.decode()
    assert f"缴费成功：90.00 元，票据号 {FeePayment.objects.get().receipt_number}。" in page


def test_the_payer_returning_before_the_notification_sees_it_in_progress_until_it_comes(client, paying):
    case, notice = paying
    start(client, case, notice)
    attempt = PaymentAttempt.objects.get()
    url = return_url(case, attempt)

    assert "支付处理中" in client.get(url).content.decode()
    client.post(NOTIFY, notification_fields(attempt))
    client.post(NOTIFY, notification_fields(attempt))  # the platform retries

    assert "缴费成功：90.00 元" in client.get(url).content.decode()
    assert FeePayment.objects.count() == 1


def test_paying_again_while_the_order_is_open_goes_back_to_the_same_order(client, paying):
    case, notice = paying

    with time_machine.travel(timezone.now(), tick=False):  # the cashier link is signed with a timestamp
        first, second = start(client, case, notice), start(client, case, notice)

    assert first == second
    assert PaymentAttempt.objects.count() == 1


def test_a_payment_failed_at_the_cashier_can_be_tried_again(client, paying):
    case, notice = paying
    token = start(client, case, notice)

    response = client.post(CASHIER, {"order": token, "action": "fail"})

    page = client.get(response["Location"]).content.decode()
    assert "支付未成功。您可以返回办件页面重新支付" in page
    assert PaymentAttempt.objects.get().state == PaymentAttemptState.FAILED
    html = client.get(detail_url(case)).content.decode()
    assert "在线支付 90.00 元" in html and "支付处理中" not in html
    assert start(client, case, notice) != token
    assert PaymentAttempt.objects.filter(state=PaymentAttemptState.STARTED).count() == 1


def test_leaving_the_cashier_sends_no_notification(client, paying):
    case, notice = paying
    token = start(client, case, notice)

    response = client.post(CASHIER, {"order": token, "action": "cancel"})

    assert response["Location"] == return_url(case, PaymentAttempt.objects.get())
    assert PaymentAttempt.objects.get().state == PaymentAttemptState.STARTED
    assert not FeePayment.objects.exists()


def test_a_lapsed_order_cannot_be_paid_at_the_cashier(client, paying):
    case, notice = paying
    token = start(client, case, notice)
    attempt = PaymentAttempt.objects.get()

    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        page = client.get(CASHIER, {"order": token}).content.decode()
        refused = client.post(CASHIER, {"order": token, "action": "pay"})
        # Until reconciliation has asked the platform, the order is still awaiting its word.
        awaiting = client.get(return_url(case, attempt)).content.decode()
        assert fee_payment_attempts_reconcile().expired == 1
        returned = client.get(return_url(case, attempt)).content.decode()
        html = client.get(detail_url(case)).content.decode()

    assert "订单已超时关闭" in page and "确认支付" not in page
    assert refused.status_code == 400
    assert not FeePayment.objects.exists()
    assert '<strong class="case-state" id="payment-state">支付处理中</strong>' in awaiting
    assert '<strong class="case-state" id="payment-state">已超时</strong>' in returned
    assert "支付已超时。" in returned
    assert "支付处理中" not in html and "在线支付 90.00 元" in html


def test_a_payment_whose_notification_is_lost_is_in_progress_until_reconciliation_records_it(client, paying):
    case, notice = paying
    monday = timezone.make_aware(datetime(2026, 3, 2, 10, 0))
    with time_machine.travel(monday, tick=False):
        token = start(client, case, notice)
        attempt = PaymentAttempt.objects.get()

        lost = client.post(CASHIER, {"order": token, "action": "pay_lost"})

        assert lost["Location"] == return_url(case, attempt)
        assert not FeePayment.objects.exists()
        assert "支付处理中：正在等待支付平台确认结果。" in client.get(lost["Location"]).content.decode()
        again = client.get(CASHIER, {"order": token}).content.decode()
        assert "订单已支付，请勿重复付款。" in again and "确认支付 90.00 元" not in again
        assert client.post(CASHIER, {"order": token, "action": "pay"}).status_code == 400
    with time_machine.travel(monday + timedelta(minutes=6), tick=False):
        assert fee_payment_attempts_reconcile().recorded == 1
        page = client.get(return_url(case, attempt)).content.decode()
        html = client.get(detail_url(case)).content.decode()

    payment = FeePayment.objects.get()
    assert f"缴费成功：90.00 元，票据号 {payment.receipt_number}。" in page
    assert f"票据号 {payment.receipt_number}" in html and "支付处理中" not in html


def test_the_cashier_opens_only_with_the_simulated_provider_and_a_link_it_made(client, paying, settings):
    case, notice = paying
    token = start(client, case, notice)

    bad = client.get(CASHIER, {"order": token[:-2] + "xx"})
    assert bad.status_code == 400
    assert "支付链接无效" in bad.content.decode()
    assert client.post(CASHIER, {"order": "forged", "action": "pay"}).status_code == 400

    settings.ZHENGWU_PAYMENT_BACKEND = "zhengwu.cases.payments.DevelopmentPaymentProvider"
    assert client.get(CASHIER, {"order": token}).status_code == 404
    assert client.post(CASHIER, {"order": token, "action": "pay"}).status_code == 404
    assert not FeePayment.objects.exists()


def test_only_the_applicant_sees_the_return_page(client, fees, paying):
    case, notice = paying
    start(client, case, notice)
    url = return_url(case, PaymentAttempt.objects.get())

    client.force_login(fees.hall.other_enterprise)
    assert client.get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    client.force_login(fees.hall.enterprise)
    assert client.get(reverse("portal:case_fee_payment_return", args=[case.number, "ZW" + "0" * 24])).status_code == (
        404
    )


def test_money_taken_for_a_notice_paid_at_the_window_meanwhile_is_shown_as_not_recorded(client, fees, paying):
    case, notice = paying
    start(client, case, notice)
    attempt = PaymentAttempt.objects.get()
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
    fields = notification_fields(attempt)

    assert client.post(NOTIFY, fields).content == b"success"

    expected = "已到账，但未能入账：缴费通知当前状态为“已缴费”。款项将经支付平台退回"
    assert f"（支付流水号 {fields['trade_no']}）" + expected in client.get(detail_url(case)).content.decode()
    assert "支付平台已确认收款，但未能入账：缴费通知当前状态为“已缴费”。" in (
        client.get(return_url(case, attempt)).content.decode()
    )


def test_the_case_page_with_an_online_payment_in_progress_costs_a_fixed_number_of_queries(
    client, fees, paying, django_assert_num_queries
):
    from zhengwu.portal.views.fees import applicant_fees

    case, notice = paying
    start(client, case, notice)
    case.refresh_from_db()
    client.get(detail_url(case))

    with django_assert_num_queries(PAGE_QUERIES):
        html = client.get(detail_url(case)).content.decode()
    with django_assert_num_queries(4):  # notices with payment, lines, item version, online payments (none paid)
        section = applicant_fees(fees.hall.enterprise, case)

    assert "支付处理中" in html
    assert section.notices[0].pending_attempt == PaymentAttempt.objects.get()
    assert section.unrecorded == []


def test_the_simulated_platform_tells_the_payer_when_the_site_refuses_its_notification(client, paying):
    case, notice = paying
    token = start(client, case, notice)
    attempt = PaymentAttempt.objects.get()
    PaymentAttempt.objects.filter(pk=attempt.pk).update(amount="80.00")  # the order no longer matches

    response = client.post(CASHIER, {"order": token, "action": "pay"}, follow=True)

    html = response.content.decode()
    assert "模拟支付平台：商户未确认支付结果通知（应答：fail）。" in html
    assert not FeePayment.objects.exists()


def test_money_taken_for_a_notice_cancelled_meanwhile_is_shown_without_a_notice(client, fees, paying):
    case, notice = paying
    start(client, case, notice)
    attempt = PaymentAttempt.objects.get()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="开错了")

    assert client.post(NOTIFY, notification_fields(attempt)).content == b"success"

    html = client.get(detail_url(case)).content.decode()
    assert "缴费通知：" not in html
    assert "已到账，但未能入账：缴费通知当前状态为“已作废”。款项将经支付平台退回" in html


def test_money_returned_by_the_fee_window_is_shown_as_returned(client, fees, paying, django_assert_num_queries):
    from zhengwu.portal.views.fees import applicant_fees

    case, notice = paying
    with time_machine.travel(timezone.make_aware(datetime(2026, 3, 2, 10, 0)), tick=False):
        start(client, case, notice)
        attempt = PaymentAttempt.objects.get()
        case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
        fields = notification_fields(attempt)
        assert client.post(NOTIFY, fields).content == b"success"
    with time_machine.travel(timezone.make_aware(datetime(2026, 3, 3, 9, 30)), tick=False):
        fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)
    attempt.refresh_from_db()

    html = client.get(detail_url(case)).content.decode()

    assert (
        f"2026年3月2日 10:00 发起的网上支付 90.00 元（支付流水号 {fields['trade_no']}）未能入账："
        "缴费通知当前状态为“已缴费”。已于 2026年3月3日 09:30 经支付平台退回 90.00 元"
        f"（退款流水号 {attempt.return_reference}），到账时间以支付平台为准。"
    ) in html
    assert "款项将经支付平台退回" not in html
    with django_assert_num_queries(6):  # notices with payment, lines, refunds, pending refunds, item version, attempts
        section = applicant_fees(fees.hall.enterprise, case)
    assert (section.unrecorded, section.returned) == ([], [attempt])

    html = client.get(return_url(case, attempt)).content.decode()
    assert '<strong class="case-state" id="payment-state">已退回</strong>' in html
    assert (
        "支付平台已确认收款，但未能入账：缴费通知当前状态为“已缴费”。该笔款项已于 2026年3月3日 09:30 经支付平台退回 "
        f"90.00 元（退款流水号 {attempt.return_reference}），到账时间以支付平台为准。"
    ) in html
    assert "款项将经支付平台退回" not in html


def test_money_returned_for_a_notice_cancelled_meanwhile_is_shown_without_a_notice(client, fees, paying):
    case, notice = paying
    start(client, case, notice)
    attempt = PaymentAttempt.objects.get()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="开错了")
    assert client.post(NOTIFY, notification_fields(attempt)).content == b"success"
    fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)

    html = client.get(detail_url(case)).content.decode()

    assert "缴费通知：" not in html
    assert "未能入账：缴费通知当前状态为“已作废”。已于 " in html
    assert "款项将经支付平台退回" not in html
