"""notify(): messages and deliveries are created inside the caller's transaction and sent only after it commits."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from zhengwu.notifications.domain import notify
from zhengwu.notifications.domain.delivery import deliveries_sent_in_process
from zhengwu.notifications.enums import Category, Channel, DeliveryState
from zhengwu.notifications.models import Delivery, Message

SUBJECT = "您的申请已受理"
BODY = "办件编号 2026112300001，承诺办结时限 20 个工作日。"
SMS_TEXT = "【青川政务】您的申请已受理：办件编号 2026112300001，承诺办结时限 20 个工作日。 https://zwfw.example.gov.cn/cases/1/"


def _notify(recipients, **overrides):
    arguments = {
        "recipients": recipients,
        "category": Category.CASE_ACCEPTED,
        "subject": SUBJECT,
        "body": BODY,
        "link": "/cases/1/",
    }
    arguments.update(overrides)
    return notify(**arguments)


def _deliveries(message) -> dict[str, tuple]:
    return {
        delivery.channel: (delivery.address, delivery.state, delivery.attempts, delivery.last_error)
        for delivery in message.deliveries.all()
    }


@pytest.mark.django_db
def test_notify_creates_the_message_and_sends_sms_and_email_after_commit(
    citizen, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        [message] = _notify([citizen])

        assert sms_outbox == []
        assert mail.outbox == []
    assert len(callbacks) == 1

    callbacks[0]()

    message.refresh_from_db()
    assert (message.recipient, message.category, message.subject, message.body, message.link) == (
        citizen,
        "case.accepted",
        SUBJECT,
        BODY,
        "/cases/1/",
    )
    assert message.in_inbox is True
    assert message.read_at is None
    assert _deliveries(message) == {
        "inapp": ("", "sent", 1, ""),
        "sms": ("13812345678", "sent", 1, ""),
        "email": ("zhangsan@example.cn", "sent", 1, ""),
    }
    assert [(sms.phone, sms.text) for sms in sms_outbox] == [("13812345678", SMS_TEXT)]
    sms_delivery = message.deliveries.get(channel=Channel.SMS)
    assert sms_delivery.provider_reference == sms_outbox[0].reference
    [email] = mail.outbox
    assert email.to == ["zhangsan@example.cn"]
    assert email.subject == SUBJECT
    assert email.extra_headers["Message-ID"] == message.deliveries.get(channel=Channel.EMAIL).provider_reference
    assert email.body == (
        "您的申请已受理\n\n"
        "办件编号 2026112300001，承诺办结时限 20 个工作日。\n\n"
        "详情请查看：https://zwfw.example.gov.cn/cases/1/\n\n"
        "政务服务平台\n"
        "本邮件由系统自动发送，请勿直接回复。\n"
    )


AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("recipients", [1, 2], ids=["one recipient", "several recipients"])
@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_without_a_broker_sms_and_email_go_in_already_claimed_by_this_process(
    citizen, other_citizen, recipients, sms_outbox
):
    other_citizen.email = ""
    other_citizen.save(update_fields=["email"])

    messages = _notify([citizen, other_citizen][:recipients])

    rows = Delivery.objects.filter(message__in=messages).order_by("message", "channel")
    assert [
        (row.message.recipient, row.channel, row.state, row.attempts, row.claimed_at, row.created_at, row.sent_at)
        for row in rows
    ] == [
        (citizen, "email", "sending", 1, AT, AT, None),
        (citizen, "inapp", "sent", 1, None, AT, AT),
        (citizen, "sms", "sending", 1, AT, AT, None),
        (other_citizen, "email", "skipped", 0, None, AT, None),
        (other_citizen, "inapp", "sent", 1, None, AT, AT),
        (other_citizen, "sms", "sending", 1, AT, AT, None),
    ][: 3 * recipients]
    assert sms_outbox == []  # the test's transaction has not committed


@pytest.mark.django_db
def test_with_a_broker_sms_and_email_go_in_pending(citizen, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = _notify([citizen])

    assert sorted(message.deliveries.values_list("channel", "state", "attempts", "claimed_at")) == [
        ("email", "pending", 0, None),
        ("inapp", "sent", 1, None),
        ("sms", "pending", 0, None),
    ]
    assert [sorted(ids) for ids in broker] == [
        sorted(message.deliveries.exclude(channel="inapp").values_list("pk", flat=True))
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_creates_nothing_and_sends_nothing(citizen, sms_outbox):
    class ChangeFailed(Exception):
        pass

    assert deliveries_sent_in_process() is True  # the deliveries go in claimed by this process
    with pytest.raises(ChangeFailed), transaction.atomic():
        _notify([citizen])
        raise ChangeFailed

    assert Message.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert sms_outbox == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_rolled_back_savepoint_sends_nothing_when_the_outer_transaction_commits(
    citizen, sms_outbox, django_capture_on_commit_callbacks
):
    class ChangeFailed(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        with pytest.raises(ChangeFailed), transaction.atomic():
            _notify([citizen])
            raise ChangeFailed
        [kept] = _notify([citizen], channels=("inapp",))

    assert callbacks == []
    assert list(Message.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(Delivery.objects.values_list("channel", "state")) == [("inapp", "sent")]
    assert sms_outbox == []
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_file_gateway_holds_one_json_line(citizen, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ZHENGWU_SMS_FILE = ""
    settings.ZHENGWU_SMS_BACKEND = "zhengwu.notifications.backends.FileSmsGateway"

    with transaction.atomic():
        [message] = _notify([citizen], channels=("sms",))
        assert not (tmp_path / "sms.log").exists()

    lines = (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    delivery = Delivery.objects.get(message=message)
    assert (delivery.state, delivery.attempts, delivery.provider_reference) == ("sent", 1, record["reference"])
    assert record["reference"].startswith("file-")
    assert sorted(record) == ["at", "phone", "reference", "text"]
    assert (record["phone"], record["text"]) == ("13812345678", SMS_TEXT)


@pytest.mark.django_db
def test_a_recipient_without_phone_or_email_gets_skipped_deliveries_with_the_reason(
    other_citizen, sms_outbox, django_capture_on_commit_callbacks
):
    other_citizen.phone = ""
    other_citizen.save(update_fields=["phone"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [message] = _notify([other_citizen])

    assert callbacks == []  # nothing to send
    assert _deliveries(message) == {
        "inapp": ("", "sent", 1, ""),
        "sms": ("", "skipped", 0, "未登记手机号码。"),
        "email": ("", "skipped", 0, "未登记电子邮箱。"),
    }
    assert sms_outbox == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_inactive_recipient_gets_the_message_but_no_sms_or_email(citizen, django_capture_on_commit_callbacks):
    citizen.is_active = False
    citizen.save(update_fields=["is_active"])

    with django_capture_on_commit_callbacks(execute=True):
        [message] = _notify([citizen])

    assert _deliveries(message) == {
        "inapp": ("", "sent", 1, ""),
        "sms": ("13812345678", "skipped", 0, "账户已停用。"),
        "email": ("zhangsan@example.cn", "skipped", 0, "账户已停用。"),
    }


@pytest.mark.django_db
def test_channels_choose_the_deliveries_and_whether_the_inbox_shows_it(
    citizen, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [inbox_only] = _notify([citizen], channels=("inapp",))
        [sms_only] = _notify([citizen], channels=["sms", "sms"])

    assert _deliveries(inbox_only) == {"inapp": ("", "sent", 1, "")}
    assert inbox_only.in_inbox is True
    assert _deliveries(sms_only) == {"sms": ("13812345678", "sent", 1, "")}
    assert sms_only.in_inbox is False
    assert len(sms_outbox) == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_each_recipient_is_told_once_and_the_triggering_user_is_kept(
    citizen, other_citizen, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        messages = _notify([citizen, other_citizen, citizen], channels=("inapp",), actor=staff)
        system = _notify([citizen], channels=("inapp",), actor="system:sweep")

    assert [message.recipient for message in messages] == [citizen, other_citizen]
    assert {message.sender for message in messages} == {staff}
    assert system[0].sender is None
    assert Message.objects.count() == 3


@pytest.mark.django_db
def test_no_recipients_means_no_messages(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert _notify([]) == []

    assert callbacks == []
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_subject_whitespace_is_collapsed_so_it_is_a_valid_mail_header(citizen):
    [message] = _notify([citizen], subject="  您的申请\n已受理 ", channels=("inapp",))

    assert message.subject == "您的申请 已受理"


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"category": "case.unknown"}, {"category": ["未知的消息类别：case.unknown。"]}),
        ({"subject": "   "}, {"subject": ["消息标题不能为空。"]}),
        ({"subject": "长" * 201}, {"subject": ["消息标题不能超过 200 个字符。"]}),
        ({"link": "https://evil.example.com/"}, {"link": ["链接必须是本站的相对地址（以 / 开头）。"]}),
        ({"link": "//evil.example.com/"}, {"link": ["链接必须是本站的相对地址（以 / 开头）。"]}),
        ({"channels": ()}, {"channels": ["至少选择一个发送渠道。"]}),
        ({"channels": ("sms", "wechat")}, {"channels": ["未知的发送渠道：wechat。"]}),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_and_creates_nothing(citizen, overrides, errors, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as excinfo:
        _notify([citizen], **overrides)

    assert excinfo.value.message_dict == errors
    assert callbacks == []
    assert Message.objects.count() == 0
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_recipients_must_be_saved_users(citizen):
    with pytest.raises(ValidationError) as excinfo:
        _notify([citizen, "13812345678"])

    assert excinfo.value.messages == ["消息接收人必须是已保存的用户。"]
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_pending_deliveries_left_by_an_unreachable_broker_do_not_fail_the_commit(
    citizen, broker, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("zhengwu.notifications.tasks.deliver_pending.delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        [message] = _notify([citizen])

    assert sorted(message.deliveries.values_list("channel", "state")) == [
        ("email", DeliveryState.PENDING),
        ("inapp", DeliveryState.SENT),
        ("sms", DeliveryState.PENDING),
    ]
