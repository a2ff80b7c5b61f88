"""Two fee clerks collect the same notice at once: one wins, the other is told; one payment, one receipt number.
Two refund requests at once never ask for more than was paid; two officials deciding one request at once
refund it once.

PostgreSQL only (row locks); skipped on SQLite at runtime."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.accounts.factories import make_staff
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.concurrency import race
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.cases.domain import (
    case_fee_pay,
    fee_refund_approve,
    fee_refund_reject,
    fee_refund_request,
    fee_refund_withdraw,
)
from zhengwu.cases.enums import FeeNoticeState, FeeRefundRequestState
from zhengwu.cases.models import FeeNotice, FeePayment, FeeReceiptCounter, FeeRefund, FeeRefundRequest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


def test_two_clerks_collecting_the_same_notice_at_once_one_wins(hall):
    fees = make_fee_setup(hall)
    second_clerk = make_staff(
        "shoufei2",
        department=hall.other_department,
        display_name="收费员乙",
        roles=(Role.FEE_CLERK,),
        window=fees.fee_window,
    )
    notice = fees.notice(fees.decided_case())

    def collect(clerk, method):
        return lambda: case_fee_pay(
            actor=clerk, notice=FeeNotice.objects.get(pk=notice.pk), method=method, amount=TOTAL
        )

    results = race(collect(fees.fee_clerk, "cash"), collect(second_clerk, "card"))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["缴费通知当前状态为“已缴费”，不能缴费。"]
    assert list(FeePayment.objects.values_list("method", "collected_by")) == [("cash", fees.fee_clerk.pk)]
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PAID
    assert FeeReceiptCounter.objects.get().last_serial == 1
    assert audit_verify() is None


def test_two_refund_requests_at_once_never_exceed_the_payment(hall):
    fees = make_fee_setup(hall)
    second_clerk = make_staff(
        "shoufei2",
        department=hall.other_department,
        display_name="收费员乙",
        roles=(Role.FEE_CLERK,),
        window=fees.fee_window,
    )
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(fees.decided_case()), method="cash", amount=TOTAL)

    def ask(clerk):
        return lambda: fee_refund_request(actor=clerk, payment=payment, amount="60", reason="撤回申请")

    results = race(ask(fees.fee_clerk), ask(second_clerk))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].message_dict == {
        "amount": ["退费金额不能超过可退金额 30.00 元（另有待审批的退费 60.00 元）。"]
    }
    assert list(FeeRefundRequest.objects.values_list("amount", "requested_by")) == [(60, fees.fee_clerk.pk)]
    assert not FeeRefund.objects.exists()


def _pending_request(hall):
    fees = make_fee_setup(hall)
    unit_head = make_staff("danwei", department=hall.department, display_name="单位负责人", roles=(Role.UNIT_HEAD,))
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(fees.decided_case()), method="cash", amount=TOTAL)
    request = fee_refund_request(actor=fees.fee_clerk, payment=payment, amount="90", reason="撤回申请")
    return fees, unit_head, request


def test_two_officials_approving_one_request_at_once_refund_it_once(hall):
    fees, unit_head, request = _pending_request(hall)

    def approve(official):
        return lambda: fee_refund_approve(actor=official, request=FeeRefundRequest.objects.get(pk=request.pk))

    results = race(approve(fees.leader), approve(unit_head))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该退费申请当前状态为“已批准（已退费）”，不能审批。"]
    assert list(FeeRefund.objects.values_list("amount", flat=True)) == [90]
    request.refresh_from_db()
    assert (request.state, request.decided_by) == (FeeRefundRequestState.APPROVED, fees.leader)
    assert FeeNotice.objects.get(pk=request.payment.notice_id).state == FeeNoticeState.REFUNDED
    assert audit_verify() is None


def test_a_rejection_racing_an_approval_leaves_one_decision(hall):
    fees, unit_head, request = _pending_request(hall)

    results = race(
        lambda: fee_refund_reject(actor=unit_head, request=FeeRefundRequest.objects.get(pk=request.pk), note="不退"),
        lambda: fee_refund_approve(actor=fees.leader, request=FeeRefundRequest.objects.get(pk=request.pk)),
    )

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert results["second"].messages == ["该退费申请当前状态为“不予退费”，不能审批。"]
    assert not FeeRefund.objects.exists()
    assert FeeRefundRequest.objects.get(pk=request.pk).state == FeeRefundRequestState.REJECTED


def test_a_withdrawal_racing_an_approval_leaves_nothing_refunded(hall):
    fees, _unit_head, request = _pending_request(hall)

    results = race(
        lambda: fee_refund_withdraw(actor=fees.fee_clerk, request=FeeRefundRequest.objects.get(pk=request.pk)),
        lambda: fee_refund_approve(actor=fees.leader, request=FeeRefundRequest.objects.get(pk=request.pk)),
    )

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert results["second"].messages == ["该退费申请当前状态为“已撤回”，不能审批。"]
    assert not FeeRefund.objects.exists()
    assert FeeNotice.objects.get(pk=request.payment.notice_id).state == FeeNoticeState.PAID
