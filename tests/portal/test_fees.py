"""The applicant's fee notice on 我的办件, paying online with the development provider, the payment receipt."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.cases.conftest import hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.html import assert_page_shell
from zhengwu.cases.domain import case_decision_document, case_delivery_arrange, case_fee_notice_cancel, case_fee_pay
from zhengwu.cases.enums import FeeNoticeState
from zhengwu.cases.models import FeeNotice, FeePayment
from zhengwu.cases.payments import PaymentProvider, PaymentStart

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


# session, user; the case with its decision, certificate, delivery and decision document; materials; the calendar
# version and each clock's pauses; the fee notices with their payment, their lines; the timeline; the certificate
# mapping; the unread count; the rating. Each read once: the result section judges fees from the notices shown.
PAGE_QUERIES = 13


def detail_url(case) -> str:
    return reverse("portal:case_detail", args=[case.number])


def test_the_case_page_shows_the_notice_and_the_applicant_pays_online(client, fees, django_assert_num_queries):
    case = fees.decided_case()
    notice = fees.notice(case)
    client.force_login(fees.hall.enterprise)
    client.get(detail_url(case))
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get(detail_url(case))
    html = page.content.decode()
    assert_page_shell(html)
    assert "缴费通知：90.00 元" in html
    assert "在线支付 90.00 元" in html
    pay_url = reverse("portal:case_fee_pay", args=[case.number, notice.pk])
    assert f'action="{pay_url}"' in html

    response = client.post(pay_url)

    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    payment = FeePayment.objects.get(notice=notice)
    assert (payment.method, payment.collected_by, payment.window) == ("online", fees.hall.enterprise, None)
    html = client.get(detail_url(case)).content.decode()
    assert f"缴费成功：90.00 元，票据号 {payment.receipt_number}。" in html
    assert reverse("portal:case_fee_receipt", args=[case.number, payment.pk]) in html
    assert "在线支付 90.00 元" not in html
    assert "缴费</span>" in html  # the applicant's timeline

    again = client.post(pay_url)
    assert again.status_code == 302
    assert FeePayment.objects.count() == 1
    assert "该缴费通知无需缴费。" in client.get(detail_url(case)).content.decode()


def test_an_item_without_online_payment_sends_the_applicant_to_the_window(client, fees):
    case = fees.decided_case(version=fees.dmn_version(), form_data={"用途": "住宅"})
    notice = fees.notice(case)
    client.force_login(fees.hall.enterprise)

    html = client.get(detail_url(case)).content.decode()
    assert "请凭办件编号到政务服务中心统一收费窗口缴费。" in html
    assert "在线支付" not in html

    client.post(reverse("portal:case_fee_pay", args=[case.number, notice.pk]))
    assert not FeePayment.objects.exists()
    assert "该事项不支持网上支付，请到政务服务中心统一收费窗口缴费。" in client.get(detail_url(case)).content.decode()


def test_cancelled_notices_are_not_shown_and_another_applicant_cannot_pay(client, fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    client.force_login(fees.hall.other_enterprise)
    assert client.post(reverse("portal:case_fee_pay", args=[case.number, notice.pk])).status_code == 404

    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="重开")
    client.force_login(fees.hall.enterprise)
    assert "缴费通知：" not in client.get(detail_url(case)).content.decode()
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.CANCELLED


class RedirectingProvider(PaymentProvider):
    name = "测试支付平台"

    def start(self, *, notice, amount, payer):
        return PaymentStart(confirmed=False, redirect_url="https://pay.example.gov.cn/checkout/1")


@override_settings(ZHENGWU_PAYMENT_BACKEND="tests.portal.test_fees.RedirectingProvider")
def test_a_provider_that_confirms_later_sends_the_payer_to_its_page(client, fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    client.force_login(fees.hall.enterprise)

    response = client.post(reverse("portal:case_fee_pay", args=[case.number, notice.pk]))

    assert response.status_code == 302
    assert response["Location"] == "https://pay.example.gov.cn/checkout/1"
    assert not FeePayment.objects.exists()


def test_the_applicant_downloads_the_payment_receipt(client, fees):
    case = fees.decided_case()
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(case), method="cash", amount=TOTAL)
    url = reverse("portal:case_fee_receipt", args=[case.number, payment.pk])
    client.force_login(fees.hall.enterprise)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.force_login(fees.hall.other_enterprise)
    assert client.get(url).status_code == 404


def test_the_applicant_fee_section_costs_a_fixed_number_of_queries(fees, django_assert_num_queries):
    from zhengwu.portal.views.fees import applicant_fees

    case = fees.decided_case()
    case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(case), method="cash", amount=TOTAL)
    case.refresh_from_db()
    with django_assert_num_queries(5):  # notices with payment, lines, refunds, refunds awaiting approval, item version
        section = applicant_fees(fees.hall.enterprise, case)
    assert [n.payment.receipt_number for n in section.notices] == [FeePayment.objects.get().receipt_number]
    assert section.can_pay_online is True


def test_every_section_of_the_case_page_is_read_once(client, fees, django_assert_num_queries):
    case = fees.decided_case()
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(case), method="cash", amount=TOTAL)
    case_decision_document(actor=fees.hall.handler, case=case)
    case_delivery_arrange(actor=fees.hall.enterprise, case=case, method="pickup")
    client.force_login(fees.hall.enterprise)
    client.get(detail_url(case))

    with django_assert_num_queries(PAGE_QUERIES + 2):  # + the payment's refunds and refunds awaiting approval
        html = client.get(detail_url(case)).content.decode()

    assert "缴费通知：90.00 元" in html
    assert f"票据号 {payment.receipt_number}" in html
    assert "材料齐全，符合法定条件。" in html
    assert "下载准予行政许可决定书（PDF）" in html
    assert '<p id="delivery-status">窗口领取：待送达</p>' in html
    assert "食品经营许可申请书" in html
    assert "受理期限" in html and "办理期限" in html
    assert "期限是怎样计算的" in html
    assert "办理过程" in html


def test_the_applicant_sees_a_refund_awaiting_approval_and_then_the_refund(client, fees):
    from django.utils import timezone

    from zhengwu.cases.domain.fees import fee_refund_approve, fee_refund_request

    def day(moment) -> str:
        local = timezone.localtime(moment)
        return f"{local.year}年{local.month}月{local.day}日"

    case = fees.decided_case()
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(case), method="cash", amount=TOTAL)
    request = fee_refund_request(actor=fees.fee_clerk, payment=payment, amount="40", reason="登记费减半")
    client.force_login(fees.hall.enterprise)

    html = client.get(detail_url(case)).content.decode()
    assert f"{day(request.requested_at)} 申请退费 40.00 元，正在审批，批准后退还。" in html

    fee_refund_approve(actor=fees.leader, request=request)
    html = client.get(detail_url(case)).content.decode()
    assert "正在审批" not in html
    assert f"{day(request.refund.refunded_at)} 退费 40.00 元（登记费减半）。" in html
