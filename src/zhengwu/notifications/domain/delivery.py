"""Sending deliveries through their channel backends, safely from several workers at once.

Each delivery is claimed with one conditional UPDATE (pending → sending, or failed → sending on a retry)
that also counts the attempt; only the worker whose UPDATE changed the row sends it, so two workers
handed the same ids never send the same text twice. Nothing here writes audit events: a message is
not a state change of a supervised object.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.domain.identity import mask_phone
from zhengwu.notifications import backends
from zhengwu.notifications.enums import OUTBOUND_CHANNELS, Channel, DeliveryState
from zhengwu.notifications.models import MAX_ATTEMPTS, Delivery, Message

logger = logging.getLogger("zhengwu.notifications")

# A delivery still "sending" this long after its claim belongs to a worker that died mid-send.
STALE_SENDING_AFTER = timedelta(minutes=10)
# A delivery still "pending" this long after it was created missed its after-commit task (broker down).
ORPHAN_PENDING_AFTER = timedelta(minutes=2)
RETRY_BATCH = 500
ERROR_MAX_LENGTH = Delivery._meta.get_field("last_error").max_length


def _masked(delivery: Delivery) -> str:
    if delivery.channel == Channel.SMS:
        return mask_phone(delivery.address)
    name, _sep, domain = delivery.address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def _send(delivery: Delivery, gateway: backends.SmsGateway | None) -> str:
    if delivery.channel == Channel.SMS:
        return (gateway or backends.sms_gateway()).send(delivery.address, backends.message_sms_text(delivery.message))
    if delivery.channel == Channel.EMAIL:
        return backends.send_email(to=delivery.address, message=delivery.message)
    raise ValueError(f"channel {delivery.channel} has no backend")


def _record_failure(delivery: Delivery, error: str, *, claimed_before: datetime | None = None) -> bool:
    still_sending = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING)
    if claimed_before is not None:
        still_sending = still_sending.filter(claimed_at__lt=claimed_before)
    if not still_sending.update(state=DeliveryState.FAILED, last_error=error[:ERROR_MAX_LENGTH]):
        return False
    if delivery.attempts >= MAX_ATTEMPTS:
        logger.warning(
            "notification delivery %s (%s to %s, message %s) failed after %s attempts: %s",
            delivery.pk,
            delivery.channel,
            _masked(delivery),
            delivery.message_id,
            delivery.attempts,
            error,
        )
    else:
        logger.info("notification delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
    return True


def deliveries_send(*, ids: Iterable[int], retry: bool = False) -> int:
    """Send the given SMS/e-mail deliveries that are still pending (with retry: or failed with attempts
    left). Returns how many were sent. Call it outside any transaction so each claim is seen at once.
    """
    claimable = Q(state=DeliveryState.PENDING)
    if retry:
        claimable |= Q(state=DeliveryState.FAILED, attempts__lt=MAX_ATTEMPTS)
    gateway: backends.SmsGateway | None = None
    sent = 0
    connection = connections[Delivery.objects.db]
    for pk in sorted({int(pk) for pk in ids}):
        if connection.vendor == "postgresql":
            delivery = _claim_returning(connection, pk, retry=retry)
        else:
            claimed = Delivery.objects.filter(claimable, pk=pk, channel__in=sorted(OUTBOUND_CHANNELS)).update(
                state=DeliveryState.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
            )
            delivery = Delivery.objects.select_related("message").get(pk=pk) if claimed else None
        if delivery is None:
            continue
        try:
            if delivery.channel == Channel.SMS and gateway is None:
                gateway = backends.sms_gateway()
            reference = _send(delivery, gateway)
        except Exception as exc:  # any backend failure is recorded and retried, never raised to the caller
            _record_failure(delivery, str(exc) or exc.__class__.__name__)
            continue
        Delivery.objects.filter(pk=pk, state=DeliveryState.SENDING).update(
            state=DeliveryState.SENT, sent_at=timezone.now(), provider_reference=str(reference)[:255], last_error=""
        )
        sent += 1
    return sent


_DELIVERY_FIELDS = Delivery._meta.concrete_fields
_MESSAGE_FIELDS = Message._meta.concrete_fields
_CLAIM_SQL = (
    f"UPDATE {Delivery._meta.db_table} AS d"
    " SET state = %s, claimed_at = %s, attempts = d.attempts + 1"
    f" FROM {Message._meta.db_table} AS m"
    " WHERE d.id = %s AND m.id = d.message_id AND d.channel = ANY(%s)"
    " AND (d.state = %s OR (%s AND d.state = %s AND d.attempts < %s))"
    " RETURNING "
    + ", ".join([*(f"d.{f.column}" for f in _DELIVERY_FIELDS), *(f"m.{f.column}" for f in _MESSAGE_FIELDS)])
)


def _claim_returning(connection, pk: int, *, retry: bool) -> Delivery | None:
    """PostgreSQL: claim one delivery (the same conditional update as elsewhere) and read it with its
    message in the same statement. None when it was not claimable."""
    params = [
        DeliveryState.SENDING,
        timezone.now(),
        pk,
        sorted(OUTBOUND_CHANNELS),
        DeliveryState.PENDING,
        retry,
        DeliveryState.FAILED,
        MAX_ATTEMPTS,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_DELIVERY_FIELDS)
    delivery = Delivery.from_db(connection.alias, [f.attname for f in _DELIVERY_FIELDS], row[:split])
    delivery.message = Message.from_db(connection.alias, [f.attname for f in _MESSAGE_FIELDS], row[split:])
    return delivery


def deliveries_retry(*, now: datetime | None = None) -> int:
    """The periodic sweep: give up stale claims, then send failed deliveries with attempts left and pending
    ones whose after-commit task never ran. Returns how many were sent."""
    now = now or timezone.now()
    stale_before = now - STALE_SENDING_AFTER
    stale = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=stale_before).order_by("pk")
    for delivery in stale.only("pk", "channel", "address", "attempts", "message_id")[:RETRY_BATCH]:
        _record_failure(delivery, _("发送过程中断，未收到发送结果。"), claimed_before=stale_before)
    due = (
        Delivery.objects.filter(
            Q(state=DeliveryState.FAILED, attempts__lt=MAX_ATTEMPTS)
            | Q(state=DeliveryState.PENDING, created_at__lt=now - ORPHAN_PENDING_AFTER),
            channel__in=sorted(OUTBOUND_CHANNELS),
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    return deliveries_send(ids=list(due), retry=True)
