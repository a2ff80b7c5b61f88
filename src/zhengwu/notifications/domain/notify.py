"""notify(): create the messages and their deliveries inside the caller's transaction; send after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.notifications.enums import ALL_CHANNELS, Category, Channel, DeliveryState
from zhengwu.notifications.models import Delivery, Message
from zhengwu.notifications.versions import unread_changed

logger = logging.getLogger("zhengwu.notifications")

SUBJECT_MAX_LENGTH = Message._meta.get_field("subject").max_length
LINK_MAX_LENGTH = Message._meta.get_field("link").max_length


def _validate(*, category: str, subject: str, link: str, channels: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = _("未知的消息类别：%(code)s。") % {"code": category}
    if not subject:
        errors["subject"] = _("消息标题不能为空。")
    elif len(subject) > SUBJECT_MAX_LENGTH:
        errors["subject"] = _("消息标题不能超过 %(max)d 个字符。") % {"max": SUBJECT_MAX_LENGTH}
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > LINK_MAX_LENGTH):
        errors["link"] = _("链接必须是本站的相对地址（以 / 开头）。")
    if not channels:
        errors["channels"] = _("至少选择一个发送渠道。")
    elif unknown := [channel for channel in channels if channel not in Channel.values]:
        errors["channels"] = _("未知的发送渠道：%(codes)s。") % {"codes": "、".join(unknown)}
    return errors


def _outbound(recipient: AbstractBaseUser, channel: str) -> tuple[str, str, str]:
    """(address, state, reason) of a recipient's SMS or e-mail delivery."""
    address = (recipient.phone if channel == Channel.SMS else recipient.email) or ""
    if not recipient.is_active:
        return address, DeliveryState.SKIPPED, _("账户已停用。")
    if not address.strip():
        reason = _("未登记手机号码。") if channel == Channel.SMS else _("未登记电子邮箱。")
        return "", DeliveryState.SKIPPED, reason
    return address, DeliveryState.PENDING, ""


def _send_after_commit(ids: list[int]):
    # A function, not functools.partial: Django logs a failed robust callback by its __qualname__.
    def send_after_commit() -> None:
        from zhengwu.notifications.tasks import deliver_pending

        deliver_pending.delay(ids)

    return send_after_commit


def notify(
    *,
    recipients: Iterable[AbstractBaseUser],
    category: str,
    subject: str,
    body: str,
    link: str = "",
    channels: Iterable[str] = ALL_CHANNELS,
    actor: Any = None,
) -> list[Message]:
    """Tell each recipient once: a message (shown in the inbox when "inapp" is among the channels) and a
    delivery per channel. Call it inside the transaction of the change being notified: SMS and e-mail
    are handed to the background task only after that transaction commits, so a rolled-back change
    sends nothing (and leaves no message). A recipient without a phone number or e-mail address gets a
    `skipped` delivery with the reason.
    """
    subject = " ".join(str(subject).split())
    body = str(body).strip()
    link = str(link or "").strip()
    channels = tuple(dict.fromkeys(str(channel) for channel in channels))
    errors = _validate(category=category, subject=subject, link=link, channels=channels)
    if errors:
        raise ValidationError(errors)
    unique: dict[int, AbstractBaseUser] = {}
    for recipient in recipients:
        if not isinstance(recipient, AbstractBaseUser) or recipient.pk is None:
            raise ValidationError(_("消息接收人必须是已保存的用户。"))
        unique.setdefault(recipient.pk, recipient)
    if not unique:
        return []
    sender = actor if isinstance(actor, AbstractBaseUser) and actor.pk else None
    now = timezone.now()
    messages = [
        Message(
            recipient=recipient,
            category=category,
            subject=subject,
            body=body,
            link=link,
            in_inbox=Channel.INAPP in channels,
            sender=sender,
            created_at=now,
        )
        for recipient in unique.values()
    ]
    connection = transaction.get_connection()
    with transaction.atomic(savepoint=False):  # only inserts below: no savepoint needed
        if len(messages) == 1 and connection.vendor == "postgresql":
            deliveries = _insert_one(connection, messages[0], _deliveries(messages, channels, now))
        else:
            Message.objects.bulk_create(messages)
            deliveries = Delivery.objects.bulk_create(_deliveries(messages, channels, now))
        if Channel.INAPP in channels:
            unread_changed(unique)
        pending = [delivery.pk for delivery in deliveries if delivery.state == DeliveryState.PENDING]
        if pending:
            # robust: a broker that cannot be reached must not fail the committed request; the sweep
            # (deliveries_retry) picks up deliveries left pending.
            transaction.on_commit(_send_after_commit(pending), robust=True)
    return messages


def _deliveries(messages: list[Message], channels: tuple[str, ...], now: datetime) -> list[Delivery]:
    """A delivery per message and channel: in-app ones sent at once, outbound ones pending or skipped."""
    deliveries: list[Delivery] = []
    for message in messages:
        for channel in channels:
            if channel == Channel.INAPP:
                deliveries.append(
                    Delivery(
                        message=message,
                        channel=channel,
                        state=DeliveryState.SENT,
                        attempts=1,
                        created_at=now,
                        sent_at=now,
                    )
                )
                continue
            address, state, reason = _outbound(message.recipient, channel)
            deliveries.append(
                Delivery(
                    message=message,
                    channel=channel,
                    address=address,
                    state=state,
                    last_error=reason,
                    created_at=now,
                )
            )
    return deliveries


_MESSAGE_FIELDS = [f for f in Message._meta.concrete_fields if not f.primary_key]
_DELIVERY_FIELDS = [f for f in Delivery._meta.concrete_fields if not f.primary_key and f.name != "message"]
_INSERT_SQL: dict[int, str] = {}


def _cast(field: Any, connection: Any) -> str:
    db_type = field.db_type(connection)
    # varchar(n) casts would truncate silently; text is checked against the column's length on insert
    return "%s::" + ("text" if db_type.startswith("varchar") else db_type)


def _insert_sql(connection: Any, deliveries: int) -> str:
    sql = _INSERT_SQL.get(deliveries)
    if sql is None:
        quote = connection.ops.quote_name
        message_columns = ", ".join(quote(f.column) for f in _MESSAGE_FIELDS)
        delivery_columns = ", ".join(quote(f.column) for f in _DELIVERY_FIELDS)
        message_row = ", ".join(_cast(f, connection) for f in _MESSAGE_FIELDS)
        delivery_row = "(" + ", ".join(_cast(f, connection) for f in _DELIVERY_FIELDS) + ")"
        sql = _INSERT_SQL[deliveries] = (
            f"WITH m AS (INSERT INTO {quote(Message._meta.db_table)} ({message_columns}) VALUES ({message_row})"
            f" RETURNING id) INSERT INTO {quote(Delivery._meta.db_table)} (message_id, {delivery_columns})"
            f" SELECT m.id, v.* FROM m, (VALUES {', '.join([delivery_row] * deliveries)}) AS v"
            " RETURNING id, message_id, channel"
        )
    return sql


def _insert_one(connection: Any, message: Message, deliveries: list[Delivery]) -> list[Delivery]:
    """PostgreSQL: one message and its deliveries (one per channel) in one statement."""
    params = [f.get_db_prep_save(getattr(message, f.attname), connection) for f in _MESSAGE_FIELDS]
    for delivery in deliveries:
        params += [f.get_db_prep_save(getattr(delivery, f.attname), connection) for f in _DELIVERY_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection, len(deliveries)), params)
        rows = cursor.fetchall()
    by_channel = {channel: pk for pk, _message_id, channel in rows}
    message.pk = rows[0][1]
    for obj in (message, *deliveries):
        obj._state.adding = False
        obj._state.db = connection.alias
    for delivery in deliveries:
        delivery.pk = by_channel[delivery.channel]
        delivery.message = message
    return deliveries
