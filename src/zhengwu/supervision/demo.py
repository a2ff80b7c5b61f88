"""Demo: the supervision centre on the demo cases. First a full monitoring sweep raises the alerts the cases
call for (报备, 预警, 黄牌, 红牌); then the featured supervisor (jiancha) works through the real domain functions
at the moments it happened: supervision orders about overdue cases and their alerts (one awaiting the
department's report, one reported and awaiting verification, one returned, one closed), a spot check with its
findings, callbacks to applicants, and a violation confirmed from the closed order and published.

Runs after the demo cases; loaded once (nothing happens when any order or spot check exists)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from zhengwu.accounts.models import User
from zhengwu.audit.domain import audited_atomic
from zhengwu.cases.demo import at
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case
from zhengwu.supervision.domain import supervision_sweep
from zhengwu.supervision.domain.assessment import assessment_compute
from zhengwu.supervision.domain.work import (
    callback_record,
    department_leaders,
    spot_check_draw,
    spot_check_record_finding,
    supervision_order_close,
    supervision_order_issue,
    supervision_order_report,
    supervision_order_return,
    violation_confirm,
    violation_publish,
)
from zhengwu.supervision.enums import Finding, PeriodKind
from zhengwu.supervision.models import Alert, SpotCheck, SupervisionOrder, SweepRun
from zhengwu.workcal.arith import current_index

logger = logging.getLogger(__name__)

SUPERVISOR = "jiancha"
SPOT_CHECK_SEED = 20261204
SPOT_CHECK_SIZE = 6
# (how the order ends, working days ago it was issued / reported / verified)
ORDERS = (
    ("closed", 8, 5, 3),
    ("returned", 7, 4, 3),
    ("reported", 5, 1, None),
    ("issued", 2, None, None),
)
REQUIREMENT = "办件 %(number)s 已超过承诺办结时限仍未办结，请说明原因，立即办理，并报送整改情况。"


class _Days:
    """Working days before today, at a given office hour, never later than now."""

    def __init__(self, now: datetime):
        self.now = now
        self.index = current_index()

    def day(self, back: int) -> date:
        day = timezone.localtime(self.now).date()
        while back > 0:
            day -= timedelta(days=1)
            if self.index.is_working_day(day):
                back -= 1
        return day

    def moment(self, back: int, hour: int) -> datetime:
        moment = timezone.make_aware(datetime.combine(self.day(back), time(hour, 0)))
        return min(moment, self.now - timedelta(minutes=30))


def _overdue_cases(count: int) -> list[tuple[Case, list[User]]]:
    """Overdue in-progress cases, one per department that has leaders to answer an order."""
    chosen: list[tuple[Case, list[User]]] = []
    seen: set[int] = set()
    cases = (
        Case.objects.filter(state=CaseState.IN_PROGRESS, handling_clock__due_at__lt=timezone.now())
        .select_related("department")
        .order_by("handling_clock__due_at", "pk")
    )
    for case in cases:
        if case.department_id in seen:
            continue
        seen.add(case.department_id)
        leaders = department_leaders(case.department_id)
        if leaders:
            chosen.append((case, leaders))
        if len(chosen) == count:
            break
    return chosen


def _orders(supervisor: User, days: _Days, created: Counter) -> SupervisionOrder | None:
    closed = None
    case_type = ContentType.objects.get_for_model(Case)
    for (case, leaders), (end, issued, reported, verified) in zip(_overdue_cases(len(ORDERS)), ORDERS, strict=False):
        alerts = Alert.objects.filter(
            content_type=case_type, object_id=str(case.pk), department_id=case.department_id
        ).order_by("-level", "pk")[:1]
        with audited_atomic():
            with at(days.moment(issued, 9)):
                order = supervision_order_issue(
                    actor=supervisor,
                    department=case.department,
                    requirement=REQUIREMENT % {"number": case.number},
                    due_working_days=5,
                    alerts=list(alerts),
                    case=case,
                )
            if reported is not None:
                with at(days.moment(reported, 15)):
                    supervision_order_report(
                        actor=leaders[0],
                        order=order,
                        text="经查，承办人员对材料审查把关不及时导致超期。已责成承办科室当日办结，并对承办人员进行约谈提醒。",
                    )
            if end == "closed":
                with at(days.moment(verified, 10)):
                    supervision_order_close(actor=supervisor, order=order, note="经核查，整改到位，予以办结。")
                closed = order
            elif end == "returned":
                with at(days.moment(verified, 10)):
                    supervision_order_return(
                        actor=supervisor, order=order, reason="整改报告未说明超期的具体责任人和防止再次发生的措施。"
                    )
        created[f"order:{end}"] += 1
    return closed


def _spot_check(supervisor: User, days: _Days, created: Counter) -> None:
    period_end = days.day(1)
    period_start = period_end - timedelta(days=45)
    try:
        with audited_atomic(), at(days.moment(0, 9)):
            check = spot_check_draw(
                actor=supervisor,
                period_start=period_start,
                period_end=period_end,
                sample_size=SPOT_CHECK_SIZE,
                seed=SPOT_CHECK_SEED,
            )
            items = list(check.items.order_by("position"))
            for position, item in enumerate(items):
                if position == 1:
                    spot_check_record_finding(
                        actor=supervisor,
                        item=item,
                        finding=Finding.PROBLEM,
                        text="申请材料中的经营场所证明未加盖出具单位印章，审查时未发现。",
                    )
                elif position < len(items) - 1:  # the last one is still to be checked
                    spot_check_record_finding(actor=supervisor, item=item, finding=Finding.OK)
    except ValidationError as error:
        logger.warning("演示抽查未能生成：%s", "；".join(error.messages))
        return
    created["spot_check"] += 1


CALLBACKS = (
    (True, True, "申请人对办理速度和服务态度表示满意。"),
    (True, True, "申请人表示网上申报方便，无需往返窗口。"),
    (True, False, "申请人反映窗口告知不清，曾多跑一次。"),
    (False, None, "电话两次无人接听，已发短信告知。"),
)


def _callbacks(supervisor: User, days: _Days, created: Counter) -> None:
    cases = list(Case.objects.filter(state=CaseState.COMPLETED).order_by("-completed_at", "pk")[: len(CALLBACKS)])
    for case, (reached, satisfied, comment) in zip(cases, CALLBACKS, strict=False):
        with audited_atomic(), at(days.moment(0, 11)):
            callback_record(actor=supervisor, case=case, reached=reached, satisfied=satisfied, comment=comment)
        created["callback"] += 1


def _violation(supervisor: User, order: SupervisionOrder, days: _Days, created: Counter) -> None:
    with audited_atomic():
        with at(days.moment(2, 14)):
            violation = violation_confirm(
                actor=supervisor,
                order=order,
                summary="办件无正当理由超过承诺时限未办结，经督办后整改，认定为超时办理违规。",
            )
        with at(days.moment(1, 16)):
            violation_publish(
                actor=supervisor,
                violation=violation,
                published_text=f"{order.department.name}办理一件行政许可申请超过承诺时限，经督办已整改。",
            )
    created["violation"] += 1


def supervision_demo_load() -> Counter:
    """The supervisor's work on the demo cases (once). Returns what was created, by kind."""
    created: Counter = Counter()
    if SupervisionOrder.objects.exists() or SpotCheck.objects.exists():
        return created
    supervisor = User.objects.filter(username=SUPERVISOR, is_active=True).first()
    if supervisor is None or not Case.objects.exists():
        return created
    days = _Days(timezone.now())
    sweep = not SweepRun.objects.exists()
    if sweep:  # the sweep the supervisor saw before the first order, then today's
        with at(days.moment(ORDERS[0][1] + 1, 8)):
            supervision_sweep()
    closed = _orders(supervisor, days, created)
    if closed is not None:
        _violation(supervisor, closed, days, created)
    _spot_check(supervisor, days, created)
    _callbacks(supervisor, days, created)
    if sweep:
        supervision_sweep()
        created["alerts"] = Alert.objects.count()
    _assessments(supervisor, created)
    return created


def _assessments(supervisor: User, created: Counter) -> None:
    """Last month's and this month's ranking, computed from the demo's cases, clocks, alerts and ratings."""
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    for day in (last_month, today):
        results = assessment_compute(actor=supervisor, period_kind=PeriodKind.MONTH, day=day)
        created["assessment_results"] += len(results)
