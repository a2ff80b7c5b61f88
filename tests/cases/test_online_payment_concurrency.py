"""A payment platform's notifications racing each other or the fee window: one payment, whatever the order; two
clerks returning unrecorded money at once: returned once; two reconciliation runs (对账/查单) at once, or one racing
a notification: each order handled once; the window acting on a case while reconciliation waits for the platform.

PostgreSQL only (row locks); skipped on SQLite at runtime."""

import threading
from datetime import datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from tests.accounts.factories import make_staff
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification, paid_at_platform
from tests.concurrency import race
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_fee_pay,
    fee_payment_attempt_notify,
    fee_payment_attempt_return,
    fee_payment_attempt_start,
    fee_payment_attempts_reconcile,
)
from zhengwu.cases.domain.online_payment import NotificationOutcome, PaymentReconciliation
from zhengwu.cases.enums import FeeNoticeState, PaymentAttemptState
from zhengwu.cases.models import Case, FeeNotice, FeePayment, FeeReceiptCounter, PaymentAttempt
from zhengwu.cases.payments import SimulatedGatewayProvider

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_default_timezone())

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED


def started(hall):
    fees = make_fee_setup(hall)
    notice = fees.notice(fees.decided_case())
    return fees, notice, fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)


def test_two_notifications_of_one_payment_at_once_record_it_once(hall):
    _fees, notice, attempt = started(hall)
    sent = notification(attempt)
    outcomes = {}

    def deliver(name):
        def run():
            outcomes[name] = fee_payment_attempt_notify(provider=SimulatedGatewayProvider(), notification=sent)

        return run

    results = race(deliver("first"), deliver("second"))

    assert results["contender_waited"] is True
    assert (results["first"], results["second"]) == ("ok", "ok")
    assert outcomes == {"first": NotificationOutcome.RECORDED, "second": NotificationOutcome.ALREADY_RECORDED}
    payment = FeePayment.objects.get()
    assert (payment.notice_id, payment.provider_reference) == (notice.pk, sent.provider_reference)
    assert PaymentAttempt.objects.get(pk=attempt.pk).payment == payment
    assert FeeReceiptCounter.objects.get().last_serial == 1
    assert AuditEvent.objects.filter(action="cases.fee_paid").count() == 1
    assert audit_verify() is None


def test_a_notification_racing_the_fee_window_leaves_one_payment(hall):
    fees, notice, attempt = started(hall)
    outcome = {}

    def deliver():
        outcome["notify"] = fee_payment_attempt_notify(
            provider=SimulatedGatewayProvider(), notification=notification(attempt)
        )

    results = race(
        lambda: case_fee_pay(
            actor=fees.fee_clerk, notice=FeeNotice.objects.get(pk=notice.pk), method="cash", amount=TOTAL
        ),
        deliver,
    )

    assert results["contender_waited"] is True
    assert (results["first"], results["second"]) == ("ok", "ok")
    assert outcome["notify"] == NotificationOutcome.UNRECORDED
    assert list(FeePayment.objects.values_list("method", flat=True)) == ["cash"]
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PAID
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.UNRECORDED
    assert audit_verify() is None


def test_two_clerks_returning_the_same_unrecorded_money_at_once_return_it_once(hall):
    fees, notice, attempt = started(hall)
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)
    assert (
        fee_payment_attempt_notify(provider=SimulatedGatewayProvider(), notification=notification(attempt))
        == NotificationOutcome.UNRECORDED
    )
    attempt.refresh_from_db()
    second_clerk = make_staff(
        "shoufei2",
        department=hall.other_department,
        display_name="收费员乙",
        roles=(Role.FEE_CLERK,),
        window=fees.fee_window,
    )
    refunds = []

    def refund(provider, *, reference, amount):
        refunds.append((reference, amount))
        return f"SIMR-{len(refunds)}"

    def give_back(clerk):
        return lambda: fee_payment_attempt_return(actor=clerk, attempt=PaymentAttempt.objects.get(pk=attempt.pk))

    with mock.patch.object(SimulatedGatewayProvider, "refund", autospec=True, side_effect=refund):
        results = race(give_back(fees.fee_clerk), give_back(second_clerk))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该网上支付订单当前状态为“已退回”，不能退回。"]
    assert refunds == [(attempt.provider_reference, TOTAL)]
    stored = PaymentAttempt.objects.get(pk=attempt.pk)
    assert (stored.state, stored.return_reference, stored.returned_by_id) == (
        PaymentAttemptState.RETURNED,
        "SIMR-1",
        fees.fee_clerk.pk,
    )
    assert AuditEvent.objects.filter(action="cases.fee_online_payment_returned").count() == 1
    assert audit_verify() is None


# ---------------------------------------------------------------- reconciliation (对账/查单)


def asked_platform():
    """Patch the simulated platform's `query` to record the orders it is asked about (and still answer)."""
    asked = []
    original = SimulatedGatewayProvider.query

    def query(provider, *, reference):
        asked.append(reference)
        return original(provider, reference=reference)

    return asked, mock.patch.object(SimulatedGatewayProvider, "query", autospec=True, side_effect=query)


def test_two_reconciliation_runs_at_once_handle_each_order_once(hall):
    with time_machine.travel(MONDAY, tick=False):
        fees, notice, lost = started(hall)
        unpaid = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=fees.notice(fees.decided_case()))
        paid_at_platform(lost)
    # `lost` was paid at the platform (notification lost) and lapses later than `unpaid`, which is not paid.
    PaymentAttempt.objects.filter(pk=lost.pk).update(expires_at=MONDAY + timedelta(minutes=40))
    now = MONDAY + timedelta(minutes=31)
    runs = []
    asked, patch = asked_platform()

    with patch:
        results = race(
            lambda: runs.append(fee_payment_attempts_reconcile(now=now)),
            lambda: runs.append(fee_payment_attempts_reconcile(now=now)),
        )

    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)
    assert runs == [PaymentReconciliation(recorded=1, expired=1), PaymentReconciliation()]
    assert sorted(asked) == sorted([lost.reference, unpaid.reference])
    payment = FeePayment.objects.get()
    assert (payment.notice_id, PaymentAttempt.objects.get(pk=lost.pk).payment) == (notice.pk, payment)
    assert PaymentAttempt.objects.get(pk=unpaid.pk).state == PaymentAttemptState.EXPIRED
    assert FeeReceiptCounter.objects.get().last_serial == 1
    assert AuditEvent.objects.filter(action="cases.fee_paid").count() == 1
    assert AuditEvent.objects.filter(action="cases.fee_online_payment_reconciled").count() == 1
    assert AuditEvent.objects.filter(action="cases.fee_online_payment_expired").count() == 1
    assert audit_verify() is None


def test_a_notification_arriving_while_reconciliation_records_the_payment_changes_nothing(hall):
    with time_machine.travel(MONDAY, tick=False):
        _fees, notice, attempt = started(hall)
        paid_at_platform(attempt)
    runs, outcome = [], {}

    def deliver():
        outcome["notify"] = fee_payment_attempt_notify(
            provider=SimulatedGatewayProvider(), notification=notification(attempt)
        )

    results = race(lambda: runs.append(fee_payment_attempts_reconcile(now=MONDAY + timedelta(minutes=6))), deliver)

    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)
    assert runs == [PaymentReconciliation(recorded=1)]
    assert outcome["notify"] == NotificationOutcome.ALREADY_RECORDED
    assert FeePayment.objects.get().notice_id == notice.pk
    assert AuditEvent.objects.filter(action="cases.fee_paid").count() == 1
    assert audit_verify() is None


def test_reconciliation_waiting_for_a_notification_finds_the_payment_recorded(hall):
    with time_machine.travel(MONDAY, tick=False):
        _fees, notice, attempt = started(hall)
        paid_at_platform(attempt)
    runs, outcome = [], {}
    asked, patch = asked_platform()

    def deliver():
        outcome["notify"] = fee_payment_attempt_notify(
            provider=SimulatedGatewayProvider(), notification=notification(attempt)
        )

    with patch:
        results = race(deliver, lambda: runs.append(fee_payment_attempts_reconcile(now=MONDAY + timedelta(minutes=6))))

    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)
    assert outcome["notify"] == NotificationOutcome.RECORDED
    assert runs == [PaymentReconciliation()]
    assert asked == []
    assert FeePayment.objects.get().notice_id == notice.pk
    assert not AuditEvent.objects.filter(action="cases.fee_online_payment_reconciled").exists()
    assert audit_verify() is None


def test_the_window_can_act_on_a_case_while_reconciliation_waits_for_the_platform(hall):
    with time_machine.travel(MONDAY, tick=False):
        _fees, notice, attempt = started(hall)
        paid_at_platform(attempt)
    asking, answer = threading.Event(), threading.Event()
    original = SimulatedGatewayProvider.query
    runs, locked = [], {}

    def slow_query(provider, *, reference):
        asking.set()
        answer.wait(10)  # a slow platform
        return original(provider, reference=reference)

    def run():
        try:
            runs.append(fee_payment_attempts_reconcile(now=MONDAY + timedelta(minutes=6)))
        finally:
            connection.close()

    with mock.patch.object(SimulatedGatewayProvider, "query", autospec=True, side_effect=slow_query):
        thread = threading.Thread(target=run)
        thread.start()
        assert asking.wait(10)
        try:
            with transaction.atomic():  # what every fee function at the window starts with: no waiting
                locked["case"] = Case.objects.select_for_update(nowait=True).get(pk=notice.case_id).pk
                locked["notice"] = FeeNotice.objects.select_for_update(nowait=True).get(pk=notice.pk).pk
                locked["attempt"] = PaymentAttempt.objects.select_for_update(nowait=True).get(pk=attempt.pk).pk
        finally:
            answer.set()
            thread.join(20)

    assert locked == {"case": notice.case_id, "notice": notice.pk, "attempt": attempt.pk}
    assert runs == [PaymentReconciliation(recorded=1)]
    assert FeePayment.objects.get().notice_id == notice.pk
    assert audit_verify() is None
