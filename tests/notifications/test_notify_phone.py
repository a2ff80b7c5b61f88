"""notify_phone(): an SMS to a bare phone number (someone without an account), through the same deliveries as
notify(): created inside the caller's transaction, sent only after it commits, retried, never in an inbox."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction

from zhengwu.notifications.domain import deliveries_retry, inbox_messages, notify_phone, unread_message_count
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Delivery, Message
from zhengwu.notifications.rules import can_read_message

SUBJECT = "您的申请已受理：000201001000202603020001"
BODY = "受理时间：2026-03-02 10:00\n承诺办结期限：2026-03-30 前。"
SMS_TEXT = f"【青川政务】{SUBJECT}：受理时间：2026-03-02 10:00 承诺办结期限：2026-03-30 前。"
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _notify_phone(phone="13953600009", **overrides):
    arguments = {"phone": phone, "category": Category.CASE_ACCEPTED, "subject": SUBJECT, "body": BODY}
    return notify_phone(**(arguments | overrides))


def _deliveries() -> list[tuple]:
    return list(Delivery.objects.values_list("channel", "address", "state", "attempts", "last_error"))


@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_a_phone_number_gets_one_sms_after_commit_and_a_message_in_no_inbox(
    citizen, staff, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        message = _notify_phone(actor=staff)

        assert sms_outbox == []
    assert len(callbacks) == 1

    callbacks[0]()

    message.refresh_from_db()
    assert (message.recipient, message.sender, message.category, message.subject, message.body, message.link) == (
        None,
        staff,
        "case.accepted",
        SUBJECT,
        BODY,
        "",
    )
    assert (message.in_inbox, message.created_at) == (False, AT)
    assert _deliveries() == [("sms", "13953600009", "sent", 1, "")]
    assert [(sms.phone, sms.text) for sms in sms_outbox] == [("13953600009", SMS_TEXT)]
    assert Delivery.objects.get().provider_reference == sms_outbox[0].reference
    assert list(inbox_messages(citizen)) == []
    assert unread_message_count(citizen) == 0
    assert can_read_message(citizen, message) is False


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_file_gateway_holds_the_text_to_the_number(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ZHENGWU_SMS_FILE = ""
    settings.ZHENGWU_SMS_BACKEND = "zhengwu.notifications.backends.FileSmsGateway"

    with transaction.atomic():
        _notify_phone(phone="139 5360-0009")
        assert not (tmp_path / "sms.log").exists()

    [line] = (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert (record["phone"], record["text"]) == ("13953600009", SMS_TEXT)
    assert Delivery.objects.values_list("state", "provider_reference").get() == ("sent", record["reference"])


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_creates_nothing_and_sends_nothing(sms_outbox):
    class ChangeFailed(Exception):
        pass

    with pytest.raises(ChangeFailed), transaction.atomic():
        _notify_phone()
        raise ChangeFailed

    assert Message.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert sms_outbox == []


@pytest.mark.parametrize("phone", ["", "   ", None])
@pytest.mark.django_db
def test_no_number_means_no_message(phone, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _notify_phone(phone=phone) is None

    assert callbacks == []
    assert Message.objects.count() == 0
    assert sms_outbox == []


@pytest.mark.django_db
def test_a_number_that_is_not_a_mobile_gets_a_skipped_delivery_with_the_reason(
    sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _notify_phone(phone="0536-8881234")

    assert callbacks == []  # nothing to send
    assert _deliveries() == [("sms", "05368881234", "skipped", 0, "不是手机号码，无法发送短信。")]
    assert sms_outbox == []


@pytest.mark.django_db
def test_a_failed_text_is_retried_by_the_sweep(settings, sms_outbox, django_capture_on_commit_callbacks):
    settings.ZHENGWU_SMS_BACKEND = "tests.notifications.helpers.RefusingSmsGateway"
    with django_capture_on_commit_callbacks(execute=True):
        _notify_phone()
    assert _deliveries() == [("sms", "13953600009", "failed", 1, "网关拒绝：余额不足")]

    settings.ZHENGWU_SMS_BACKEND = "zhengwu.notifications.backends.LocmemSmsGateway"
    assert deliveries_retry() == 1

    assert _deliveries() == [("sms", "13953600009", "sent", 2, "")]
    assert [(sms.phone, sms.text) for sms in sms_outbox] == [("13953600009", SMS_TEXT)]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"category": "case.unknown"}, {"category": ["未知的消息类别：case.unknown。"]}),
        ({"subject": "   "}, {"subject": ["消息标题不能为空。"]}),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_and_creates_nothing(overrides, errors, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as excinfo:
        _notify_phone(**overrides)

    assert excinfo.value.message_dict == errors
    assert callbacks == []
    assert Message.objects.count() == 0
