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

from zhengwu.accounts.domain.identity import is_mobile_phone, phone_normalise
from zhengwu.core.rows import rows_with_held, statement_cursor
from zhengwu.notifications.domain import delivery
from zhengwu.notifications.enums import ALL_CHANNELS, Category, Channel, DeliveryState
from zhengwu.notifications.models import Delivery, Message
from zhengwu.notifications.versions import unread_changed

logger = logging.getLogger("zhengwu.notifications")

SUBJECT_MAX_LENGTH = Message._meta.get_field("subject").max_length
LINK_MAX_LENGTH = Message._meta.get_field("link").max_length
# `Choices.values` builds its list (and the labels') on every access
_CATEGORIES = frozenset(Category.values)
_CHANNELS = frozenset(Channel.values)
# Outbound deliveries sent after commit: pending (for the task), or claimed at insert (sent in this process)
_TO_SEND = frozenset({DeliveryState.PENDING, DeliveryState.SENDING})


def _validate(*, category: str, subject: str, link: str, channels: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if category not in _CATEGORIES:
        errors["category"] = _("未知的消息类别：%(code)s。") % {"code": category}
    if not subject:
        errors["subject"] = _("消息标题不能为空。")
    elif len(subject) > SUBJECT_MAX_LENGTH:
        errors["subject"] = _("消息标题不能超过 %(max)d 个字符。") % {"max": SUBJECT_MAX_LENGTH}
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > LINK_MAX_LENGTH):
        errors["link"] = _("链接必须是本站的相对地址（以 / 开头）。")
    if not channels:
        errors["channels"] = _("至少选择一个发送渠道。")
    elif unknown := [channel for channel in channels if channel not in _CHANNELS]:
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


def _send_after_commit(deliveries: list[Delivery], claimed: bool):
    # A function, not functools.partial: Django logs a failed robust callback by its __qualname__.
    def send_after_commit() -> None:
        delivery.deliveries_dispatch(deliveries, claimed=claimed)

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
    `skipped` delivery with the reason. Where this process sends them itself after commit (no broker:
    `deliveries_sent_in_process()`), SMS and e-mail deliveries go in already claimed (sending, attempt 1).
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
    claimed = delivery.deliveries_sent_in_process()
    rows = [_delivery_values(message.recipient, channels, now, claimed=claimed) for message in messages]
    _insert(messages, rows, claimed=claimed, unread=unique if Channel.INAPP in channels else None)
    return messages


def notify_phone(
    *,
    phone: str,
    category: str,
    subject: str,
    body: str,
    actor: Any = None,
) -> Message | None:
    """Tell someone who has no account by SMS to `phone` (an applicant registered at the window): a message with
    no recipient, in no inbox, and its one SMS delivery, sent after commit exactly as notify()'s are (so a
    rolled-back change sends nothing), retried by the sweep and listed in the delivery log. A number that is not
    a mainland mobile number gets a `skipped` delivery with the reason; no number at all, nothing (None). The
    message has no link: pages behind one need an account."""
    phone = phone_normalise(str(phone or "").strip())
    if not phone:
        return None
    subject = " ".join(str(subject).split())
    body = str(body).strip()
    errors = _validate(category=category, subject=subject, link="", channels=(Channel.SMS,))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    message = Message(
        recipient=None,
        category=category,
        subject=subject,
        body=body,
        link="",
        in_inbox=False,
        sender=actor if isinstance(actor, AbstractBaseUser) and actor.pk else None,
        created_at=now,
    )
    if is_mobile_phone(phone):
        address, state, reason = phone, DeliveryState.PENDING, ""
    else:
        address, state, reason = phone, DeliveryState.SKIPPED, _("不是手机号码，无法发送短信。")
    claimed = delivery.deliveries_sent_in_process()
    _insert([message], [[_outbound_values(Channel.SMS, address, state, reason, now, claimed=claimed)]], claimed=claimed)
    return message


def _insert(
    messages: list[Message], rows: list[list[dict[str, Any]]], *, claimed: bool, unread: Iterable[int] | None = None
) -> None:
    """Insert the messages and their deliveries (`rows[i]`: the values of message i's) in the caller's
    transaction, and send the outbound ones after it commits. `unread`: the users whose unread count changed."""
    connection = transaction.get_connection()
    with transaction.atomic(savepoint=False):  # only inserts below: no savepoint needed
        if len(messages) == 1 and connection.vendor == "postgresql":
            outbound = _insert_one(connection, messages[0], rows[0])
        else:
            Message.objects.bulk_create(messages)
            deliveries = Delivery.objects.bulk_create(
                [
                    Delivery(message=message, **values)
                    for message, values_of in zip(messages, rows, strict=True)
                    for values in values_of
                ]
            )
            outbound = [row for row in deliveries if row.state in _TO_SEND]
        if unread:
            unread_changed(unread)
        if outbound:
            # robust: neither an unreachable broker nor a failed send must fail the committed request; the sweep
            # (deliveries_retry) picks up deliveries left pending and, after STALE_SENDING_AFTER, claims left sending.
            transaction.on_commit(_send_after_commit(outbound, claimed), robust=True)


def _delivery_values(
    recipient: AbstractBaseUser, channels: tuple[str, ...], now: datetime, *, claimed: bool
) -> list[dict[str, Any]]:
    """Each column of a delivery per channel (all but its message): in-app ones sent at once, outbound ones
    pending (claimed: sending, the first attempt counted) or skipped."""
    rows: list[dict[str, Any]] = []
    for channel in channels:
        if channel == Channel.INAPP:
            rows.append(
                {
                    "channel": channel,
                    "address": "",
                    "state": DeliveryState.SENT,
                    "attempts": 1,
                    "last_error": "",
                    "provider_reference": "",
                    "created_at": now,
                    "claimed_at": None,
                    "sent_at": now,
                }
            )
        else:
            rows.append(_outbound_values(channel, *_outbound(recipient, channel), now, claimed=claimed))
    return rows


def _outbound_values(channel: str, address: str, state: str, reason: str, now: datetime, *, claimed: bool):
    """The columns of one SMS or e-mail delivery: pending (claimed: sending, the first attempt counted) or, with
    the reason, skipped."""
    claimed_at, attempts = None, 0
    if claimed and state == DeliveryState.PENDING:
        state, attempts, claimed_at = DeliveryState.SENDING, 1, now
    return {
        "channel": channel,
        "address": address,
        "state": state,
        "attempts": attempts,
        "last_error": reason,
        "provider_reference": "",
        "created_at": now,
        "claimed_at": claimed_at,
        "sent_at": None,
    }


_MESSAGE_FIELDS = [f for f in Message._meta.concrete_fields if not f.primary_key]
_MESSAGE_ATTNAMES = [f.attname for f in _MESSAGE_FIELDS]
_DELIVERY_FIELDS = [f for f in Delivery._meta.concrete_fields if not f.primary_key and f.name != "message"]
_DELIVERY_ATTNAMES = [f.attname for f in _DELIVERY_FIELDS]
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


def _insert_one(connection: Any, message: Message, rows: list[dict[str, Any]]) -> list[Delivery]:
    """PostgreSQL: one message and its deliveries (`rows`, one per channel) in one statement; the deliveries to send
    after commit (pending, or claimed), built from the values in memory. Every value is one notify() made (str,
    bool, int, None, an aware datetime): psycopg takes them as they are, which is what `Field.get_db_prep_save`
    gives for these on PostgreSQL, so it is not called."""
    params = [getattr(message, attname) for attname in _MESSAGE_ATTNAMES]
    for values in rows:
        params += [values[attname] for attname in _DELIVERY_ATTNAMES]
    sql, params = rows_with_held(connection, _insert_sql(connection, len(rows)), params)
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchall()
    message.pk = inserted[0][1]
    message._state.adding = False
    message._state.db = connection.alias
    ids = {channel: pk for pk, _message_id, channel in inserted}
    outbound = []
    for values in rows:
        if values["state"] in _TO_SEND:
            row = Delivery(id=ids[values["channel"]], message=message, **values)
            row._state.adding = False
            row._state.db = connection.alias
            outbound.append(row)
    return outbound
