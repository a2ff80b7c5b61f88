"""Online money that could not be recorded (unrecorded) returned to the payer through the payment platform by the
fee window (ADR 0014, "Asynchronous providers": 退回缴费人), and the 行政收费 warning it resolves."""

import logging
import re
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_fee_notice_cancel,
    case_fee_pay,
    fee_payment_attempt_notify,
    fee_payment_attempt_return,
    fee_payment_attempt_start,
)
from zhengwu.cases.domain.online_payment import NotificationOutcome
from zhengwu.cases.enums import FeeNoticeState, PaymentAttemptState, PaymentMethod
from zhengwu.cases.models import FeeNotice, FeePayment, PaymentAttempt
from zhengwu.cases.payments import PaymentError, SimulatedGatewayProvider
from zhengwu.notifications.models import Message
from zhengwu.supervision.domain.sweep import supervision_sweep
from zhengwu.supervision.enums import AlertStatus, SweepKind
from zhengwu.supervision.models import Alert

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("simulated")]

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
PROVIDER = SimulatedGatewayProvider()
REFUSAL = "只有统一收费窗口的收费人员才能退回该办件的网上支付款项。"


@pytest.fixture
def simulated(settings):
    settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


def unrecorded(fees):
    """An online payment reported after the notice was paid in cash at the window: (case, notice, attempt)."""
    case = fees.decided_case()
    notice = fees.notice(case)
    attempt = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method=PaymentMethod.CASH, amount=TOTAL)
    sent = notification(attempt)
    assert fee_payment_attempt_notify(provider=PROVIDER, notification=sent) == NotificationOutcome.UNRECORDED
    attempt.refresh_from_db()
    return case, notice, attempt


def refusal(**kwargs) -> list[str]:
    with pytest.raises(ValidationError) as error:
        fee_payment_attempt_return(**kwargs)
    return error.value.messages


def returned_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="cases.fee_online_payment_returned"))


def assert_unchanged(attempt: PaymentAttempt) -> None:
    stored = PaymentAttempt.objects.get(pk=attempt.pk)
    assert (stored.state, stored.return_reference, stored.returned_at, stored.returned_by, stored.updated_at) == (
        PaymentAttemptState.UNRECORDED,
        "",
        None,
        None,
        attempt.updated_at,
    )
    assert returned_events() == []
    assert not Message.objects.filter(subject__startswith="网上支付款项已退回").exists()


@time_machine.travel(MONDAY, tick=False)
def test_the_fee_window_returns_unrecorded_money_to_the_payer_through_the_platform(fees):
    case, notice, attempt = unrecorded(fees)
    later = MONDAY + timedelta(days=1)

    with time_machine.travel(later, tick=False):
        returned = fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)

    assert returned is attempt
    stored = PaymentAttempt.objects.get(pk=attempt.pk)
    assert re.fullmatch(r"SIMR-[0-9a-f]{16}", stored.return_reference)
    assert (stored.state, stored.returned_at, stored.returned_by, stored.updated_at) == (
        PaymentAttemptState.RETURNED,
        later,
        fees.fee_clerk,
        later,
    )
    # the reason it was not recorded, the platform's transaction number and the cash payment stay as they were
    assert (stored.problem, stored.provider_reference, stored.payment) == (
        "缴费通知当前状态为“已缴费”。",
        attempt.provider_reference,
        None,
    )
    assert list(FeePayment.objects.values_list("method", flat=True)) == ["cash"]
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PAID

    [event] = returned_events()
    assert (event.object_id, event.actor_id, event.occurred_at) == (str(case.pk), fees.fee_clerk.pk, later)
    assert event.before == {"notice_id": notice.pk, "state": "unrecorded"}
    assert event.after == {
        "notice_id": notice.pk,
        "attempt_id": attempt.pk,
        "reference": attempt.reference,
        "provider": "simulated",
        "amount": "90.00",
        "state": "returned",
        "provider_reference": attempt.provider_reference,
        "return_reference": stored.return_reference,
        "problem": "缴费通知当前状态为“已缴费”。",
        "window_id": fees.fee_window.pk,
        "department_id": case.department_id,
    }
    [message] = Message.objects.filter(recipient=fees.hall.enterprise, subject__startswith="网上支付款项已退回")
    assert (message.category, message.subject, message.link) == (
        "case.fee_refunded",
        f"网上支付款项已退回：{case.number} 90.00 元",
        f"/cases/mine/{case.number}/",
    )
    assert message.body == (
        f"您网上支付的 90.00 元（支付流水号 {attempt.provider_reference}）未能入账：缴费通知当前状态为“已缴费”。"
        f"该笔款项已经支付平台原路退回，退款流水号 {stored.return_reference}，到账时间以支付平台为准。"
    )
    assert audit_verify() is None


def test_the_whole_amount_is_returned_on_the_platform_s_transaction(fees):
    _case, _notice, attempt = unrecorded(fees)

    with mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True, return_value="SIMR-given") as refund:
        fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)

    assert refund.call_count == 1
    assert refund.call_args.kwargs == {"reference": attempt.provider_reference, "amount": Decimal("90.00")}
    assert PaymentAttempt.objects.get(pk=attempt.pk).return_reference == "SIMR-given"


def test_money_for_a_cancelled_notice_is_returned_too(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    attempt = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="开错了")
    assert fee_payment_attempt_notify(provider=PROVIDER, notification=notification(attempt)) == "unrecorded"

    fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)

    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.RETURNED
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.CANCELLED
    assert not FeePayment.objects.exists()


def test_money_is_returned_once(fees):
    _case, _notice, attempt = unrecorded(fees)
    fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)

    with mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True) as refund:
        messages = refusal(actor=fees.fee_clerk, attempt=PaymentAttempt.objects.get(pk=attempt.pk))

    assert messages == ["该网上支付订单当前状态为“已退回”，不能退回。"]
    assert refund.call_count == 0
    assert len(returned_events()) == 1


def test_only_money_that_could_not_be_recorded_is_returned_here(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    attempt = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)

    with mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True) as refund:
        started = refusal(actor=fees.fee_clerk, attempt=attempt)
        assert fee_payment_attempt_notify(provider=PROVIDER, notification=notification(attempt)) == "recorded"
        paid = refusal(actor=fees.fee_clerk, attempt=attempt)

    assert started == ["该网上支付订单当前状态为“支付处理中”，不能退回。"]
    # a recorded payment is refunded through a refund request and a leader's approval, not here
    assert paid == ["该网上支付订单当前状态为“已支付”，不能退回。"]
    assert refund.call_count == 0
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.PAID
    assert returned_events() == []


def test_money_taken_through_another_provider_is_not_returned_through_this_one(fees, settings):
    _case, _notice, attempt = unrecorded(fees)
    settings.ZHENGWU_PAYMENT_BACKEND = "zhengwu.cases.payments.DevelopmentPaymentProvider"

    with mock.patch("zhengwu.cases.payments.DevelopmentPaymentProvider.refund", autospec=True) as refund:
        messages = refusal(actor=fees.fee_clerk, attempt=attempt)

    assert messages == [
        "该笔款项经支付渠道“simulated”收取，当前未配置该支付渠道，不能在本平台退回；请经原支付渠道退回。"
    ]
    assert refund.call_count == 0
    assert_unchanged(attempt)


def test_a_refusal_by_the_platform_changes_nothing_and_says_why(fees):
    _case, _notice, attempt = unrecorded(fees)
    refused = PaymentError("原交易已超过可退款期限")

    with mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True, side_effect=refused):
        messages = refusal(actor=fees.fee_clerk, attempt=attempt)

    assert messages == ["支付平台未能退回：原交易已超过可退款期限"]
    assert_unchanged(attempt)
    assert audit_verify() is None
    # and it may be tried again
    fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.RETURNED


def test_a_platform_answer_without_a_refund_number_is_not_recorded_as_returned(fees, caplog):
    case, _notice, attempt = unrecorded(fees)

    with (
        mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True, return_value="  "),
        caplog.at_level(logging.ERROR, logger="zhengwu.cases.domain.online_payment"),
    ):
        messages = refusal(actor=fees.fee_clerk, attempt=attempt)

    assert messages == ["支付平台未返回退款流水号，未能记录退回；请在支付平台核实该笔退款。"]
    assert_unchanged(attempt)
    assert f"支付平台退回网上支付款项未返回退款流水号：办件 {case.number}" in caplog.text


@pytest.mark.parametrize("who", ["handler", "leader", "applicant", "street_clerk", "clerk_at_intake"])
def test_only_a_fee_clerk_at_a_window_serving_the_department_returns_money(fees, who):
    _case, _notice, attempt = unrecorded(fees)
    actor = {
        "handler": fees.hall.handler,
        "leader": fees.leader,
        "applicant": fees.hall.enterprise,
        "street_clerk": fees.other_fee_clerk,
        "clerk_at_intake": fees.fee_clerk_elsewhere,
    }[who]

    with mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True) as refund:
        messages = refusal(actor=actor, attempt=attempt)

    assert messages == [REFUSAL]
    assert refund.call_count == 0
    assert_unchanged(attempt)


def test_the_simulated_platform_refunds_only_its_own_transactions():
    provider = SimulatedGatewayProvider()
    own = provider.notification({"reference": "ZW1", "notice_id": 1, "amount": "90.00"}, paid=True)["trade_no"]

    assert re.fullmatch(r"SIMR-[0-9a-f]{16}", provider.refund(reference=own, amount=Decimal("90.00")))
    for reference in ("", "dev:1:90.00:abc", "SIM-ZW1", f"{own}-x", "SIM--" + "0" * 24):
        with pytest.raises(PaymentError) as error:
            provider.refund(reference=reference, amount=Decimal("90.00"))
        assert str(error.value) == "模拟支付平台没有这笔交易。"


def test_the_database_refuses_a_returned_attempt_without_the_platform_s_refund_number(fees):
    _case, _notice, attempt = unrecorded(fees)
    rows = PaymentAttempt.objects.filter(pk=attempt.pk)

    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(state=PaymentAttemptState.RETURNED, returned_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(return_reference="SIMR-1", returned_at=timezone.now())  # still unrecorded
    rows.update(state=PaymentAttemptState.RETURNED, returned_at=timezone.now(), return_reference="SIMR-1")


# ---------------------------------------------------------------- supervision


def test_returning_the_money_resolves_the_fee_warning(fees):
    with time_machine.travel(MONDAY, tick=False):
        case, _notice, attempt = unrecorded(fees)
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False):
        supervision_sweep(kind=SweepKind.FULL)
    [alert] = Alert.objects.filter(point__code="approval.fees")
    assert (alert.object_id, alert.status, alert.details["action"]) == (
        str(case.pk),
        AlertStatus.OPEN,
        "cases.fee_online_payment_unrecorded",
    )

    with time_machine.travel(MONDAY + timedelta(minutes=10), tick=False):
        fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)
    with time_machine.travel(MONDAY + timedelta(minutes=15), tick=False):
        run = supervision_sweep(kind=SweepKind.INCREMENTAL)

    assert run.kind == SweepKind.INCREMENTAL
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_at) == (AlertStatus.RESOLVED, MONDAY + timedelta(minutes=15))
    # the return itself raises nothing, and a full sweep finds nothing either
    with time_machine.travel(MONDAY + timedelta(minutes=20), tick=False):
        supervision_sweep(kind=SweepKind.FULL)
    assert list(Alert.objects.filter(point__code="approval.fees").values_list("pk", "status")) == [
        (alert.pk, AlertStatus.RESOLVED)
    ]


def test_a_refused_return_leaves_the_warning_open(fees):
    with time_machine.travel(MONDAY, tick=False):
        _case, _notice, attempt = unrecorded(fees)
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False):
        supervision_sweep(kind=SweepKind.FULL)

    with (
        time_machine.travel(MONDAY + timedelta(minutes=10), tick=False),
        mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True, side_effect=PaymentError("余额不足")),
        pytest.raises(ValidationError),
    ):
        fee_payment_attempt_return(actor=fees.fee_clerk, attempt=attempt)
    with time_machine.travel(MONDAY + timedelta(minutes=15), tick=False):
        supervision_sweep(kind=SweepKind.FULL)

    assert list(Alert.objects.filter(point__code="approval.fees").values_list("status", flat=True)) == [
        AlertStatus.OPEN
    ]
