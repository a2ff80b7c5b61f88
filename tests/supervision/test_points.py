"""The approval points other than the handling ladder: each fires at its boundary and resolves when put right."""

from datetime import timedelta

import pytest
import time_machine

from tests.cases.test_acceptance import notice_items, online, registered
from tests.supervision.conftest import MICRO, MONDAY, alerts, at, sweep
from zhengwu.audit.domain import audit_record
from zhengwu.cases.domain import case_correction_submit, case_refuse, case_request_correction
from zhengwu.cases.domain.processing import case_decide
from zhengwu.cases.enums import CaseState, DecisionOutcome
from zhengwu.cases.models import Case
from zhengwu.supervision.enums import AlertLevel, AlertStatus
from zhengwu.supervision.models import Alert
from zhengwu.supervision.points import point_explain
from zhengwu.workcal.clock_enums import PauseReason
from zhengwu.workcal.domain.clock import clock_extend, clock_pause, clock_resume
from zhengwu.workflow.enums import InstanceStatus, TaskState
from zhengwu.workflow.models import ProcessInstance, WorkTask

pytestmark = pytest.mark.django_db

OPEN, RESOLVED = AlertStatus.OPEN, AlertStatus.RESOLVED


def found(code: str) -> list[list[str]]:
    """What each alert of the point says it found (the alert page's 发现情形), in pk order."""
    return [point_explain(code, a.details) for a in Alert.objects.filter(point__code=code).order_by("pk")]


def test_first_correction_notice_is_not_an_alert_the_second_is(hall):
    with time_machine.travel(MONDAY, tick=False):
        case = registered(hall)
        case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "营业执照"))
    sweep(MONDAY + timedelta(hours=1))
    assert alerts("approval.one_time_notice") == []
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        case_correction_submit(
            applicant_or_clerk=hall.clerk,
            case=case,
            materials=[{"material": hall.business_licence, "file": hall.pdf("licence")}],
        )
        case_request_correction(
            actor=hall.handler, case=case, items=notice_items(case, "营业执照"), reason="复印件无法辨认"
        )
    sweep(MONDAY + timedelta(hours=3))
    assert alerts("approval.one_time_notice") == [
        ("approval.one_time_notice", str(case.pk), "notice:2", AlertLevel.WARNING, OPEN)
    ]
    assert found("approval.one_time_notice") == [
        ["第 2 次补正告知，告知时间 2026-03-02 12:00。", "再次告知的理由：复印件无法辨认"]
    ]


def _decided(hall, accepted, outcome):
    for task in WorkTask.objects.filter(instance__object_id=str(accepted.pk)):
        task.state = TaskState.COMPLETED
        task.save(update_fields=["state"])
    ProcessInstance.objects.filter(object_id=str(accepted.pk)).update(status=InstanceStatus.COMPLETED)
    with time_machine.travel(at(2026, 3, 4, 9), tick=False):
        case_decide(actor="system:cases", case=accepted, outcome=outcome, reasons="不符合条件", legal_basis="第X条")


def test_a_denial_is_reported_twice_as_denial_and_negative_filing(hall, accepted):
    _decided(hall, accepted, DecisionOutcome.DENY)
    sweep(at(2026, 3, 4, 10))
    pk = str(accepted.pk)
    assert alerts(status=OPEN) == [
        ("approval.denial", pk, "", AlertLevel.REPORT, OPEN),
        ("approval.negative_filing", pk, "cases.decided", AlertLevel.REPORT, OPEN),
    ]
    assert found("approval.denial") == [["作出不予许可决定：2026-03-04 09:00。", "法律依据：第X条"]]
    assert found("approval.negative_filing") == [["不予许可决定，2026-03-04 09:00 自动报备。"]]


def test_a_grant_is_not_reported_and_its_clock_stopped_resolves_the_ladder(hall, accepted):
    sweep(at(2026, 3, 6))
    assert alerts("approval.handling_overdue", status=OPEN) != []
    _decided(hall, accepted, DecisionOutcome.GRANT)
    sweep(at(2026, 3, 6, 1))
    assert alerts() == [("approval.handling_overdue", str(accepted.pk), "", AlertLevel.WARNING, RESOLVED)]


def test_refusal_of_a_complete_application_is_flagged(hall):
    with time_machine.travel(MONDAY, tick=False):
        complete = online(hall)
        incomplete = registered(hall)  # the required 营业执照 is missing
        case_refuse(actor=hall.handler, case=complete, reason="不符合条件")
        case_refuse(actor=hall.handler, case=incomplete, reason="材料不全")
    sweep(MONDAY + timedelta(minutes=1))
    assert alerts("approval.refusal_despite_complete") == [
        ("approval.refusal_despite_complete", str(complete.pk), "", AlertLevel.WARNING, OPEN)
    ]
    assert alerts("approval.negative_filing") == [
        ("approval.negative_filing", str(complete.pk), "cases.refused", AlertLevel.REPORT, OPEN),
        ("approval.negative_filing", str(incomplete.pk), "cases.refused", AlertLevel.REPORT, OPEN),
    ]
    assert found("approval.refusal_despite_complete") == [
        ["必要材料均已提交，仍于 2026-03-02 10:00 作出不予受理决定。", "不予受理理由：不符合条件"]
    ]


def test_fee_events_with_any_flag_are_warnings(hall, accepted):
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        audit_record(actor=hall.handler, action="cases.fee_collected", obj=accepted, after={"fee_override": False})
        audit_record(actor=hall.handler, action="cases.fee_collected", obj=accepted, after={"fee_override": True})
        audit_record(
            actor=hall.handler,
            action="cases.fee_paid",
            obj=hall.department,
            after={"case_id": accepted.pk, "outside_unified_window": True},
        )
    sweep(MONDAY + timedelta(hours=2))
    rows = Alert.objects.filter(point__code="approval.fees")
    assert sorted((r.object_id, r.level, r.department_id, r.details["action"]) for r in rows) == [
        (str(accepted.pk), AlertLevel.WARNING, hall.department.pk, "cases.fee_collected"),
        (str(accepted.pk), AlertLevel.WARNING, hall.department.pk, "cases.fee_paid"),
    ]
    assert sorted(found("approval.fees")) == [
        ["cases.fee_collected：2026-03-02 11:00。", "收费金额与收费标准不符（已填写调整理由）。"],
        ["收费：2026-03-02 11:00。", "未经统一收费窗口收取。"],
    ]


def _suspend(hall, case, when, expected_days=None):
    with time_machine.travel(when, tick=False):
        clock_pause(
            actor=hall.handler,
            clock=case.handling_clock,
            reason=PauseReason.INSPECTION,
            basis="检验",
            at=when,
            expected_days=expected_days,
        )
        Case.objects.filter(pk=case.pk).update(state=CaseState.SUSPENDED)


def test_each_suspension_is_reported_and_one_past_its_expected_time_warns(hall, accepted):
    paused_at = at(2026, 3, 3, 9)
    _suspend(hall, accepted, paused_at, expected_days=3)
    sweep(paused_at + timedelta(days=3))
    [row] = Alert.objects.filter(point__code="approval.suspension")
    assert (row.level, row.key.startswith("pause:")) == (AlertLevel.REPORT, True)
    sweep(paused_at + timedelta(days=3) + MICRO)
    row.refresh_from_db()
    assert row.level == AlertLevel.WARNING


def test_a_suspension_warns_from_the_day_after_its_notified_resumption_date(hall, accepted):
    from datetime import date

    from zhengwu.cases.domain import case_resume, case_suspend

    with time_machine.travel(at(2026, 3, 3, 9), tick=False):
        case_suspend(
            actor=hall.handler,
            case=accepted,
            reason=PauseReason.EXPERT_REVIEW,
            explanation="组织专家评审",
            expected_resume_on=date(2026, 3, 5),
        )
    sweep(at(2026, 3, 5, 23, 59, 59, 999999))
    [row] = Alert.objects.filter(point__code="approval.suspension")
    assert (row.level, row.details["expected_resume_on"]) == (AlertLevel.REPORT, "2026-03-05")
    assert found("approval.suspension") == [
        ["挂起（暂停计时）于 2026-03-03 09:00。", "书面告知预计 2026-03-05 恢复办理。"]
    ]
    sweep(at(2026, 3, 6))
    row.refresh_from_db()
    assert row.level == AlertLevel.WARNING
    with time_machine.travel(at(2026, 3, 6, 9), tick=False):
        case_resume(actor=hall.handler, case=accepted)
    sweep(at(2026, 3, 6, 10))
    row.refresh_from_db()
    assert row.status == RESOLVED


def test_a_second_suspension_warns_and_the_first_is_resolved(hall, accepted):
    _suspend(hall, accepted, at(2026, 3, 3, 9))
    sweep(at(2026, 3, 3, 10))
    with time_machine.travel(at(2026, 3, 4, 9), tick=False):
        clock_resume(actor=hall.handler, clock=Case.objects.get(pk=accepted.pk).handling_clock, at=at(2026, 3, 4, 9))
        Case.objects.filter(pk=accepted.pk).update(state=CaseState.IN_PROGRESS)
    _suspend(hall, accepted, at(2026, 3, 4, 10))
    sweep(at(2026, 3, 4, 11))
    assert [(r.level, r.status) for r in Alert.objects.filter(point__code="approval.suspension").order_by("pk")] == [
        (AlertLevel.REPORT, RESOLVED),
        (AlertLevel.WARNING, OPEN),
    ]
    assert found("approval.suspension")[1] == ["挂起（暂停计时）于 2026-03-04 10:00。", "本件已挂起 2 次。"]


def test_step_overdue_while_the_case_is_not_late(hall, accepted):
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        clock_extend(
            actor=hall.handler, clock=accepted.handling_clock, days=10, basis="延长", approver=hall.section_head
        )
    accepted.refresh_from_db()
    task = WorkTask.objects.get(instance__object_id=str(accepted.pk), state__in=["ready", "claimed"])
    step = task.clock
    assert step.due_at < accepted.handling_clock.due_at
    sweep(step.warn_at - MICRO)
    assert alerts("approval.step_overdue") == []
    sweep(step.warn_at)
    assert alerts("approval.step_overdue") == [("approval.step_overdue", str(task.pk), "", AlertLevel.WARNING, OPEN)]
    assert found("approval.step_overdue") == [[f"环节“{task.name}”，环节时限 {task.step_limit_days} 个工作日。"]]
    sweep(step.due_at + MICRO)
    assert alerts("approval.step_overdue") == [("approval.step_overdue", str(task.pk), "", AlertLevel.YELLOW, OPEN)]
    sweep(accepted.handling_clock.due_at + MICRO)  # the case itself is late: the handling ladder takes over
    assert alerts("approval.step_overdue") == [("approval.step_overdue", str(task.pk), "", AlertLevel.YELLOW, RESOLVED)]
