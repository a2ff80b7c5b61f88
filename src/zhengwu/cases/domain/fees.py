"""Fees (行政收费, ADR 0014): fee notices from the item's standard, payment at the unified fee window or online
(票款分离), receipt numbers, refunds; the gate `case_fees_settled` that certificates and completion ask.

* After a grant decision the department issues a fee notice (缴费通知); `case_decide` issues it by itself for
  items that charge. Lines default to the version's FeeItems; a fee with a DMN `FeeRule` is computed from the
  case's form data.
* A notice that differs from the standard (a changed amount, an omitted or extra line) or charges a free item
  needs a reason and is flagged to supervision; its audit `after` carries `fee_override`,
  `outside_unified_window` and `free_item_charged` for the 行政收费 monitoring point.
* Only a fee clerk at a unified fee window serving the department, or the applicant online where the item allows
  it, records a payment; always the notice's whole total. Every payment gets a receipt number (票据号).
* A refund (退费) is asked for by the fee window and carried out only when a leader in charge or the head of the
  case's department approves it, never the one who asked (退费审批, four eyes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.enums import UserKind
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import SYSTEM_ACTOR, lock, tell_applicant, user_or_none
from zhengwu.cases.domain.fee_rules import dmn_fee
from zhengwu.cases.enums import (
    FEE_PAID_STATES,
    FEE_REFUND_OPEN_STATES,
    WINDOW_PAYMENT_METHODS,
    CaseState,
    DecisionOutcome,
    FeeNoticeState,
    FeeRefundRequestState,
    PaymentMethod,
)
from zhengwu.cases.models import (
    Case,
    CaseDecision,
    FeeNotice,
    FeeNoticeLine,
    FeePayment,
    FeeReceiptCounter,
    FeeRefund,
    FeeRefundRequest,
    FeeRule,
)
from zhengwu.cases.payments import PaymentError, payment_provider
from zhengwu.cases.rules import (
    FEE_REFUND_APPROVER_ROLES,
    can_collect_fees,
    can_decide_fee_refund,
    can_issue_fee_notice,
    can_pay_online,
    can_request_fee_refund,
    fee_window,
    registered_by_external_system,
)
from zhengwu.catalog.models import FeeItem
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.org.enums import WindowKind
from zhengwu.workflow.rules import is_system_actor

__all__ = [
    "FeeLine",
    "case_fee_notice_cancel",
    "case_fee_notice_issue",
    "case_fee_pay",
    "case_fees_issue_after_grant",
    "case_fees_settled",
    "fee_lines_standard",
    "fee_refund_approve",
    "fee_refund_approvers",
    "fee_refund_reject",
    "fee_refund_request",
    "fee_refund_withdraw",
    "refundable_amount",
]

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")
MAX_TEXT = 2000
MAX_RECEIPT_SERIAL = 999_999


@dataclass(frozen=True)
class FeeLine:
    """A line of a notice before it is saved. `standard_amount` is per unit; the standard of the line is
    `standard_amount * quantity`."""

    fee_item: FeeItem | None
    name: str
    unit: str
    legal_basis: str
    standard_amount: Decimal
    quantity: int
    charged_amount: Decimal

    @property
    def standard_total(self) -> Decimal:
        return self.standard_amount * self.quantity

    @property
    def differs(self) -> bool:
        return self.charged_amount != self.standard_total


# ---------------------------------------------------------------- helpers


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("请填写有效的金额（元，最多两位小数）。")}) from None
    # The range first: quantizing an amount of more digits than the context's precision raises InvalidOperation.
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise ValidationError({field: _("请填写有效的金额（元，最多两位小数）。")})
    return amount.quantize(CENT)


def _text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return value


def _yuan(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _portal_link(case: Case) -> str:
    return reverse("portal:case_detail", args=[case.number])


def _tell(case: Case, *, category: Category, subject: str, body: str, actor: Any) -> None:
    if case.applicant_id is None:  # registered at the window without an account: by SMS to the case's phone
        tell_applicant(case, category=category, subject=subject, body=body, actor=actor)
        return
    notify(
        recipients=[case.applicant], category=category, subject=subject, body=body, link=_portal_link(case), actor=actor
    )


def _granted(case: Case) -> bool:
    return CaseDecision.objects.filter(case=case, outcome=DecisionOutcome.GRANT).exists()


def _lock_notice(notice: FeeNotice) -> FeeNotice:
    return (
        FeeNotice.objects.select_for_update(of=("self",))
        .select_related("case__item_version", "case__department")
        .get(pk=notice.pk)
    )


def _sync(target, source):
    if target is not source:
        for field in type(source)._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
        target._state.fields_cache.clear()
    return target


def _lines_audit(lines) -> list[dict[str, Any]]:
    return [
        {
            "fee_item_id": line.fee_item.pk if line.fee_item is not None else None,
            "name": line.name,
            "standard_amount": _yuan(line.standard_amount),
            "quantity": line.quantity,
            "charged_amount": _yuan(line.charged_amount),
            "differs": line.differs,
        }
        for line in lines
    ]


def _flags(notice: FeeNotice, *, outside_unified_window: bool = False) -> dict[str, Any]:
    """The fields supervision's 行政收费 monitoring point reads."""
    return {
        "fee_override": notice.fee_override,
        "outside_unified_window": outside_unified_window,
        "free_item_charged": notice.free_item_charged,
        "flagged_for_supervision": notice.flagged_for_supervision,
        "override_reason": notice.override_reason,
        "department_id": notice.case.department_id,
    }


# ---------------------------------------------------------------- the standard


def fee_lines_standard(case: Case, *, use_rules: bool = True) -> list[FeeLine]:
    """The lines the item's standard charges for this case: each FeeItem of its version, computed by the item's
    DMN rule for that fee when there is one (and `use_rules`). ValidationError when a rule cannot be evaluated."""
    version = case.item_version
    items = list(FeeItem.objects.filter(version_id=version.pk).order_by("position", "pk"))
    rules = (
        {rule.fee_name: rule.dmn_xml for rule in FeeRule.objects.filter(item_id=version.item_id)} if use_rules else {}
    )
    lines = []
    for item in items:
        amount, quantity = item.standard_amount, 1
        if item.name in rules:
            try:
                computed = dmn_fee(rules[item.name], case.form_data or {})
            except ValidationError as error:
                raise ValidationError(
                    _("收费项目“%(name)s”的计算规则无法计算：%(problem)s")
                    % {"name": item.name, "problem": "；".join(error.messages)}
                ) from None
            amount, quantity = computed.amount, computed.quantity
        lines.append(
            FeeLine(
                fee_item=item,
                name=item.name,
                unit=item.unit,
                legal_basis=item.legal_basis,
                standard_amount=amount,
                quantity=quantity,
                charged_amount=amount * quantity,
            )
        )
    return lines


def _lines_from_input(lines: list[dict[str, Any]], standard: list[FeeLine]) -> list[FeeLine]:
    """Lines as given: a catalogue fee ({"fee_item": FeeItem or id, "charged_amount": ...}; its standard and
    quantity come from the item) or an extra line ({"name", "charged_amount", "quantity"}; standard 0)."""
    if not isinstance(lines, list) or not lines:
        raise ValidationError({"lines": _("请至少列出一个收费项目。")})
    by_item = {line.fee_item.pk: line for line in standard}
    result: list[FeeLine] = []
    seen: set[int] = set()
    for index, entry in enumerate(lines):
        if not isinstance(entry, dict):
            raise ValidationError({"lines": _("收费项目格式不正确。")})
        ref = entry.get("fee_item")
        if ref not in (None, ""):
            pk = getattr(ref, "pk", ref)
            try:
                pk = int(pk)
            except (TypeError, ValueError):
                pk = None
            base = by_item.get(pk)
            if base is None:
                raise ValidationError({"lines": _("第 %(n)d 行的收费项目不属于该事项。") % {"n": index + 1}})
            if pk in seen:
                raise ValidationError({"lines": _("收费项目“%(name)s”重复列出。") % {"name": base.name}})
            seen.add(pk)
            charged = entry.get("charged_amount")
            charged = base.charged_amount if charged in (None, "") else _money(charged, f"lines-{index}-charged_amount")
            result.append(
                FeeLine(
                    fee_item=base.fee_item,
                    name=base.name,
                    unit=base.unit,
                    legal_basis=base.legal_basis,
                    standard_amount=base.standard_amount,
                    quantity=base.quantity,
                    charged_amount=charged,
                )
            )
            continue
        name = str(entry.get("name") or "").strip()
        if not name or len(name) > 200:
            raise ValidationError({"lines": _("第 %(n)d 行请填写收费项目名称（200 字以内）。") % {"n": index + 1}})
        try:
            quantity = int(entry.get("quantity") or 1)
        except (TypeError, ValueError):
            quantity = 0
        if quantity < 1:
            raise ValidationError({"lines": _("第 %(n)d 行的数量必须是正整数。") % {"n": index + 1}})
        result.append(
            FeeLine(
                fee_item=None,
                name=name,
                unit=str(entry.get("unit") or "")[:30],
                legal_basis=str(entry.get("legal_basis") or "")[:500],
                standard_amount=Decimal("0.00"),
                quantity=quantity,
                charged_amount=_money(entry.get("charged_amount"), f"lines-{index}-charged_amount"),
            )
        )
    return result


# ---------------------------------------------------------------- notices


def _issue_locked(
    locked: Case,
    *,
    actor: Any,
    lines: list[FeeLine],
    standard: list[FeeLine],
    override_reason: str,
    due_date,
    standard_error: str = "",
) -> FeeNotice:
    total = sum((line.charged_amount for line in lines), Decimal("0.00"))
    if total <= 0:
        raise ValidationError({"lines": _("应缴金额为零，无需开具缴费通知。")})
    if total > MAX_AMOUNT:
        raise ValidationError({"lines": _("应缴金额过大。")})
    charged_items = {line.fee_item.pk for line in lines if line.fee_item is not None}
    omitted = [line for line in standard if line.fee_item.pk not in charged_items and line.standard_total > 0]
    free_item_charged = bool(locked.item_version.is_free)
    fee_override = free_item_charged or bool(standard_error) or bool(omitted) or any(line.differs for line in lines)
    if fee_override and not override_reason:
        raise ValidationError(
            {
                "override_reason": _("不收费事项收费须填写理由，并报送监察。")
                if free_item_charged
                else _("收费金额与收费标准不一致，须填写调整理由，并报送监察。")
            }
        )
    if FeeNotice.objects.filter(case=locked, state=FeeNoticeState.ISSUED).exists():
        raise ValidationError(_("该办件已有待缴费的缴费通知，请先作废后再开具。"))
    notice = FeeNotice.objects.create(
        case=locked,
        total=total,
        fee_override=fee_override,
        free_item_charged=free_item_charged,
        override_reason=override_reason if fee_override else "",
        flagged_for_supervision=fee_override,
        due_date=due_date,
        issued_by=user_or_none(actor),
        issued_at=timezone.now(),
    )
    FeeNoticeLine.objects.bulk_create(
        FeeNoticeLine(
            notice=notice,
            position=position,
            fee_item=line.fee_item,
            name=line.name,
            unit=line.unit,
            legal_basis=line.legal_basis,
            standard_amount=line.standard_amount,
            quantity=line.quantity,
            charged_amount=line.charged_amount,
        )
        for position, line in enumerate(lines)
    )
    audit_record(
        actor=actor,
        action="cases.fee_notice_issued",
        obj=locked,
        before={"open_notice": None},
        after={
            "notice_id": notice.pk,
            "total": _yuan(total),
            "standard_total": _yuan(sum((line.standard_total for line in standard), Decimal("0.00"))),
            "lines": _lines_audit(lines),
            "omitted_fee_item_ids": [line.fee_item.pk for line in omitted],
            "standard_error": standard_error,
            "due_date": due_date,
            **_flags(notice),
        },
    )
    _tell(
        locked,
        category=Category.CASE_FEE_NOTICE,
        subject=_("缴费通知：%(number)s 应缴 %(total)s 元") % {"number": locked.number, "total": _yuan(total)},
        body="\n".join(f"{line.name}：{_yuan(line.charged_amount)} 元" for line in lines)
        + "\n"
        + (
            _("请到政务服务中心统一收费窗口缴费，或在网上办件页面在线支付。")
            if locked.item_version.online_payment and locked.applicant_id is not None
            else _("请凭办件编号到政务服务中心统一收费窗口缴费。")
        ),
        actor=actor,
    )
    return notice


def case_fee_notice_issue(
    *,
    actor: Any,
    case: Case,
    lines: list[dict[str, Any]] | None = None,
    override_reason: str = "",
    due_date: date | None = None,
) -> FeeNotice:
    """Issue a fee notice (缴费通知) on a granted case (decided → still decided). Without `lines`, the item's
    standard; with them, as given (see `_lines_from_input`). A notice that departs from the standard, or any
    charge on a free item, needs `override_reason` and is flagged to supervision."""
    override_reason = (override_reason or "").strip()
    if len(override_reason) > MAX_TEXT:
        raise ValidationError({"override_reason": _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    with audited_atomic():
        locked = lock(case)
        if not (is_system_actor(actor) or can_issue_fee_notice(actor, locked)):
            raise ValidationError(_("您无权开具该办件的缴费通知。"))
        if locked.state != CaseState.DECIDED or not _granted(locked):
            raise ValidationError(_("只有已作出准予许可决定的办件才能开具缴费通知。"))
        standard_error = ""
        try:
            standard = fee_lines_standard(locked)
        except ValidationError as error:
            if lines is None:
                raise
            # Lines given by hand while the rule cannot compute the standard: an override by definition.
            standard_error = "；".join(error.messages)
            standard = fee_lines_standard(locked, use_rules=False)
        chosen = standard if lines is None else _lines_from_input(lines, standard)
        notice = _issue_locked(
            locked,
            actor=actor,
            lines=chosen,
            standard=standard,
            override_reason=override_reason,
            due_date=due_date,
            standard_error=standard_error,
        )
    return notice


def case_fees_issue_after_grant(*, case: Case) -> FeeNotice | None:
    """What `case_decide` calls after a grant: the standard notice for an item that charges, issued by the
    system. A standard of zero (e.g. an exemption in the DMN table) issues nothing; a rule that cannot be
    evaluated is logged and left to the department, so the decision stands. A case a department's own system
    registered is left to that system, which collects its fees."""
    if case.item_version.is_free or registered_by_external_system(case):
        return None
    try:
        with audited_atomic():
            return case_fee_notice_issue(actor=SYSTEM_ACTOR, case=case)
    except ValidationError as error:
        logger.warning("办件 %s 未自动开具缴费通知：%s", case.number, "；".join(error.messages))
        return None


def case_fee_notice_cancel(*, actor: Any, notice: FeeNotice, reason: str) -> FeeNotice:
    """Cancel (作废) an unpaid notice, with the reason; the department may then issue a corrected one."""
    reason = _text(reason, "reason", _("请填写作废理由。"))
    with audited_atomic():
        lock(notice.case)
        locked = _lock_notice(notice)
        if not can_issue_fee_notice(actor, locked.case):
            raise ValidationError(_("您无权作废该缴费通知。"))
        if locked.state != FeeNoticeState.ISSUED:
            raise ValidationError(
                _("缴费通知当前状态为“%(state)s”，不能作废。") % {"state": FeeNoticeState(locked.state).label}
            )
        locked.state = FeeNoticeState.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason
        locked.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        audit_record(
            actor=actor,
            action="cases.fee_notice_cancelled",
            obj=locked.case,
            before={"notice_id": locked.pk, "state": FeeNoticeState.ISSUED},
            after={"notice_id": locked.pk, "state": locked.state, "reason": reason, "total": _yuan(locked.total)}
            | _flags(locked),
        )
        _tell(
            locked.case,
            category=Category.CASE_FEE_NOTICE,
            subject=_("缴费通知已作废：%(number)s") % {"number": locked.case.number},
            body=_("作废理由：%(reason)s\n如仍需缴费，将另行通知。") % {"reason": reason},
            actor=actor,
        )
    return _sync(notice, locked)


# ---------------------------------------------------------------- payments


def allocate_receipt_number(day: date) -> str:
    """Next receipt number (票据号) of the day: SF + yyyymmdd + 6-digit serial; the counter stays locked until
    the caller commits."""
    counter, _created = FeeReceiptCounter.objects.get_or_create(day=day)
    counter = FeeReceiptCounter.objects.select_for_update().get(pk=counter.pk)
    while True:
        counter.last_serial += 1
        if counter.last_serial > MAX_RECEIPT_SERIAL:
            raise ValidationError(_("当日票据号已用尽。"))
        number = f"SF{day:%Y%m%d}{counter.last_serial:06d}"
        if not FeePayment.objects.filter(receipt_number=number).exists():
            break
    counter.save(update_fields=["last_serial"])
    return number


def require_payable(notice: FeeNotice, case: Case) -> None:
    """A notice takes money only while it is issued and its case decided."""
    if notice.state != FeeNoticeState.ISSUED:
        raise ValidationError(
            _("缴费通知当前状态为“%(state)s”，不能缴费。") % {"state": FeeNoticeState(notice.state).label}
        )
    if case.state != CaseState.DECIDED:
        raise ValidationError(_("办件当前状态为“%(state)s”，不能缴费。") % {"state": CaseState(case.state).label})


def case_fee_pay(
    *, actor: Any, notice: FeeNotice, method: str, amount: Any, provider_reference: str = ""
) -> FeePayment:
    """Record payment of a notice in full: cash or card by a fee clerk at a unified fee window serving the
    case's department, or online by the applicant (the provider must confirm `provider_reference`; a provider
    that confirms later gets here from its notification, `online_payment.fee_payment_attempt_notify`). Gives the
    payment a receipt number (票据号)."""
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("请选择缴费方式。")})
    amount = _money(amount, "amount")
    provider_reference = (provider_reference or "").strip()
    now = timezone.now()
    with audited_atomic():
        lock(notice.case)
        locked = _lock_notice(notice)
        case = locked.case
        window = None
        if method in WINDOW_PAYMENT_METHODS:
            if not can_collect_fees(actor, case):
                raise ValidationError(_("只有统一收费窗口的收费人员才能收取该办件的费用（票款分离）。"))
            window = fee_window(actor)
        elif not can_pay_online(actor, case):
            raise ValidationError(_("该事项不支持网上支付，或您不是该办件的申请人。"))
        require_payable(locked, case)
        if amount != locked.total:
            message = _("缴费金额必须等于应缴金额 %(total)s 元（不接受部分缴费）。") % {"total": _yuan(locked.total)}
            raise ValidationError({"amount": message})
        if method == PaymentMethod.ONLINE and not (
            provider_reference
            and len(provider_reference) <= 100
            and payment_provider().verify(reference=provider_reference, notice=locked, amount=amount)
        ):
            raise ValidationError(_("未能确认网上支付结果，请重新支付。"))
        payment = FeePayment.objects.create(
            notice=locked,
            amount=amount,
            method=method,
            receipt_number=allocate_receipt_number(timezone.localdate(now)),
            provider_reference=provider_reference if method == PaymentMethod.ONLINE else "",
            collected_by=user_or_none(actor),
            window=window,
            paid_at=now,
        )
        locked.state = FeeNoticeState.PAID
        locked.save(update_fields=["state"])
        outside = method != PaymentMethod.ONLINE and (window is None or window.kind != WindowKind.FEE)
        audit_record(
            actor=actor,
            action="cases.fee_paid",
            obj=case,
            before={"notice_id": locked.pk, "state": FeeNoticeState.ISSUED},
            after={
                "notice_id": locked.pk,
                "state": locked.state,
                "payment_id": payment.pk,
                "receipt_number": payment.receipt_number,
                "amount": _yuan(amount),
                "method": method,
                "window_id": window.pk if window is not None else None,
                **_flags(locked, outside_unified_window=outside),
            },
        )
        _tell(
            case,
            category=Category.CASE_FEE_PAID,
            subject=_("缴费成功：%(number)s %(amount)s 元") % {"number": case.number, "amount": _yuan(amount)},
            body=_("票据号：%(receipt)s\n缴费方式：%(method)s")
            % {"receipt": payment.receipt_number, "method": PaymentMethod(method).label},
            actor=actor,
        )
    _sync(notice, locked)
    return payment


def refunded_total(payment: FeePayment) -> Decimal:
    return payment.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def pending_refund_total(payment: FeePayment, *, exclude: FeeRefundRequest | None = None) -> Decimal:
    """What refund requests still awaiting approval hold back from the payment."""
    requests = FeeRefundRequest.objects.filter(payment_id=payment.pk, state__in=FEE_REFUND_OPEN_STATES)
    if exclude is not None:
        requests = requests.exclude(pk=exclude.pk)
    return requests.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def refundable_amount(payment: FeePayment) -> Decimal:
    """What may still be asked for: the payment less its refunds and the requests awaiting approval."""
    return payment.amount - refunded_total(payment) - pending_refund_total(payment)


def fee_refund_approvers(department) -> list:
    """Who is told of a department's refund requests: its leaders in charge, or its head when it has none."""
    users = get_user_model().objects.filter(is_active=True, kind=UserKind.STAFF, staff__department=department)
    for role in FEE_REFUND_APPROVER_ROLES:
        found = list(users.filter(role_assignments__role=role).distinct().order_by("pk"))
        if found:
            return found
    return []


def _lock_request(request: FeeRefundRequest) -> tuple[FeeNotice, FeeRefundRequest]:
    """Lock the case, the notice and the request, in the order every fee function locks them (case first), so
    two officials deciding the same request at once are served one after the other."""
    notice_id = FeePayment.objects.filter(pk=request.payment_id).values_list("notice_id", flat=True).get()
    notice = FeeNotice.objects.only("case_id").get(pk=notice_id)
    lock(Case(pk=notice.case_id))
    locked = _lock_notice(notice)
    row = (
        FeeRefundRequest.objects.select_for_update(of=("self",))
        .select_related("payment", "requested_by")
        .get(pk=request.pk)
    )
    return locked, row


def _request_audit(row: FeeRefundRequest, notice: FeeNotice) -> dict[str, Any]:
    return {
        "notice_id": notice.pk,
        "payment_id": row.payment_id,
        "receipt_number": row.payment.receipt_number,
        "request_id": row.pk,
        "request_state": row.state,
        "amount": _yuan(row.amount),
        "reason": row.reason,
        "requested_by_id": row.requested_by_id,
        "window_id": row.window_id,
        "department_id": notice.case.department_id,
    }


def _require_open(row: FeeRefundRequest, action: str) -> None:
    if row.state not in FEE_REFUND_OPEN_STATES:
        raise ValidationError(
            _("该退费申请当前状态为“%(state)s”，不能%(action)s。")
            % {"state": FeeRefundRequestState(row.state).label, "action": action}
        )


def fee_refund_request(*, actor: Any, payment: FeePayment, amount: Any, reason: str) -> FeeRefundRequest:
    """Ask (申请退费) for part or all of a payment back, with the reason, at a unified fee window serving the case's
    department. Nothing is refunded yet: the department's leader in charge or head approves it
    (`fee_refund_approve`). The amount may not exceed the payment less its refunds and the requests still
    awaiting approval."""
    amount = _money(amount, "amount")
    reason = _text(reason, "reason", _("请填写退费理由。"))
    if amount <= 0:
        raise ValidationError({"amount": _("退费金额必须大于零。")})
    with audited_atomic():
        notice = FeeNotice.objects.only("case_id").get(pk=payment.notice_id)
        lock(Case(pk=notice.case_id))
        locked = _lock_notice(notice)
        case = locked.case
        if not can_request_fee_refund(actor, case):
            raise ValidationError(_("只有统一收费窗口的收费人员才能申请该办件的退费。"))
        if locked.state not in FEE_PAID_STATES:
            raise ValidationError(_("该缴费通知没有可退的款项。"))
        row = FeePayment.objects.get(pk=payment.pk)
        refunded, pending = refunded_total(row), pending_refund_total(row)
        left = row.amount - refunded - pending
        if amount > left:
            if pending:
                message = _("退费金额不能超过可退金额 %(left)s 元（另有待审批的退费 %(pending)s 元）。") % {
                    "left": _yuan(left),
                    "pending": _yuan(pending),
                }
            else:
                message = _("退费金额不能超过可退金额 %(left)s 元。") % {"left": _yuan(left)}
            raise ValidationError({"amount": message})
        request = FeeRefundRequest.objects.create(
            payment=row,
            amount=amount,
            reason=reason,
            requested_by=user_or_none(actor),
            window=fee_window(actor),
            requested_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="cases.fee_refund_requested",
            obj=case,
            before={"notice_id": locked.pk, "refunded": _yuan(refunded), "pending": _yuan(pending)},
            after={**_request_audit(request, locked), "pending": _yuan(pending + amount)},
        )
        recipients = [user for user in fee_refund_approvers(case.department) if user.pk != request.requested_by_id]
        if recipients:
            notify(
                recipients=recipients,
                category=Category.CASE_FEE_REFUND_REQUESTED,
                subject=_("退费审批：%(number)s 申请退费 %(amount)s 元")
                % {"number": case.number, "amount": _yuan(amount)},
                body=_("票据号：%(receipt)s，实收 %(paid)s 元\n退费理由：%(reason)s")
                % {"receipt": row.receipt_number, "paid": _yuan(row.amount), "reason": reason},
                link=reverse("workbench:fee_refund_queue"),
                actor=actor,
            )
    return request


def _refund_execute(*, actor: Any, notice: FeeNotice, row: FeeRefundRequest) -> FeeRefund:
    """Give the money back for an approved request (the notice, case and request locked by the caller): through
    the provider for an online payment; the refund is recorded under the requester and their window."""
    payment = row.payment
    already = refunded_total(payment)
    if row.amount > payment.amount - already:  # kept true by the request's check; guards older data
        raise ValidationError(
            {"amount": _("退费金额不能超过可退金额 %(left)s 元。") % {"left": _yuan(payment.amount - already)}}
        )
    reference = ""
    if payment.method == PaymentMethod.ONLINE:
        try:
            reference = payment_provider().refund(reference=payment.provider_reference, amount=row.amount)
        except PaymentError as error:
            raise ValidationError(_("网上退款失败：%(reason)s") % {"reason": str(error)}) from None
    refund = FeeRefund.objects.create(
        payment=payment,
        amount=row.amount,
        reason=row.reason,
        provider_reference=reference[:100],
        recorded_by_id=row.requested_by_id,
        window_id=row.window_id,
        refunded_at=timezone.now(),
    )
    before_state = notice.state
    notice.state = (
        FeeNoticeState.REFUNDED if already + row.amount == payment.amount else FeeNoticeState.PARTIALLY_REFUNDED
    )
    notice.save(update_fields=["state"])
    case = notice.case
    audit_record(
        actor=actor,
        action="cases.fee_refunded",
        obj=case,
        before={"notice_id": notice.pk, "state": before_state, "refunded": _yuan(already)},
        after={
            "notice_id": notice.pk,
            "state": notice.state,
            "payment_id": payment.pk,
            "receipt_number": payment.receipt_number,
            "refund_id": refund.pk,
            "request_id": row.pk,
            "requested_by_id": row.requested_by_id,
            "amount": _yuan(row.amount),
            "refunded": _yuan(already + row.amount),
            "reason": row.reason,
            "window_id": row.window_id,
            **_flags(notice),
        },
    )
    _tell(
        case,
        category=Category.CASE_FEE_REFUNDED,
        subject=_("退费：%(number)s %(amount)s 元") % {"number": case.number, "amount": _yuan(row.amount)},
        body=_("票据号：%(receipt)s\n退费理由：%(reason)s") % {"receipt": payment.receipt_number, "reason": row.reason},
        actor=actor,
    )
    return refund


def _tell_requester(row: FeeRefundRequest, case: Case, *, actor: Any) -> None:
    if row.requested_by is None:
        return
    subject = _("退费申请%(state)s：%(number)s %(amount)s 元") % {
        "state": row.get_state_display(),
        "number": case.number,
        "amount": _yuan(row.amount),
    }
    notify(
        recipients=[row.requested_by],
        category=Category.CASE_FEE_REFUND_DECIDED,
        subject=subject,
        body=row.decision_note or row.get_state_display(),
        link=reverse("workbench:fee_notice", args=[row.payment.notice_id]),
        actor=actor,
    )


def _decide(*, actor: Any, request: FeeRefundRequest, approve: bool, note: str) -> FeeRefundRequest:
    now = timezone.now()
    with audited_atomic():
        locked, row = _lock_request(request)
        case = locked.case
        if row.requested_by_id is not None and row.requested_by_id == getattr(actor, "pk", None):
            raise ValidationError(_("本人申请的退费不能由本人审批。"))
        if not can_decide_fee_refund(actor, case):
            raise ValidationError(_("只有本部门的分管领导或单位负责人可以审批退费。"))
        _require_open(row, _("审批"))
        before = _request_audit(row, locked)
        row.decided_by = user_or_none(actor)
        row.decided_at = now
        row.decision_note = note
        row.state = FeeRefundRequestState.APPROVED if approve else FeeRefundRequestState.REJECTED
        audit_record(
            actor=actor,
            action="cases.fee_refund_approved" if approve else "cases.fee_refund_rejected",
            obj=case,
            before=before,
            after={**_request_audit(row, locked), "note": note},
        )
        if approve:
            row.refund = _refund_execute(actor=actor, notice=locked, row=row)
        row.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "refund"])
        _tell_requester(row, case, actor=actor)
    return _sync(request, row)


def fee_refund_approve(*, actor: Any, request: FeeRefundRequest, note: str = "") -> FeeRefundRequest:
    """Approve a pending refund request (批准退费) — the leader in charge or head of the case's department, never
    the requester — and refund it at once: through the provider for an online payment, a `FeeRefund` row, the
    notice partially_refunded / refunded, the applicant told. Two officials approving at once: one refunds, the
    other is told the request was already decided."""
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return _decide(actor=actor, request=request, approve=True, note=note)


def fee_refund_reject(*, actor: Any, request: FeeRefundRequest, note: str) -> FeeRefundRequest:
    """Reject a pending refund request (不予退费), with the reason; nothing is refunded and the requester is told."""
    note = _text(note, "note", _("不予退费的，请填写审批意见。"))
    return _decide(actor=actor, request=request, approve=False, note=note)


def fee_refund_withdraw(*, actor: Any, request: FeeRefundRequest, note: str = "") -> FeeRefundRequest:
    """Withdraw (撤回) one's own pending refund request; its amount may be asked for again."""
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    with audited_atomic():
        locked, row = _lock_request(request)
        if row.requested_by_id is None or row.requested_by_id != getattr(actor, "pk", None):
            raise ValidationError(_("只有退费申请人本人可以撤回退费申请。"))
        _require_open(row, _("撤回"))
        before = _request_audit(row, locked)
        row.state = FeeRefundRequestState.WITHDRAWN
        row.decided_by = user_or_none(actor)
        row.decided_at = timezone.now()
        row.decision_note = note
        row.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="cases.fee_refund_withdrawn",
            obj=locked.case,
            before=before,
            after={**_request_audit(row, locked), "note": note},
        )
    return _sync(request, row)


# ---------------------------------------------------------------- the gate


def case_fees_settled(*, case: Case, notices: Sequence[FeeNotice] | None = None, granted: bool | None = None) -> bool:
    """True when the case owes nothing: no notice awaits payment, and a granted case of an item that charges
    has paid a notice (or its standard comes to zero, e.g. an exemption in the DMN table). `notices` (the case's
    notices, cancelled ones may be left out) and `granted`, when the caller has them, save their queries."""
    stored = FeeNotice.objects.filter(case_id=case.pk)
    if notices is None:
        awaiting = stored.filter(state=FeeNoticeState.ISSUED).exists()
    else:
        awaiting = any(notice.state == FeeNoticeState.ISSUED for notice in notices)
    if awaiting:
        return False
    version = case.item_version
    if version.is_free or not (_granted(case) if granted is None else granted):
        return True
    if notices is None:
        paid = stored.filter(state__in=FEE_PAID_STATES).exists()
    else:
        paid = any(notice.state in FEE_PAID_STATES for notice in notices)
    if paid:
        return True
    try:
        return sum((line.charged_amount for line in fee_lines_standard(case)), Decimal("0.00")) == 0
    except ValidationError:
        return False
