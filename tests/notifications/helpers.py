"""Test gateways and e-mail backends that fail on purpose; Celery as with a broker."""

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.mail.backends.base import BaseEmailBackend

from zhengwu.notifications.backends import SentSms, SmsError, SmsGateway, sms_outbox

# How many more times FlakySmsGateway fails before it sends.
flaky = {"failures_left": 0}


class RefusingSmsGateway(SmsGateway):
    def send(self, phone: str, text: str) -> str:
        raise SmsError("网关拒绝：余额不足")


class FlakySmsGateway(SmsGateway):
    def send(self, phone: str, text: str) -> str:
        if flaky["failures_left"] > 0:
            flaky["failures_left"] -= 1
            raise SmsError("网关超时")
        sms_outbox.append(SentSms(phone=phone, text=text, reference="flaky-ok"))
        return "flaky-ok"


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@contextmanager
def broker_configured() -> Iterator[None]:
    """Celery as with CELERY_BROKER_URL set (tasks not eager), so notify() inserts its deliveries pending. A test
    whose after-commit hook runs also replaces `deliver_pending.delay` (the `broker` fixture)."""
    from zhengwu.notifications.tasks import deliver_pending

    conf = deliver_pending.app.conf
    eager = conf.task_always_eager
    conf.task_always_eager = False  # not monkeypatch: Celery's settings do not restore that way
    try:
        yield
    finally:
        conf.task_always_eager = eager
