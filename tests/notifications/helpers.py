"""Test gateways and e-mail backends that fail on purpose."""

import smtplib

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
