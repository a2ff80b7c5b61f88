"""Approval monitoring points (行政审批电子监察点, seed 000): over cases, their clocks, steps and audit events."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as When_
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, Trim
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.models import AuditEvent
from zhengwu.cases.enums import CaseState, MaterialStatus, PaymentAttemptState
from zhengwu.cases.models import Case, CaseDecision, CaseMaterial, CaseSuspension, CorrectionNotice, PaymentAttempt
from zhengwu.catalog.enums import MaterialNecessity
from zhengwu.supervision.domain.ladder import clock_ladder
from zhengwu.supervision.enums import AlertLevel, Module, Severity
from zhengwu.supervision.points import Found, PointSpec, SweepContext, register_point, register_scope
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.models.clock import Clock, ClockPause, local_date
from zhengwu.workflow.enums import OPEN_TASK_STATES, InstanceStatus
from zhengwu.workflow.models import WorkTask

LADDER_DEFAULTS = {"warn_ratio": 0.8, "red_after_working_days": 2}
HANDLING_STATES = (CaseState.ACCEPTED, CaseState.IN_PROGRESS)
CASE_LABEL = "cases.case"
TASK_LABEL = "workflow.worktask"
# Audit actions of the fee module (cases FeeNotice/FeePayment) and the flags their `after` carries.
FEE_FLAGS = ("fee_override", "free_item_charged", "outside_unified_window", "unrecorded_online_payment")
# Flagged with unrecorded_online_payment; no longer a finding once the attempt (`after.attempt_id`) is returned.
FEE_UNRECORDED_ACTION = "cases.fee_online_payment_unrecorded"


def _case_ct() -> ContentType:
    return ContentType.objects.get_for_model(Case)


def _case_repr(prefix: str = "") -> Concat:
    return Concat(F(f"{prefix}number"), Value(" "), F(f"{prefix}applicant_name"), output_field=CharField())


def _case_clocks() -> Clock:
    return Clock.objects.filter(content_type=_case_ct())


def _level(level: int) -> Value:
    return Value(int(level), output_field=IntegerField())


# -- What an alert found, in words (PointSpec.explain) from its stored `details` -------------------------------
def _when(value: Any) -> str:
    """A stored instant (ISO text; naive ones are UTC, as SQLite's JSON gives them) as local "Y-m-d H:i"."""
    moment = parse_datetime(str(value or ""))
    if moment is None:
        return str(value or "")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _flag(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


# -- 受理超时 / 办理超时: the ladder on the case's acceptance and handling clocks ----------------------------


def _ladder_rows(ctx: SweepContext, clock_field: str, states) -> Found:
    prefix = f"{clock_field}__"
    ladder = clock_ladder(ctx, prefix=prefix, clocks=_case_clocks())
    queryset = ladder.annotate(Case.objects.filter(state__in=states)).filter(ladder.on_ladder())
    return Found(
        queryset=queryset,
        subject=Case,
        subject_pk="pk",
        level=ladder.level(),
        subject_repr=_case_repr(),
        department_id=F("department_id"),
        clock_id=F(f"{clock_field}_id"),
        due_at=F(f"{prefix}due_at"),
        details=JSONObject(
            due_date=F(f"{prefix}due_date"),
            limit_days=F(f"{prefix}limit_days"),
            extension_days=F(f"{prefix}extension_days"),
        ),
    )


def _case_ids(clocks) -> object:
    """Case pks of case clocks (a case clock's object_id is its case), without touching the case table."""
    return clocks.order_by().annotate(zw_case=Cast("object_id", BigIntegerField())).values("zw_case")


def _ladder_crossed(clock_field: str, point_code: str):
    def crossed(ctx: SweepContext):
        from zhengwu.supervision.domain.sweep import point_thresholds

        sub = SweepContext(now=ctx.now, since=ctx.since, thresholds=point_thresholds(point_code), cache=ctx.cache)
        sub.previous, sub.persist = ctx.previous, ctx.persist
        ladder = clock_ladder(sub, prefix="", clocks=_case_clocks())
        return [_case_ids(_case_clocks().filter(ladder.crossed_since(ctx.since)))]

    return crossed


register_point(
    PointSpec(
        code="approval.acceptance_overdue",
        module=Module.APPROVAL,
        name=_("受理超时"),
        description=_("受理期限将届满发出预警，逾期未作受理决定亮黄牌，黄牌后仍未处理满规定工作日亮红牌。"),
        legal_basis=_("《行政许可法》第三十二条"),
        severity=Severity.MEDIUM,
        thresholds=LADDER_DEFAULTS,
        position=10,
        rows=lambda ctx: _ladder_rows(ctx, "acceptance_clock", (CaseState.SUBMITTED,)),
        subject=CASE_LABEL,
        colours_subject=True,
        crossed=_ladder_crossed("acceptance_clock", "approval.acceptance_overdue"),
    )
)

register_point(
    PointSpec(
        code="approval.handling_overdue",
        module=Module.APPROVAL,
        name=_("办理超时"),
        description=_(
            "承诺期限已用去规定比例或距届满仅余一个工作日时预警；逾期未办结亮黄牌；黄牌后满规定工作日仍未办结亮红牌。"
        ),
        legal_basis=_("《行政许可法》第四十二条"),
        severity=Severity.HIGH,
        thresholds=LADDER_DEFAULTS,
        position=20,
        rows=lambda ctx: _ladder_rows(ctx, "handling_clock", HANDLING_STATES),
        subject=CASE_LABEL,
        colours_subject=True,
        crossed=_ladder_crossed("handling_clock", "approval.handling_overdue"),
    )
)


# -- 环节超时: a step past its own limit while the case's handling clock is not yet late -------------------


def _task_case_id() -> Cast:
    return Cast("instance__object_id", BigIntegerField())


def _step_rows(ctx: SweepContext) -> Found:
    case_late = Case.objects.filter(pk=OuterRef("zw_case_id"), handling_clock__due_at__lt=ctx.now)
    queryset = (
        WorkTask.objects.filter(
            state__in=sorted(OPEN_TASK_STATES),
            instance__status=InstanceStatus.RUNNING,
            instance__content_type=_case_ct(),
            clock__status=ClockStatus.RUNNING,
            clock__warn_at__lte=ctx.now,
        )
        .annotate(zw_case_id=_task_case_id())
        .filter(~Exists(case_late))
    )
    return Found(
        queryset=queryset,
        subject=WorkTask,
        subject_pk="pk",
        level=When_(
            When(clock__due_at__lt=ctx.now, then=_level(AlertLevel.YELLOW)),
            default=_level(AlertLevel.WARNING),
        ),
        subject_repr=Concat(F("instance__subject_repr"), Value(" · "), F("name"), output_field=CharField()),
        department_id=F("department_id"),
        clock_id=F("clock_id"),
        due_at=F("clock__due_at"),
        details=JSONObject(case_id=F("zw_case_id"), step=F("name"), step_limit_days=F("step_limit_days")),
    )


def _step_crossed(ctx: SweepContext):
    window = Q(warn_at__gt=ctx.since, warn_at__lte=ctx.now) | Q(due_at__gte=ctx.since, due_at__lt=ctx.now)
    clocks = Clock.objects.filter(window, status=ClockStatus.RUNNING)
    late_cases = _case_clocks().filter(due_at__gte=ctx.since, due_at__lt=ctx.now).values("object_id")
    return [
        WorkTask.objects.filter(clock__in=clocks.values("pk")).values("pk"),
        WorkTask.objects.filter(instance__content_type=_case_ct(), instance__object_id__in=late_cases).values("pk"),
    ]


def _step_words(details: dict[str, Any]) -> dict[str, Any]:
    return {"step": details.get("step"), "days": details.get("step_limit_days")}


register_point(
    PointSpec(
        code="approval.step_overdue",
        module=Module.APPROVAL,
        name=_("环节超时"),
        description=_("办理环节超过本环节时限（办件整体尚未超期）：临近环节时限预警，超过环节时限亮黄牌。"),
        legal_basis=_("《行政许可法》第四十二条、本级审批流程环节时限规定"),
        severity=Severity.LOW,
        position=30,
        rows=_step_rows,
        subject=TASK_LABEL,
        crossed=_step_crossed,
        explain=lambda d: [
            gettext("环节“%(step)s”，环节时限 %(days)s 个工作日。")
            % {"step": d.get("step"), "days": d.get("step_limit_days")}
        ],
    )
)


# -- 一次性告知: a second correction notice, or one given after the acceptance period ----------------------


def _notice_rows(ctx: SweepContext) -> Found:
    late = Q(case__acceptance_clock__isnull=False, issued_at__gt=F("case__acceptance_clock__due_at"))
    queryset = CorrectionNotice.objects.filter(Q(sequence__gte=2) | late)
    return Found(
        queryset=queryset,
        subject=Case,
        subject_pk="case_id",
        level=_level(AlertLevel.WARNING),
        key=Concat(Value("notice:"), Cast("sequence", CharField()), output_field=CharField()),
        subject_repr=_case_repr("case__"),
        department_id=F("case__department_id"),
        details=JSONObject(sequence=F("sequence"), issued_at=F("issued_at"), reason=F("reason")),
    )


def _explain_notice(details: dict[str, Any]) -> list[str]:
    lines = [
        gettext("第 %(n)s 次补正告知，告知时间 %(at)s。")
        % {"n": details.get("sequence"), "at": _when(details.get("issued_at"))}
    ]
    if details.get("reason"):
        lines.append(gettext("再次告知的理由：%(reason)s") % {"reason": details["reason"]})
    return lines


register_point(
    PointSpec(
        code="approval.one_time_notice",
        module=Module.APPROVAL,
        name=_("一次性告知"),
        description=_("同一申请再次告知补正，或在受理期限届满后告知补正。"),
        legal_basis=_("《行政许可法》第三十二条第一款第（四）项"),
        severity=Severity.MEDIUM,
        position=40,
        rows=_notice_rows,
        subject=CASE_LABEL,
        explain=_explain_notice,
    )
)


# -- 流程挂起: every suspension is reported; one past its expected time, or a repeated one, is a warning ----


def suspension_overdue_q(ctx: SweepContext) -> Q:
    """Open suspensions past their expected time: the written notice's expected resumption date
    (CaseSuspension.expected_resume_on) has passed; for a pause without one, its ClockPause.expected_days
    (calendar days from the pause)."""
    by_notice = Q(zw_expected_resume_on__lt=local_date(ctx.now))
    days = set(
        ClockPause.objects.filter(ended_at__isnull=True, expected_days__isnull=False)
        .values_list("expected_days", flat=True)
        .distinct()
    )
    q = Q(pk__in=[])
    for d in sorted(days):
        q |= Q(zw_expected_days=d, handling_clock__paused_at__lt=ctx.now - _days(d))
    return by_notice | Q(zw_expected_resume_on__isnull=True) & q


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


def _suspension_rows(ctx: SweepContext) -> Found:
    open_pause = ClockPause.objects.filter(clock_id=OuterRef("handling_clock_id"), ended_at__isnull=True)
    pauses_this_run = (
        ClockPause.objects.filter(clock_id=OuterRef("handling_clock_id"), run=OuterRef("handling_clock__run"))
        .order_by()
        .values("clock_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = Case.objects.filter(state=CaseState.SUSPENDED, handling_clock__status=ClockStatus.PAUSED).annotate(
        zw_pause_id=Subquery(open_pause.values("pk")[:1]),
        zw_expected_days=Subquery(open_pause.values("expected_days")[:1]),
        zw_expected_resume_on=Subquery(
            CaseSuspension.objects.filter(case_id=OuterRef("pk"), ended_at__isnull=True).values("expected_resume_on")[
                :1
            ]
        ),
        zw_pauses=Coalesce(Subquery(pauses_this_run, output_field=IntegerField()), 1),
    )
    return Found(
        queryset=queryset,
        subject=Case,
        subject_pk="pk",
        level=When_(
            When(Q(zw_pauses__gte=2) | suspension_overdue_q(ctx), then=_level(AlertLevel.WARNING)),
            default=_level(AlertLevel.REPORT),
        ),
        key=Concat(
            Value("pause:"),
            Coalesce(Cast("zw_pause_id", CharField()), Cast("handling_clock__paused_at", CharField())),
            output_field=CharField(),
        ),
        subject_repr=_case_repr(),
        department_id=F("department_id"),
        clock_id=F("handling_clock_id"),
        details=JSONObject(
            paused_at=F("handling_clock__paused_at"),
            expected_days=F("zw_expected_days"),
            expected_resume_on=F("zw_expected_resume_on"),
            suspensions=F("zw_pauses"),
        ),
    )


def _explain_suspension(details: dict[str, Any]) -> list[str]:
    lines = []
    if details.get("paused_at"):
        lines.append(gettext("挂起（暂停计时）于 %(at)s。") % {"at": _when(details["paused_at"])})
    if details.get("expected_resume_on"):
        lines.append(gettext("书面告知预计 %(day)s 恢复办理。") % {"day": details["expected_resume_on"]})
    elif details.get("expected_days"):
        lines.append(gettext("预计需要 %(n)s 日。") % {"n": details["expected_days"]})
    if (details.get("suspensions") or 0) > 1:
        lines.append(gettext("本件已挂起 %(n)s 次。") % {"n": details["suspensions"]})
    return lines


def _suspension_crossed(ctx: SweepContext):
    # An expected time can only run out on a case that is suspended now: few rows, re-check them all.
    return [Case.objects.filter(state=CaseState.SUSPENDED).values("pk")]


register_point(
    PointSpec(
        code="approval.suspension",
        module=Module.APPROVAL,
        name=_("流程挂起"),
        description=_("办件挂起（暂停计时）逐次报备；超过预计时间仍未恢复或再次挂起的，发出预警。"),
        legal_basis=_("《行政许可法》第四十五条"),
        severity=Severity.MEDIUM,
        position=50,
        rows=_suspension_rows,
        subject=CASE_LABEL,
        crossed=_suspension_crossed,
        explain=_explain_suspension,
    )
)


# -- 不予许可: every denial is reported; missing reasons or legal basis is a warning ------------------------


def _denial(ctx: SweepContext) -> Found:
    queryset = CaseDecision.objects.filter(negative=True).annotate(
        zw_reasons=Trim("reasons"), zw_basis=Trim("legal_basis")
    )
    return Found(
        queryset=queryset,
        subject=Case,
        subject_pk="case_id",
        level=When_(
            When(Q(zw_reasons="") | Q(zw_basis=""), then=_level(AlertLevel.WARNING)),
            default=_level(AlertLevel.REPORT),
        ),
        subject_repr=_case_repr("case__"),
        department_id=F("case__department_id"),
        details=JSONObject(decided_at=F("decided_at"), legal_basis=F("legal_basis")),
    )


def _explain_denial(details: dict[str, Any]) -> list[str]:
    basis = (details.get("legal_basis") or "").strip()
    return [
        gettext("作出不予许可决定：%(at)s。") % {"at": _when(details.get("decided_at"))},
        gettext("法律依据：%(basis)s") % {"basis": basis} if basis else gettext("未写明法律依据。"),
    ]


register_point(
    PointSpec(
        code="approval.denial",
        module=Module.APPROVAL,
        name=_("不予许可"),
        description=_("每一件不予许可决定报备监察；决定未载明理由或法律依据的，发出预警。"),
        legal_basis=_("《行政许可法》第三十八条第二款"),
        severity=Severity.MEDIUM,
        position=60,
        rows=_denial,
        subject=CASE_LABEL,
        explain=_explain_denial,
    )
)


# -- 否定报备: refusals to accept and denials, filed from their audit events -----------------------------


def _audit_case_id() -> Cast:
    return Cast("object_id", BigIntegerField())


def _case_field(field: str) -> Subquery:
    return Subquery(Case.objects.filter(pk=OuterRef("zw_case_id")).values(field)[:1])


def _negative_rows(ctx: SweepContext) -> Found:
    queryset = AuditEvent.objects.filter(
        object_type=CASE_LABEL, action__in=("cases.refused", "cases.decided"), after__negative_decision=True
    ).annotate(zw_case_id=_audit_case_id())
    return Found(
        queryset=queryset,
        subject=Case,
        subject_pk="zw_case_id",
        level=_level(AlertLevel.REPORT),
        key=F("action"),
        subject_repr=F("object_repr"),
        department_id=Cast(KT("after__department_id"), BigIntegerField()),
        details=JSONObject(
            action=F("action"), decision=KT("after__decision"), occurred_at=F("occurred_at"), seq=F("seq")
        ),
    )


def _explain_negative(details: dict[str, Any]) -> list[str]:
    what = gettext("不予受理") if details.get("action") == "cases.refused" else gettext("不予许可")
    return [gettext("%(what)s决定，%(at)s 自动报备。") % {"what": what, "at": _when(details.get("occurred_at"))}]


register_point(
    PointSpec(
        code="approval.negative_filing",
        module=Module.APPROVAL,
        name=_("否定报备"),
        description=_("不予受理、不予许可等否定性决定，逐件报备监察机构。"),
        legal_basis=_("《行政许可法》第三十八条、第三十二条"),
        severity=Severity.LOW,
        position=70,
        rows=_negative_rows,
        subject=CASE_LABEL,
        explain=_explain_negative,
    )
)


# -- 行政收费: a fee differing from the standard, a fee on a free item, or collected outside the window ------


def _fee_rows(ctx: SweepContext) -> Found:
    flagged = Q()
    for flag in FEE_FLAGS:
        flagged |= Q(**{f"after__{flag}": True})
    # Online money that could not be recorded stays a finding until it is returned to the payer.
    returned = PaymentAttempt.objects.filter(pk=OuterRef("zw_attempt_id"), state=PaymentAttemptState.RETURNED)
    queryset = (
        AuditEvent.objects.filter(flagged)
        .alias(zw_attempt_id=Cast(KT("after__attempt_id"), BigIntegerField()))
        .exclude(Q(action=FEE_UNRECORDED_ACTION) & Exists(returned))
        .annotate(
            zw_case_id=When_(
                When(object_type=CASE_LABEL, then=_audit_case_id()),
                default=Cast(KT("after__case_id"), BigIntegerField()),
                output_field=BigIntegerField(),
            )
        )
        .filter(zw_case_id__isnull=False)
    )
    return Found(
        queryset=queryset,
        subject=Case,
        subject_pk="zw_case_id",
        level=_level(AlertLevel.WARNING),
        key=Concat(Value("audit:"), Cast("seq", CharField()), output_field=CharField()),
        subject_repr=Coalesce(_case_field("number"), F("object_repr"), output_field=CharField()),
        department_id=_case_field("department_id"),
        details=JSONObject(
            action=F("action"),
            occurred_at=F("occurred_at"),
            fee_override=KT("after__fee_override"),
            free_item_charged=KT("after__free_item_charged"),
            outside_unified_window=KT("after__outside_unified_window"),
            unrecorded_online_payment=KT("after__unrecorded_online_payment"),
        ),
    )


_FEE_ACTIONS = {
    "cases.fee_notice_issued": _("开具缴费通知"),
    "cases.fee_paid": _("收费"),
    "cases.fee_refunded": _("退费"),
    "cases.fee_online_payment_unrecorded": _("网上支付到账"),
}
_FEE_FINDINGS = {
    "fee_override": _("收费金额与收费标准不符（已填写调整理由）。"),
    "free_item_charged": _("对不收费事项收取费用。"),
    "outside_unified_window": _("未经统一收费窗口收取。"),
    "unrecorded_online_payment": _("网上支付款项已到账但未能入账，须经支付渠道退回缴费人。"),
}


def _explain_fees(details: dict[str, Any]) -> list[str]:
    action = details.get("action", "")
    lines = [
        gettext("%(what)s：%(at)s。")
        % {"what": _FEE_ACTIONS.get(action, action), "at": _when(details.get("occurred_at"))}
    ]
    lines += [str(text) for flag, text in _FEE_FINDINGS.items() if _flag(details.get(flag))]
    return lines


register_point(
    PointSpec(
        code="approval.fees",
        module=Module.APPROVAL,
        name=_("行政收费"),
        description=_(
            "收费金额与标准不符、对免费事项收费、未经统一收费窗口收取，或网上支付到账而未能入账（退回缴费人前）的，"
            "发出预警。"
        ),
        legal_basis=_("《行政许可法》第五十八条、第五十九条"),
        severity=Severity.HIGH,
        position=80,
        rows=_fee_rows,
        subject=CASE_LABEL,
        explain=_explain_fees,
    )
)


# -- 符合条件不予受理: refused although every required material had been provided -------------------------


def _refusal_rows(ctx: SweepContext) -> Found:
    incomplete = CaseMaterial.objects.filter(
        case_id=OuterRef("pk"), item_material__necessity=MaterialNecessity.REQUIRED
    ).exclude(status=MaterialStatus.PROVIDED)
    return Found(
        queryset=Case.objects.filter(state=CaseState.REFUSED).filter(~Exists(incomplete)),
        subject=Case,
        subject_pk="pk",
        level=_level(AlertLevel.WARNING),
        subject_repr=_case_repr(),
        department_id=F("department_id"),
        details=JSONObject(refused_at=F("refused_at"), reason=F("refusal_reason")),
    )


def _explain_refusal(details: dict[str, Any]) -> list[str]:
    return [
        gettext("必要材料均已提交，仍于 %(at)s 作出不予受理决定。") % {"at": _when(details.get("refused_at"))},
        gettext("不予受理理由：%(reason)s") % {"reason": details.get("reason") or "—"},
    ]


register_point(
    PointSpec(
        code="approval.refusal_despite_complete",
        module=Module.APPROVAL,
        name=_("符合条件不予受理"),
        description=_("申请材料齐全（必要材料均已提交）仍作出不予受理决定的，发出预警。"),
        legal_basis=_("《行政许可法》第三十二条第一款第（五）项"),
        severity=Severity.HIGH,
        position=90,
        rows=_refusal_rows,
        subject=CASE_LABEL,
        explain=_explain_refusal,
    )
)


# -- Which cases and steps changed since the last sweep ---------------------------------------------------


def _changed_cases(ctx: SweepContext):
    events = AuditEvent.objects.filter(occurred_at__gte=ctx.since, object_type=CASE_LABEL).values("object_id")
    fee_events = AuditEvent.objects.filter(occurred_at__gte=ctx.since).exclude(object_type=CASE_LABEL)
    return [
        Case.objects.filter(updated_at__gte=ctx.since).values("pk"),
        _case_ids(_case_clocks().filter(updated_at__gte=ctx.since)),
        events.annotate(zw=_audit_case_id()).values("zw"),
        fee_events.filter(after__has_key="case_id")
        .annotate(zw=Cast(KT("after__case_id"), BigIntegerField()))
        .values("zw"),
    ]


def _changed_tasks(ctx: SweepContext):
    from zhengwu.supervision.domain.sweep import scope_text

    changed_clocks = Clock.objects.filter(updated_at__gte=ctx.since).values("pk")
    return [
        WorkTask.objects.filter(clock__in=changed_clocks).values("pk"),
        # steps of the cases changed since (the case scope is filled first)
        WorkTask.objects.filter(
            instance__content_type=_case_ct(), instance__object_id__in=scope_text(CASE_LABEL)
        ).values("pk"),
        WorkTask.objects.filter(instance__updated_at__gte=ctx.since).values("pk"),
    ]


register_scope(CASE_LABEL, _changed_cases)
register_scope(TASK_LABEL, _changed_tasks)
