"""Refund approval (退费审批, ADR 0014): the fee window asks, a leader of the case's department approves or rejects,
the requester may withdraw; only an approval gives the money back."""

from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.accounts.factories import make_staff
from tests.cases.fee_setup import TOTAL, make_fee_setup
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_fee_notice_cancel,
    case_fee_notice_issue,
    case_fee_pay,
    fee_refund_approve,
    fee_refund_reject,
    fee_refund_request,
    fee_refund_withdraw,
)
from zhengwu.cases.domain.fees import refundable_amount
from zhengwu.cases.enums import FeeNoticeState, FeeRefundRequestState, PaymentMethod
from zhengwu.cases.models import FeeNotice, FeePayment, FeeRefund, FeeRefundRequest
from zhengwu.cases.payments import DevelopmentPaymentProvider, PaymentError
from zhengwu.cases.rules import fee_refunds_to_decide
from zhengwu.notifications.models import Message
from zhengwu.supervision.domain import supervision_sweep
from zhengwu.supervision.enums import SweepKind
from zhengwu.supervision.models import Alert

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
REQUESTED, APPROVED, REJECTED, WITHDRAWN = (
    FeeRefundRequestState.REQUESTED,
    FeeRefundRequestState.APPROVED,
    FeeRefundRequestState.REJECTED,
    FeeRefundRequestState.WITHDRAWN,
)


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


@pytest.fixture
def people(fees):
    """Besides fees.leader (分管领导 of the case's department) and fees.fee_clerk (at the unified fee window)."""
    hall = fees.hall
    return {
        "unit_head": make_staff(
            "danwei", department=hall.department, display_name="单位负责人", roles=(Role.UNIT_HEAD,)
        ),
        "other_leader": make_staff(
            "minzhenglingdao", department=hall.other_department, display_name="民政分管", roles=(Role.LEADER_IN_CHARGE,)
        ),
        "second_clerk": make_staff(
            "shoufei2",
            department=hall.other_department,
            display_name="收费员乙",
            roles=(Role.FEE_CLERK,),
            window=fees.fee_window,
        ),
        # a fee clerk who is also a leader in charge of the case's department: may approve, but not their own
        "clerk_leader": make_staff(
            "shoufeilingdao",
            department=hall.department,
            display_name="收费兼分管",
            roles=(Role.FEE_CLERK, Role.LEADER_IN_CHARGE),
            window=fees.fee_window,
        ),
    }


def paid(fees, method=PaymentMethod.CASH) -> FeePayment:
    notice = fees.notice(fees.decided_case())
    if method == PaymentMethod.ONLINE:
        reference = DevelopmentPaymentProvider().start(notice=notice, amount=TOTAL, payer=None).reference
        return case_fee_pay(
            actor=fees.hall.enterprise, notice=notice, method=method, amount=TOTAL, provider_reference=reference
        )
    return case_fee_pay(actor=fees.fee_clerk, notice=notice, method=method, amount=TOTAL)


def ask(fees, payment, amount="40", reason="登记费减半", actor=None) -> FeeRefundRequest:
    return fee_refund_request(actor=actor or fees.fee_clerk, payment=payment, amount=amount, reason=reason)


def refund_events(payment) -> list[tuple[str, str]]:
    case_id = str(FeeNotice.objects.get(pk=payment.notice_id).case_id)
    rows = AuditEvent.objects.filter(object_type="cases.case", object_id=case_id, action__startswith="cases.fee_refund")
    return list(rows.order_by("seq").values_list("action", "actor_repr"))


def unchanged(payment, request: FeeRefundRequest, state=REQUESTED, notice_state=FeeNoticeState.PAID) -> None:
    request.refresh_from_db()
    assert request.state == state
    assert FeeNotice.objects.get(pk=payment.notice_id).state == notice_state


# ---------------------------------------------------------------- the happy paths


def test_a_request_refunds_nothing_until_a_leader_approves(fees, people):
    payment = paid(fees)
    with time_machine.travel(MONDAY, tick=False):
        request = ask(fees, payment)

    assert (request.state, request.amount, request.reason) == (REQUESTED, Decimal("40.00"), "登记费减半")
    assert (request.requested_by, request.window, request.requested_at) == (fees.fee_clerk, fees.fee_window, MONDAY)
    assert (request.decided_by, request.decided_at, request.refund) == (None, None, None)
    assert not FeeRefund.objects.exists()
    assert FeeNotice.objects.get(pk=payment.notice_id).state == FeeNoticeState.PAID
    assert refundable_amount(payment) == Decimal("50.00")
    (event,) = AuditEvent.objects.filter(action="cases.fee_refund_requested")
    assert event.actor_repr == "收费员"
    assert (event.after["amount"], event.after["pending"], event.after["request_id"]) == ("40.00", "40.00", request.pk)
    assert event.after["department_id"] == fees.hall.department.pk
    assert "fee_override" not in event.after  # the paperwork is not a movement of money for the fee point
    asked = Message.objects.filter(category="case.fee_refund_requested").order_by("recipient_id")
    # the leaders in charge of the case's department (the unit head only when there is none)
    assert [m.recipient for m in asked] == [fees.leader, people["clerk_leader"]]
    asked = asked[0]
    assert asked.subject == f"退费审批：{payment.notice.case.number} 申请退费 40.00 元"
    assert asked.link == "/workbench/fees/refunds/"
    assert not Message.objects.filter(category="case.fee_refunded").exists()

    later = MONDAY + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        approved = fee_refund_approve(actor=people["unit_head"], request=request, note="同意")

    assert approved is request
    assert (request.state, request.decided_by, request.decided_at, request.decision_note) == (
        APPROVED,
        people["unit_head"],
        later,
        "同意",
    )
    executed = FeeRefund.objects.get()
    assert request.refund == executed
    assert (executed.amount, executed.reason, executed.recorded_by, executed.window, executed.refunded_at) == (
        Decimal("40.00"),
        "登记费减半",
        fees.fee_clerk,
        fees.fee_window,
        later,
    )
    assert FeeNotice.objects.get(pk=payment.notice_id).state == FeeNoticeState.PARTIALLY_REFUNDED
    assert refund_events(payment) == [
        ("cases.fee_refund_requested", "收费员"),
        ("cases.fee_refund_approved", "单位负责人"),
        ("cases.fee_refunded", "单位负责人"),
    ]
    done = AuditEvent.objects.get(action="cases.fee_refunded")
    assert (done.after["request_id"], done.after["requested_by_id"], done.after["refund_id"]) == (
        request.pk,
        fees.fee_clerk.pk,
        executed.pk,
    )
    assert (done.after["refunded"], done.after["window_id"]) == ("40.00", fees.fee_window.pk)
    told = Message.objects.get(category="case.fee_refunded")
    assert told.recipient == fees.hall.enterprise
    decided = Message.objects.get(category="case.fee_refund_decided")
    assert decided.recipient == fees.fee_clerk
    assert decided.subject == f"退费申请已批准（已退费）：{payment.notice.case.number} 40.00 元"
    assert audit_verify() is None


def test_the_rest_is_refunded_in_full_and_the_notice_is_refunded(fees):
    payment = paid(fees)
    fee_refund_approve(actor=fees.leader, request=ask(fees, payment, "40"))
    fee_refund_approve(actor=fees.leader, request=ask(fees, payment, "50"))

    assert FeeNotice.objects.get(pk=payment.notice_id).state == FeeNoticeState.REFUNDED
    assert refundable_amount(payment) == Decimal("0.00")
    assert sorted(FeeRefund.objects.values_list("amount", flat=True)) == [Decimal("40.00"), Decimal("50.00")]


def test_a_rejection_needs_a_reason_refunds_nothing_and_frees_the_amount(fees):
    payment = paid(fees)
    request = ask(fees, payment, "90")

    with pytest.raises(ValidationError) as error:
        fee_refund_reject(actor=fees.leader, request=request, note="  ")
    assert error.value.message_dict == {"note": ["不予退费的，请填写审批意见。"]}
    unchanged(payment, request)

    fee_refund_reject(actor=fees.leader, request=request, note="已领取证照，不符合退费条件")

    assert (request.state, request.decided_by, request.decision_note) == (
        REJECTED,
        fees.leader,
        "已领取证照，不符合退费条件",
    )
    assert request.refund is None
    assert not FeeRefund.objects.exists()
    assert FeeNotice.objects.get(pk=payment.notice_id).state == FeeNoticeState.PAID
    assert refundable_amount(payment) == TOTAL
    assert [action for action, _ in refund_events(payment)] == [
        "cases.fee_refund_requested",
        "cases.fee_refund_rejected",
    ]
    assert not Message.objects.filter(category="case.fee_refunded").exists()
    decided = Message.objects.get(category="case.fee_refund_decided")
    assert (decided.recipient, decided.body) == (fees.fee_clerk, "已领取证照，不符合退费条件")


def test_the_requester_withdraws_a_pending_request_and_nobody_else_can(fees, people):
    payment = paid(fees)
    request = ask(fees, payment, "90")

    for actor in (people["second_clerk"], fees.leader, fees.hall.enterprise):
        with pytest.raises(ValidationError) as error:
            fee_refund_withdraw(actor=actor, request=request)
        assert error.value.messages == ["只有退费申请人本人可以撤回退费申请。"]
        unchanged(payment, request)

    with time_machine.travel(MONDAY, tick=False):
        fee_refund_withdraw(actor=fees.fee_clerk, request=request, note="申请人改为补缴")

    assert (request.state, request.decided_by, request.decided_at, request.decision_note) == (
        WITHDRAWN,
        fees.fee_clerk,
        MONDAY,
        "申请人改为补缴",
    )
    assert refundable_amount(payment) == TOTAL
    assert [action for action, _ in refund_events(payment)][-1] == "cases.fee_refund_withdrawn"
    with pytest.raises(ValidationError) as error:
        fee_refund_withdraw(actor=fees.fee_clerk, request=request)
    assert error.value.messages == ["该退费申请当前状态为“已撤回”，不能撤回。"]
    assert not FeeRefund.objects.exists()


# ---------------------------------------------------------------- who may decide


def test_nobody_approves_their_own_request_even_with_the_authority(fees, people):
    payment = paid(fees)
    own = ask(fees, payment, actor=people["clerk_leader"])

    for decide in (
        lambda: fee_refund_approve(actor=people["clerk_leader"], request=own),
        lambda: fee_refund_reject(actor=people["clerk_leader"], request=own, note="不退"),
    ):
        with pytest.raises(ValidationError) as error:
            decide()
        assert error.value.messages == ["本人申请的退费不能由本人审批。"]
        unchanged(payment, own)
    assert not FeeRefund.objects.exists()
    assert list(fee_refunds_to_decide(people["clerk_leader"])) == []
    assert list(fee_refunds_to_decide(fees.leader)) == [own]

    # the same official approves a colleague's request
    other = ask(fees, payment, "10")
    fee_refund_approve(actor=people["clerk_leader"], request=other)
    assert other.state == APPROVED


@pytest.mark.parametrize("who", ["other_leader", "section_head", "handler", "second_clerk", "applicant"])
def test_only_a_leader_of_the_case_department_decides(fees, people, who):
    actor = {
        "other_leader": people["other_leader"],  # a leader in charge, of another department
        "section_head": fees.hall.section_head,
        "handler": fees.hall.handler,
        "second_clerk": people["second_clerk"],
        "applicant": fees.hall.enterprise,
    }[who]
    payment = paid(fees)
    request = ask(fees, payment)

    for decide in (
        lambda: fee_refund_approve(actor=actor, request=request),
        lambda: fee_refund_reject(actor=actor, request=request, note="不退"),
    ):
        with pytest.raises(ValidationError) as error:
            decide()
        assert error.value.messages == ["只有本部门的分管领导或单位负责人可以审批退费。"]
        unchanged(payment, request)
    assert not FeeRefund.objects.exists()
    assert list(fee_refunds_to_decide(actor)) == []
    assert [action for action, _ in refund_events(payment)] == ["cases.fee_refund_requested"]


@pytest.mark.parametrize("state", [APPROVED, REJECTED, WITHDRAWN])
def test_a_decided_or_withdrawn_request_cannot_be_decided_again(fees, people, state):
    payment = paid(fees)
    request = ask(fees, payment)
    if state == APPROVED:
        fee_refund_approve(actor=fees.leader, request=request)
    elif state == REJECTED:
        fee_refund_reject(actor=fees.leader, request=request, note="不符合条件")
    else:
        fee_refund_withdraw(actor=fees.fee_clerk, request=request)
    label = FeeRefundRequestState(state).label
    refunds = FeeRefund.objects.count()
    notice_state = FeeNotice.objects.get(pk=payment.notice_id).state

    for decide in (
        lambda: fee_refund_approve(actor=people["unit_head"], request=request),
        lambda: fee_refund_reject(actor=people["unit_head"], request=request, note="不退"),
    ):
        with pytest.raises(ValidationError) as error:
            decide()
        assert error.value.messages == [f"该退费申请当前状态为“{label}”，不能审批。"]
        unchanged(payment, request, state=state, notice_state=notice_state)
    assert FeeRefund.objects.count() == refunds
    assert list(fee_refunds_to_decide(people["unit_head"])) == []


# ---------------------------------------------------------------- amounts


def test_pending_requests_count_against_what_may_still_be_asked(fees, people):
    payment = paid(fees)
    first = ask(fees, payment, "60")

    with pytest.raises(ValidationError) as error:
        ask(fees, payment, "40", actor=people["second_clerk"])
    assert error.value.message_dict == {"amount": ["退费金额不能超过可退金额 30.00 元（另有待审批的退费 60.00 元）。"]}
    assert FeeRefundRequest.objects.count() == 1

    ask(fees, payment, "30", actor=people["second_clerk"])
    with pytest.raises(ValidationError) as error:
        ask(fees, payment, "0.01")
    assert error.value.message_dict == {"amount": ["退费金额不能超过可退金额 0.00 元（另有待审批的退费 90.00 元）。"]}

    fee_refund_reject(actor=fees.leader, request=first, note="重复申请")
    assert refundable_amount(payment) == Decimal("60.00")
    assert ask(fees, payment, "60").state == REQUESTED


def test_refunds_recorded_before_approvals_existed_still_count(fees):
    payment = paid(fees)
    # a refund of the one-step era: no request links it
    FeeRefund.objects.create(
        payment=payment,
        amount=Decimal("70.00"),
        reason="旧数据",
        recorded_by=fees.fee_clerk,
        refunded_at=timezone.now(),
    )
    FeeNotice.objects.filter(pk=payment.notice_id).update(state=FeeNoticeState.PARTIALLY_REFUNDED)

    with pytest.raises(ValidationError) as error:
        ask(fees, payment, "20.01")
    assert error.value.message_dict == {"amount": ["退费金额不能超过可退金额 20.00 元。"]}

    fee_refund_approve(actor=fees.leader, request=ask(fees, payment, "20"))
    assert FeeNotice.objects.get(pk=payment.notice_id).state == FeeNoticeState.REFUNDED
    assert FeeRefund.objects.filter(request__isnull=True).count() == 1


def test_an_unpaid_notice_has_nothing_to_refund(fees):
    notice = fees.notice(fees.decided_case())
    fake = FeePayment(pk=None, notice=notice, amount=TOTAL)

    with pytest.raises(ValidationError) as error:
        ask(fees, fake)

    assert error.value.messages == ["该缴费通知没有可退的款项。"]


# ---------------------------------------------------------------- online payments


def test_the_provider_refunds_only_on_approval(fees):
    payment = paid(fees, PaymentMethod.ONLINE)
    with mock.patch.object(DevelopmentPaymentProvider, "refund", autospec=True, return_value="dev-refund:x1") as spy:
        rejected = ask(fees, payment, "90")
        fee_refund_reject(actor=fees.leader, request=rejected, note="不符合条件")
        withdrawn = ask(fees, payment, "90")
        fee_refund_withdraw(actor=fees.fee_clerk, request=withdrawn)
        assert spy.call_count == 0

        approved = fee_refund_approve(actor=fees.leader, request=ask(fees, payment, "90"))

    assert spy.call_count == 1
    assert spy.call_args.kwargs == {"reference": payment.provider_reference, "amount": Decimal("90.00")}
    assert approved.refund.provider_reference == "dev-refund:x1"
    assert FeeNotice.objects.get(pk=payment.notice_id).state == FeeNoticeState.REFUNDED


def test_a_provider_refusal_leaves_the_request_pending_and_nothing_changed(fees):
    payment = paid(fees, PaymentMethod.ONLINE)
    request = ask(fees, payment, "90")
    refused = PaymentError("原支付已超过可退款期限")

    with (
        mock.patch.object(DevelopmentPaymentProvider, "refund", autospec=True, side_effect=refused),
        pytest.raises(ValidationError) as error,
    ):
        fee_refund_approve(actor=fees.leader, request=request)

    assert error.value.messages == ["网上退款失败：原支付已超过可退款期限"]
    unchanged(payment, request)
    assert (request.decided_by, request.decided_at) == (None, None)
    assert not FeeRefund.objects.exists()
    assert [action for action, _ in refund_events(payment)] == ["cases.fee_refund_requested"]
    assert not Message.objects.filter(category__in=["case.fee_refunded", "case.fee_refund_decided"]).exists()
    assert audit_verify() is None


# ---------------------------------------------------------------- supervision and the database


def test_on_a_flagged_notice_each_movement_of_money_reaches_the_fee_monitoring_point_not_each_request(fees):
    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="小微企业减半")
    work, registration = fees.fee_items()
    notice = case_fee_notice_issue(
        actor=fees.hall.handler,
        case=case,
        lines=[{"fee_item": work, "charged_amount": "10"}, {"fee_item": registration, "charged_amount": "40"}],
        override_reason="小微企业减半",
    )
    payment = case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount="50")
    fee_refund_reject(actor=fees.leader, request=ask(fees, payment, "50"), note="无依据")
    fee_refund_approve(actor=fees.leader, request=ask(fees, payment, "10"))
    later = timezone.now() + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        supervision_sweep(kind=SweepKind.FULL, now=later)

    actions = sorted(Alert.objects.filter(point__code="approval.fees").values_list("details__action", flat=True))
    assert actions == sorted(["cases.fee_notice_issued", "cases.fee_paid", "cases.fee_refunded"])
    assert set(Alert.objects.filter(point__code="approval.fees").values_list("object_id", flat=True)) == {str(case.pk)}


def test_the_database_keeps_a_request_consistent_with_its_state(fees):
    payment = paid(fees)
    request = ask(fees, payment)
    rows = FeeRefundRequest.objects.filter(pk=request.pk)
    now = timezone.now()
    for bad in (
        {"state": APPROVED, "decided_at": now},  # approved without the refund it produced
        {"state": REJECTED, "decided_at": now},  # rejected without a reason
        {"state": WITHDRAWN},  # withdrawn without a time
        {"decided_at": now},  # still pending but decided
        {"amount": Decimal("0")},
        {"reason": ""},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**bad)
    unchanged(payment, request)
