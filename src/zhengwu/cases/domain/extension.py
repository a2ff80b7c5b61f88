"""Extension (延期) of a case's handling period (《行政许可法》第四十二条, ADR 0016).

The handler or section head asks; the leader in charge or head of the department (本行政机关负责人) decides.
An approval extends the handling clock (workcal clock_extend) and the applicant is told the reason and the new
due date. One approved extension per case; its days are capped by the clock's statutory preset
(licence_decision: 10 working days) or, without one, by DEFAULT_EXTENSION_DAYS."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.enums import Role, UserKind
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import lock, require_state, snapshot, sync, tell_applicant, user_or_none
from zhengwu.cases.domain.acceptance import MAX_TEXT
from zhengwu.cases.enums import DEFAULT_EXTENSION_DAYS, MAX_APPROVED_EXTENSIONS, CaseState, ExtensionState
from zhengwu.cases.models import Case, CaseExtension
from zhengwu.cases.rules import can_decide_extension, can_manage_case_clock
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.org.models import Department
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.domain.clock import clock_extend
from zhengwu.workcal.models.clock import Clock
from zhengwu.workcal.presets import get_preset

__all__ = [
    "case_extension_decide",
    "case_extension_request",
    "extension_approvers",
    "extension_limit_days",
]

EXTENDABLE_STATES = frozenset({CaseState.IN_PROGRESS, CaseState.SUSPENDED})


def extension_limit_days(clock: Clock) -> int:
    """The most days the handling clock may be extended by: its preset's statutory extension, else the default."""
    if clock.preset:
        try:
            return get_preset(clock.preset).max_extension_days
        except KeyError:
            pass
    return DEFAULT_EXTENSION_DAYS


def extension_approvers(department: Department) -> list:
    """Who decides the department's extensions: its leaders in charge, or its head when it has none."""
    users = get_user_model().objects.filter(is_active=True, kind=UserKind.STAFF, staff__department=department)
    for role in (Role.LEADER_IN_CHARGE, Role.UNIT_HEAD):
        found = list(users.filter(role_assignments__role=role).distinct().order_by("pk"))
        if found:
            return found
    return []


def _text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return value


def _handling_clock(case: Case) -> Clock:
    if case.handling_clock_id is None:
        raise ValidationError(_("办件没有办理计时，不能延长办理期限。"))
    return Clock.objects.get(pk=case.handling_clock_id)


def _check_extendable(case: Case, clock: Clock, now) -> int:
    """Refuse when the case may not (or no longer) be extended; returns the most days allowed."""
    if CaseExtension.objects.filter(case=case, state=ExtensionState.APPROVED).count() >= MAX_APPROVED_EXTENSIONS:
        raise ValidationError(_("该办件已延长过办理期限，依法只能延长一次。"))
    limit = extension_limit_days(clock)
    if limit < 1:
        raise ValidationError(_("“%(name)s”依法不可延长。") % {"name": get_preset(clock.preset).name})
    if clock.status == ClockStatus.STOPPED:
        raise ValidationError(_("办理计时已停止，不能延长。"))
    if clock.status == ClockStatus.RUNNING and now > clock.due_at:
        raise ValidationError(_("办理期限已于 %(date)s 届满，不能再延长。") % {"date": clock.due_date.isoformat()})
    return limit


def case_extension_request(*, actor: Any, case: Case, reason: str, days: int | None = None) -> CaseExtension:
    """Ask to extend the handling period by `days` (default: the statutory extension); the department's
    leaders in charge are notified."""
    reason = _text(reason, "reason", _("请填写延长办理期限的理由。"))
    now = timezone.now()
    with audited_atomic():
        locked = lock(case)
        if not can_manage_case_clock(actor, locked):
            raise ValidationError(_("只有本部门的承办人或科长可以申请延长办理期限。"))
        require_state(locked, EXTENDABLE_STATES, _("申请延长办理期限"))
        if CaseExtension.objects.filter(case=locked, state=ExtensionState.REQUESTED).exists():
            raise ValidationError(_("该办件已有待审批的延期申请。"))
        clock = _handling_clock(locked)
        limit = _check_extendable(locked, clock, now)
        if days is None:
            days = limit
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
            raise ValidationError(
                {"days": _("延长天数须为 1 至 %(max)d %(unit)s。") % {"max": limit, "unit": clock.unit_label}}
            )
        extension = CaseExtension.objects.create(
            case=locked,
            days=days,
            reason=reason,
            requested_by=user_or_none(actor),
            requested_at=now,
            due_date_before=clock.due_date,
        )
        audit_record(
            actor=actor,
            action="cases.extension_requested",
            obj=locked,
            before=snapshot(locked),
            after={
                **snapshot(locked),
                "extension_id": extension.pk,
                "days": days,
                "unit": clock.unit_label,
                "reason": reason,
                "due_date_before": clock.due_date.isoformat(),
            },
        )
        recipients = [user for user in extension_approvers(locked.department) if user.pk != extension.requested_by_id]
        if recipients:
            notify(
                recipients=recipients,
                category=Category.CASE_EXTENSION_REQUESTED,
                subject=_("延期审批：%(number)s 申请延长 %(days)d %(unit)s")
                % {"number": locked.number, "days": days, "unit": clock.unit_label},
                body=(
                    _("办件 %(number)s（%(item)s）申请延长办理期限 %(days)d %(unit)s，原届满日 %(due)s。")
                    + "\n"
                    + _("理由：%(reason)s")
                )
                % {
                    "number": locked.number,
                    "item": locked.item_version.name,
                    "days": days,
                    "unit": clock.unit_label,
                    "due": clock.due_date.isoformat(),
                    "reason": reason,
                },
                link=reverse("workbench:case_extension_queue"),
                actor=actor,
            )
    sync(case, locked)
    return extension


def case_extension_decide(*, actor: Any, extension: CaseExtension, approve: bool, comment: str = "") -> CaseExtension:
    """Approve or reject a pending extension (a rejection needs a comment). Approval extends the handling clock
    and tells the applicant the reason and the new due date."""
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("不予批准的，请填写审批意见。")})
    if len(comment) > MAX_TEXT:
        raise ValidationError({"comment": _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    now = timezone.now()
    with audited_atomic():
        locked = lock(Case(pk=extension.case_id))
        row = CaseExtension.objects.select_for_update().get(pk=extension.pk)
        if not can_decide_extension(actor, locked):
            raise ValidationError(_("只有本部门的分管领导或单位负责人可以审批延期。"))
        if row.requested_by_id is not None and row.requested_by_id == getattr(actor, "pk", None):
            raise ValidationError(_("本人申请的延期不能由本人审批。"))
        if row.state != ExtensionState.REQUESTED:
            raise ValidationError(
                _("该延期申请已经审批（%(state)s），不能重复审批。") % {"state": ExtensionState(row.state).label}
            )
        require_state(locked, EXTENDABLE_STATES, _("审批延期"))
        before = snapshot(locked)
        clock = _handling_clock(locked)
        row.decided_by = user_or_none(actor)
        row.decided_at = now
        row.decision_comment = comment
        if approve:
            _check_extendable(locked, clock, now)
            clock = clock_extend(
                actor=actor,
                clock=clock,
                days=row.days,
                basis=_("延长办理期限：%(reason)s（《行政许可法》第四十二条）") % {"reason": row.reason},
                approver=actor,
                at=now,
            )
            row.state = ExtensionState.APPROVED
            row.due_date_after = clock.due_date
        else:
            row.state = ExtensionState.REJECTED
        row.save(update_fields=["state", "decided_by", "decided_at", "decision_comment", "due_date_after"])
        audit_record(
            actor=actor,
            action="cases.extended" if approve else "cases.extension_rejected",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "extension_id": row.pk,
                "days": row.days,
                "unit": clock.unit_label,
                "reason": row.reason,
                "comment": comment,
                "due_date_before": row.due_date_before.isoformat(),
                "due_date_after": row.due_date_after.isoformat() if row.due_date_after else None,
            },
        )
        if approve:
            tell_applicant(
                locked,
                category=Category.CASE_EXTENDED,
                subject=_("您的办件办理期限已延长：%(number)s") % {"number": locked.number},
                body=_(
                    "因%(reason)s，经本机关负责人批准，您的办件办理期限延长 %(days)d %(unit)s，"
                    "届满日由 %(before)s 延至 %(after)s（《行政许可法》第四十二条）。"
                )
                % {
                    "reason": row.reason,
                    "days": row.days,
                    "unit": clock.unit_label,
                    "before": row.due_date_before.isoformat(),
                    "after": row.due_date_after.isoformat(),
                },
                actor=actor,
            )
        if row.requested_by_id is not None:
            notify(
                recipients=[row.requested_by],
                category=Category.CASE_EXTENSION_REQUESTED,
                subject=_("延期申请%(state)s：%(number)s")
                % {"state": row.get_state_display(), "number": locked.number},
                body=comment or row.get_state_display(),
                actor=actor,
            )
    extension.refresh_from_db()
    return extension
