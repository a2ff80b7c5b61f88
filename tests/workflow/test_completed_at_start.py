"""Starting a process with user tasks the system completes at once (`completed_at_start`): their rows go in
completed and without a step clock, the tasks after them open once with their clocks, the engine state is
written once, and the task table, engine and audit trail read as if each had been completed right after."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from SpiffWorkflow.util.task import TaskState as SpiffState

from tests.workflow.conftest import NOW, errors_of, make_subject
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.models import Clock
from zhengwu.workflow.domain import (
    CompletedAtStart,
    default_process_definition,
    process_definition_create,
    process_start,
    shipped_process_definition,
    task_complete,
    task_return,
    workflow_load,
)
from zhengwu.workflow.models import ProcessInstance, WorkTask
from zhengwu.workflow.signals import workflow_changed

pytestmark = pytest.mark.django_db

SYSTEM = "system:test"
ACCEPTED = {"accept": CompletedAtStart(actor=SYSTEM, outcome="accept", comment="已于窗口受理。")}

# Two branches at once; the first ends the whole process (terminate end event).
SPLIT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="split_definitions" targetNamespace="https://zhengwu.example/bpmn">
  <bpmn:process id="split_terminate" name="两路并行，核查一路终止" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_a" name="受理:window_clerk">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>split</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>check</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>stop</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_b" name="审查:handler">
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="check" name="核查">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="review" name="审查">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="stop" name="终止">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:terminateEventDefinition id="stop_all" />
    </bpmn:endEvent>
    <bpmn:endEvent id="end" name="办结"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="check" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="review" />
    <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="stop" />
    <bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _start(county, subject, definition=None, **kwargs) -> ProcessInstance:
    return process_start(
        actor=county["clerk"],
        definition=definition or default_process_definition(),
        subject=subject,
        department=county.approval,
        **kwargs,
    )


def _rows(instance) -> list[tuple]:
    return list(
        instance.tasks.order_by("id").values_list("bpmn_id", "state", "outcome", "comment", "completed_by", "clock_id")
    )


def _task_clocks(instance) -> list[Clock]:
    return list(
        Clock.objects.filter(content_type__model="worktask", object_id__in=[str(t.pk) for t in instance.tasks.all()])
    )


def _events(instance) -> list[AuditEvent]:
    task_ids = [str(pk) for pk in instance.tasks.values_list("pk", flat=True)]
    return list(
        AuditEvent.objects.filter(action__startswith="workflow.", object_id__in=[str(instance.pk), *task_ids])
        .exclude(action="workflow.definition.created")
        .order_by("seq")
    )


def test_the_task_goes_in_completed_without_a_clock_and_the_next_opens_with_its_clock(county, frozen, subject):
    instance = _start(county, subject, completed_at_start=ACCEPTED)

    accept, review = instance.tasks.order_by("id")
    assert _rows(instance) == [
        ("accept", "completed", "accept", "已于窗口受理。", None, None),
        ("review", "ready", "", "", None, review.clock_id),
    ]
    assert (accept.created_at, accept.completed_at, accept.claimed_at) == (NOW, NOW, None)
    assert (review.created_at, review.role, review.department) == (NOW, "handler", county.approval)
    assert (review.clock.status, review.clock.limit_days, review.clock.received_at) == ("running", 10, NOW)
    assert review.clock.due_date == date(2026, 9, 28)  # 中秋 9-25 is not counted
    assert [clock.pk for clock in _task_clocks(instance)] == [review.clock_id]  # none ever for the acceptance
    instance.refresh_from_db()
    assert (instance.status, instance.version) == ("running", 1)  # the engine state was written once
    workflow = workflow_load(instance)
    [done] = [t for t in workflow.get_tasks(state=SpiffState.COMPLETED) if t.task_spec.name == "accept"]
    assert (str(done.id), done.data["outcome"]) == (str(accept.spiff_task_id), "accept")
    assert [str(t.id) for t in workflow.get_tasks(state=SpiffState.READY, manual=True)] == [str(review.spiff_task_id)]


def test_the_audit_trail_reads_as_a_start_then_the_systems_completion(county, frozen, subject):
    instance = _start(county, subject, completed_at_start=ACCEPTED)

    accept, review = instance.tasks.order_by("id")
    started, completed = _events(instance)
    assert (started.action, started.actor_repr) == ("workflow.instance.started", "赵窗口")
    assert (started.after["opened"], started.after["closed"], started.after["instance_status"]) == (
        [f"accept#{accept.pk}"],
        [],
        "running",
    )
    assert (completed.action, completed.actor_repr, completed.object_id) == (
        "workflow.task.completed",
        SYSTEM,
        str(accept.pk),
    )
    assert completed.before == {"state": "ready", "assignee": None}
    assert completed.after == {
        "state": "completed",
        "outcome": "accept",
        "comment": "已于窗口受理。",
        "data": {},
        "opened": [f"review#{review.pk}"],
        "closed": [],
        "instance_status": "running",
        "at_start": True,
    }
    # the only clock event is the review step's start
    clock_events = AuditEvent.objects.filter(action__startswith="workcal.clock.").order_by("seq")
    assert list(clock_events.values_list("action", "object_id")) == [("workcal.clock.started", str(review.clock_id))]
    assert audit_verify() is None


def test_the_changes_are_announced_as_a_start_then_a_completion(
    county, frozen, subject, django_capture_on_commit_callbacks
):
    sent = []

    def receiver(sender, instance, action, opened, closed, **kwargs):
        sent.append((action, [t.bpmn_id for t in opened], [(t.bpmn_id, t.state) for t in closed]))

    workflow_changed.connect(receiver, dispatch_uid="test-completed-at-start")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _start(county, subject, completed_at_start=ACCEPTED)
    finally:
        workflow_changed.disconnect(dispatch_uid="test-completed-at-start")
    assert sent == [("started", ["accept"], []), ("task_completed", ["review"], [("accept", "completed")])]


def test_the_result_is_what_completing_the_task_after_the_start_gives_but_for_its_clock(county, frozen):
    born = _start(county, make_subject(), completed_at_start=ACCEPTED)
    later = _start(county, make_subject())
    task_complete(actor=SYSTEM, task=later.tasks.get(), outcome="accept", comment="已于窗口受理。")

    def table(instance):
        return [row[:5] for row in _rows(instance)]

    def engine_tasks(instance):
        instance.refresh_from_db()
        workflow = workflow_load(instance)
        return [(t.task_spec.name, t.state, t.data.get("outcome")) for t in workflow.get_tasks()]

    assert table(born) == table(later)
    assert engine_tasks(born) == engine_tasks(later)
    assert [(c.status, c.due_date) for c in _task_clocks(born)] == [("running", date(2026, 9, 28))]
    assert sorted((c.status, c.due_date) for c in _task_clocks(later)) == [
        ("running", date(2026, 9, 28)),
        ("stopped", date(2026, 9, 20)),  # the acceptance step's clock, started and stopped at once
    ]
    assert (born.version, later.version) == (1, 2)


def test_a_completion_at_start_may_end_the_process(county, frozen, subject):
    refused = {"accept": CompletedAtStart(actor=SYSTEM, outcome="refuse", comment="不属于本部门职权")}
    instance = _start(county, subject, completed_at_start=refused)

    instance.refresh_from_db()
    assert (instance.status, instance.end_event, instance.ended_at) == ("completed", "end_refused", NOW)
    assert _rows(instance) == [("accept", "completed", "refuse", "不属于本部门职权", None, None)]
    assert _task_clocks(instance) == []
    started, completed = _events(instance)
    assert (started.after["instance_status"], completed.after["instance_status"]) == ("running", "completed")


def test_a_task_the_engine_drops_on_the_way_goes_in_cancelled_without_a_clock(county, frozen, subject):
    definition = process_definition_create(actor=county["admin"], key="split", name="", bpmn_xml=SPLIT)
    done = {"check": CompletedAtStart(actor=SYSTEM, outcome="done")}
    instance = _start(county, subject, definition=definition, completed_at_start=done)

    instance.refresh_from_db()
    assert (instance.status, instance.end_event) == ("completed", "stop")
    assert _rows(instance) == [
        ("check", "completed", "done", "", None, None),
        ("review", "cancelled", "", "", None, None),
    ]
    check, review = instance.tasks.order_by("id")
    assert review.completed_at == NOW
    assert _task_clocks(instance) == []
    started, completed = _events(instance)
    assert started.after["opened"] == [f"check#{check.pk}", f"review#{review.pk}"]
    assert (completed.after["opened"], completed.after["closed"], completed.after["instance_status"]) == (
        [],
        [f"review#{review.pk}:cancelled"],
        "completed",
    )


def test_a_parallel_flow_opens_both_branches_with_their_clocks(county, frozen, subject):
    instance = _start(
        county,
        subject,
        definition=shipped_process_definition("parallel_approval"),
        lane_map={"协办部门审查": county.civil},
        completed_at_start=ACCEPTED,
    )
    assert list(instance.tasks.order_by("id").values_list("bpmn_id", "state", "department__code")) == [
        ("accept", "completed", "SPJ"),
        ("review_lead", "ready", "SPJ"),
        ("review_co", "ready", "MZJ"),
    ]
    assert [t.clock is None for t in instance.tasks.order_by("id")] == [True, False, False]
    _started, completed = _events(instance)
    assert [row.split("#")[0] for row in completed.after["opened"]] == ["review_lead", "review_co"]


def test_a_step_completed_at_start_can_be_returned_to_and_opens_with_a_fresh_clock(county, frozen, subject):
    instance = _start(county, subject, completed_at_start=ACCEPTED)
    review = instance.tasks.open().get()
    task_return(actor=county["handler"], task=review, to_task_id="accept", reason="材料与受理内容不符")

    assert list(instance.tasks.order_by("id").values_list("bpmn_id", "state")) == [
        ("accept", "completed"),
        ("review", "returned"),
        ("accept", "ready"),
    ]
    again = instance.tasks.open().get()
    assert (again.clock.status, again.clock.due_date) == ("running", date(2026, 9, 20))
    task_complete(actor=county["clerk"], task=again, outcome="accept")
    assert list(instance.tasks.open().values_list("bpmn_id", flat=True)) == ["review"]


def test_ids_not_ready_at_start_are_left_alone(county, frozen, subject):
    later = {"review": CompletedAtStart(actor=SYSTEM, outcome="approve"), "nowhere": ACCEPTED["accept"]}
    instance = _start(county, subject, completed_at_start=later)

    [accept] = instance.tasks.all()
    assert (accept.bpmn_id, accept.state, accept.clock.status) == ("accept", "ready", "running")
    [started] = _events(instance)
    assert started.after["opened"] == [f"accept#{accept.pk}"]


@pytest.mark.parametrize(
    ("done", "errors"),
    [
        (
            CompletedAtStart(actor="chuangkou", outcome="accept"),
            {"completed_at_start": ["环节“accept”只能由系统在流程启动时办结。"]},
        ),
        (CompletedAtStart(actor=SYSTEM, outcome="受理"), {"outcome": ["请选择办理结果。"]}),
        (
            CompletedAtStart(actor=SYSTEM, outcome="accept", comment="长" * 2001),
            {"comment": ["办理意见最多 2000 个字。"]},
        ),
        (("accept", "已受理"), {"completed_at_start": ["环节“accept”只能由系统在流程启动时办结。"]}),
    ],
)
def test_only_the_system_completes_at_start_with_a_valid_outcome(county, frozen, subject, done, errors):
    with pytest.raises(ValidationError) as exc:
        _start(county, subject, completed_at_start={"accept": done})
    assert errors_of(exc.value) == errors
    assert not ProcessInstance.objects.exists()
    assert not WorkTask.objects.exists()
