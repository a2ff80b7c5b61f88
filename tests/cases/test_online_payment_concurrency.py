"""A payment platform's notifications racing each other or the fee window: one payment, whatever the order; two
clerks returning unrecorded money at once: returned once.

PostgreSQL only (row locks); skipped on SQLite at runtime."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.accounts.factories import make_staff
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification
from tests.concurrency import race
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_fee_pay,
    fee_payment_attempt_notify,
    fee_payment_attempt_return,
    fee_payment_attempt_start,
)
from zhengwu.cases.domain.online_payment import NotificationOutcome
from zhengwu.cases.enums import FeeNoticeState, PaymentAttemptState
from zhengwu.cases.models import FeeNotice, FeePayment, FeeReceiptCounter, PaymentAttempt
from zhengwu.cases.payments import SimulatedGatewayProvider

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
