"""并联审批: a parallel gateway fans out to two departments and joins before the leader decides; returns."""

import pytest
from django.core.exceptions import ValidationError

from tests.workflow.conftest import errors_of
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.models import Clock
from zhengwu.workflow.domain import (
    default_process_definition,
    process_start,
    shipped_process_definition,
    task_complete,
    task_return,
)
from zhengwu.workflow.models import ProcessInstance, WorkTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def instance(county, frozen, subject) -> ProcessInstance:
    instance = process_start(
        actor=county["clerk"],
        definition=shipped_process_definition("parallel_approval"),
        subject=subject,
        department=county.approval,
        lane_map={"协办部门审查": county.civil},
    )
    task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    return instance


def _open(instance) -> list[tuple[str, str]]:
    return list(instance.tasks.open().order_by("id").values_list("bpmn_id", "department__code"))


def _task(instance, bpmn_id: str) -> WorkTask:
    return instance.tasks.open().get(bpmn_id=bpmn_id)


def test_acceptance_opens_both_department_reviews_at_once(county, instance):
    assert _open(instance) == [("review_lead", "SPJ"), ("review_co", "MZJ")]
    lead, co = _task(instance, "review_lead"), _task(instance, "review_co")
    assert (lead.role, co.role) == ("handler", "handler")
    assert (lead.clock.status, co.clock.status) == ("running", "running")
    assert lead.clock.due_date == co.clock.due_date


def test_the_join_waits_for_the_second_department_then_the_leader_decides(county, instance):
    task_complete(actor=county["civil_handler"], task=_task(instance, "review_co"), outcome="approve", comment="同意")
    assert _open(instance) == [("review_lead", "SPJ")]
    instance.refresh_from_db()
    assert instance.status == "running"

    task_complete(actor=county["handler"], task=_task(instance, "review_lead"), outcome="approve")
    assert _open(instance) == [("decide", "SPJ")]
    decide = _task(instance, "decide")
    assert (decide.role, decide.step_limit_days) == ("leader_in_charge", 5)
    task_complete(actor=county["leader"], task=decide, outcome="grant")
    instance.refresh_from_db()
    assert (instance.status, instance.end_event) == ("completed", "end")
    assert Clock.objects.open().count() == 0


def test_each_department_only_sees_its_own_branch(county, instance):
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["handler"], task=_task(instance, "review_co"), outcome="approve")
    assert exc.value.messages == ["您无权办理该环节。"]
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["civil_handler"], task=_task(instance, "review_lead"), outcome="approve")
    assert exc.value.messages == ["您无权办理该环节。"]


def test_returning_from_the_decision_to_one_department_reopens_only_that_branch(county, instance):
    task_complete(actor=county["handler"], task=_task(instance, "review_lead"), outcome="approve")
    task_complete(actor=county["civil_handler"], task=_task(instance, "review_co"), outcome="approve")
    decide = _task(instance, "decide")

    # review_lead finished first: its branch is not the decision's ancestor in the engine's tree.
    task_return(actor=county["leader"], task=decide, to_task_id="review_lead", reason="请补充现场核查意见")
    assert _open(instance) == [("review_lead", "SPJ")]
    decide.refresh_from_db()
    assert (decide.state, decide.outcome, decide.comment) == ("returned", "returned", "请补充现场核查意见")
    assert decide.clock.status == "stopped"
    # the co-department's review stands; only the lead department works again, then the leader once more
    task_complete(actor=county["handler"], task=_task(instance, "review_lead"), outcome="approve")
    assert _open(instance) == [("decide", "SPJ")]
    task_complete(actor=county["leader"], task=_task(instance, "decide"), outcome="grant")
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert list(instance.tasks.order_by("id").values_list("bpmn_id", "state")) == [
        ("accept", "completed"),
        ("review_lead", "completed"),
        ("review_co", "completed"),
        ("decide", "returned"),
        ("review_lead", "completed"),
        ("decide", "completed"),
    ]


def test_returning_to_the_other_branch_first_finished_works_too(county, instance):
    task_complete(actor=county["civil_handler"], task=_task(instance, "review_co"), outcome="approve")
    task_complete(actor=county["handler"], task=_task(instance, "review_lead"), outcome="approve")
    task_return(actor=county["leader"], task=_task(instance, "decide"), to_task_id="review_co", reason="意见不明确")
    assert _open(instance) == [("review_co", "MZJ")]
    task_complete(actor=county["civil_handler"], task=_task(instance, "review_co"), outcome="approve")
    assert _open(instance) == [("decide", "SPJ")]


def test_returning_to_acceptance_from_a_branch_closes_the_other_branch_as_returned(county, instance):
    task_complete(actor=county["civil_handler"], task=_task(instance, "review_co"), outcome="approve")
    lead = _task(instance, "review_lead")
    task_return(actor=county["handler"], task=lead, to_task_id="accept", reason="申请材料与受理内容不符")
    assert _open(instance) == [("accept", "SPJ")]
    assert list(instance.tasks.order_by("id").values_list("bpmn_id", "state")) == [
        ("accept", "completed"),
        ("review_lead", "returned"),
        ("review_co", "completed"),
        ("accept", "ready"),
    ]
    new_accept = _task(instance, "accept")
    assert new_accept.clock.status == "running"
    assert new_accept.spiff_task_id == instance.tasks.filter(bpmn_id="accept").first().spiff_task_id
    event = AuditEvent.objects.get(action="workflow.task.returned")
    assert event.after["to"] == "accept"
    assert event.after["reason"] == "申请材料与受理内容不符"
    # and the flow runs again from acceptance
    task_complete(actor=county["clerk"], task=new_accept, outcome="accept")
    assert _open(instance) == [("review_lead", "SPJ"), ("review_co", "MZJ")]


def test_returning_a_branch_with_an_open_sibling_marks_the_sibling_returned(county, instance):
    lead = _task(instance, "review_lead")
    co = _task(instance, "review_co")
    task_return(actor=county["civil_handler"], task=co, to_task_id="accept", reason="非本部门事项")
    lead.refresh_from_db()
    assert (lead.state, lead.clock.status) == ("returned", "stopped")
    assert _open(instance) == [("accept", "SPJ")]


@pytest.mark.parametrize(
    ("to_task_id", "reason", "errors"),
    [
        ("accept", "", {"reason": ["请填写退回原因。"]}),
        ("nope", "x", {"to_task_id": ["退回的目标环节不存在。"]}),
        ("review_co", "x", {"to_task_id": ["不能退回到当前环节。"]}),
        ("decide", "x", {"to_task_id": ["环节“决定”尚未办理，不能退回到该环节。"]}),
        ("review_lead", "x", {"to_task_id": ["“主办部门审查”在并行的另一分支上，不能从本环节退回。"]}),
    ],
)
def test_bad_returns_are_refused_and_change_nothing(county, instance, to_task_id, reason, errors):
    task_complete(actor=county["handler"], task=_task(instance, "review_lead"), outcome="approve")
    co = _task(instance, "review_co")
    before = (list(WorkTask.objects.values()), AuditEvent.objects.count(), ProcessInstance.objects.get().state)
    with pytest.raises(ValidationError) as exc:
        task_return(actor=county["civil_handler"], task=co, to_task_id=to_task_id, reason=reason)
    assert errors_of(exc.value) == errors
    after = (list(WorkTask.objects.values()), AuditEvent.objects.count(), ProcessInstance.objects.get().state)
    assert after == before


def test_return_in_the_default_flow_reopens_the_earlier_step(county, frozen, subject):
    instance = process_start(
        actor=county["clerk"], definition=default_process_definition(), subject=subject, department=county.approval
    )
    task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    task_complete(actor=county["handler"], task=instance.tasks.open().get(), outcome="approve")
    decide = instance.tasks.open().get()
    task_return(actor=county["leader"], task=decide, to_task_id="review", reason="事实认定不清")
    assert list(instance.tasks.order_by("id").values_list("bpmn_id", "state")) == [
        ("accept", "completed"),
        ("review", "completed"),
        ("decide", "returned"),
        ("review", "ready"),
    ]
    task_complete(actor=county["handler"], task=instance.tasks.open().get(), outcome="approve")
    task_complete(actor=county["leader"], task=instance.tasks.open().get(), outcome="grant")
    instance.refresh_from_db()
    assert instance.status == "completed"
