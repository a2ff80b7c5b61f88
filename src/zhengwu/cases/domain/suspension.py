"""Suspension (挂起) of an in-progress case for a statutory reason (《行政许可法》第四十五条, ADR 0016).

Suspending pauses the case's handling clock and the step clocks of its open tasks; the time suspended is not
counted. The applicant is told in writing (书面告知) of the reason, its legal basis and the expected time;
the notice is kept on the suspension. Resuming ends every pause at the same instant. While suspended, no
step of the case's process can be completed (see processing.case_task_complete)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import fmt, lock, require_state, snapshot, sync, tell_applicant, user_or_none
from zhengwu.cases.domain.acceptance import MAX_TEXT
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case, CaseSuspension
from zhengwu.cases.rules import can_manage_case_clock
from zhengwu.notifications.enums import Category
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.clock_enums import LICENCE_ART45_REASONS, ClockStatus, PauseReason, pause_reason_basis
from zhengwu.workcal.domain.clock import clock_pause, clock_resume
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.models.clock import Clock, ClockPause, local_date
from zhengwu.workflow.enums import OPEN_TASK_STATES, InstanceStatus
from zhengwu.workflow.models import WorkTask

__all__ = ["SUSPENSION_REASONS", "case_resume", "case_suspend", "open_suspension"]

# The statutory "time not counted" of the licensing law, and other cases a law or regulation provides for.
SUSPENSION_REASONS: tuple[PauseReason, ...] = tuple(
    reason for reason in PauseReason if reason in LICENCE_ART45_REASONS or reason == PauseReason.OTHER
)


def open_suspension(case: Case) -> CaseSuspension | None:
    return CaseSuspension.objects.filter(case=case, ended_at__isnull=True).first()


def _open_step_tasks(case: Case):
    return WorkTask.objects.filter(
        instance__content_type=ContentType.objects.get_for_model(Case),
        instance__object_id=str(case.pk),
        instance__status=InstanceStatus.RUNNING,
        state__in=sorted(OPEN_TASK_STATES),
        clock__isnull=False,
    ).select_related("clock")


def _handling_clock(case: Case) -> Clock:
    if case.handling_clock_id is None:
        raise ValidationError(_("办件没有办理计时，不能挂起或恢复。"))
    return Clock.objects.get(pk=case.handling_clock_id)


def _expected_days(clock: Clock, today: date, until: date) -> int | None:
    """How long the suspension is expected to last, in the clock's unit (None when it ends today)."""
    if clock.unit == DeadlineUnit.WORKING:
        days = current_index(clock.region).working_days_between(today, until)
    else:
        days = (until - today).days
    return days or None


def _notice(case: Case, *, reason: str, basis: str, explanation: str, at: datetime, expected: date) -> str:
    return _(
        "%(applicant)s：\n"
        "您申请的“%(item)s”（办件编号 %(number)s），因需要%(reason)s，自 %(at)s 起暂停办理（挂起）。\n"
        "法律依据：%(basis)s。暂停期间所需时间不计入办理期限。\n"
        "情况说明：%(explanation)s\n"
        "预计于 %(expected)s 恢复办理，恢复办理时将另行告知，届时重新计算办理期限。\n"
        "%(department)s"
    ) % {
        "applicant": case.applicant_name,
        "item": case.item_version.name,
        "number": case.number,
        "reason": PauseReason(reason).label,
        "at": fmt(at),
        "basis": basis,
        "explanation": explanation,
        "expected": expected.isoformat(),
        "department": case.department.name,
    }


def case_suspend(*, actor: Any, case: Case, reason: str, explanation: str, expected_resume_on: date) -> CaseSuspension:
    """Suspend an in-progress case (in_progress → suspended): the handling clock and open step clocks pause,
    and the applicant is told in writing of the reason, its legal basis and when handling should resume."""
    if reason not in SUSPENSION_REASONS:
        raise ValidationError({"reason": _("请选择法定的挂起事由。")})
    explanation = (explanation or "").strip()
    if not explanation:
        raise ValidationError({"explanation": _("请说明挂起的具体情况。")})
    if len(explanation) > MAX_TEXT:
        raise ValidationError({"explanation": _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    if not isinstance(expected_resume_on, date) or isinstance(expected_resume_on, datetime):
        raise ValidationError({"expected_resume_on": _("请填写预计恢复办理日期。")})
    now = timezone.now()
    today = local_date(now)
    if expected_resume_on < today:
        raise ValidationError({"expected_resume_on": _("预计恢复办理日期不能早于今天。")})
    with audited_atomic():
        locked = lock(case)
        if not can_manage_case_clock(actor, locked):
            raise ValidationError(_("只有本部门的承办人或科长可以挂起办件。"))
        require_state(locked, {CaseState.IN_PROGRESS}, _("挂起"))
        before = snapshot(locked)
        basis = pause_reason_basis(reason)
        label = PauseReason(reason).label
        clock_basis = _("办件挂起（%(reason)s）：%(explanation)s") % {"reason": label, "explanation": explanation}
        handling = _handling_clock(locked)
        handling = clock_pause(
            actor=actor,
            clock=handling,
            reason=reason,
            basis=clock_basis,
            at=now,
            expected_days=_expected_days(handling, today, expected_resume_on),
        )
        paused_steps = []
        for task in _open_step_tasks(locked):
            clock = task.clock
            # A step already overdue stays overdue: its lateness is for supervision to see.
            if clock.status == ClockStatus.RUNNING and now <= clock.due_at:
                clock_pause(actor=actor, clock=clock, reason=reason, basis=clock_basis, at=now)
                paused_steps.append(clock.pk)
        sequence = CaseSuspension.objects.filter(case=locked).count() + 1
        notice = _notice(
            locked, reason=reason, basis=basis, explanation=explanation, at=now, expected=expected_resume_on
        )
        suspension = CaseSuspension.objects.create(
            case=locked,
            sequence=sequence,
            reason=reason,
            legal_basis=basis,
            explanation=explanation,
            expected_resume_on=expected_resume_on,
            notice_text=notice,
            requested_by=user_or_none(actor),
            started_at=now,
        )
        locked.state = CaseState.SUSPENDED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.suspended",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "suspension_id": suspension.pk,
                "sequence": sequence,
                "reason": reason,
                "reason_label": label,
                "legal_basis": basis,
                "explanation": explanation,
                "expected_resume_on": expected_resume_on.isoformat(),
                "step_clocks_paused": paused_steps,
            },
        )
        tell_applicant(
            locked,
            category=Category.CASE_SUSPENDED,
            subject=_("您的办件已暂停办理：%(number)s") % {"number": locked.number},
            body=notice,
            actor=actor,
        )
    sync(case, locked)
    return suspension


def case_resume(*, actor: Any, case: Case) -> CaseSuspension:
    """Resume a suspended case (suspended → in_progress): every pause ends now and the due dates move by the
    days not counted; the applicant is told the new due date."""
    now = timezone.now()
    with audited_atomic():
        locked = lock(case)
        if not can_manage_case_clock(actor, locked):
            raise ValidationError(_("只有本部门的承办人或科长可以恢复办理。"))
        require_state(locked, {CaseState.SUSPENDED}, _("恢复办理"))
        suspension = CaseSuspension.objects.select_for_update().get(case=locked, ended_at__isnull=True)
        before = snapshot(locked)
        handling = _handling_clock(locked)
        if handling.status == ClockStatus.PAUSED:
            handling = clock_resume(actor=actor, clock=handling, at=now)
        pause = ClockPause.objects.filter(clock=handling).order_by("-started_at", "-pk").first()
        not_counted = pause.days_not_counted if pause is not None else 0
        resumed_steps = []
        for task in _open_step_tasks(locked):
            if task.clock.status == ClockStatus.PAUSED:
                clock_resume(actor=actor, clock=task.clock, at=now)
                resumed_steps.append(task.clock_id)
        suspension.ended_at = now
        suspension.resumed_by = user_or_none(actor)
        suspension.save(update_fields=["ended_at", "resumed_by"])
        locked.state = CaseState.IN_PROGRESS
        locked.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.resumed",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "suspension_id": suspension.pk,
                "reason": suspension.reason,
                "days_not_counted": not_counted,
                "unit": handling.unit_label,
                "handling_due_date": handling.due_date.isoformat(),
                "step_clocks_resumed": resumed_steps,
            },
        )
        tell_applicant(
            locked,
            category=Category.CASE_RESUMED,
            subject=_("您的办件已恢复办理：%(number)s") % {"number": locked.number},
            body=_("您的办件自 %(at)s 起恢复办理。挂起期间 %(days)d %(unit)s不计入办理期限，办理期限届满日为 %(due)s。")
            % {
                "at": fmt(now),
                "days": not_counted,
                "unit": handling.unit_label,
                "due": handling.due_date.isoformat(),
            },
            actor=actor,
        )
    sync(case, locked)
    return suspension
