"""统一收费窗口 (unified fee window) pages and the fee section of the staff case page."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.cases.conftest import hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.html import assert_page_shell
from zhengwu.cases.domain import case_decision_document, case_delivery_arrange, case_fee_notice_cancel, case_fee_pay
from zhengwu.cases.enums import FeeNoticeState
from zhengwu.cases.models import FeeNotice, FeePayment, FeeRefund, FeeRefundRequest

pytestmark = pytest.mark.django_db

CASE_CSS = ["/static/workbench/cases.css"]


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


def case_page(case) -> str:
    return reverse("workbench:case_detail", args=[case.number])


def nav_labels(response) -> list[str]:
    return [link.label for link in response.context["nav_links"]] if "nav_links" in response.context else []


def test_the_fee_window_is_in_the_nav_of_fee_clerks_only(client, fees):
    client.force_login(fees.fee_clerk)
    html = client.get(reverse("workbench:home")).content.decode()
    assert 'href="/workbench/fees/"' in html

    client.force_login(fees.hall.handler)
    assert 'href="/workbench/fees/"' not in client.get(reverse("workbench:home")).content.decode()
    assert client.get(reverse("workbench:fee_queue")).status_code == 403

    client.force_login(fees.fee_clerk_elsewhere)  # fee clerk role, posted to an intake window
    assert client.get(reverse("workbench:fee_queue")).status_code == 403


def test_the_queue_lists_unpaid_notices_of_the_hall_oldest_first(client, fees, django_assert_num_queries):
    first, second = fees.decided_case(), fees.decided_case()
    paid = fees.decided_case()
    case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(paid), method="cash", amount=TOTAL)
    client.force_login(fees.fee_clerk)
    url = reverse("workbench:fee_queue")
    client.get(url)

    with django_assert_num_queries(6):
        response = client.get(url)

    assert_page_shell(response.content.decode(), stylesheets=CASE_CSS)
    assert [n.case.number for n in response.context["page"]] == [first.number, second.number]
    for _ in range(3):
        fees.decided_case()
    with django_assert_num_queries(6):
        assert len(client.get(url).context["page"]) == 5
    assert len(client.get(url, {"q": second.number}).context["page"]) == 1

    client.force_login(fees.other_fee_clerk)  # a street hall's fee window serving none of these departments
    assert list(client.get(url).context["page"]) == []
    assert client.get(reverse("workbench:fee_notice", args=[fees.notice(first).pk])).status_code == 404


def test_collecting_at_the_window(client, fees):
    notice = fees.notice(fees.decided_case())
    client.force_login(fees.fee_clerk)
    url = reverse("workbench:fee_notice", args=[notice.pk])
    page = client.get(url)
    assert_page_shell(page.content.decode(), stylesheets=CASE_CSS)
    assert page.context["collect_form"].initial == {"amount": TOTAL}

    response = client.post(reverse("workbench:fee_collect", args=[notice.pk]), {"method": "card", "amount": "90.00"})

    assert response.status_code == 302
    assert response["Location"] == url
    payment = FeePayment.objects.get(notice=notice)
    assert (payment.method, payment.window, payment.collected_by) == ("card", fees.fee_window, fees.fee_clerk)
    html = client.get(url).content.decode()
    assert f"已收费 90.00 元，票据号 {payment.receipt_number}。" in html
    assert reverse("workbench:fee_receipt", args=[payment.pk]) in html

    again = client.post(reverse("workbench:fee_collect", args=[notice.pk]), {"method": "cash", "amount": "90.00"})
    assert again.status_code == 400
    assert "缴费通知当前状态为“已缴费”，不能缴费。" in again.content.decode()
    assert FeePayment.objects.count() == 1


def test_a_wrong_amount_is_shown_and_nothing_is_collected(client, fees):
    notice = fees.notice(fees.decided_case())
    client.force_login(fees.fee_clerk)

    response = client.post(reverse("workbench:fee_collect", args=[notice.pk]), {"method": "cash", "amount": "80"})

    assert response.status_code == 400
    assert "缴费金额必须等于应缴金额 90.00 元（不接受部分缴费）。" in response.content.decode()
    notice.refresh_from_db()
    assert notice.state == FeeNoticeState.ISSUED


def test_requesting_a_refund_at_the_window(client, fees):
    notice = fees.notice(fees.decided_case())
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
    client.force_login(fees.fee_clerk)
    url = reverse("workbench:fee_refund_request", args=[notice.pk])

    too_much = client.post(url, {"amount": "100", "reason": "多退"})
    assert too_much.status_code == 400
    assert "退费金额不能超过可退金额 90.00 元。" in too_much.content.decode()
    no_reason = client.post(url, {"amount": "10", "reason": ""})
    assert no_reason.status_code == 400
    assert not FeeRefundRequest.objects.exists()

    response = client.post(url, {"amount": "10", "reason": "多收工本费"})

    assert response.status_code == 302
    assert not FeeRefund.objects.exists()  # refunded only once a leader approves
    request = FeeRefundRequest.objects.get()
    assert (request.amount, request.reason, request.requested_by) == (Decimal("10.00"), "多收工本费", fees.fee_clerk)
    page = client.get(reverse("workbench:fee_notice", args=[notice.pk]))
    assert page.context["refundable"] == Decimal("80.00")
    assert "已申请退费 10.00 元，待分管领导或单位负责人审批后退还。" in page.content.decode()


def test_the_payment_receipt_is_a_pdf_for_the_window_and_the_case_department(client, fees):
    notice = fees.notice(fees.decided_case())
    payment = case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
    url = reverse("workbench:fee_receipt", args=[payment.pk])
    client.force_login(fees.fee_clerk)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'inline; filename="{payment.receipt_number}.pdf"'
    client.force_login(fees.other_fee_clerk)
    assert client.get(url).status_code == 404


def test_the_case_page_shows_the_notice_and_lets_the_department_reissue_with_an_override(
    client, fees, django_assert_max_num_queries
):
    case = fees.decided_case()
    notice = fees.notice(case)
    client.force_login(fees.hall.handler)
    url = reverse("workbench:case_detail", args=[case.number])
    client.get(url)
    with django_assert_max_num_queries(40):
        page = client.get(url)
    html = page.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert "缴费通知（" in html and "90.00 元" in html
    assert 'id="cancel-reason-' in html
    assert "开具缴费通知</legend>" not in html  # a notice is open

    refused = client.post(reverse("workbench:case_fee_cancel", args=[case.number, notice.pk]), {"reason": ""})
    assert refused.status_code == 302
    assert "请填写作废理由。" in client.get(url).content.decode()
    client.post(reverse("workbench:case_fee_cancel", args=[case.number, notice.pk]), {"reason": "登记费减半"})
    notice.refresh_from_db()
    assert notice.state == FeeNoticeState.CANCELLED
    html = client.get(url).content.decode()
    assert "开具缴费通知</legend>" in html
    work, registration = fees.fee_items()
    issue = reverse("workbench:case_fee_issue", args=[case.number])

    client.post(issue, {f"charged_{work.pk}": "10.00", f"charged_{registration.pk}": "40.00"})
    assert "收费金额与收费标准不一致，须填写调整理由，并报送监察。" in client.get(url).content.decode()
    client.post(
        issue,
        {f"charged_{work.pk}": "10.00", f"charged_{registration.pk}": "40.00", "override_reason": "残疾人减半"},
    )

    reissued = FeeNotice.objects.get(case=case, state=FeeNoticeState.ISSUED)
    assert (reissued.total, reissued.flagged_for_supervision, reissued.override_reason) == (
        Decimal("50.00"),
        True,
        "残疾人减半",
    )
    html = client.get(url).content.decode()
    assert "已报送监察" in html and "与标准不一致" in html
    assert "开具缴费通知 ·" in html  # the staff timeline


def test_an_amount_too_large_for_decimal_precision_is_shown_as_an_error_on_the_case_page(client, fees):
    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="重开")
    work, _registration = fees.fee_items()
    client.force_login(fees.hall.handler)

    response = client.post(
        reverse("workbench:case_fee_issue", args=[case.number]),
        {f"charged_{work.pk}": "1e30", "override_reason": "理由"},
    )

    assert response.status_code == 302
    assert "请填写有效的金额（元，最多两位小数）。" in client.get(case_page(case)).content.decode()
    assert not FeeNotice.objects.filter(case=case, state=FeeNoticeState.ISSUED).exists()


def test_a_fee_line_named_by_a_non_decimal_digit_is_ignored_not_a_crash(client, fees):
    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="重开")
    client.force_login(fees.hall.handler)

    response = client.post(reverse("workbench:case_fee_issue", args=[case.number]), {"charged_²": "10.00"})

    assert response.status_code == 302  # no line it can read: the standard notice, as with an empty form
    assert FeeNotice.objects.get(case=case, state=FeeNoticeState.ISSUED).total == TOTAL


def test_the_staff_timeline_names_every_step_and_the_system_as_actor(client, fees):
    case = fees.decided_case()  # accepted by the handler, granted by the leader, notice issued by the system
    client.force_login(fees.hall.handler)

    html = client.get(reverse("workbench:case_detail", args=[case.number])).content.decode()

    timeline = html[html.index('id="timeline-heading"') :]
    labels = re.findall(r"</time> ([^<]*)</li>", timeline)
    assert labels == [
        "收件 · 青川绿源农业科技有限公司",
        "受理 · 卢帆",
        "启动办理流程 · 卢帆",
        "作出决定 · 分管领导：准予许可",
        "开具缴费通知 · 系统",
    ]


def test_the_fee_clerk_cannot_issue_or_cancel(client, fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="重开")
    client.force_login(fees.fee_clerk)

    response = client.post(reverse("workbench:case_fee_issue", args=[case.number]), {})

    assert response.status_code == 404  # the fee window does not see the department's cases
    assert not FeeNotice.objects.filter(case=case, state=FeeNoticeState.ISSUED).exists()


def test_the_case_page_fee_section_costs_a_fixed_number_of_queries(fees, django_assert_num_queries):
    from zhengwu.workbench.views.fees import case_fees_panel

    case = fees.decided_case()
    case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(case), method="cash", amount=TOTAL)
    handler = fees.hall.handler
    case_fees_panel(handler, case)  # roles and profile cached on the user
    with django_assert_num_queries(6):  # notices with payment, lines, refunds; decision, fee items, fee rules
        panel = case_fees_panel(handler, case)
    assert (panel.can_issue, panel.can_cancel, panel.can_collect) == (True, True, False)
    assert [row.standard_total for row in panel.standard] == [Decimal("10.00"), Decimal("80.00")]


# session, user with its profile and roles; the case with its external link, decision, certificate, delivery and
# decision document; materials and what corrections replaced, correction notices, process instances, steps, the
# timeline; the calendar version and each clock's pauses; suspensions, extension requests; the fee notices with
# their payment, their lines; the certificate mapping; the unread count; the rating. The fee and result sections
# share the decision and notices.
CASE_PAGE_QUERIES = 19


def test_the_case_page_reads_the_decision_and_the_notices_once(client, fees, django_assert_num_queries):
    case = fees.decided_case()
    client.force_login(fees.hall.handler)
    client.get(case_page(case))

    with django_assert_num_queries(CASE_PAGE_QUERIES):
        html = client.get(case_page(case)).content.decode()

    assert "缴费通知" in html and "90.00 元" in html
    assert '<dd id="decision-outcome">准予许可' in html
    assert "尚有未缴清的费用" in html
    assert "办件尚有未缴清的费用。" in html  # why the result cannot be delivered yet

    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(case), method="cash", amount=TOTAL)
    case_decision_document(actor=fees.hall.handler, case=case)
    case_delivery_arrange(actor=fees.hall.enterprise, case=case, method="pickup")
    # + the payment's refunds; with no notice open, the standard to issue another from (fee items, fee rules)
    with django_assert_num_queries(CASE_PAGE_QUERIES + 3):
        html = client.get(case_page(case)).content.decode()

    assert payment.receipt_number in html
    assert "下载/打印决定书（PDF）" in html
    assert '<dd id="delivery-method">窗口领取（待送达）</dd>' in html
    assert "尚有未缴清的费用" not in html
