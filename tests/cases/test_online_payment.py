"""Online payment through a provider that confirms later (ADR 0014, "Asynchronous providers"): the order
(`PaymentAttempt`) opened before the payer goes to the cashier page, and the provider's notification that
records the payment — once, and only when it matches the order."""

import logging
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_fee_notice_cancel,
    case_fee_pay,
    fee_payment_attempt_notify,
    fee_payment_attempt_start,
)
from zhengwu.cases.domain.online_payment import NotificationOutcome, PaymentNotificationRefused, payment_order
from zhengwu.cases.enums import FeeNoticeState, PaymentAttemptState, PaymentMethod
from zhengwu.cases.models import FeeNotice, FeePayment, PaymentAttempt
from zhengwu.cases.payments import PaymentNotification, SimulatedGatewayProvider
from zhengwu.notifications.models import Message
from zhengwu.supervision.domain.sweep import supervision_sweep
from zhengwu.supervision.enums import AlertLevel, SweepKind
from zhengwu.supervision.models import Alert
from zhengwu.supervision.points import point_explain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("simulated")]

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
PROVIDER = SimulatedGatewayProvider()


@pytest.fixture
def simulated(settings):
    settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


def events(case, prefix="cases.fee") -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk), action__startswith=prefix)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def started(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    return case, notice, fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)


def notify(attempt, **kwargs) -> str:
    return fee_payment_attempt_notify(provider=PROVIDER, notification=notification(attempt, **kwargs))


def refused(attempt_or_notification, **kwargs) -> PaymentNotificationRefused:
    given = (
        attempt_or_notification
        if isinstance(attempt_or_notification, PaymentNotification)
        else notification(attempt_or_notification, **kwargs)
    )
    with pytest.raises(PaymentNotificationRefused) as error:
        fee_payment_attempt_notify(provider=PROVIDER, notification=given)
    return error.value


def assert_nothing_recorded(notice, attempt, state=PaymentAttemptState.STARTED):
    assert not FeePayment.objects.exists()
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.ISSUED
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == state


# ---------------------------------------------------------------- starting


@time_machine.travel(MONDAY, tick=False)
def test_starting_opens_an_order_for_the_notice_total(fees):
    case, notice, attempt = started(fees)

    assert (attempt.notice_id, attempt.payer, attempt.amount, attempt.provider, attempt.state) == (
        notice.pk,
        fees.hall.enterprise,
        TOTAL,
        "simulated",
        PaymentAttemptState.STARTED,
    )
    assert attempt.reference.startswith("ZW") and len(attempt.reference) == 26
    assert attempt.expires_at == MONDAY + timedelta(minutes=30)
    assert events(case) == ["cases.fee_notice_issued", "cases.fee_online_payment_started"]
    event = AuditEvent.objects.get(action="cases.fee_online_payment_started")
    assert event.actor_id == fees.hall.enterprise.pk
    assert event.before == {"notice_id": notice.pk, "superseded": None}
    assert event.after["reference"] == attempt.reference
    assert event.after["amount"] == "90.00"
    order = payment_order(attempt)
    assert order.return_url == f"http://127.0.0.1:8000/cases/mine/{case.number}/fees/online/{attempt.reference}/"
    assert order.notify_url == "http://127.0.0.1:8000/api/payments/notify/simulated/"
    assert (order.amount, order.notice_id, order.expires_at) == (TOTAL, notice.pk, attempt.expires_at)
    assert order.subject == f"{case.number} 食品经营许可证补办 缴费"
    assert not FeePayment.objects.exists()


def test_starting_again_while_the_order_is_open_reuses_it(fees):
    with time_machine.travel(MONDAY, tick=False):
        case, notice, first = started(fees)
    with time_machine.travel(MONDAY + timedelta(minutes=24), tick=False):
        again = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)

    assert again.pk == first.pk
    assert PaymentAttempt.objects.count() == 1
    assert events(case).count("cases.fee_online_payment_started") == 1


def test_an_order_about_to_lapse_is_replaced_by_a_new_one(fees):
    with time_machine.travel(MONDAY, tick=False):
        _case, notice, first = started(fees)
    with time_machine.travel(MONDAY + timedelta(minutes=26), tick=False):
        second = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)

    assert second.pk != first.pk
    assert PaymentAttempt.objects.get(pk=first.pk).state == PaymentAttemptState.EXPIRED
    assert second.state == PaymentAttemptState.STARTED
    event = AuditEvent.objects.filter(action="cases.fee_online_payment_started").order_by("seq").last()
    assert event.before == {"notice_id": notice.pk, "superseded": first.reference}


def test_only_the_applicant_starts_an_online_payment_of_an_unpaid_notice(fees):
    case = fees.decided_case()
    notice = fees.notice(case)

    for actor in (fees.hall.other_enterprise, fees.fee_clerk):
        with pytest.raises(ValidationError) as error:
            fee_payment_attempt_start(actor=actor, notice=notice)
        assert error.value.messages == ["该事项不支持网上支付，或您不是该办件的申请人。"]

    case_fee_pay(actor=fees.fee_clerk, notice=notice, method=PaymentMethod.CASH, amount=TOTAL)
    with pytest.raises(ValidationError) as error:
        fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    assert error.value.messages == ["缴费通知当前状态为“已缴费”，不能缴费。"]
    assert not PaymentAttempt.objects.exists()
    assert "cases.fee_online_payment_started" not in events(case)


@override_settings(ZHENGWU_PAYMENT_BACKEND="zhengwu.cases.payments.DevelopmentPaymentProvider")
def test_a_provider_that_confirms_at_once_needs_no_order(fees):
    notice = fees.notice(fees.decided_case())

    with pytest.raises(ValidationError) as error:
        fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)

    assert error.value.messages == ["当前支付渠道不需要发起支付订单。"]
    assert not PaymentAttempt.objects.exists()


# ---------------------------------------------------------------- notifications


def test_a_paid_notification_records_the_payment_under_the_payer(fees):
    case, notice, attempt = started(fees)
    sent = notification(attempt)

    assert fee_payment_attempt_notify(provider=PROVIDER, notification=sent) == NotificationOutcome.RECORDED

    payment = FeePayment.objects.get(notice=notice)
    assert (payment.method, payment.amount, payment.collected_by, payment.window) == (
        "online",
        TOTAL,
        fees.hall.enterprise,
        None,
    )
    assert payment.provider_reference == sent.provider_reference
    assert sent.provider_reference.startswith(f"SIM-{attempt.reference}-")
    attempt.refresh_from_db()
    assert (attempt.state, attempt.payment, attempt.provider_reference) == (
        PaymentAttemptState.PAID,
        payment,
        sent.provider_reference,
    )
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PAID
    assert events(case) == ["cases.fee_notice_issued", "cases.fee_online_payment_started", "cases.fee_paid"]
    paid = AuditEvent.objects.get(action="cases.fee_paid")
    assert (paid.actor_id, paid.after["method"], paid.after["receipt_number"]) == (
        fees.hall.enterprise.pk,
        "online",
        payment.receipt_number,
    )
    assert Message.objects.filter(recipient=fees.hall.enterprise, category="case.fee_paid").count() == 1
    assert audit_verify() is None


def test_a_repeated_notification_acknowledges_and_changes_nothing(fees):
    _case, _notice, attempt = started(fees)
    notify(attempt)
    attempt.refresh_from_db()
    audit_count = AuditEvent.objects.count()

    assert notify(attempt) == NotificationOutcome.ALREADY_RECORDED
    assert notify(attempt) == NotificationOutcome.ALREADY_RECORDED

    assert FeePayment.objects.count() == 1
    assert AuditEvent.objects.count() == audit_count
    assert PaymentAttempt.objects.get(pk=attempt.pk).updated_at == attempt.updated_at
    assert Message.objects.filter(recipient=fees.hall.enterprise, category="case.fee_paid").count() == 1


def test_a_failed_notification_closes_the_order_and_a_new_one_can_be_started(fees):
    case, notice, attempt = started(fees)

    assert notify(attempt, paid=False) == NotificationOutcome.FAILED

    assert_nothing_recorded(notice, attempt, state=PaymentAttemptState.FAILED)
    assert events(case)[-1] == "cases.fee_online_payment_failed"
    again = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
    assert again.pk != attempt.pk
    assert again.state == PaymentAttemptState.STARTED
    assert notify(attempt, paid=False) == NotificationOutcome.IGNORED


def test_a_failure_reported_after_the_payment_changes_nothing(fees):
    _case, notice, attempt = started(fees)
    notify(attempt)

    assert notify(attempt, paid=False) == NotificationOutcome.IGNORED

    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.PAID
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PAID


def test_money_received_after_the_order_timed_out_or_was_reported_failed_is_still_recorded(fees):
    with time_machine.travel(MONDAY, tick=False):
        _case, notice, first = started(fees)
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        second = fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)
        notify(second, paid=False)

        assert notify(first) == NotificationOutcome.RECORDED

    assert PaymentAttempt.objects.get(pk=first.pk).state == PaymentAttemptState.PAID
    assert FeePayment.objects.get().notice_id == notice.pk


@pytest.mark.parametrize("amount", ["89.99", "90.01", "9.00"])
def test_an_amount_that_differs_from_the_order_is_refused(fees, caplog, amount):
    _case, notice, attempt = started(fees)
    audit_count = AuditEvent.objects.count()

    with caplog.at_level(logging.WARNING, logger="zhengwu.cases.domain.online_payment"):
        error = refused(attempt, amount=amount)

    assert error.code == "amount_mismatch"
    assert error.message == f"支付金额 {amount} 元与订单金额 90.00 元不符。"
    assert attempt.reference in caplog.text and "amount_mismatch" in caplog.text
    assert_nothing_recorded(notice, attempt)
    assert AuditEvent.objects.count() == audit_count


def test_a_failure_report_with_another_amount_is_refused_too(fees):
    _case, notice, attempt = started(fees)

    assert refused(attempt, paid=False, amount="1.00").code == "amount_mismatch"
    assert_nothing_recorded(notice, attempt)


def test_a_notification_naming_another_notice_is_refused(fees):
    _case, notice, attempt = started(fees)
    other = fees.notice(fees.decided_case())

    assert refused(attempt, notice_id=str(other.pk)).code == "notice_mismatch"
    assert_nothing_recorded(notice, attempt)


def test_an_unknown_order_is_refused(fees, caplog):
    _case, notice, attempt = started(fees)
    forged = PaymentNotification(reference="ZW" + "0" * 24, amount=TOTAL, paid=True, provider_reference="SIM-x-y")

    with caplog.at_level(logging.WARNING, logger="zhengwu.cases.domain.online_payment"):
        error = refused(forged)

    assert (error.code, error.message) == ("unknown_order", "未知的支付订单。")
    assert "ZW000000000000000000000000" in caplog.text
    assert_nothing_recorded(notice, attempt)


def test_an_order_opened_with_another_provider_is_unknown_to_this_one(fees):
    _case, _notice, attempt = started(fees)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(provider="bank")

    assert refused(attempt).code == "unknown_order"
    assert not FeePayment.objects.exists()


def test_a_payment_the_provider_does_not_confirm_is_refused(fees):
    _case, notice, attempt = started(fees)
    forged = notification(attempt, trade_no=f"SIM-{attempt.reference}-{'0' * 24}")

    error = refused(forged)

    assert (error.code, error.message) == ("not_confirmed", "未能确认网上支付结果，请重新支付。")
    assert_nothing_recorded(notice, attempt)


def test_a_paid_notification_without_a_transaction_number_is_refused(fees):
    _case, notice, attempt = started(fees)

    assert refused(attempt, trade_no="").code == "no_reference"
    assert_nothing_recorded(notice, attempt)


def test_an_order_number_with_a_nul_is_unknown(fees):
    _case, notice, attempt = started(fees)
    reference = f"{attempt.reference}\x00"
    forged = PaymentNotification(reference=reference, amount=TOTAL, paid=True, provider_reference="SIM-x")

    assert refused(forged).code == "unknown_order"
    assert_nothing_recorded(notice, attempt)


def test_a_transaction_number_with_a_nul_is_refused_even_for_money_kept_as_unrecorded(fees):
    _case, notice, attempt = started(fees)
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method=PaymentMethod.CASH, amount=TOTAL)

    error = refused(attempt, trade_no="SIM-\x00")

    assert (error.code, error.message) == ("bad_reference", "支付流水号含有空字符。")
    attempt.refresh_from_db()
    assert (attempt.state, attempt.provider_reference) == (PaymentAttemptState.STARTED, "")
    assert not AuditEvent.objects.filter(action="cases.fee_online_payment_unrecorded").exists()


def test_a_second_transaction_on_a_paid_order_is_refused(fees):
    _case, _notice, attempt = started(fees)
    notify(attempt)

    error = refused(attempt, trade_no="SIM-another-transaction")

    assert error.code == "second_payment"
    assert FeePayment.objects.count() == 1


def test_money_for_a_notice_paid_at_the_window_meanwhile_is_kept_as_unrecorded(fees, caplog):
    case, notice, attempt = started(fees)
    cash = case_fee_pay(actor=fees.fee_clerk, notice=notice, method=PaymentMethod.CASH, amount=TOTAL)
    sent = notification(attempt)

    with caplog.at_level(logging.ERROR, logger="zhengwu.cases.domain.online_payment"):
        outcome = fee_payment_attempt_notify(provider=PROVIDER, notification=sent)

    assert outcome == NotificationOutcome.UNRECORDED
    assert list(FeePayment.objects.all()) == [cash]
    attempt.refresh_from_db()
    assert (attempt.state, attempt.provider_reference, attempt.problem, attempt.payment) == (
        PaymentAttemptState.UNRECORDED,
        sent.provider_reference,
        "缴费通知当前状态为“已缴费”。",
        None,
    )
    event = AuditEvent.objects.get(action="cases.fee_online_payment_unrecorded")
    assert event.actor_repr == "system:payment:simulated"
    assert event.after["provider_reference"] == sent.provider_reference
    assert event.after["department_id"] == case.department_id
    assert f"网上支付已到账但未能入账，须经支付渠道退回：办件 {case.number}" in caplog.text
    assert fee_payment_attempt_notify(provider=PROVIDER, notification=sent) == NotificationOutcome.ALREADY_RECORDED
    assert AuditEvent.objects.filter(action="cases.fee_online_payment_unrecorded").count() == 1


def test_unrecorded_money_is_a_fee_warning_for_supervision(fees):
    case, notice, attempt = started(fees)
    case_fee_pay(actor=fees.fee_clerk, notice=notice, method=PaymentMethod.CASH, amount=TOTAL)
    assert notify(attempt) == NotificationOutcome.UNRECORDED

    supervision_sweep(kind=SweepKind.FULL)

    [alert] = Alert.objects.filter(point__code="approval.fees")
    assert (alert.object_id, alert.level, alert.department_id) == (str(case.pk), AlertLevel.WARNING, case.department_id)
    assert point_explain("approval.fees", alert.details)[1:] == [
        "网上支付款项已到账但未能入账，须经支付渠道退回缴费人。"
    ]


def test_money_for_a_cancelled_notice_is_kept_as_unrecorded(fees):
    _case, notice, attempt = started(fees)
    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="开错了")

    assert notify(attempt) == NotificationOutcome.UNRECORDED

    assert PaymentAttempt.objects.get(pk=attempt.pk).problem == "缴费通知当前状态为“已作废”。"
    assert not FeePayment.objects.exists()
