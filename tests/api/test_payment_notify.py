"""The payment platforms' notification endpoint, /api/payments/notify/<provider>/ (ADR 0014): signed POSTs from
the platform, answered in the body the platform expects."""

import pytest
from django.test import override_settings

from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.online_payment_setup import SIMULATED, notification_fields
from zhengwu.cases.domain import fee_payment_attempt_start
from zhengwu.cases.enums import FeeNoticeState, PaymentAttemptState
from zhengwu.cases.models import FeeNotice, FeePayment, PaymentAttempt

pytestmark = pytest.mark.django_db

URL = "/api/payments/notify/simulated/"


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


@pytest.fixture
def attempt(fees, settings):
    settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED
    notice = fees.notice(fees.decided_case())
    return fee_payment_attempt_start(actor=fees.hall.enterprise, notice=notice)


def post(client, fields):
    return client.post(URL, fields)


def test_a_signed_paid_notification_records_the_payment_and_is_acknowledged(client, attempt):
    response = post(client, notification_fields(attempt))

    assert (response.status_code, response.content) == (200, b"success")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"].startswith("max-age=0")
    payment = FeePayment.objects.get()
    assert (payment.notice_id, payment.amount, payment.method) == (attempt.notice_id, TOTAL, "online")
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.PAID


def test_the_same_notification_sent_again_is_acknowledged_once_recorded(client, attempt):
    fields = notification_fields(attempt)
    answers = [post(client, fields).content for _ in range(3)]

    assert answers == [b"success", b"success", b"success"]
    assert FeePayment.objects.count() == 1


def test_a_failed_payment_is_acknowledged_and_records_nothing(client, attempt):
    response = post(client, notification_fields(attempt, paid=False))

    assert (response.status_code, response.content) == (200, b"success")
    assert not FeePayment.objects.exists()
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.FAILED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda fields: {**fields, "amount": "0.01"},  # changed after signing
        lambda fields: {**fields, "sign": "0" * 64},
        lambda fields: {key: value for key, value in fields.items() if key != "sign"},
        lambda fields: {},
    ],
)
def test_a_bad_signature_is_answered_400_and_changes_nothing(client, attempt, tamper, caplog):
    response = post(client, tamper(notification_fields(attempt)))

    assert (response.status_code, response.content) == (400, b"fail")
    assert not FeePayment.objects.exists()
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.STARTED
    assert "网上支付通知签名或格式不正确（渠道 simulated）" in caplog.text


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": "1.00"},
        {"out_trade_no": "ZW" + "0" * 24},
        {"notice_id": "999999"},
        {"trade_no": "SIM-forged-000000000000000000000000"},
    ],
)
def test_a_signed_notification_that_does_not_match_the_order_is_refused(client, attempt, changes):
    response = post(client, notification_fields(attempt, **changes))

    assert (response.status_code, response.content) == (200, b"fail")
    assert not FeePayment.objects.exists()
    assert FeeNotice.objects.get(pk=attempt.notice_id).state == FeeNoticeState.ISSUED
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttemptState.STARTED


def test_only_posts_for_the_configured_asynchronous_provider_are_taken(client, attempt):
    fields = notification_fields(attempt)

    assert client.get(URL).status_code == 405
    assert client.post("/api/payments/notify/bank/", fields).status_code == 404
    with override_settings(ZHENGWU_PAYMENT_BACKEND="zhengwu.cases.payments.DevelopmentPaymentProvider"):
        assert client.post("/api/payments/notify/development/", fields).status_code == 404
        assert client.post(URL, fields).status_code == 404
    with override_settings(ZHENGWU_PAYMENT_BACKEND="", DEBUG=False, TESTING=False):
        assert client.post(URL, fields).status_code == 404
    assert not FeePayment.objects.exists()


def test_the_platform_needs_no_session_or_csrf_token(attempt):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, notification_fields(attempt))

    assert response.content == b"success"
