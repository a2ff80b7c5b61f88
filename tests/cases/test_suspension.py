"""Suspension (挂起) of an in-progress case: clocks pause, the applicant is told in writing, nothing else moves."""

# ruff: noqa: F811 (the `leader` and `hall` fixtures are imported)

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.cases.clock_helpers import MONDAY, at, case_events, in_progress, leader, on, open_task  # noqa: F401
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_resume, case_suspend, case_timeline
from zhengwu.cases.domain.processing import case_task_complete, case_task_return
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case, CaseSuspension
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message
from zhengwu.workcal.clock_enums import ClockStatus, PauseReason
from zhengwu.workcal.models.clock import Clock
from zhengwu.workflow.enums import TaskState
from zhengwu.workflow.models import WorkTask

pytestmark = pytest.mark.django_db


def suspend(hall, case, **overrides):
    values = {
        "actor": hall.handler,
        "case": case,
        "reason": PauseReason.EXPERT_REVIEW,
        "explanation": "经营场所需组织专家现场评审。",
        "expected_resume_on": on(9),
    }
    return case_suspend(**(values | overrides))


def test_suspension_pauses_the_clocks_and_resuming_moves_the_due_date_by_the_days_not_counted(hall):
    case = in_progress(hall)
    assert case.handling_clock.due_date == on(9)
    step = open_task(case).clock
    step_due = step.due_date

    with time_machine.travel(at(4), tick=False):  # Wednesday
        suspension = suspend(hall, case)
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED
    assert Clock.objects.get(pk=case.handling_clock_id).status == ClockStatus.PAUSED
    assert Clock.objects.get(pk=step.pk).status == ClockStatus.PAUSED
    assert (suspension.sequence, suspension.reason, suspension.legal_basis) == (
        1,
        PauseReason.EXPERT_REVIEW,
        "《行政许可法》第四十五条",
    )
    assert suspension.started_at == at(4)
    pause = Clock.objects.get(pk=case.handling_clock_id).pauses.get()
    assert pause.expected_days == 3  # Thu, Fri, Mon

    with time_machine.travel(at(9), tick=False):  # Monday
        resumed = case_resume(actor=hall.section_head, case=case)
    case.refresh_from_db()
    handling = Clock.objects.get(pk=case.handling_clock_id)
    assert case.state == CaseState.IN_PROGRESS
    assert (handling.status, handling.paused_days, handling.due_date) == (ClockStatus.RUNNING, 3, on(12))
    assert (resumed.ended_at, resumed.resumed_by) == (at(9), hall.section_head)
    step = Clock.objects.get(pk=step.pk)
    assert (step.status, step.paused_days) == (ClockStatus.RUNNING, 3)
    assert step.due_date > step_due
    assert case_events(case)[-2:] == ["cases.suspended", "cases.resumed"]
    resumed_event = AuditEvent.objects.get(action="cases.resumed")
    assert resumed_event.after["days_not_counted"] == 3
    assert resumed_event.after["handling_due_date"] == "2026-03-12"


@time_machine.travel(at(4), tick=False)
def test_the_applicant_gets_the_written_notice_with_reason_basis_and_expected_time(hall):
    case = in_progress(hall)
    suspension = suspend(hall, case)
    assert suspension.notice_text == (
        "青川绿源农业科技有限公司：\n"
        f"您申请的“{hall.version.name}”（办件编号 {case.number}），"
        "因需要专家评审，自 2026-03-04 10:00 起暂停办理（挂起）。\n"
        "法律依据：《行政许可法》第四十五条。暂停期间所需时间不计入办理期限。\n"
        "情况说明：经营场所需组织专家现场评审。\n"
        "预计于 2026-03-09 恢复办理，恢复办理时将另行告知，届时重新计算办理期限。\n"
        f"{hall.department.name}"
    )
    message = Message.objects.get(recipient=hall.enterprise, category=Category.CASE_SUSPENDED)
    assert message.body == suspension.notice_text
    event = AuditEvent.objects.get(action="cases.suspended")
    assert (event.after["reason"], event.after["legal_basis"], event.after["expected_resume_on"]) == (
        "expert_review",
        "《行政许可法》第四十五条",
        "2026-03-09",
    )
    assert event.after["step_clocks_paused"] == [open_task(case).clock_id]
    entry = case_timeline(case)[-1]
    assert entry.label == "暂停办理（挂起）"
    assert entry.detail == (
        "专家评审，经营场所需组织专家现场评审。；依据《行政许可法》第四十五条，所需时间不计入办理期限；"
        "预计 2026-03-09 恢复办理"
    )


def test_resuming_tells_the_applicant_the_new_due_date_and_shows_in_the_timeline(hall):
    case = in_progress(hall)
    with time_machine.travel(at(4), tick=False):
        suspend(hall, case)
    with time_machine.travel(at(9), tick=False):
        case_resume(actor=hall.handler, case=case)
    message = Message.objects.get(recipient=hall.enterprise, category=Category.CASE_RESUMED)
    assert message.body == (
        "您的办件自 2026-03-09 10:00 起恢复办理。挂起期间 3 个工作日不计入办理期限，办理期限届满日为 2026-03-12。"
    )
    labels = [(entry.label, entry.detail) for entry in case_timeline(case)][-2:]
    assert labels[1] == ("恢复办理", "挂起期间 3 个工作日不计入办理期限，届满日为 2026-03-12")


def test_a_second_suspension_counts_both_pauses(hall):
    case = in_progress(hall)
    with time_machine.travel(at(3), tick=False):
        suspend(hall, case, expected_resume_on=on(4))
    with time_machine.travel(at(4), tick=False):
        case_resume(actor=hall.handler, case=case)
    with time_machine.travel(at(5), tick=False):
        second = suspend(hall, case, reason=PauseReason.TESTING, expected_resume_on=on(6))
    with time_machine.travel(at(6), tick=False):
        case_resume(actor=hall.handler, case=case)
    assert second.sequence == 2
    handling = Clock.objects.get(pk=case.handling_clock_id)
    assert (handling.paused_days, handling.due_date) == (2, on(11))


@time_machine.travel(at(4), tick=False)
def test_tasks_of_a_suspended_case_cannot_be_completed(hall):
    case = in_progress(hall)
    suspend(hall, case)
    task = open_task(case)
    with pytest.raises(ValidationError) as exc:
        case_task_complete(actor=hall.handler, task=task, outcome="approve")
    assert exc.value.messages == ["办件已挂起，恢复办理前不能办理该环节。"]
    task.refresh_from_db()
    assert task.state == TaskState.READY
    assert Case.objects.get(pk=case.pk).state == CaseState.SUSPENDED


@time_machine.travel(at(4), tick=False)
def test_a_step_of_a_suspended_case_cannot_be_returned_so_no_step_clock_runs_through_the_suspension(hall):
    case = in_progress(hall)
    suspend(hall, case)
    task = open_task(case)
    tasks = list(WorkTask.objects.filter(instance_id=task.instance_id).order_by("pk").values("pk", "state"))
    with pytest.raises(ValidationError) as exc:
        case_task_return(actor=hall.handler, task=task, to_task_id="accept", reason="材料需重新受理。")
    assert exc.value.messages == ["办件已挂起，恢复办理前不能退回该环节。"]
    assert list(WorkTask.objects.filter(instance_id=task.instance_id).order_by("pk").values("pk", "state")) == tasks
    assert Clock.objects.get(pk=task.clock_id).status == ClockStatus.PAUSED


def test_a_decided_case_cannot_be_suspended(hall, leader):
    case = in_progress(hall)
    with time_machine.travel(at(3), tick=False):
        case_task_complete(actor=hall.handler, task=open_task(case), outcome="approve")
        case_task_complete(
            actor=leader, task=open_task(case, "decide"), outcome="grant", reasons="符合条件。", legal_basis="依据"
        )
        with pytest.raises(ValidationError) as exc:
            suspend(hall, case)
    assert exc.value.messages == ["办件当前状态为“已决定”，不能挂起。"]
    assert not CaseSuspension.objects.exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.DECIDED


@time_machine.travel(at(4), tick=False)
def test_a_running_case_cannot_be_resumed_nor_a_suspended_one_suspended_again(hall):
    case = in_progress(hall)
    with pytest.raises(ValidationError) as exc:
        case_resume(actor=hall.handler, case=case)
    assert exc.value.messages == ["办件当前状态为“办理中”，不能恢复办理。"]
    suspend(hall, case)
    with pytest.raises(ValidationError) as exc:
        suspend(hall, case)
    assert exc.value.messages == ["办件当前状态为“挂起”，不能挂起。"]
    assert CaseSuspension.objects.count() == 1


@time_machine.travel(at(4), tick=False)
@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"reason": PauseReason.CORRECTION}, {"reason": ["请选择法定的挂起事由。"]}),
        ({"reason": "holiday"}, {"reason": ["请选择法定的挂起事由。"]}),
        ({"explanation": "  "}, {"explanation": ["请说明挂起的具体情况。"]}),
        ({"expected_resume_on": on(3)}, {"expected_resume_on": ["预计恢复办理日期不能早于今天。"]}),
        ({"expected_resume_on": "2026-03-09"}, {"expected_resume_on": ["请填写预计恢复办理日期。"]}),
    ],
)
def test_bad_suspension_input_changes_nothing(hall, overrides, errors):
    case = in_progress(hall)
    with pytest.raises(ValidationError) as exc:
        suspend(hall, case, **overrides)
    assert exc.value.message_dict == errors
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS
    assert Clock.objects.get(pk=case.handling_clock_id).status == ClockStatus.RUNNING


@time_machine.travel(at(4), tick=False)
@pytest.mark.parametrize("who", ["outsider", "clerk", "enterprise"])
def test_only_the_department_handler_or_section_head_may_suspend(hall, who):
    case = in_progress(hall)
    with pytest.raises(ValidationError) as exc:
        suspend(hall, case, actor=getattr(hall, who))
    assert exc.value.messages == ["只有本部门的承办人或科长可以挂起办件。"]
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert not Message.objects.filter(category=Category.CASE_SUSPENDED).exists()


def test_an_overdue_case_cannot_be_suspended_and_nothing_changes(hall):
    case = in_progress(hall)
    with time_machine.travel(at(10), tick=False), pytest.raises(ValidationError) as exc:
        suspend(hall, case, expected_resume_on=on(12))
    assert exc.value.messages == ["期限已于 2026-03-09 届满，不能再暂停计时。"]
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert not CaseSuspension.objects.exists()
    assert not Clock.objects.filter(status=ClockStatus.PAUSED).exists()


@time_machine.travel(at(4), tick=False)
def test_suspending_appends_the_clock_and_case_events_together_at_the_end(hall):
    from tests.audit.appends import assert_one_append, audit_appends

    case = in_progress(hall)
    with audit_appends() as appends:
        suspend(hall, case)
    assert_one_append(appends)
    assert appends.actions() == ["workcal.clock.paused", "workcal.clock.paused", "cases.suspended"]


@time_machine.travel(at(4), tick=False)
def test_a_suspension_failing_after_the_clocks_paused_appends_none_of_its_events(hall, monkeypatch):
    from tests.audit.appends import audit_appends
    from zhengwu.audit.domain import audit_verify
    from zhengwu.cases.domain import suspension

    case = in_progress(hall)

    def fail(*args, **kwargs):
        raise RuntimeError("notice could not be written")

    monkeypatch.setattr(suspension, "tell_applicant", fail)
    with audit_appends() as appends, pytest.raises(RuntimeError):
        suspend(hall, case)
    assert appends.head_statements == 0  # the chain head was never locked
    assert appends.actions() == []
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert not Clock.objects.filter(status=ClockStatus.PAUSED).exists()
    assert not CaseSuspension.objects.exists()
    assert audit_verify() is None
