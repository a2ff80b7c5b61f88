"""Sending deliveries through their channel backends, safely from several workers at once.

Each delivery is claimed with one conditional UPDATE (pending → sending, or failed → sending on a retry)
that also counts the attempt; only the worker whose UPDATE changed the row sends it, so two workers
handed the same ids never send the same text twice. Where this process sends right after commit (no broker,
`deliveries_sent_in_process`), notify() inserts the deliveries already claimed instead, and no other process
can claim them before the sweep gives the claim up. Nothing here writes audit events: a message is not a state
change of a supervised object.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.domain.identity import mask_phone
from zhengwu.core.rows import statement_cursor
from zhengwu.notifications import backends
from zhengwu.notifications.enums import OUTBOUND_CHANNELS, Channel, DeliveryState
from zhengwu.notifications.models import MAX_ATTEMPTS, Delivery, Message

logger = logging.getLogger("zhengwu.notifications")

# A delivery still "sending" this long after its claim belongs to a worker that died mid-send.
STALE_SENDING_AFTER = timedelta(minutes=10)
# A delivery still "pending" this long after it was created missed its after-commit task (broker down).
ORPHAN_PENDING_AFTER = timedelta(minutes=2)
# A delivery claimed at insert is sent after commit on that claim only while it is younger than this; an older one
# (a transaction that ran long) is claimed again first, so the sweep cannot give the claim up during the send.
SEND_CLAIMED_WITHIN = STALE_SENDING_AFTER / 2
RETRY_BATCH = 500
ERROR_MAX_LENGTH = Delivery._meta.get_field("last_error").max_length
REFERENCE_MAX_LENGTH = Delivery._meta.get_field("provider_reference").max_length


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


def deliveries_sent_in_process() -> bool:
    """Whether this process sends the deliveries itself right after commit: Celery without a broker, which would
    run `deliver_pending` eagerly and let its error through (`task_always_eager` and `task_eager_propagates`, as
    the settings have it when CELERY_BROKER_URL is unset). notify() then inserts them already claimed and
    `deliveries_dispatch` sends them; otherwise they go in pending and the task is queued (ADR 0019, seventh pass)."""
    conf = _celery_conf()
    return bool(conf.task_always_eager and conf.task_eager_propagates)


@cache
def _celery_conf() -> Any:
    """The Celery app's settings object (read afresh each time: its values may change; the object does not)."""
    from zhengwu.notifications.tasks import deliver_pending  # the tasks module imports the domain

    return deliver_pending.app.conf


def deliveries_dispatch(deliveries: list[Delivery], *, claimed: bool) -> None:
    """After commit (notify's hook), the outbound deliveries notify() inserted: claimed at insert (when
    `deliveries_sent_in_process()` said so) they are sent here with what is in memory; pending, they are handed
    to the `deliver_pending` task, queued with a broker (or run by Celery's eager machinery without one)."""
    if claimed:
        deliveries_send_claimed(deliveries)
    else:
        from zhengwu.notifications.tasks import deliver_pending

        deliver_pending.delay([delivery.pk for delivery in deliveries])


def deliveries_send_claimed(deliveries: Iterable[Delivery]) -> int:
    """Send deliveries this process claimed when it inserted them (state sending, `claimed_at` set, the attempt
    counted), with their message in memory: one statement each, the sent record (or the failure). A claim older
    than SEND_CLAIMED_WITHIN is renewed first, only if it is still the one this process made (the sweep may have
    given it up and handed the delivery to another attempt). Returns how many were sent."""
    connection = connections[router.db_for_write(Delivery)]
    with statement_cursor(connection) as cursor:
        fresh_after = timezone.now() - SEND_CLAIMED_WITHIN
        claimed = sorted(deliveries, key=lambda delivery: delivery.pk)
        return _send_each(
            connection,
            cursor,
            (d for d in claimed if d.claimed_at > fresh_after or _claim_renewed(connection, cursor, d)),
        )


def _claim_renewed(connection, cursor, delivery: Delivery) -> bool:
    """Move the delivery's claim to now if it is still the claim this process made."""
    now = timezone.now()
    _execute(
        connection,
        cursor,
        _RENEW_SQL,
        [
            _CLAIMED_AT.get_db_prep_save(now, connection),
            delivery.pk,
            _CLAIMED_AT.get_db_prep_save(delivery.claimed_at, connection),
        ],
    )
    if cursor.rowcount != 1:
        return False
    delivery.claimed_at = now
    return True


def deliveries_send(*, ids: Iterable[int], retry: bool = False) -> int:
    """Send the given SMS/e-mail deliveries that are still pending (with retry: or failed with attempts
    left). Returns how many were sent. Call it outside any transaction so each claim is seen at once.
    """
    connection = connections[router.db_for_write(Delivery)]
    claim = _claim_returning if connection.vendor == "postgresql" else _claim_orm
    with statement_cursor(connection) as cursor:
        claimed = (claim(connection, cursor, pk, retry=retry) for pk in sorted({int(pk) for pk in ids}))
        return _send_each(connection, cursor, (delivery for delivery in claimed if delivery is not None))


def _send_each(connection, cursor, claimed: Iterable[Delivery]) -> int:
    """Send each claimed delivery (taken one at a time: a claim is held no longer than its send) and record the
    result. Returns how many were sent."""
    gateway: backends.SmsGateway | None = None
    sent = 0
    sent_sql = _SENT_SQL_UNFLUSHED if connection.vendor == "postgresql" and connection.get_autocommit() else _SENT_SQL
    for delivery in claimed:
        try:
            if delivery.channel == Channel.SMS and gateway is None:
                gateway = backends.sms_gateway()
            reference = _send(delivery, gateway)
        except Exception as exc:  # any backend failure is recorded and retried, never raised to the caller
            _record_failure(delivery, str(exc) or exc.__class__.__name__)
            continue
        sent_at = _SENT_AT.get_db_prep_save(timezone.now(), connection)
        _execute(connection, cursor, sent_sql, [sent_at, str(reference)[:REFERENCE_MAX_LENGTH], delivery.pk])
        sent += 1
    return sent


# The two statements of a send, hand-written (docs/adr/0019-performance.md, sixth pass). Their constants are
# the code's own (states, channels, MAX_ATTEMPTS), written into the text; only the time and the ids are bound.
_DELIVERY_TABLE = Delivery._meta.db_table
_OUTBOUND = sorted(OUTBOUND_CHANNELS)
_OUTBOUND_SQL = ", ".join(f"'{channel}'" for channel in _OUTBOUND)
_CLAIMABLE_SQL = {
    False: f"d.state = '{DeliveryState.PENDING}'",
    True: f"(d.state = '{DeliveryState.PENDING}'"
    f" OR (d.state = '{DeliveryState.FAILED}' AND d.attempts < {int(MAX_ATTEMPTS)}))",
}
# What sending reads of the claimed delivery and its message; their other fields are deferred (a read loads them).
_CLAIM_DELIVERY = ["id", "message_id", "channel", "address", "attempts"]
_CLAIM_MESSAGE = ["id", "recipient_id", "category", "subject", "body", "link"]
_CLAIM_SQL = {
    retry: f"UPDATE {_DELIVERY_TABLE} AS d"
    f" SET state = '{DeliveryState.SENDING}', claimed_at = %s, attempts = d.attempts + 1"
    f" FROM {Message._meta.db_table} AS m"
    f" WHERE d.id = %s AND m.id = d.message_id AND d.channel IN ({_OUTBOUND_SQL}) AND {claimable}"
    " RETURNING " + ", ".join([*(f"d.{name}" for name in _CLAIM_DELIVERY), *(f"m.{name}" for name in _CLAIM_MESSAGE)])
    for retry, claimable in _CLAIMABLE_SQL.items()
}
# `Delivery.objects.filter(pk=pk, state=SENDING).update(state=SENT, sent_at=…, provider_reference=…,
# last_error="")`: a queryset update sends no signals, and Delivery has no auto_now field.
_SENT_SET = (
    f"UPDATE {_DELIVERY_TABLE} SET state = '{DeliveryState.SENT}', sent_at = %s, provider_reference = %s,"
    " last_error = ''"
)
_SENT_WHERE = f" WHERE id = %s AND state = '{DeliveryState.SENDING}'"
_SENT_SQL = _SENT_SET + _SENT_WHERE
# The same as a transaction of its own (autocommit) on PostgreSQL, committed without waiting for the WAL to reach
# the disk: `synchronous_commit` off for that one transaction (ADR 0019, tenth pass). Only a crash of the database
# server in the moment after can lose the record, never the message: the delivery is then left "sending", and the
# sweep takes it for a send that was interrupted, as when the process dies between the send and the record.
_SENT_SQL_UNFLUSHED = (
    _SENT_SET + " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed" + _SENT_WHERE
)
_SENT_AT = Delivery._meta.get_field("sent_at")
_CLAIMED_AT = Delivery._meta.get_field("claimed_at")
_RENEW_SQL = (
    f"UPDATE {_DELIVERY_TABLE} SET claimed_at = %s WHERE id = %s AND state = '{DeliveryState.SENDING}'"
    " AND claimed_at = %s"
)


def _claim_orm(connection, cursor, pk: int, *, retry: bool) -> Delivery | None:
    """Claim one delivery with the conditional update, then read it with its message. None when it was not
    claimable."""
    claimable = Q(state=DeliveryState.PENDING)
    if retry:
        claimable |= Q(state=DeliveryState.FAILED, attempts__lt=MAX_ATTEMPTS)
    deliveries = Delivery.objects.using(connection.alias)
    claimed = deliveries.filter(claimable, pk=pk, channel__in=_OUTBOUND).update(
        state=DeliveryState.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    return deliveries.select_related("message").get(pk=pk) if claimed else None


def _claim_returning(connection, cursor, pk: int, *, retry: bool) -> Delivery | None:
    """PostgreSQL: claim one delivery (the same conditional update) and read what sending needs of it and its
    message in the same statement. None when it was not claimable."""
    _execute(connection, cursor, _CLAIM_SQL[retry], [timezone.now(), pk])
    row = cursor.fetchone()
    if row is None:
        return None
    split = len(_CLAIM_DELIVERY)
    delivery = Delivery.from_db(connection.alias, _CLAIM_DELIVERY, row[:split])
    delivery.message = Message.from_db(connection.alias, _CLAIM_MESSAGE, row[split:])
    return delivery


def _execute(connection, cursor, sql: str, params: list) -> None:
    """One statement; a failed one marks the surrounding transaction for rollback, as a queryset update does."""
    with transaction.mark_for_rollback_on_error(connection.alias):
        cursor.execute(sql, params)


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
