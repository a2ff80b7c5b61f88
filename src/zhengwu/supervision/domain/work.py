"""Supervisors' work (ADR 0021): handle alerts, supervision orders (督办) and rectification (整改), spot checks
(抽查), callbacks (回访) and confirmed violations with their publication.

Each function validates, locks the row, checks the named predicate in supervision/rules.py, saves, writes one
audit event and notifies. Illegal transitions raise ValidationError with a Chinese message and change nothing."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.models import User
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.org.models import Department
from zhengwu.supervision import rules
from zhengwu.supervision.enums import (
    ACTIVE_ALERT_STATUSES,
    ORDER_AWAITING_REPORT,
    AlertStatus,
    Finding,
    OrderState,
    Verdict,
    ViolationState,
)
from zhengwu.supervision.models import (
    Alert,
    Callback,
    RectificationReport,
    SpotCheck,
    SpotCheckItem,
    SupervisionOrder,
    Violation,
)
from zhengwu.workcal.clock_enums import ClockStatus, PauseReason
from zhengwu.workcal.domain.clock import clock_pause, clock_resume, clock_start, clock_stop
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.models.clock import Clock, end_of_day, start_of_day

MAX_TEXT = 4000
MAX_ORDER_DAYS = 60
MAX_SAMPLE = 200
# Cases a spot check may draw: decided or completed (办结).
CHECKABLE_STATES = frozenset({CaseState.DECIDED, CaseState.COMPLETED})


# ---- helpers ---------------------------------------------------------------------------------


def _user(actor: Any) -> AbstractBaseUser | None:
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None


def _permit(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise ValidationError(message or _("您无权进行该监察操作。"))


def _text(value: str | None, field: str, message: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return value


def _fmt(dt: datetime) -> str:
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}"


def department_leaders(department_id: int) -> list[User]:
    """The department's 单位负责人 and 分管领导 (active accounts)."""
    return list(
        User.objects.filter(
            is_active=True,
            staff__department_id=department_id,
            role_assignments__role__in=[str(role) for role in rules.LEADER_ROLES],
        )
        .distinct()
        .order_by("pk")
    )


def _alert_snapshot(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status,
        "level": alert.level,
        "handled_by_id": alert.handled_by_id,
        "handling_note": alert.handling_note,
    }


def _lock_alert(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).select_related("point").get(pk=alert.pk)


def _sync(target, source):
    if target is not source:
        for field in type(source)._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
        target._state.fields_cache.clear()
    return target


# ---- alerts ----------------------------------------------------------------------------------


def alert_acknowledge(*, actor: Any, alert: Alert, note: str = "") -> Alert:
    """确认: the supervisor has seen the alert and takes it up (open → acknowledged). The sweep keeps
    updating and may still resolve it."""
    note = _text(note, "note", "", required=False)
    now = timezone.now()
    with audited_atomic():
        locked = _lock_alert(alert)
        _permit(rules.can_handle_alert(actor, locked))
        if locked.status != AlertStatus.OPEN:
            raise ValidationError(
                _("告警当前状态为“%(status)s”，不能确认。") % {"status": AlertStatus(locked.status).label}
            )
        before = _alert_snapshot(locked)
        locked.status = AlertStatus.ACKNOWLEDGED
        locked.handled_by = _user(actor)
        locked.handled_at = now
        locked.handling_note = note
        locked.save(update_fields=["status", "handled_by", "handled_at", "handling_note"])
        audit_record(
            actor=actor,
            action="supervision.alert_acknowledged",
            obj=locked,
            before=before,
            after=_alert_snapshot(locked),
        )
    return _sync(alert, locked)


def alert_dismiss(*, actor: Any, alert: Alert, reason: str) -> Alert:
    """排除: the supervisor finds the alert unfounded, with the reason. A dismissed alert stays dismissed:
    the sweep never reopens or updates it."""
    reason = _text(reason, "reason", _("请填写排除该告警的理由。"))
    now = timezone.now()
    with audited_atomic():
        locked = _lock_alert(alert)
        _permit(rules.can_handle_alert(actor, locked))
        if locked.status not in ACTIVE_ALERT_STATUSES:
            raise ValidationError(
                _("告警当前状态为“%(status)s”，不能排除。") % {"status": AlertStatus(locked.status).label}
            )
        before = _alert_snapshot(locked)
        locked.status = AlertStatus.DISMISSED
        locked.handled_by = _user(actor)
        locked.handled_at = now
        locked.handling_note = reason
        locked.save(update_fields=["status", "handled_by", "handled_at", "handling_note"])
        audit_record(
            actor=actor, action="supervision.alert_dismissed", obj=locked, before=before, after=_alert_snapshot(locked)
        )
    return _sync(alert, locked)


# ---- supervision orders (督办) -----------------------------------------------------------------


def _order_snapshot(order: SupervisionOrder) -> dict[str, Any]:
    return {"state": order.state, "clock_id": order.clock_id, "closed_at": order.closed_at}


def _lock_order(order: SupervisionOrder) -> SupervisionOrder:
    return (
        SupervisionOrder.objects.select_for_update(of=("self",))
        .select_related("department", "issued_by")
        .get(pk=order.pk)
    )


def _order_clock(order: SupervisionOrder) -> Clock | None:
    return Clock.objects.get(pk=order.clock_id) if order.clock_id else None


def _order_link(order: SupervisionOrder) -> str:
    return reverse("oversight:order_detail", args=[order.pk])


def _tell_department(order: SupervisionOrder, *, category: str, subject: str, body: str, actor: Any) -> None:
    notify(
        recipients=department_leaders(order.department_id),
        category=category,
        subject=subject,
        body=body,
        link=_order_link(order),
        actor=actor,
    )


def supervision_order_issue(
    *,
    actor: Any,
    department: Department,
    requirement: str,
    due_working_days: int,
    alerts: Iterable[Alert] = (),
    case: Case | None = None,
) -> SupervisionOrder:
    """督办: a requirement to a department, about alerts and/or a case, due in N working days (its own clock).
    The department's unit head and leader in charge are notified."""
    requirement = _text(requirement, "requirement", _("请填写督办要求。"))
    try:
        days = int(due_working_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_ORDER_DAYS:
        raise ValidationError({"due_working_days": _("整改期限须为 1 至 %(max)d 个工作日。") % {"max": MAX_ORDER_DAYS}})
    alert_ids = sorted({a.pk for a in alerts})
    if department is None or department.pk is None:
        raise ValidationError({"department": _("请选择责任部门。")})
    if not alert_ids and case is None:
        raise ValidationError(_("督办须针对告警或办件。"))
    now = timezone.now()
    with audited_atomic():
        _permit(rules.can_issue_order(actor))
        found = list(Alert.objects.select_for_update().filter(pk__in=alert_ids).order_by("pk"))
        if len(found) != len(alert_ids):
            raise ValidationError({"alerts": _("所选告警不存在。")})
        if any(a.department_id != department.pk for a in found):
            raise ValidationError({"alerts": _("所选告警不属于该责任部门。")})
        if case is not None and case.department_id != department.pk:
            raise ValidationError({"case": _("该办件不属于该责任部门。")})
        order = SupervisionOrder.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            department=department,
            case=case,
            requirement=requirement,
            due_working_days=days,
            issued_by=_user(actor),
            issued_at=now,
        )
        order.number = f"DB{timezone.localdate(now):%Y%m%d}-{order.pk:05d}"
        order.clock = clock_start(
            actor=actor,
            subject=order,
            unit=DeadlineUnit.WORKING,
            limit=days,
            received_at=now,
            region=department.region,
        )
        order.save(update_fields=["number", "clock"])
        order.alerts.set(found)
        audit_record(
            actor=actor,
            action="supervision.order_issued",
            obj=order,
            after={
                **_order_snapshot(order),
                "department_id": department.pk,
                "case_id": case.pk if case else None,
                "alert_ids": alert_ids,
                "requirement": requirement,
                "due_working_days": days,
                "due_at": order.clock.due_at,
            },
        )
        _tell_department(
            order,
            category=Category.SUPERVISION_ORDER,
            subject=_("督办通知：%(number)s") % {"number": order.number},
            body=_("督办要求：%(req)s\n请于 %(due)s 前报送整改情况。")
            % {"req": requirement, "due": order.clock.due_date.isoformat()},
            actor=actor,
        )
    return order


def supervision_order_report(*, actor: Any, order: SupervisionOrder, text: str) -> RectificationReport:
    """整改报告: the department's leader reports what was put right (issued/returned → reported). The order's
    clock pauses while the supervisor verifies; the supervisor is notified."""
    text = _text(text, "text", _("请填写整改情况。"))
    now = timezone.now()
    with audited_atomic():
        locked = _lock_order(order)
        _permit(rules.can_answer_order(actor, locked), _("只有责任部门的负责人可以报送整改情况。"))
        if locked.state not in ORDER_AWAITING_REPORT:
            raise ValidationError(
                _("督办单当前状态为“%(state)s”，不能报送整改。") % {"state": OrderState(locked.state).label}
            )
        before = _order_snapshot(locked)
        sequence = RectificationReport.objects.filter(order=locked).count() + 1
        report = RectificationReport.objects.create(
            order=locked, sequence=sequence, text=text, submitted_by=_user(actor), submitted_at=now
        )
        clock = _order_clock(locked)
        if clock is not None and clock.status == ClockStatus.RUNNING:
            clock_pause(actor=actor, clock=clock, reason=PauseReason.OTHER, basis=_("整改报告待监察核查"), at=now)
        locked.state = OrderState.REPORTED
        locked.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="supervision.order_reported",
            obj=locked,
            before=before,
            after={**_order_snapshot(locked), "report_id": report.pk, "sequence": sequence, "text": text},
        )
        if locked.issued_by is not None:
            notify(
                recipients=[locked.issued_by],
                category=Category.SUPERVISION_RECTIFICATION,
                subject=_("整改报告待核查：%(number)s") % {"number": locked.number},
                body=_("%(dept)s 于 %(at)s 报送了第 %(n)d 次整改情况。")
                % {"dept": locked.department.name, "at": _fmt(now), "n": sequence},
                link=_order_link(locked),
                actor=actor,
            )
    _sync(order, locked)
    return report


def _latest_report(order: SupervisionOrder) -> RectificationReport:
    return RectificationReport.objects.select_for_update().filter(order=order).order_by("-sequence").first()


def _record_verdict(report: RectificationReport, verdict: str, *, note: str, actor: Any, at) -> None:
    report.verdict, report.verdict_note, report.verdict_by, report.verdict_at = verdict, note, _user(actor), at
    report.save(update_fields=["verdict", "verdict_note", "verdict_by", "verdict_at"])


def supervision_order_close(*, actor: Any, order: SupervisionOrder, note: str = "") -> SupervisionOrder:
    """核查通过: the supervisor accepts the rectification (reported → closed); the clock stops."""
    note = _text(note, "note", "", required=False)
    now = timezone.now()
    with audited_atomic():
        locked = _lock_order(order)
        _permit(rules.can_verify_order(actor, locked))
        if locked.state != OrderState.REPORTED:
            raise ValidationError(
                _("督办单当前状态为“%(state)s”，不能核查办结。") % {"state": OrderState(locked.state).label}
            )
        before = _order_snapshot(locked)
        report = _latest_report(locked)
        _record_verdict(report, Verdict.ACCEPTED, note=note, actor=actor, at=now)
        clock = _order_clock(locked)
        if clock is not None and clock.status != ClockStatus.STOPPED:
            # Stopped at the report that was accepted: the time the supervisor took is not the department's.
            clock = clock_stop(actor=actor, clock=clock, at=report.submitted_at)
        locked.state = OrderState.CLOSED
        locked.closed_by = _user(actor)
        locked.closed_at = now
        locked.closing_note = note
        locked.save(update_fields=["state", "closed_by", "closed_at", "closing_note"])
        audit_record(
            actor=actor,
            action="supervision.order_closed",
            obj=locked,
            before=before,
            after={**_order_snapshot(locked), "report_id": report.pk, "note": note, "clock_outcome": clock.outcome},
        )
        _tell_department(
            locked,
            category=Category.SUPERVISION_RECTIFICATION,
            subject=_("整改已核查通过：%(number)s") % {"number": locked.number},
            body=note or _("督办事项已办结。"),
            actor=actor,
        )
    return _sync(order, locked)


def supervision_order_return(*, actor: Any, order: SupervisionOrder, reason: str) -> SupervisionOrder:
    """退回整改: the supervisor rejects the report with the reason (reported → returned); the clock resumes."""
    reason = _text(reason, "reason", _("请填写退回整改的理由。"))
    now = timezone.now()
    with audited_atomic():
        locked = _lock_order(order)
        _permit(rules.can_verify_order(actor, locked))
        if locked.state != OrderState.REPORTED:
            raise ValidationError(
                _("督办单当前状态为“%(state)s”，不能退回整改。") % {"state": OrderState(locked.state).label}
            )
        before = _order_snapshot(locked)
        report = _latest_report(locked)
        _record_verdict(report, Verdict.RETURNED, note=reason, actor=actor, at=now)
        clock = _order_clock(locked)
        if clock is not None and clock.status == ClockStatus.PAUSED:
            clock_resume(actor=actor, clock=clock, at=now)
        locked.state = OrderState.RETURNED
        locked.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="supervision.order_returned",
            obj=locked,
            before=before,
            after={**_order_snapshot(locked), "report_id": report.pk, "reason": reason},
        )
        _tell_department(
            locked,
            category=Category.SUPERVISION_ORDER,
            subject=_("整改被退回：%(number)s") % {"number": locked.number},
            body=_("退回理由：%(reason)s\n请继续整改并重新报送。") % {"reason": reason},
            actor=actor,
        )
    return _sync(order, locked)


# ---- spot checks (抽查) ------------------------------------------------------------------------


def checkable_cases(*, department: Department | None, period_start: date, period_end: date):
    """Cases decided or completed whose handling clock stopped within [period_start, period_end]."""
    queryset = Case.objects.filter(
        state__in=sorted(CHECKABLE_STATES),
        handling_clock__stopped_at__gte=start_of_day(period_start),
        handling_clock__stopped_at__lte=end_of_day(period_end),
    )
    if department is not None:
        queryset = queryset.filter(department=department)
    return queryset


def spot_check_draw(
    *,
    actor: Any,
    period_start: date,
    period_end: date,
    sample_size: int,
    department: Department | None = None,
    seed: int | None = None,
) -> SpotCheck:
    """抽查: draw `sample_size` completed cases at random (seeded; the seed is recorded so the draw can be
    repeated). Fewer are drawn when fewer exist."""
    if period_start is None or period_end is None or period_end < period_start:
        raise ValidationError({"period_end": _("请填写正确的抽查期间。")})
    try:
        size = int(sample_size)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= MAX_SAMPLE:
        raise ValidationError({"sample_size": _("抽取件数须为 1 至 %(max)d。") % {"max": MAX_SAMPLE}})
    seed = secrets.randbits(48) if seed is None else int(seed)
    with audited_atomic():
        _permit(rules.can_spot_check(actor))
        population = sorted(
            checkable_cases(department=department, period_start=period_start, period_end=period_end).values_list(
                "pk", flat=True
            )
        )
        if not population:
            raise ValidationError(_("该期间没有可抽查的已办结办件。"))
        chosen = random.Random(seed).sample(population, min(size, len(population)))
        check = SpotCheck.objects.create(
            department=department,
            period_start=period_start,
            period_end=period_end,
            sample_size=len(chosen),
            population=len(population),
            seed=seed,
            drawn_by=_user(actor),
        )
        SpotCheckItem.objects.bulk_create(
            [SpotCheckItem(spot_check=check, case_id=pk, position=i) for i, pk in enumerate(chosen, 1)]
        )
        audit_record(
            actor=actor,
            action="supervision.spot_check_drawn",
            obj=check,
            after={
                "department_id": department.pk if department else None,
                "period": [period_start, period_end],
                "population": len(population),
                "seed": seed,
                "case_ids": chosen,
            },
        )
    return check


def spot_check_record_finding(*, actor: Any, item: SpotCheckItem, finding: str, text: str = "") -> SpotCheckItem:
    """Record what checking one drawn case found (once): no problem, or a problem with its description."""
    if finding not in (Finding.OK, Finding.PROBLEM):
        raise ValidationError({"finding": _("请选择核查结果。")})
    text = _text(text, "text", _("发现问题时须填写具体情况。"), required=finding == Finding.PROBLEM)
    now = timezone.now()
    with audited_atomic():
        locked = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
        _permit(rules.can_spot_check(actor))
        if locked.finding != Finding.PENDING:
            raise ValidationError(_("该办件的抽查结果已记录，不能重复记录。"))
        locked.finding, locked.finding_text, locked.recorded_by, locked.recorded_at = finding, text, _user(actor), now
        locked.save(update_fields=["finding", "finding_text", "recorded_by", "recorded_at"])
        audit_record(
            actor=actor,
            action="supervision.spot_check_finding",
            obj=locked.spot_check,
            before={"item_id": locked.pk, "finding": Finding.PENDING},
            after={"item_id": locked.pk, "case_id": locked.case_id, "finding": finding, "text": text},
        )
    return _sync(item, locked)


# ---- callbacks (回访) --------------------------------------------------------------------------


def callback_record(
    *, actor: Any, case: Case, reached: bool, satisfied: bool | None = None, comment: str = ""
) -> Callback:
    """回访: whether the applicant was reached and, if so, whether they are satisfied, with the notes."""
    comment = _text(comment, "comment", "", required=False)
    if not reached and satisfied is not None:
        raise ValidationError({"satisfied": _("未联系上申请人时不能记录满意度。")})
    if reached and satisfied is None:
        raise ValidationError({"satisfied": _("请记录申请人是否满意。")})
    with audited_atomic():
        _permit(rules.can_record_callback(actor))
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state in (CaseState.SUBMITTED, CaseState.CORRECTION_REQUESTED):
            raise ValidationError(_("办件尚未受理，不能回访。"))
        callback = Callback.objects.create(
            case=locked, reached=bool(reached), satisfied=satisfied, comment=comment, recorded_by=_user(actor)
        )
        audit_record(
            actor=actor,
            action="supervision.callback_recorded",
            obj=locked,
            after={"callback_id": callback.pk, "reached": bool(reached), "satisfied": satisfied, "comment": comment},
        )
    return callback


# ---- violations ------------------------------------------------------------------------------


def violation_confirm(
    *, actor: Any, summary: str, alert: Alert | None = None, order: SupervisionOrder | None = None
) -> Violation:
    """认定违规: a supervisor confirms a violation found through an alert or an order (internal record)."""
    summary = _text(summary, "summary", _("请填写违规认定情况。"))
    if alert is None and order is None:
        raise ValidationError(_("违规认定须来源于告警或督办单。"))
    department_id = alert.department_id if alert is not None else order.department_id
    if alert is not None and order is not None and alert.department_id != order.department_id:
        raise ValidationError(_("告警与督办单不属于同一部门。"))
    if department_id is None:
        raise ValidationError(_("该告警没有责任部门，不能认定违规。"))
    with audited_atomic():
        _permit(rules.can_manage_violations(actor))
        if alert is not None:
            alert = _lock_alert(alert)
            if alert.status == AlertStatus.DISMISSED:
                raise ValidationError(_("已排除的告警不能认定为违规。"))
        violation = Violation.objects.create(
            department_id=department_id, alert=alert, order=order, summary=summary, confirmed_by=_user(actor)
        )
        audit_record(
            actor=actor,
            action="supervision.violation_confirmed",
            obj=violation,
            after={
                "state": violation.state,
                "department_id": department_id,
                "alert_id": alert.pk if alert else None,
                "order_id": order.pk if order else None,
                "summary": summary,
            },
        )
    return violation


def violation_publish(*, actor: Any, violation: Violation, published_text: str) -> Violation:
    """公开曝光: only on a supervisor's decision, with the text to publish (no personal data belongs in it)."""
    published_text = _text(published_text, "published_text", _("请填写公开内容。"))
    now = timezone.now()
    with audited_atomic():
        locked = Violation.objects.select_for_update().get(pk=violation.pk)
        _permit(rules.can_manage_violations(actor))
        if locked.state != ViolationState.CONFIRMED:
            raise ValidationError(_("该违规已公开，不能重复公开。"))
        locked.state = ViolationState.PUBLISHED
        locked.published_text = published_text
        locked.published_by = _user(actor)
        locked.published_at = now
        locked.save(update_fields=["state", "published_text", "published_by", "published_at"])
        audit_record(
            actor=actor,
            action="supervision.violation_published",
            obj=locked,
            before={"state": ViolationState.CONFIRMED},
            after={"state": locked.state, "published_text": published_text, "published_at": now},
        )
    return _sync(violation, locked)


def subject_case_ids(alerts: Iterable[Alert]) -> dict[int, int]:
    """alert id → case id, for alerts whose subject is a case."""
    case_type = ContentType.objects.get_for_model(Case)
    return {a.pk: int(a.object_id) for a in alerts if a.content_type_id == case_type.pk and str(a.object_id).isdigit()}
