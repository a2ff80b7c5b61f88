"""Delivery of the result (送达): window pickup or express (address, carrier, tracking number).

The applicant (or staff for them) chooses the method once the case is granted; express only where the item
offers it (ItemVersion.express_delivery). Staff ship an express case or hand a pickup case over at the window
once the result is ready (fees settled, the mapped certificate issued)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import fmt, lock, require_state, sync, tell_applicant, user_or_none
from zhengwu.cases.domain._outcome import announce_pickup, decision_of, result_not_ready_reason
from zhengwu.cases.enums import CaseState, DecisionOutcome, DeliveryMethod, DeliveryState
from zhengwu.cases.models import Case, CaseDelivery
from zhengwu.cases.rules import can_arrange_delivery, can_deliver_case
from zhengwu.notifications.enums import Category

__all__ = ["case_delivery_arrange", "case_hand_over", "case_ship"]

MAX_ADDRESS = 300


def _text(value: str | None, field: str, limit: int, message: str = "", *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: message})
    if len(value) > limit:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": limit}})
    return value


def _snapshot(delivery: CaseDelivery | None) -> dict[str, Any] | None:
    if delivery is None:
        return None
    return {
        "method": delivery.method,
        "state": delivery.state,
        "recipient": delivery.recipient,
        "address": delivery.address,
        "carrier": delivery.carrier,
        "tracking_number": delivery.tracking_number,
    }


def _locked_delivery(locked: Case) -> CaseDelivery | None:
    return CaseDelivery.objects.select_for_update().filter(case=locked).first()


def case_delivery_arrange(
    *, actor: Any, case: Case, method: str, address: str = "", recipient: str = "", phone: str = ""
) -> CaseDelivery:
    """选择送达方式 for a granted case: pickup at the window, or express to an address (only where the item
    offers it). May be changed until the result is shipped or handed over."""
    if method not in DeliveryMethod.values:
        raise ValidationError({"method": _("请选择窗口领取或邮寄送达。")})
    express = method == DeliveryMethod.EXPRESS
    address = _text(address, "address", MAX_ADDRESS, _("请填写邮寄地址。"), required=express)
    recipient = _text(recipient, "recipient", 150, _("请填写收件人。"), required=express)
    phone = _text(phone, "phone", 20, _("请填写收件人联系电话。"), required=express)
    now = timezone.now()
    with audited_atomic():
        locked = lock(case)
        if not can_arrange_delivery(actor, locked):
            raise ValidationError(_("您无权为该办件选择送达方式。"))
        require_state(locked, {CaseState.DECIDED}, _("选择送达方式"))
        decision = decision_of(locked)
        if decision is None or decision.outcome != DecisionOutcome.GRANT:
            raise ValidationError(_("只有准予许可的办件需要选择送达方式。"))
        if express and not locked.item_version.express_delivery:
            raise ValidationError({"method": _("该事项不支持邮寄送达，请选择窗口领取。")})
        delivery = _locked_delivery(locked)
        if delivery is not None and delivery.state != DeliveryState.ARRANGED:
            raise ValidationError(
                _("办理结果%(state)s，不能再更改送达方式。") % {"state": delivery.get_state_display()}
            )
        before = _snapshot(delivery)
        if delivery is None:
            delivery = CaseDelivery(case=locked)
        delivery.method = method
        delivery.address = address if express else ""
        delivery.recipient = recipient or (locked.applicant_name if not express else "")
        delivery.phone = phone or (locked.applicant_phone if not express else "")
        delivery.arranged_by = user_or_none(actor)
        delivery.arranged_at = now
        if express:
            delivery.ready_notified_at = None
        delivery.save()
        audit_record(
            actor=actor,
            action="cases.delivery_arranged",
            obj=locked,
            before=before,
            after=_snapshot(delivery),
        )
        announce_pickup(locked, delivery, actor, now)
    sync(case, locked)
    return delivery


def _ready_to_deliver(locked: Case) -> None:
    require_state(locked, {CaseState.DECIDED}, _("送达办理结果"))
    reason = result_not_ready_reason(locked)
    if reason is not None:
        raise ValidationError(reason)


def case_ship(*, actor: Any, case: Case, carrier: str, tracking_number: str) -> CaseDelivery:
    """寄出: an express case's result is handed to the carrier; the applicant gets the tracking number."""
    carrier = _text(carrier, "carrier", 50, _("请填写快递公司。"), required=True)
    tracking_number = _text(tracking_number, "tracking_number", 50, _("请填写运单号。"), required=True)
    now = timezone.now()
    with audited_atomic():
        locked = lock(case)
        if not can_deliver_case(actor, locked):
            raise ValidationError(_("您无权办理该办件的送达。"))
        _ready_to_deliver(locked)
        delivery = _locked_delivery(locked)
        if delivery is None or delivery.method != DeliveryMethod.EXPRESS:
            raise ValidationError(_("申请人没有选择邮寄送达，不能寄出。"))
        if delivery.state != DeliveryState.ARRANGED:
            raise ValidationError(_("办理结果%(state)s，不能重复寄出。") % {"state": delivery.get_state_display()})
        before = _snapshot(delivery)
        delivery.state = DeliveryState.SHIPPED
        delivery.carrier = carrier
        delivery.tracking_number = tracking_number
        delivery.shipped_by = user_or_none(actor)
        delivery.shipped_at = now
        delivery.save()
        audit_record(
            actor=actor,
            action="cases.shipped",
            obj=locked,
            before=before,
            after={**_snapshot(delivery), "shipped_at": now},
        )
        tell_applicant(
            locked,
            category=Category.CASE_SHIPPED,
            subject=_("办理结果已寄出：%(number)s") % {"number": locked.number},
            body=_(
                "您申请的“%(item)s”办理结果已于 %(at)s 交%(carrier)s寄出，运单号 %(tracking)s，收件地址：%(address)s。"
            )
            % {
                "item": locked.item_version.name,
                "at": fmt(now),
                "carrier": carrier,
                "tracking": tracking_number,
                "address": delivery.address,
            },
            actor=actor,
        )
    sync(case, locked)
    return delivery


def case_hand_over(*, actor: Any, case: Case, recipient_name: str, id_checked: bool) -> CaseDelivery:
    """窗口领取: the result is handed over at the window after checking the recipient's identity document.
    A case with no method chosen is a pickup case."""
    recipient_name = _text(recipient_name, "recipient_name", 150, _("请填写领取人姓名。"), required=True)
    if id_checked is not True:
        raise ValidationError({"id_checked": _("请先核验领取人的身份证件。")})
    now = timezone.now()
    with audited_atomic():
        locked = lock(case)
        if not can_deliver_case(actor, locked):
            raise ValidationError(_("您无权办理该办件的送达。"))
        _ready_to_deliver(locked)
        delivery = _locked_delivery(locked)
        if delivery is not None and delivery.method != DeliveryMethod.PICKUP:
            raise ValidationError(_("申请人选择了邮寄送达，不能在窗口领取；如需改为窗口领取，请先更改送达方式。"))
        if delivery is not None and delivery.state != DeliveryState.ARRANGED:
            raise ValidationError(_("办理结果已于 %(at)s 领取，不能重复领取。") % {"at": fmt(delivery.handed_over_at)})
        before = _snapshot(delivery)
        if delivery is None:
            delivery = CaseDelivery(
                case=locked,
                method=DeliveryMethod.PICKUP,
                recipient=locked.applicant_name,
                phone=locked.applicant_phone,
                arranged_by=user_or_none(actor),
                arranged_at=now,
            )
        delivery.state = DeliveryState.HANDED_OVER
        delivery.handed_over_to = recipient_name
        delivery.id_checked = True
        delivery.handed_over_by = user_or_none(actor)
        delivery.handed_over_at = now
        delivery.save()
        audit_record(
            actor=actor,
            action="cases.handed_over",
            obj=locked,
            before=before,
            after={**_snapshot(delivery), "handed_over_to": recipient_name, "id_checked": True, "handed_over_at": now},
        )
    sync(case, locked)
    return delivery
