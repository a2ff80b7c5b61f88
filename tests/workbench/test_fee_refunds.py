"""退费审批 in the workbench: the fee window asks on the notice page, leaders decide from 待审批退费."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.accounts.factories import make_staff
from tests.cases.conftest import hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.html import assert_page_shell
from zhengwu.accounts.enums import Role
from zhengwu.cases.domain import (
    case_fee_pay,
    fee_refund_approve,
    fee_refund_reject,
    fee_refund_request,
)
from zhengwu.cases.enums import FeeNoticeState, FeeRefundRequestState
from zhengwu.cases.models import FeeNotice, FeeRefund, FeeRefundRequest

pytestmark = pytest.mark.django_db

QUEUE = "/workbench/fees/refunds/"
CASE_CSS = ["/static/workbench/cases.css"]


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


@pytest.fixture
def second_clerk(fees):
    return make_staff(
        "shoufei2",
        department=fees.hall.other_department,
        display_name="收费员乙",
        roles=(Role.FEE_CLERK,),
        window=fees.fee_window,
    )


def paid(fees):
    notice = fees.notice(fees.decided_case())
    return case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)


def ask(fees, payment, amount="10", reason="多收工本费", actor=None):
    return fee_refund_request(actor=actor or fees.fee_clerk, payment=payment, amount=amount, reason=reason)


def decide(request, **data):
    return reverse("workbench:fee_refund_decide", args=[request.pk]), data


def nav_hrefs(html: str) -> list[str]:
    return re.findall(r'href="(/workbench/[^"]*)"', html)


# ---------------------------------------------------------------- the fee notice page


def test_the_notice_page_shows_pending_and_decided_requests(client, fees, second_clerk, django_assert_num_queries):
    payment = paid(fees)
    fee_refund_approve(actor=fees.leader, request=ask(fees, payment, "10", "多收工本费"), note="同意")
    fee_refund_reject(actor=fees.leader, request=ask(fees, payment, "20", "申请人要求"), note="无退费依据")
    mine = ask(fees, payment, "30", "登记费减半")
    theirs = ask(fees, payment, "5", "找零有误", actor=second_clerk)
    url = reverse("workbench:fee_notice", args=[payment.notice_id])
    client.force_login(fees.fee_clerk)
    client.get(url)

    with django_assert_num_queries(9):
        page = client.get(url)

    html = page.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert page.context["refundable"] == Decimal("45.00")  # 90 - 10 refunded - 35 awaiting approval
    assert page.context["pending_refunds"] == Decimal("35.00")
    assert [(r.amount, r.state) for r in page.context["refund_requests"]] == [
        (Decimal("10.00"), FeeRefundRequestState.APPROVED),
        (Decimal("20.00"), FeeRefundRequestState.REJECTED),
        (Decimal("30.00"), FeeRefundRequestState.REQUESTED),
        (Decimal("5.00"), FeeRefundRequestState.REQUESTED),
    ]
    assert "待审批退费合计 35.00 元，审批前不计入可退金额。" in html
    assert "申请退费（可退 45.00 元）" in html
    assert "分管领导（" in html and "：无退费依据" in html and "：同意" in html
    withdraw = reverse("workbench:fee_refund_withdraw", args=[mine.pk])
    assert f'action="{withdraw}"' in html
    assert reverse("workbench:fee_refund_withdraw", args=[theirs.pk]) not in html  # not the requester's own


def test_the_requester_withdraws_from_the_notice_page(client, fees, second_clerk):
    payment = paid(fees)
    mine = ask(fees, payment, "30")
    theirs = ask(fees, payment, "5", actor=second_clerk)
    client.force_login(fees.fee_clerk)

    refused = client.post(reverse("workbench:fee_refund_withdraw", args=[theirs.pk]))
    assert refused.status_code == 400
    assert "只有退费申请人本人可以撤回退费申请。" in refused.content.decode()
    theirs.refresh_from_db()
    assert theirs.state == FeeRefundRequestState.REQUESTED

    response = client.post(reverse("workbench:fee_refund_withdraw", args=[mine.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:fee_notice", args=[payment.notice_id])
    mine.refresh_from_db()
    assert mine.state == FeeRefundRequestState.WITHDRAWN
    page = client.get(response["Location"])
    assert "已撤回退费申请。" in page.content.decode()
    assert page.context["refundable"] == Decimal("85.00")

    client.force_login(fees.other_fee_clerk)  # a fee window serving none of the case's departments
    assert client.post(reverse("workbench:fee_refund_withdraw", args=[theirs.pk])).status_code == 404


def test_a_request_over_what_is_left_after_pending_ones_is_shown_and_nothing_is_asked(client, fees):
    payment = paid(fees)
    ask(fees, payment, "60")
    client.force_login(fees.fee_clerk)

    response = client.post(
        reverse("workbench:fee_refund_request", args=[payment.notice_id]), {"amount": "40", "reason": "再退"}
    )

    assert response.status_code == 400
    assert "退费金额不能超过可退金额 30.00 元（另有待审批的退费 60.00 元）。" in response.content.decode()
    assert FeeRefundRequest.objects.count() == 1


# ---------------------------------------------------------------- 待审批退费


def test_the_refund_queue_is_for_leaders_of_a_department(client, fees):
    client.force_login(fees.leader)
    assert QUEUE in nav_hrefs(client.get(reverse("workbench:home")).content.decode())
    assert client.get(QUEUE).status_code == 200

    for user in (fees.hall.handler, fees.hall.section_head, fees.fee_clerk):
        client.force_login(user)
        assert QUEUE not in nav_hrefs(client.get(reverse("workbench:home")).content.decode())
        assert client.get(QUEUE).status_code == 403


def test_the_queue_lists_the_department_requests_oldest_first_in_fixed_queries(
    client, fees, second_clerk, django_assert_num_queries
):
    first_payment, second_payment = paid(fees), paid(fees)
    fee_refund_approve(actor=fees.leader, request=ask(fees, first_payment, "10"))
    first = ask(fees, first_payment, "20", "登记费减半")
    second = ask(fees, second_payment, "90", "撤回申请", actor=second_clerk)
    client.force_login(fees.leader)
    client.get(QUEUE)

    with django_assert_num_queries(4):  # session, user (profile, roles), requests and refunds, unread count
        response = client.get(QUEUE)

    html = response.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert response.context["refund_requests"] == [first, second]
    assert [r.refunded for r in response.context["refund_requests"]] == [Decimal("10.00"), Decimal("0.00")]
    assert "共 2 件待审批" in html
    assert first_payment.receipt_number in html and "收费员乙" in html
    for _ in range(3):
        ask(fees, paid(fees))
    with django_assert_num_queries(4):
        assert len(client.get(QUEUE).context["refund_requests"]) == 5

    other_leader = make_staff(
        "minzhenglingdao",
        department=fees.hall.other_department,
        display_name="民政分管",
        roles=(Role.LEADER_IN_CHARGE,),
    )
    client.force_login(other_leader)  # a leader of another department sees none of these
    assert client.get(QUEUE).context["refund_requests"] == []
    url, data = decide(first, decision="approve")
    assert client.post(url, data).status_code == 404
    first.refresh_from_db()
    assert first.state == FeeRefundRequestState.REQUESTED


def test_approving_and_rejecting_from_the_queue(client, fees):
    first_payment, second_payment = paid(fees), paid(fees)
    first, second = ask(fees, first_payment, "40"), ask(fees, second_payment, "90")
    client.force_login(fees.leader)

    url, data = decide(first, decision="approve", note="同意")
    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    refund = FeeRefund.objects.get()
    assert (refund.amount, refund.recorded_by) == (Decimal("40.00"), fees.fee_clerk)
    assert FeeNotice.objects.get(pk=first_payment.notice_id).state == FeeNoticeState.PARTIALLY_REFUNDED
    page = client.get(QUEUE)
    assert "已批准退费 40.00 元，款项已退还。" in page.content.decode()
    assert page.context["refund_requests"] == [second]

    url, data = decide(second, decision="reject", note="")
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "不予退费的，请填写审批意见。" in refused.content.decode()
    second.refresh_from_db()
    assert second.state == FeeRefundRequestState.REQUESTED
    again = client.post(*decide(first, decision="approve"))
    assert again.status_code == 400
    assert "该退费申请当前状态为“已批准（已退费）”，不能审批。" in again.content.decode()
    assert FeeRefund.objects.count() == 1

    assert client.post(*decide(second, decision="reject", note="不符合退费条件")).status_code == 302
    second.refresh_from_db()
    assert (second.state, second.decision_note) == (FeeRefundRequestState.REJECTED, "不符合退费条件")
    assert FeeRefund.objects.count() == 1

    client.force_login(fees.hall.section_head)  # sees the case, has no authority
    assert client.post(*decide(second, decision="approve")).status_code == 403


def test_with_htmx_the_row_is_swapped_in_place(client, fees):
    payment = paid(fees)
    request = ask(fees, payment, "40")
    client.force_login(fees.leader)
    url = reverse("workbench:fee_refund_decide", args=[request.pk])

    refused = client.post(url, {"decision": "reject", "note": ""}, HTTP_HX_REQUEST="true")

    assert refused.status_code == 200
    html = refused.content.decode()
    assert html.startswith(f'<tr id="refund-request-{request.pk}">')
    assert "<html" not in html
    assert "不予退费的，请填写审批意见。" in html
    assert f'hx-post="{url}"' in html  # the form stays for another try

    done = client.post(url, {"decision": "approve"}, HTTP_HX_REQUEST="true")

    html = done.content.decode()
    assert done.status_code == 200
    assert html.startswith(f'<tr id="refund-request-{request.pk}">')
    assert "已批准退费 40.00 元，款项已退还。" in html
    assert "已批准（已退费）" in html
    assert "hx-post" not in html
    assert FeeRefund.objects.count() == 1


def test_an_official_cannot_approve_their_own_request_from_the_queue(client, fees):
    clerk_leader = make_staff(
        "shoufeilingdao",
        department=fees.hall.department,
        display_name="收费兼分管",
        roles=(Role.FEE_CLERK, Role.LEADER_IN_CHARGE),
        window=fees.fee_window,
    )
    payment = paid(fees)
    own = ask(fees, payment, "40", actor=clerk_leader)
    client.force_login(clerk_leader)

    assert client.get(QUEUE).context["refund_requests"] == []  # not offered
    response = client.post(*decide(own, decision="approve"))

    assert response.status_code == 400
    assert "本人申请的退费不能由本人审批。" in response.content.decode()
    own.refresh_from_db()
    assert own.state == FeeRefundRequestState.REQUESTED
    assert not FeeRefund.objects.exists()


def test_the_staff_timeline_shows_the_request_and_the_decision(client, fees):
    payment = paid(fees)
    fee_refund_approve(actor=fees.leader, request=ask(fees, payment, "10", "多收工本费"), note="同意")
    client.force_login(fees.hall.handler)

    html = client.get(reverse("workbench:case_detail", args=[payment.notice.case.number])).content.decode()

    timeline = html[html.index('id="timeline-heading"') :]
    labels = re.findall(r"</time> ([^<]*)</li>", timeline)
    assert labels[-3:] == [
        "申请退费 · 收费员：10.00 元；理由：多收工本费",
        "批准退费 · 分管领导：10.00 元；理由：多收工本费；审批意见：同意",
        "退费 · 分管领导：10.00 元；理由：多收工本费",
    ]
