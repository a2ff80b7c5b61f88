"""Online payment through providers that confirm later (ADR 0014, "Asynchronous providers").

* `fee_payment_attempt_start` opens (or reuses) a `PaymentAttempt` — our order number for the notice — before
  the payer is sent to the provider's cashier page (`payment_order` is what the provider is given).
* `fee_payment_attempt_notify` applies the provider's verified notification: a paid one records the payment
  through `case_fee_pay(method="online")`, under the payer, in the same transaction; a repeated one changes
  nothing; one that names an unknown order or does not match it is refused (`PaymentNotificationRefused`),
  logged, and nothing is recorded.
* The payer's return to our return page changes nothing: only the notification records a payment.
* `fee_payment_attempt_return` gives money that could not be recorded (unrecorded) back to the payer through the
  provider, at the fee window.
* `fee_payment_attempts_reconcile` (对账/查单, Celery beat) asks the provider about orders that stayed open: what
  was paid is recorded through the same path as a notification (a lost notification is thus made good, once);
  a lapsed order is closed at the platform and marked expired.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import SYSTEM_ACTOR, lock, user_or_none
from zhengwu.cases.domain.fees import _lock_notice, _sync, _tell, _yuan, case_fee_pay, require_payable
from zhengwu.cases.enums import (
    PAYMENT_ATTEMPT_PAYABLE_STATES,
    CaseState,
    FeeNoticeState,
    PaymentAttemptState,
    PaymentMethod,
)
from zhengwu.cases.models import Case, FeeNotice, PaymentAttempt
from zhengwu.cases.payments import (
    OrderState,
    PaymentError,
    PaymentNotification,
    PaymentOrder,
    PaymentOrderStatus,
    PaymentProvider,
    payment_provider,
)
from zhengwu.cases.rules import can_pay_online, can_return_online_payment, fee_window
from zhengwu.core.links import absolute_url
from zhengwu.notifications.enums import Category

__all__ = [
    "NotificationOutcome",
    "PaymentNotificationRefused",
    "PaymentReconciliation",
    "fee_payment_attempt_notify",
    "fee_payment_attempt_return",
    "fee_payment_attempt_start",
    "fee_payment_attempts_reconcile",
    "payment_order",
]

logger = logging.getLogger(__name__)

# A started order is reused only while the payer still has this long to pay it; otherwise a new one is opened.
REUSE_MARGIN = timedelta(minutes=5)
# Reconciliation (对账/查单) asks the platform about an open order once it is this old — the payer has had time to
# pay and the notification to arrive — or has lapsed; ...
QUERY_AFTER = timedelta(minutes=5)
# ... and about the same order not again sooner than this (two runs at once, or a run by hand, ask once).
REQUERY_AFTER = timedelta(minutes=2)
# An order expired here while the platform still kept it open (superseded by a new order) is asked about once more
# after it lapses, when it lapsed within this long (the platform may no longer answer about older orders).
FINAL_CHECK_WITHIN = timedelta(days=7)
# Orders asked about in one run at most (each may wait for the platform up to its timeout); the rest, next run.
RECONCILE_LIMIT = 200


class NotificationOutcome:
    RECORDED = "recorded"  # the payment was recorded
    ALREADY_RECORDED = "already_recorded"  # a repeat of a notification already applied
    FAILED = "failed"  # the platform reports the payment failed; the attempt is closed
    IGNORED = "ignored"  # a failure report for an attempt that is already settled
    UNRECORDED = "unrecorded"  # paid, but the notice can no longer take it (see PaymentAttemptState.UNRECORDED)


class PaymentNotificationRefused(Exception):
    """The notification names an order we do not know, or does not match it. Nothing was recorded."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _platform(provider: PaymentProvider) -> str:
    return f"system:payment:{provider.key}"


def _new_reference() -> str:
    return "ZW" + uuid.uuid4().hex[:24].upper()


def payment_order(attempt: PaymentAttempt) -> PaymentOrder:
    """What the provider is asked to collect for `attempt`, with absolute return and notification addresses
    (ZHENGWU_PUBLIC_URL, which the platform must be able to reach)."""
    case = attempt.notice.case
    return PaymentOrder(
        reference=attempt.reference,
        notice_id=attempt.notice_id,
        amount=attempt.amount,
        subject=_("%(number)s %(item)s 缴费") % {"number": case.number, "item": case.item_version.name},
        return_url=absolute_url(reverse("portal:case_fee_payment_return", args=[case.number, attempt.reference])),
        notify_url=absolute_url(reverse("payments:notify", args=[attempt.provider])),
        expires_at=attempt.expires_at,
    )


def _attempt_audit(attempt: PaymentAttempt) -> dict[str, Any]:
    return {
        "notice_id": attempt.notice_id,
        "attempt_id": attempt.pk,
        "reference": attempt.reference,
        "provider": attempt.provider,
        "amount": _yuan(attempt.amount),
        "state": attempt.state,
    }


def fee_payment_attempt_start(*, actor: Any, notice: FeeNotice) -> PaymentAttempt:
    """Open an online payment (发起网上支付) of the notice's total through the configured asynchronous provider:
    the applicant's own account, an item that allows online payment, an unpaid notice of a decided case.

    While the notice has a started attempt with at least `REUSE_MARGIN` left before the provider closes it, that
    attempt is returned unchanged: paying twice from two tabs then pays one order, which the platform accepts
    once. An older started attempt is marked expired and a new one opened (a notification for it is still
    applied if it comes)."""
    try:
        provider = payment_provider()
    except PaymentError as error:
        raise ValidationError(str(error)) from None
    if not provider.asynchronous:
        raise ValidationError(_("当前支付渠道不需要发起支付订单。"))
    now = timezone.now()
    with audited_atomic():
        lock(Case(pk=notice.case_id))
        locked = _lock_notice(notice)
        case = locked.case
        if not can_pay_online(actor, case):
            raise ValidationError(_("该事项不支持网上支付，或您不是该办件的申请人。"))
        require_payable(locked, case)
        current = PaymentAttempt.objects.filter(notice=locked, state=PaymentAttemptState.STARTED).first()
        if current is not None:
            if (
                current.provider == provider.key
                and current.amount == locked.total
                and current.payer_id == actor.pk
                and current.expires_at > now + REUSE_MARGIN
            ):
                current.notice = notice
                return current
            # Still open at the platform: reconciliation asks about it once more after it lapses (checked_at unset).
            current.state = PaymentAttemptState.EXPIRED
            current.checked_at = None
            current.updated_at = now
            current.save(update_fields=["state", "checked_at", "updated_at"])
        attempt = PaymentAttempt.objects.create(
            notice=locked,
            payer=actor,
            amount=locked.total,
            provider=provider.key,
            reference=_new_reference(),
            created_at=now,
            expires_at=now + provider.order_lifetime,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="cases.fee_online_payment_started",
            obj=case,
            before={"notice_id": locked.pk, "superseded": current.reference if current is not None else None},
            after={**_attempt_audit(attempt), "expires_at": attempt.expires_at},
        )
    attempt.notice = notice
    return attempt


def _refuse(code: str, message: str, notification: PaymentNotification, provider: PaymentProvider):
    logger.warning(
        "网上支付通知被拒绝（%s）：%s；渠道 %s，订单号 %s，金额 %s，支付流水号 %s",
        code,
        message,
        provider.key,
        notification.reference,
        notification.amount,
        notification.provider_reference,
    )
    raise PaymentNotificationRefused(code, message)


def _why_unpayable(notice: FeeNotice, attempt: PaymentAttempt) -> str:
    """Why the notice can no longer take this payment ("" when it can)."""
    case = notice.case
    if notice.state != FeeNoticeState.ISSUED:
        return _("缴费通知当前状态为“%(state)s”。") % {"state": FeeNoticeState(notice.state).label}
    if case.state != CaseState.DECIDED:
        return _("办件当前状态为“%(state)s”。") % {"state": CaseState(case.state).label}
    if attempt.payer is None or not can_pay_online(attempt.payer, case):
        return _("付款人的账户已不能网上缴费。")
    return ""


def fee_payment_attempt_notify(*, provider: PaymentProvider, notification: PaymentNotification) -> str:
    """Apply a notification whose signature `provider` has checked; returns a `NotificationOutcome`.

    Locks the case, the notice and the attempt (the order every fee function uses), so a repeated notification,
    or one racing another, is applied once: the later one finds the attempt paid and changes nothing. A paid
    notification records the payment with `case_fee_pay` (actor: the payer, as for any online payment; the
    provider's `verify` is asked there); if the notice can no longer take it (paid at the window, cancelled) the
    attempt becomes unrecorded, so the money can be returned. Refused (`PaymentNotificationRefused`, nothing
    recorded): an unknown order, another provider's order, a different notice or amount, a second transaction
    on a paid order, a payment `verify` does not confirm."""
    found = (
        PaymentAttempt.objects.filter(reference=notification.reference, provider=provider.key)
        .values_list("pk", "notice_id", "notice__case_id")
        .first()
        if "\x00" not in notification.reference  # no order's; PostgreSQL cannot even compare text holding a NUL
        else None
    )
    if found is None:
        _refuse("unknown_order", _("未知的支付订单。"), notification, provider)
    attempt_id, notice_id, case_id = found
    with audited_atomic():
        lock(Case(pk=case_id))
        notice = _lock_notice(FeeNotice(pk=notice_id))
        row = PaymentAttempt.objects.select_for_update(of=("self",)).select_related("payer").get(pk=attempt_id)
        return _apply(provider=provider, notification=notification, notice=notice, row=row, now=timezone.now())


def _apply(
    *, provider: PaymentProvider, notification: PaymentNotification, notice: FeeNotice, row: PaymentAttempt, now
) -> str:
    """What the platform reports of the order `row` — by its notification, or in answer to reconciliation's query
    — applied to the locked case, notice (`notice`) and attempt (`row`); the one place a platform's word records
    a payment, keeps money as unrecorded or closes an order as failed. Returns a `NotificationOutcome`; raises
    `PaymentNotificationRefused` (the caller's transaction then rolls back)."""
    actor = _platform(provider)
    if notification.notice_id is not None and notification.notice_id != row.notice_id:
        _refuse("notice_mismatch", _("支付通知的缴费通知与订单不符。"), notification, provider)
    if notification.amount != row.amount:
        _refuse(
            "amount_mismatch",
            _("支付金额 %(paid)s 元与订单金额 %(amount)s 元不符。")
            % {"paid": notification.amount, "amount": _yuan(row.amount)},
            notification,
            provider,
        )
    before = row.state
    if not notification.paid:
        if row.state not in (PaymentAttemptState.STARTED, PaymentAttemptState.EXPIRED):
            return NotificationOutcome.IGNORED
        row.state = PaymentAttemptState.FAILED
        row.updated_at = now
        row.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.fee_online_payment_failed",
            obj=notice.case,
            before={"notice_id": row.notice_id, "state": before},
            after=_attempt_audit(row),
        )
        return NotificationOutcome.FAILED
    reference = notification.provider_reference.strip()
    if not reference or len(reference) > 100:
        _refuse("no_reference", _("支付通知缺少支付流水号。"), notification, provider)
    if "\x00" in reference:  # PostgreSQL's text cannot hold it: kept as unrecorded, it would have been a 500
        _refuse("bad_reference", _("支付流水号含有空字符。"), notification, provider)
    if row.state not in PAYMENT_ATTEMPT_PAYABLE_STATES:
        if row.provider_reference == reference:
            return NotificationOutcome.ALREADY_RECORDED
        _refuse("second_payment", _("该订单已有另一笔支付。"), notification, provider)
    problem = _why_unpayable(notice, row)
    if problem:
        row.state = PaymentAttemptState.UNRECORDED
        row.provider_reference = reference
        row.problem = problem
        row.updated_at = now
        row.save(update_fields=["state", "provider_reference", "problem", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.fee_online_payment_unrecorded",
            obj=notice.case,
            before={"notice_id": row.notice_id, "state": before},
            after={
                **_attempt_audit(row),
                "provider_reference": reference,
                "problem": problem,
                "department_id": notice.case.department_id,
                "unrecorded_online_payment": True,  # for the 行政收费 monitoring point
            },
        )
        logger.error(
            "网上支付已到账但未能入账，须经支付渠道退回：办件 %s，订单号 %s，支付流水号 %s，金额 %s 元；%s",
            notice.case.number,
            row.reference,
            reference,
            _yuan(row.amount),
            problem,
        )
        return NotificationOutcome.UNRECORDED
    try:
        payment = case_fee_pay(
            actor=row.payer,
            notice=notice,
            method=PaymentMethod.ONLINE,
            amount=row.amount,
            provider_reference=reference,
        )
    except ValidationError as error:
        _refuse("not_confirmed", "；".join(error.messages), notification, provider)
    row.state = PaymentAttemptState.PAID
    row.payment = payment
    row.provider_reference = reference
    row.updated_at = now
    row.save(update_fields=["state", "payment", "provider_reference", "updated_at"])
    return NotificationOutcome.RECORDED


def fee_payment_attempt_return(*, actor: Any, attempt: PaymentAttempt) -> PaymentAttempt:
    """Return money the provider took but the notice could not take (unrecorded) to the payer through the provider
    (退回缴费人): `provider.refund` of the whole amount on the platform's transaction; the attempt becomes returned
    with the provider's refund reference. A fee clerk at a unified fee window serving the case's department (the
    same test as asking for a refund); no leader approves it, as the money was never taken as a fee and all of it
    goes back to the payer who sent it (ADR 0014). Only the provider the attempt was paid through can return it. A
    refusal by the provider changes nothing. Locks the case, the notice, then the attempt, so two clerks pressing
    at once return the money once: the second is told it has been returned."""
    found = PaymentAttempt.objects.filter(pk=attempt.pk).values_list("notice_id", "notice__case_id").first()
    if found is None:
        raise ValidationError(_("该网上支付订单不存在。"))
    notice_id, case_id = found
    now = timezone.now()
    with audited_atomic():
        lock(Case(pk=case_id))
        notice = _lock_notice(FeeNotice(pk=notice_id))
        case = notice.case
        row = PaymentAttempt.objects.select_for_update(of=("self",)).get(pk=attempt.pk)
        if not can_return_online_payment(actor, case):
            raise ValidationError(_("只有统一收费窗口的收费人员才能退回该办件的网上支付款项。"))
        if row.state != PaymentAttemptState.UNRECORDED:
            raise ValidationError(
                _("该网上支付订单当前状态为“%(state)s”，不能退回。") % {"state": PaymentAttemptState(row.state).label}
            )
        try:
            provider = payment_provider()
        except PaymentError:
            provider = None
        if provider is None or provider.key != row.provider:
            raise ValidationError(
                _("该笔款项经支付渠道“%(provider)s”收取，当前未配置该支付渠道，不能在本平台退回；请经原支付渠道退回。")
                % {"provider": row.provider}
            )
        try:
            reference = provider.refund(reference=row.provider_reference, amount=row.amount)
        except PaymentError as error:
            raise ValidationError(_("支付平台未能退回：%(reason)s") % {"reason": str(error)}) from None
        reference = (reference or "").strip()[:100]
        if not reference:
            logger.error(
                "支付平台退回网上支付款项未返回退款流水号：办件 %s，订单号 %s，支付流水号 %s，金额 %s 元",
                case.number,
                row.reference,
                row.provider_reference,
                _yuan(row.amount),
            )
            raise ValidationError(_("支付平台未返回退款流水号，未能记录退回；请在支付平台核实该笔退款。"))
        row.state = PaymentAttemptState.RETURNED
        row.return_reference = reference
        row.returned_at = now
        row.returned_by = user_or_none(actor)
        row.updated_at = now
        row.save(update_fields=["state", "return_reference", "returned_at", "returned_by", "updated_at"])
        window = fee_window(actor)
        audit_record(
            actor=actor,
            action="cases.fee_online_payment_returned",
            obj=case,
            before={"notice_id": row.notice_id, "state": PaymentAttemptState.UNRECORDED},
            after={
                **_attempt_audit(row),
                "provider_reference": row.provider_reference,
                "return_reference": reference,
                "problem": row.problem,
                "window_id": window.pk if window is not None else None,
                "department_id": case.department_id,
            },
        )
        _tell(
            case,
            category=Category.CASE_FEE_REFUNDED,
            subject=_("网上支付款项已退回：%(number)s %(amount)s 元")
            % {"number": case.number, "amount": _yuan(row.amount)},
            body=_(
                "您网上支付的 %(amount)s 元（支付流水号 %(trade)s）未能入账：%(problem)s"
                "该笔款项已经支付平台原路退回，退款流水号 %(reference)s，到账时间以支付平台为准。"
            )
            % {
                "amount": _yuan(row.amount),
                "trade": row.provider_reference,
                "problem": row.problem,
                "reference": reference,
            },
            actor=actor,
        )
        logger.info(
            "网上支付未入账款项已退回：办件 %s，订单号 %s，支付流水号 %s，退款流水号 %s，金额 %s 元",
            case.number,
            row.reference,
            row.provider_reference,
            reference,
            _yuan(row.amount),
        )
    return _sync(attempt, row)


# ---------------------------------------------------------------- reconciliation (对账/查单)


class ReconcileOutcome:
    """What reconciliation did with one order (besides `NotificationOutcome.RECORDED / UNRECORDED / FAILED`)."""

    EXPIRED = "expired"  # lapsed and not paid: closed at the platform (when it can) and marked expired
    PENDING = "pending"  # still open at the platform; asked again on a later run
    SKIPPED = "skipped"  # handled by another run meanwhile


@dataclass
class PaymentReconciliation:
    """What one run of `fee_payment_attempts_reconcile` did: how many orders it settled, per outcome."""

    recorded: int = 0  # paid at the platform, notification lost: the payment is now recorded
    unrecorded: int = 0  # paid at the platform, but the notice no longer takes it: kept as unrecorded
    failed: int = 0  # closed unpaid at the platform before it lapsed (a lost failure notification)
    expired: int = 0  # lapsed unpaid: closed and marked expired
    pending: int = 0  # still open at the platform
    errors: int = 0  # the platform could not be asked, or its answer was refused: left for the next run

    @property
    def settled(self) -> int:
        return self.recorded + self.unrecorded + self.failed + self.expired


def fee_payment_attempts_reconcile(
    *, now: datetime | None = None, limit: int = RECONCILE_LIMIT
) -> PaymentReconciliation:
    """对账/查单: ask the configured provider about the orders whose outcome we may have missed, and apply its answer.

    Asked (providers with `can_query`, their own orders): started orders at least `QUERY_AFTER` old or lapsed, not
    asked within `REQUERY_AFTER`; and expired orders not asked about since they lapsed (superseded by a new order
    while still open at the platform), lapsed within `FINAL_CHECK_WITHIN`. At most `limit` orders a run, those
    asked longest ago (or never) first, so a backlog is worked through run by run. The platform's answer:

    * paid → applied exactly as its notification would be (`_apply`, the notification's own path): the payment
      recorded once through `case_fee_pay`, or kept as unrecorded when the notice no longer takes it; a
      notification arriving later finds it recorded and changes nothing;
    * closed before the order lapsed → failed, as its failure notification would make it;
    * not paid (or closed) once the order has lapsed → closed at the platform (`close`, when it can) and expired;
    * not paid, not lapsed → left open (asked again on a later run).

    Started orders of another provider, or when the provider cannot be asked, are expired once they lapse (a
    notification that still comes is applied: an expired order still takes money). Each order is first claimed
    with a conditional update of the attempt row alone (committed at once), so two runs at once handle each order
    once; the platform is then asked with no transaction open and no row locked (a slow platform holds up nobody
    at the window); its answer is applied in a transaction that locks the case, the notice, then the attempt (the
    order every fee function uses) and leaves the order alone if a notification settled it meanwhile. A provider
    that cannot be asked, refuses to close, or answers something the order refuses changes nothing (the claim is
    given back) and the next run asks again. Audit: `cases.fee_online_payment_reconciled` besides what the
    notification path records, `cases.fee_online_payment_expired`."""
    now = now or timezone.now()
    try:
        provider = payment_provider()
    except PaymentError:
        provider = None
    asking = provider is not None and provider.asynchronous and provider.can_query
    lapsed = Q(state=PaymentAttemptState.STARTED, expires_at__lte=now)
    if asking:
        due = Q(created_at__lte=now - QUERY_AFTER) | Q(expires_at__lte=now)
        not_just_asked = Q(checked_at__isnull=True) | Q(checked_at__lte=now - REQUERY_AFTER)
        superseded = Q(
            state=PaymentAttemptState.EXPIRED,
            checked_at__isnull=True,
            expires_at__lte=now,
            expires_at__gt=now - FINAL_CHECK_WITHIN,
        )
        ours = (Q(state=PaymentAttemptState.STARTED) & due & not_just_asked) | superseded
        candidates = (Q(provider=provider.key) & ours) | (~Q(provider=provider.key) & lapsed)
    else:
        candidates = lapsed
    rows = list(
        PaymentAttempt.objects.filter(candidates)
        .order_by(F("checked_at").asc(nulls_first=True), "expires_at", "pk")
        .values_list("pk", "state", "checked_at")[:limit]
    )
    result = PaymentReconciliation()
    for pk, state, checked_at in rows:
        try:
            outcome = _reconcile_one(
                pk=pk, state=state, checked_at=checked_at, provider=provider if asking else None, now=now
            )
        except PaymentNotificationRefused:
            result.errors += 1  # logged by `_refuse`; the platform's answer does not match the order
            continue
        except PaymentError as error:
            logger.warning("网上支付查单未成功，下次对账重试：订单 attempt #%s；%s", pk, error)
            result.errors += 1
            continue
        except Exception:
            logger.exception("网上支付查单出错，下次对账重试：订单 attempt #%s", pk)
            result.errors += 1
            continue
        if outcome != ReconcileOutcome.SKIPPED:
            setattr(result, outcome, getattr(result, outcome) + 1)
    if result.settled or result.errors:
        logger.info(
            "网上支付对账：补记入账 %d，未入账 %d，支付未成功 %d，超时关闭 %d，仍待支付 %d，查单失败 %d",
            result.recorded,
            result.unrecorded,
            result.failed,
            result.expired,
            result.pending,
            result.errors,
        )
    return result


@dataclass(frozen=True)
class _Answer:
    """What the platform said of one order, before anything is written: `notification` to apply as such, or
    `expire` (with the platform's `status`, None when not asked, and whether it `closed` the order there)."""

    notification: PaymentNotification | None = None
    expire: bool = False
    status: PaymentOrderStatus | None = None
    closed: bool = False


def _reconcile_one(
    *, pk: int, state: str, checked_at: datetime | None, provider: PaymentProvider | None, now: datetime
) -> str:
    """Claim the order, ask the platform (no transaction open), apply its answer; give the claim back on failure."""
    # The claim: conditions on the attempt row only, which PostgreSQL re-checks once a concurrent run (or a
    # notification) holding the row has committed — that one has moved `checked_at` or the state, so this run
    # updates nothing and leaves the order alone.
    seen = {"checked_at": checked_at} if checked_at is not None else {"checked_at__isnull": True}
    if not PaymentAttempt.objects.filter(pk=pk, state=state, **seen).update(checked_at=now):
        return ReconcileOutcome.SKIPPED
    try:
        row = PaymentAttempt.objects.select_related("notice").get(pk=pk)
        asked = provider if provider is not None and row.provider == provider.key else None
        answer = _ask(provider=asked, row=row, now=now)
        if answer is None:
            return ReconcileOutcome.PENDING  # still open at the platform: only the claim's `checked_at` moved
        with audited_atomic():
            lock(Case(pk=row.notice.case_id))
            notice = _lock_notice(row.notice)
            row = PaymentAttempt.objects.select_for_update(of=("self",)).select_related("payer").get(pk=pk)
            if row.state != state or row.checked_at != now:
                return ReconcileOutcome.SKIPPED  # a notification settled it meanwhile; its word stands
            if answer.expire:
                return _expire(notice=notice, row=row, now=now, status=answer.status, closed=answer.closed)
            return _record_answer(provider=asked, answer=answer, notice=notice, row=row, now=now)
    except BaseException:
        _give_back_claim(pk=pk, state=state, claimed_at=now, checked_at=checked_at)
        raise


def _give_back_claim(*, pk: int, state: str, claimed_at: datetime, checked_at: datetime | None) -> None:
    """Undo the claim of an order whose reconciliation failed: nothing changes, not even `checked_at` (unless
    the order moved on meanwhile)."""
    try:
        PaymentAttempt.objects.filter(pk=pk, state=state, checked_at=claimed_at).update(checked_at=checked_at)
    except Exception:  # the connection is gone: the claim lapses after REQUERY_AFTER (an expired order's stays)
        logger.exception("网上支付查单失败后未能撤回查单标记：订单 attempt #%s", pk)


def _ask(*, provider: PaymentProvider | None, row: PaymentAttempt, now: datetime) -> _Answer | None:
    """Ask `provider` (None: nobody to ask) about the claimed order `row`, and close it there when it lapsed
    unpaid; None while it is still open. Talks to the platform only: nothing is written here."""
    lapsed = row.expires_at <= now
    if provider is None:
        return _Answer(expire=True)
    status = provider.query(reference=row.reference)
    if status.reference != row.reference or status.state not in (
        OrderState.PAID,
        OrderState.NOT_PAID,
        OrderState.CLOSED,
    ):
        raise PaymentError(_("支付平台的查单结果与所查订单不符。"))
    if status.state == OrderState.PAID:
        if status.amount is None:
            raise PaymentError(_("支付平台的查单结果缺少支付金额。"))
        notification = PaymentNotification(
            reference=row.reference, amount=status.amount, paid=True, provider_reference=status.provider_reference
        )
        return _Answer(notification=notification, status=status)
    if lapsed or row.state == PaymentAttemptState.EXPIRED:
        closed = False
        if status.state == OrderState.NOT_PAID and provider.can_close:
            provider.close(reference=row.reference)
            closed = True
        return _Answer(expire=True, status=status, closed=closed)
    if status.state == OrderState.CLOSED:
        failed = PaymentNotification(reference=row.reference, amount=row.amount, paid=False)
        return _Answer(notification=failed, status=status)
    return None


def _record_answer(
    *, provider: PaymentProvider | None, answer: _Answer, notice: FeeNotice, row: PaymentAttempt, now: datetime
) -> str:
    """The platform's paid or closed answer about the claimed, locked order, applied as its notification."""
    status, notification = answer.status, answer.notification
    assert provider is not None and status is not None and notification is not None  # only asked orders answer
    before = row.state
    outcome = _apply(provider=provider, notification=notification, notice=notice, row=row, now=now)
    audit_record(
        actor=SYSTEM_ACTOR,
        action="cases.fee_online_payment_reconciled",
        obj=notice.case,
        before={"notice_id": row.notice_id, "state": before},
        after={
            **_attempt_audit(row),
            "outcome": outcome,
            "platform_state": status.state,
            "provider_reference": status.provider_reference,
            "paid_at": status.paid_at,
            "checked_at": now,
        },
    )
    logger.warning(
        "网上支付查单发现未收到通知的结果（%s）：办件 %s，订单号 %s，支付流水号 %s，金额 %s 元",
        outcome,
        notice.case.number,
        row.reference,
        status.provider_reference or "—",
        _yuan(row.amount),
    )
    return outcome


def _expire(
    *, notice: FeeNotice, row: PaymentAttempt, now: datetime, status: PaymentOrderStatus | None, closed: bool
) -> str:
    before = row.state
    row.state = PaymentAttemptState.EXPIRED
    row.checked_at = now
    fields = ["state", "checked_at"]
    if before != PaymentAttemptState.EXPIRED:
        row.updated_at = now
        fields.append("updated_at")
    row.save(update_fields=fields)
    audit_record(
        actor=SYSTEM_ACTOR,
        action="cases.fee_online_payment_expired",
        obj=notice.case,
        before={"notice_id": row.notice_id, "state": before},
        after={
            **_attempt_audit(row),
            "expires_at": row.expires_at,
            "queried": status is not None,
            "platform_state": status.state if status is not None else None,
            "closed_at_platform": closed,
            "checked_at": now,
        },
    )
    return ReconcileOutcome.EXPIRED
