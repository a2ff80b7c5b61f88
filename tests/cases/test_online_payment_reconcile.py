"""对账/查单 (ADR 0014, "Reconciliation"): `fee_payment_attempts_reconcile` asks the platform about orders that stayed
open. A payment whose notification was lost is recorded once, through the notification's own path; a lapsed unpaid
order is closed at the platform and expired; a platform that cannot be asked changes nothing."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification, paid_at_platform
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_fee_pay,
    fee_payment_attempt_notify,
    fee_payment_attempt_start,
    fee_payment_attempts_reconcile,
)
from zhengwu.cases.domain.online_payment import NotificationOutcome, PaymentReconciliation
from zhengwu.cases.enums import FeeNoticeState, PaymentAttemptState, PaymentMethod, SimulatedOrderState
from zhengwu.cases.models import FeeNotice, FeePayment, PaymentAttempt, SimulatedGatewayOrder
from zhengwu.cases.payments import (
    DevelopmentPaymentProvider,
    OrderState,
    PaymentError,
    PaymentOrderStatus,
    SimulatedGatewayProvider,
)
from zhengwu.cases.tasks import reconcile_online_payments
from zhengwu.notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("simulated")]

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
PROVIDER = SimulatedGatewayProvider()


class CannotQuery(SimulatedGatewayProvider):
    """An asynchronous platform without 查单 / 关单."""

    can_query = False
    can_close = False


@pytest.fixture
def simulated(settings):
    settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


def at(minutes: float):
    return time_machine.travel(MONDAY + timedelta(minutes=minutes), tick=False)


def started(fees):
    """A notice of a decided case and the order its applicant opened at 10:00."""
    with at(0):
        case = fees.decided_case()
        notice = fees.notice(case)
        return case, notice, fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)


def reconcile(minutes: float) -> PaymentReconciliation:
    with at(minutes):
        return fee_payment_attempts_reconcile()


def events(case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk), action__startswith="cases.fee")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def when_asked(action):
    """Patch the simulated platform's `query` to run `action(reference)` first, then answer as it would."""
    original = SimulatedGatewayProvider.query

    def query(provider, *, reference):
        action(reference)
        return original(provider, reference=reference)

    return mock.patch.object(SimulatedGatewayProvider, "query", autospec=True, side_effect=query)


def counting_queries():
    """Patch the simulated platform's `query` to count the orders it is asked about (and still answer)."""
    asked = []
    return asked, when_asked(asked.append)


def failing_on(attempt, error: Exception):
    """Patch the simulated platform's `query` to raise `error` when asked about `attempt` (and answer the others)."""

    def fail(reference):
        if reference == attempt.reference:
            raise error

    return when_asked(fail)


def stored(attempt) -> tuple:
    row = PaymentAttempt.objects.get(pk=attempt.pk)
    return row.state, row.checked_at, row.updated_at, row.payment_id


# ---------------------------------------------------------------- a lost notification


def test_a_payment_whose_notification_was_lost_is_recorded_by_reconciliation(fees):
    case, notice, attempt = started(fees)
    with at(2):
        lost = paid_at_platform(attempt)

    assert reconcile(6) == PaymentReconciliation(recorded=1)

    payment = FeePayment.objects.get()
    assert (payment.notice_id, payment.method, payment.amount, payment.collected_by, payment.provider_reference) == (
        notice.pk,
        PaymentMethod.ONLINE,
        TOTAL,
        fees.hall.enterprise,
        lost["trade_no"],
    )
    row = PaymentAttempt.objects.get(pk=attempt.pk)
    assert (row.state, row.payment, row.provider_reference, row.checked_at, row.updated_at) == (
        PaymentAttemptState.PAID,
        payment,
        lost["trade_no"],
        MONDAY + timedelta(minutes=6),
        MONDAY + timedelta(minutes=6),
    )
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PAID
    assert events(case) == [
        "cases.fee_notice_issued",
        "cases.fee_online_payment_started",
        "cases.fee_paid",
        "cases.fee_online_payment_reconciled",
    ]
    paid = AuditEvent.objects.get(action="cases.fee_paid")
    assert (paid.actor_id, paid.after["method"], paid.after["receipt_number"]) == (
        fees.hall.enterprise.pk,
        "online",
        payment.receipt_number,
    )
    reconciled = AuditEvent.objects.get(action="cases.fee_online_payment_reconciled")
    assert reconciled.actor_repr == "system:cases"
    assert reconciled.before == {"notice_id": notice.pk, "state": "started"}
    assert reconciled.after == {
        "notice_id": notice.pk,
        "attempt_id": attempt.pk,
        "reference": attempt.reference,
        "provider": "simulated",
        "amount": "90.00",
        "state": "paid",
        "outcome": "recorded",
        "platform_state": "paid",
        "provider_reference": lost["trade_no"],
        "paid_at": "2026-03-02T02:02:00Z",
        "checked_at": "2026-03-02T02:06:00Z",
    }
    assert Message.objects.filter(recipient=fees.hall.enterprise, category="case.fee_paid").count() == 1
    assert audit_verify() is None


def test_a_payment_recorded_by_reconciliation_is_not_recorded_again(fees):
    case, _notice, attempt = started(fees)
    with at(2):
        lost = paid_at_platform(attempt)
    reconcile(6)
    audit_count = AuditEvent.objects.count()
    asked, patch = counting_queries()

    with patch:
        assert reconcile(12) == PaymentReconciliation()
    # The lost notification turns up after all (the platform retries): acknowledged, nothing changes.
    with at(13):
        late = fee_payment_attempt_notify(provider=PROVIDER, notification=notification(attempt))

    assert late == NotificationOutcome.ALREADY_RECORDED
    assert notification(attempt).provider_reference == lost["trade_no"]
    assert asked == []
    assert FeePayment.objects.count() == 1
    assert AuditEvent.objects.count() == audit_count
    assert events(case).count("cases.fee_paid") == 1
    assert Message.objects.filter(recipient=fees.hall.enterprise, category="case.fee_paid").count() == 1


def test_a_notification_that_arrived_leaves_reconciliation_nothing_to_do(fees):
    _case, _notice, attempt = started(fees)
    with at(2):
        fee_payment_attempt_notify(provider=PROVIDER, notification=notification(attempt))
    audit_count = AuditEvent.objects.count()
    asked, patch = counting_queries()

    with patch:
        assert reconcile(6) == PaymentReconciliation()
        assert reconcile(40) == PaymentReconciliation()

    assert asked == []
    assert FeePayment.objects.count() == 1
    assert AuditEvent.objects.count() == audit_count


def test_an_order_is_first_asked_about_once_the_grace_period_has_passed(fees):
    _case, _notice, attempt = started(fees)
    with at(1):
        paid_at_platform(attempt)
    asked, patch = counting_queries()

    with patch:
        assert reconcile(4.99) == PaymentReconciliation()
        assert asked == []
        assert reconcile(5) == PaymentReconciliation(recorded=1)

    assert asked == [attempt.reference]


def test_an_open_order_is_left_open_and_asked_again_on_a_later_run(fees):
    case, _notice, attempt = started(fees)
    audit_count = AuditEvent.objects.count()
    asked, patch = counting_queries()

    with patch:
        assert reconcile(6) == PaymentReconciliation(pending=1)
        assert stored(attempt) == (PaymentAttemptState.STARTED, MONDAY + timedelta(minutes=6), MONDAY, None)
        assert reconcile(7) == PaymentReconciliation()  # asked a minute ago
        assert reconcile(11) == PaymentReconciliation(pending=1)

    assert asked == [attempt.reference, attempt.reference]
    assert AuditEvent.objects.count() == audit_count
    assert events(case)[-1] == "cases.fee_online_payment_started"


def test_a_failure_whose_notification_was_lost_closes_the_order_as_failed(fees):
    case, notice, attempt = started(fees)
    with at(3):
        paid_at_platform(attempt, paid=False)

    assert reconcile(6) == PaymentReconciliation(failed=1)

    assert stored(attempt) == (
        PaymentAttemptState.FAILED,
        MONDAY + timedelta(minutes=6),
        MONDAY + timedelta(minutes=6),
        None,
    )
    assert not FeePayment.objects.exists()
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.ISSUED
    assert events(case)[-2:] == ["cases.fee_online_payment_failed", "cases.fee_online_payment_reconciled"]
    failed = AuditEvent.objects.get(action="cases.fee_online_payment_failed")
    assert failed.actor_repr == "system:payment:simulated"
    reconciled = AuditEvent.objects.get(action="cases.fee_online_payment_reconciled")
    assert (reconciled.after["outcome"], reconciled.after["platform_state"]) == ("failed", "closed")


def test_money_found_for_a_notice_paid_at_the_window_meanwhile_is_kept_as_unrecorded(fees):
    case, notice, attempt = started(fees)
    with at(2):
        lost = paid_at_platform(attempt)
    with at(4):
        cash = case_fee_pay(actor=fees.fee_clerk, notice=notice, method=PaymentMethod.CASH, amount=TOTAL)

    assert reconcile(6) == PaymentReconciliation(unrecorded=1)

    assert list(FeePayment.objects.all()) == [cash]
    row = PaymentAttempt.objects.get(pk=attempt.pk)
    assert (row.state, row.provider_reference, row.problem) == (
        PaymentAttemptState.UNRECORDED,
        lost["trade_no"],
        "缴费通知当前状态为“已缴费”。",
    )
    assert events(case)[-2:] == ["cases.fee_online_payment_unrecorded", "cases.fee_online_payment_reconciled"]
    unrecorded = AuditEvent.objects.get(action="cases.fee_online_payment_unrecorded")
    assert (unrecorded.after["unrecorded_online_payment"], unrecorded.after["department_id"]) == (
        True,
        case.department_id,
    )


# ---------------------------------------------------------------- expiry


def test_a_lapsed_unpaid_order_is_closed_at_the_platform_and_expired(fees):
    case, notice, attempt = started(fees)

    assert reconcile(29.9) == PaymentReconciliation(pending=1)
    assert reconcile(32) == PaymentReconciliation(expired=1)

    assert stored(attempt) == (
        PaymentAttemptState.EXPIRED,
        MONDAY + timedelta(minutes=32),
        MONDAY + timedelta(minutes=32),
        None,
    )
    assert SimulatedGatewayOrder.objects.get(reference=attempt.reference).state == SimulatedOrderState.CLOSED
    assert events(case)[-2:] == ["cases.fee_online_payment_started", "cases.fee_online_payment_expired"]
    expired = AuditEvent.objects.get(action="cases.fee_online_payment_expired")
    assert expired.actor_repr == "system:cases"
    assert expired.before == {"notice_id": notice.pk, "state": "started"}
    assert expired.after == {
        "notice_id": notice.pk,
        "attempt_id": attempt.pk,
        "reference": attempt.reference,
        "provider": "simulated",
        "amount": "90.00",
        "state": "expired",
        "expires_at": "2026-03-02T02:30:00Z",
        "queried": True,
        "platform_state": "not_paid",
        "closed_at_platform": True,
        "checked_at": "2026-03-02T02:32:00Z",
    }
    # The platform takes no money for it any more, and nothing is asked again.
    with at(33), pytest.raises(PaymentError) as error:
        paid_at_platform(attempt)
    assert str(error.value) == "订单已关闭，请返回商户页面重新发起支付。"
    assert reconcile(60) == PaymentReconciliation()
    assert events(case).count("cases.fee_online_payment_expired") == 1
    assert audit_verify() is None


def test_an_order_the_platform_closed_when_it_lapsed_is_expired_without_closing_it_again(fees):
    _case, _notice, attempt = started(fees)
    closed = PaymentOrderStatus(reference=attempt.reference, state=OrderState.CLOSED)

    with (
        mock.patch.object(SimulatedGatewayProvider, "query", return_value=closed),
        mock.patch.object(SimulatedGatewayProvider, "close") as close,
    ):
        assert reconcile(31) == PaymentReconciliation(expired=1)

    close.assert_not_called()
    event = AuditEvent.objects.get(action="cases.fee_online_payment_expired")
    assert (event.after["platform_state"], event.after["closed_at_platform"]) == ("closed", False)


def test_a_payment_made_just_before_the_order_lapsed_is_recorded_not_expired(fees):
    _case, _notice, attempt = started(fees)
    with at(29.5):
        paid_at_platform(attempt)

    assert reconcile(31) == PaymentReconciliation(recorded=1)

    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.PAID
    assert not AuditEvent.objects.filter(action="cases.fee_online_payment_expired").exists()


def test_an_order_replaced_by_a_new_one_is_asked_about_once_more_after_it_lapses(fees):
    case, notice, first = started(fees)
    with at(24):
        paid_at_platform(first)  # paid in one tab, its notification lost ...
    with at(26):
        second = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)  # ... and 在线支付 again
    assert PaymentAttempt.objects.get(pk=first.pk).state == PaymentAttemptState.EXPIRED
    asked, patch = counting_queries()

    with patch:
        assert reconcile(29) == PaymentReconciliation()  # the first still open at the platform, the second new
        assert reconcile(31) == PaymentReconciliation(recorded=1, pending=1)
        assert reconcile(40) == PaymentReconciliation(pending=1)

    assert asked == [first.reference, second.reference, second.reference]
    assert FeePayment.objects.get().provider_reference.startswith(f"SIM-{first.reference}-")
    assert PaymentAttempt.objects.get(pk=first.pk).state == PaymentAttemptState.PAID
    assert reconcile(57) == PaymentReconciliation(expired=1)
    assert PaymentAttempt.objects.get(pk=second.pk).state == PaymentAttemptState.EXPIRED
    assert events(case).count("cases.fee_paid") == 1


def test_an_unpaid_replaced_order_is_closed_at_the_platform_once_it_lapses(fees):
    case, notice, first = started(fees)
    with at(26):
        fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)

    assert reconcile(31) == PaymentReconciliation(expired=1, pending=1)

    row = PaymentAttempt.objects.get(pk=first.pk)
    assert (row.state, row.checked_at, row.updated_at) == (
        PaymentAttemptState.EXPIRED,
        MONDAY + timedelta(minutes=31),
        MONDAY + timedelta(minutes=26),  # expired when it was replaced
    )
    assert SimulatedGatewayOrder.objects.get(reference=first.reference).state == SimulatedOrderState.CLOSED
    event = AuditEvent.objects.get(action="cases.fee_online_payment_expired")
    assert (event.before["state"], event.after["attempt_id"], event.after["closed_at_platform"]) == (
        "expired",
        first.pk,
        True,
    )
    assert reconcile(36) == PaymentReconciliation(pending=1)
    assert events(case).count("cases.fee_online_payment_expired") == 1


def test_a_replaced_order_that_lapsed_long_ago_is_not_asked_about(fees):
    _case, notice, first = started(fees)
    with at(26):
        second = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    PaymentAttempt.objects.filter(pk=second.pk).update(state=PaymentAttemptState.FAILED)
    asked, patch = counting_queries()

    with patch:
        assert reconcile(30 + 7 * 24 * 60) == PaymentReconciliation()

    assert asked == []
    assert PaymentAttempt.objects.get(pk=first.pk).checked_at is None


# ---------------------------------------------------------------- a platform that cannot be asked


def test_a_platform_that_does_not_answer_leaves_the_order_for_the_next_run(fees, caplog):
    case, _notice, attempt = started(fees)
    with at(2):
        paid_at_platform(attempt)
    before = stored(attempt)
    audit_count = AuditEvent.objects.count()

    with (
        mock.patch.object(SimulatedGatewayProvider, "query", side_effect=PaymentError("支付平台无响应")),
        caplog.at_level(logging.WARNING, logger="zhengwu.cases.domain.online_payment"),
    ):
        assert reconcile(6) == PaymentReconciliation(errors=1)

    assert stored(attempt) == before == (PaymentAttemptState.STARTED, None, MONDAY, None)
    assert AuditEvent.objects.count() == audit_count
    assert not FeePayment.objects.exists()
    assert f"网上支付查单未成功，下次对账重试：订单 attempt #{attempt.pk}；支付平台无响应" in caplog.text
    assert reconcile(7) == PaymentReconciliation(recorded=1)
    assert events(case).count("cases.fee_paid") == 1


@pytest.mark.django_db(transaction=True)
def test_the_platform_is_asked_with_no_transaction_open(fees):
    _case, _notice, attempt = started(fees)
    with at(2):
        paid_at_platform(attempt)
    open_then = []

    with when_asked(lambda _reference: open_then.append(transaction.get_connection().in_atomic_block)):
        assert reconcile(6) == PaymentReconciliation(recorded=1)

    assert open_then == [False]


def test_a_notification_arriving_while_the_platform_is_asked_is_recorded_once(fees):
    case, _notice, attempt = started(fees)
    with at(2):
        paid_at_platform(attempt)
    outcomes = []

    def notified(_reference):  # the platform's retried notification comes in while reconciliation asks
        outcomes.append(fee_payment_attempt_notify(provider=PROVIDER, notification=notification(attempt)))

    with when_asked(notified):
        assert reconcile(6) == PaymentReconciliation()

    assert outcomes == [NotificationOutcome.RECORDED]
    assert FeePayment.objects.count() == 1
    assert stored(attempt)[0] == PaymentAttemptState.PAID
    assert events(case).count("cases.fee_paid") == 1
    assert "cases.fee_online_payment_reconciled" not in events(case)
    assert audit_verify() is None


def test_a_run_asks_about_at_most_its_limit_of_orders_those_asked_longest_ago_first(fees):
    _case, _notice, first = started(fees)
    _case, _notice, second = started(fees)
    _case, _notice, third = started(fees)
    asked, patch = counting_queries()

    with patch, at(6):
        assert fee_payment_attempts_reconcile(limit=2) == PaymentReconciliation(pending=2)
    with patch, at(9):
        assert fee_payment_attempts_reconcile(limit=2) == PaymentReconciliation(pending=2)

    # the never-asked order before the two asked three minutes ago; then the older of those
    assert asked == [first.reference, second.reference, third.reference, first.reference]


def test_a_replaced_order_the_platform_did_not_answer_about_is_asked_about_on_the_next_run(fees):
    _case, notice, first = started(fees)
    with at(26):
        second = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    with failing_on(first, PaymentError("支付平台无响应")):
        assert reconcile(31) == PaymentReconciliation(pending=1, errors=1)

    assert stored(first)[:2] == (PaymentAttemptState.EXPIRED, None)  # the claim given back
    assert reconcile(32) == PaymentReconciliation(expired=1)
    assert stored(first)[:2] == (PaymentAttemptState.EXPIRED, MONDAY + timedelta(minutes=32))
    assert stored(second)[:2] == (PaymentAttemptState.STARTED, MONDAY + timedelta(minutes=31))


def test_a_platform_that_refuses_to_close_leaves_the_order_started(fees):
    _case, _notice, attempt = started(fees)
    audit_count = AuditEvent.objects.count()

    with mock.patch.object(SimulatedGatewayProvider, "close", side_effect=PaymentError("支付平台无响应")):
        assert reconcile(31) == PaymentReconciliation(errors=1)

    assert stored(attempt) == (PaymentAttemptState.STARTED, None, MONDAY, None)
    assert AuditEvent.objects.count() == audit_count
    assert reconcile(32) == PaymentReconciliation(expired=1)


def test_an_order_paid_between_the_query_and_closing_it_is_recorded_on_the_next_run(fees):
    _case, _notice, attempt = started(fees)
    not_paid = PaymentOrderStatus(reference=attempt.reference, state=OrderState.NOT_PAID)
    with at(29.9):
        paid_at_platform(attempt)

    with mock.patch.object(SimulatedGatewayProvider, "query", return_value=not_paid):
        assert reconcile(31) == PaymentReconciliation(errors=1)  # the platform refuses to close a paid order

    assert stored(attempt) == (PaymentAttemptState.STARTED, None, MONDAY, None)
    assert reconcile(32) == PaymentReconciliation(recorded=1)


@pytest.mark.parametrize(
    ("answer", "log"),
    [
        ({"amount": Decimal("80.00")}, "amount_mismatch"),
        ({"provider_reference": ""}, "no_reference"),
        ({"provider_reference": "SIM-forged-000000000000000000000000"}, "not_confirmed"),
        ({"reference": "ZW000"}, "与所查订单不符"),
        ({"amount": None}, "缺少支付金额"),
    ],
)
def test_an_answer_that_does_not_match_the_order_changes_nothing(fees, caplog, answer, log):
    _case, notice, attempt = started(fees)
    paid = {
        "reference": attempt.reference,
        "state": OrderState.PAID,
        "provider_reference": notification(attempt).provider_reference,
        "amount": TOTAL,
    }
    audit_count = AuditEvent.objects.count()

    answered = PaymentOrderStatus(**{**paid, **answer})
    with (
        mock.patch.object(SimulatedGatewayProvider, "query", return_value=answered),
        caplog.at_level(logging.WARNING, logger="zhengwu.cases.domain.online_payment"),
    ):
        assert reconcile(6) == PaymentReconciliation(errors=1)

    assert log in caplog.text
    assert stored(attempt) == (PaymentAttemptState.STARTED, None, MONDAY, None)
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.ISSUED
    assert not FeePayment.objects.exists()
    assert AuditEvent.objects.count() == audit_count


def test_one_order_the_platform_fails_on_does_not_hold_up_the_others(fees):
    _case, _notice, first = started(fees)
    _case, _notice, second = started(fees)
    with at(2):
        paid_at_platform(second)
    with failing_on(first, RuntimeError("unexpected answer")):
        assert reconcile(6) == PaymentReconciliation(recorded=1, errors=1)

    assert PaymentAttempt.objects.get(pk=first.pk).state == PaymentAttemptState.STARTED
    assert PaymentAttempt.objects.get(pk=second.pk).state == PaymentAttemptState.PAID


def test_a_platform_without_query_has_its_lapsed_orders_expired_without_asking(fees, settings):
    settings.ZHENGWU_PAYMENT_BACKEND = "tests.cases.test_online_payment_reconcile.CannotQuery"
    _case, notice, attempt = started(fees)

    assert reconcile(6) == PaymentReconciliation()
    assert reconcile(31) == PaymentReconciliation(expired=1)

    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.EXPIRED
    assert not SimulatedGatewayOrder.objects.exists()
    event = AuditEvent.objects.get(action="cases.fee_online_payment_expired")
    assert (event.after["queried"], event.after["platform_state"], event.after["closed_at_platform"]) == (
        False,
        None,
        False,
    )
    # Money that still comes is recorded: an expired order takes it.
    with at(40):
        outcome = fee_payment_attempt_notify(provider=CannotQuery(), notification=notification(attempt))
    assert outcome == NotificationOutcome.RECORDED
    assert FeePayment.objects.get().notice_id == notice.pk


def test_orders_of_a_provider_no_longer_configured_are_expired_when_they_lapse(fees, settings):
    _case, _notice, attempt = started(fees)
    settings.ZHENGWU_PAYMENT_BACKEND = "zhengwu.cases.payments.DevelopmentPaymentProvider"
    assert DevelopmentPaymentProvider.can_query is False and DevelopmentPaymentProvider.can_close is False

    assert reconcile(6) == PaymentReconciliation()
    assert reconcile(31) == PaymentReconciliation(expired=1)

    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.EXPIRED
    assert AuditEvent.objects.get(action="cases.fee_online_payment_expired").after["queried"] is False


# ---------------------------------------------------------------- the simulated platform's ledger


def test_the_simulated_platform_answers_from_its_ledger(fees):
    _case, _notice, attempt = started(fees)

    assert PROVIDER.query(reference=attempt.reference) == PaymentOrderStatus(attempt.reference, OrderState.NOT_PAID)
    with at(3):
        lost = paid_at_platform(attempt)
    assert PROVIDER.query(reference=attempt.reference) == PaymentOrderStatus(
        reference=attempt.reference,
        state=OrderState.PAID,
        provider_reference=lost["trade_no"],
        amount=TOTAL,
        paid_at=MONDAY + timedelta(minutes=3),
    )
    assert PROVIDER.verify(reference=lost["trade_no"], notice=attempt.notice, amount=TOTAL) is True
    with pytest.raises(PaymentError) as error:
        paid_at_platform(attempt)
    assert str(error.value) == "订单已支付，请勿重复付款。"
    with pytest.raises(PaymentError) as error:
        PROVIDER.close(reference=attempt.reference)
    assert str(error.value) == "模拟支付平台：订单已支付，不能关闭。"


def test_the_simulated_platform_closes_orders_it_does_not_know_and_closed_ones_again():
    PROVIDER.close(reference="ZW" + "1" * 24)
    PROVIDER.close(reference="ZW" + "1" * 24)

    row = SimulatedGatewayOrder.objects.get()
    assert (row.reference, row.state, row.notice_id, row.amount) == ("ZW" + "1" * 24, "closed", None, None)
    assert PROVIDER.query(reference=row.reference).state == OrderState.CLOSED


# ---------------------------------------------------------------- the job


def test_the_beat_task_reconciles_and_counts_the_orders_it_settled(fees, settings):
    _case, _notice, first = started(fees)
    _case, _notice, second = started(fees)
    with at(2):
        paid_at_platform(first)

    with at(6):
        assert reconcile_online_payments() == 1
    with at(31):
        assert reconcile_online_payments() == 1
        assert reconcile_online_payments() == 0

    assert settings.CELERY_BEAT_SCHEDULE["cases-reconcile-online-payments"] == {
        "task": "zhengwu.cases.tasks.reconcile_online_payments",
        "schedule": 300.0,
    }
    assert PaymentAttempt.objects.get(pk=second.pk).state == PaymentAttemptState.EXPIRED


def test_the_command_reconciles_at_once_and_says_what_it_did(fees):
    _case, _notice, first = started(fees)
    _case, _notice, second = started(fees)
    with at(2):
        paid_at_platform(first)
    out = StringIO()

    with at(7), mock.patch.object(SimulatedGatewayProvider, "close", side_effect=PaymentError("x")):
        PaymentAttempt.objects.filter(pk=second.pk).update(expires_at=MONDAY + timedelta(minutes=6))
        call_command("payments", "reconcile", stdout=out)

    assert out.getvalue().splitlines() == [
        "网上支付对账：补记入账 1 笔，已到账未入账 0 笔，支付未成功 0 笔，超时关闭 0 笔，仍待支付 0 笔。",
        "查单失败 1 笔，详见日志；下次对账将重试。",
    ]


def test_the_command_asks_about_at_most_the_orders_it_is_given(fees):
    for _ in range(3):
        started(fees)
    out = StringIO()

    with at(6):
        call_command("payments", "reconcile", "--limit", "2", stdout=out)

    assert out.getvalue().splitlines() == [
        "网上支付对账：补记入账 0 笔，已到账未入账 0 笔，支付未成功 0 笔，超时关闭 0 笔，仍待支付 2 笔。",
    ]
    assert PaymentAttempt.objects.filter(checked_at__isnull=True).count() == 1


@pytest.mark.parametrize("limit", ["0", "-1", "多"])
def test_the_command_refuses_a_limit_that_is_not_a_positive_number(fees, limit):
    with pytest.raises(CommandError, match="须为正整数"):
        call_command("payments", "reconcile", "--limit", limit)
