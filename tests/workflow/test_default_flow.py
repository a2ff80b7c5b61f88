"""The built-in 受理 → 审查 → 决定 flow, end to end, with its task table, step clocks and audit trail."""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

from tests.workflow.conftest import NOW, errors_of, make_subject
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus
from zhengwu.workcal.models import Clock
from zhengwu.workflow import engine
from zhengwu.workflow.domain import (
    default_process_definition,
    process_cancel,
    process_start,
    task_claim,
    task_complete,
    task_reassign,
    workflow_load,
)
from zhengwu.workflow.models import ProcessDefinition, ProcessInstance, WorkTask

pytestmark = pytest.mark.django_db

STATE_LIMIT = 5 * 1024  # SpiffWorkflow 3.2's own serialisation embeds the spec: ~8 KB here, ~14 KB in real files


def _start(county, subject, **kwargs) -> ProcessInstance:
    return process_start(
        actor=county["clerk"],
        definition=default_process_definition(),
        subject=subject,
        department=county.approval,
        **kwargs,
    )


def _open(instance) -> list[WorkTask]:
    return list(instance.tasks.open().order_by("id"))


def _rows(instance) -> list[tuple]:
    return list(
        instance.tasks.order_by("id").values_list("bpmn_id", "state", "role", "department__code", "assignee__username")
    )


def test_start_opens_the_acceptance_task_for_window_clerks_with_a_running_step_clock(county, frozen, subject):
    instance = _start(county, subject)

    assert instance.status == "running"
    assert instance.lane_map == {
        "受理:window_clerk": {"label": "受理", "department": county.approval.pk, "role": "window_clerk"},
        "审查:handler": {"label": "审查", "department": county.approval.pk, "role": "handler"},
        "决定:leader_in_charge": {"label": "决定", "department": county.approval.pk, "role": "leader_in_charge"},
    }
    [task] = _open(instance)
    assert (task.bpmn_id, task.name, task.lane, task.role, task.department, task.assignee) == (
        "accept",
        "受理",
        "受理:window_clerk",
        "window_clerk",
        county.approval,
        None,
    )
    assert (task.state, task.step_limit_days, task.created_at, task.is_countersign) == ("ready", 5, NOW, False)
    clock = task.clock
    assert (clock.status, clock.unit, clock.limit_days, clock.received_at) == ("running", "working", 5, NOW)
    # 9-20 is the Sunday worked in place of the National Day holiday (2026 arrangement).
    assert clock.due_date == date(2026, 9, 20)
    assert (clock.content_type.model, clock.object_id) == ("worktask", str(task.pk))


def test_completing_every_step_in_order_completes_the_instance_and_stops_every_clock(county, frozen, subject):
    instance = _start(county, subject)
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept", comment="材料齐全，予以受理")
    [review] = _open(instance)
    assert (review.bpmn_id, review.role, review.department, review.step_limit_days) == (
        "review",
        "handler",
        county.approval,
        10,
    )
    assert review.clock.due_date == date(2026, 9, 28)  # 中秋 9-25 is not counted
    frozen.shift(60 * 60)
    task_complete(actor=county["handler"], task=review, outcome="approve", comment="符合条件")
    [decide] = _open(instance)
    assert (decide.bpmn_id, decide.role, decide.step_limit_days) == ("decide", "leader_in_charge", 3)
    task_complete(actor=county["leader"], task=decide, outcome="grant", comment="准予许可")

    instance.refresh_from_db()
    assert (instance.status, instance.end_event) == ("completed", "end")
    assert instance.ended_at is not None
    assert _rows(instance) == [
        ("accept", "completed", "window_clerk", "SPJ", None),
        ("review", "completed", "handler", "SPJ", None),
        ("decide", "completed", "leader_in_charge", "SPJ", None),
    ]
    tasks = list(instance.tasks.order_by("id").select_related("clock", "completed_by"))
    assert [t.completed_by.username for t in tasks] == ["chuangkou", "chengban", "fenguan"]
    assert [t.outcome for t in tasks] == ["accept", "approve", "grant"]
    assert [t.comment for t in tasks] == ["材料齐全，予以受理", "符合条件", "准予许可"]
    assert [(t.clock.status, t.clock.outcome) for t in tasks] == [(ClockStatus.STOPPED, ClockOutcome.ON_TIME)] * 3
    assert Clock.objects.open().count() == 0
    assert list(
        AuditEvent.objects.filter(action__startswith="workflow.").order_by("seq").values_list("action", flat=True)
    ) == [
        "workflow.definition.created",
        "workflow.instance.started",
        "workflow.task.completed",
        "workflow.task.completed",
        "workflow.task.completed",
    ]
    assert audit_verify() is None


def test_refusing_acceptance_ends_the_process_at_the_refusal_end_event(county, frozen, subject):
    instance = _start(county, subject)
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="refuse", comment="不属于本部门职权")
    instance.refresh_from_db()
    assert (instance.status, instance.end_event) == ("completed", "end_refused")
    assert _rows(instance) == [("accept", "completed", "window_clerk", "SPJ", None)]


def test_the_stored_state_holds_no_spec_and_stays_far_below_the_embedded_size(county, frozen, subject):
    instance = _start(county, subject)
    definition = instance.definition
    stored = ProcessInstance.objects.values_list("state", flat=True).get(pk=instance.pk)
    size = len(json.dumps(stored, separators=(",", ":")).encode())
    assert "spec" not in stored and "subprocess_specs" not in stored
    assert size < STATE_LIMIT, size
    # What SpiffWorkflow would store on its own: the same state plus the whole spec.
    embedded = BpmnWorkflowSerializer().to_dict(workflow_load(instance))
    assert len(json.dumps(embedded, separators=(",", ":")).encode()) - size >= len(definition.spec_json.encode()) * 0.8
    # Completing steps keeps it small.
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept")
    task_complete(actor=county["handler"], task=_open(instance)[0], outcome="approve")
    instance.refresh_from_db()
    assert len(json.dumps(instance.state, separators=(",", ":")).encode()) < STATE_LIMIT


def test_state_reloads_from_a_freshly_fetched_definition_after_the_spec_cache_is_emptied(county, frozen, subject):
    instance = _start(county, subject)
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept")
    engine._spec_cache.clear()

    fresh = ProcessInstance.objects.get(pk=instance.pk)
    definition = ProcessDefinition.objects.get(pk=fresh.definition_id)
    workflow = workflow_load(fresh, definition)
    ready = engine.ready_user_tasks(workflow)
    assert [(t.task_spec.bpmn_id, t.data["outcome"]) for t in ready] == [("review", "accept")]
    assert [str(t.id) for t in ready] == [str(_open(fresh)[0].spiff_task_id)]
    # and it carries on from there
    task_complete(actor=county["handler"], task=_open(fresh)[0], outcome="approve")
    assert [t.bpmn_id for t in _open(fresh)] == ["decide"]


def test_two_instances_of_one_definition_run_independently(county, frozen):
    first, second = _start(county, make_subject()), _start(county, make_subject())
    task_complete(actor=county["clerk"], task=_open(first)[0], outcome="accept")
    assert [t.bpmn_id for t in _open(first)] == ["review"]
    assert [t.bpmn_id for t in _open(second)] == ["accept"]
    task_complete(actor=county["clerk"], task=_open(second)[0], outcome="refuse")
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == ("running", "completed")


def test_process_data_reaches_the_engine_and_task_data_is_kept(county, frozen, subject):
    instance = _start(county, subject, data={"item_code": "11370799MB1000033401", "fee": 0})
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept", data={"materials_ok": True})
    instance.refresh_from_db()
    [ready] = engine.ready_user_tasks(workflow_load(instance))
    assert ready.data == {"item_code": "11370799MB1000033401", "fee": 0, "materials_ok": True, "outcome": "accept"}


def test_a_subject_runs_at_most_one_process_at_a_time(county, frozen, subject):
    _start(county, subject)
    with pytest.raises(ValidationError) as exc:
        _start(county, subject)
    assert exc.value.message_dict == {"subject": ["该对象已有进行中的流程。"]}
    assert ProcessInstance.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"department": None}, {"lane_map": ["泳道“受理”没有指定部门：请在启动流程时给出部门或泳道映射。"]}),
        ({"lane_map": {"不存在": 1}}, {"lane_map": ["泳道映射中的“不存在”在流程中不存在。"]}),
        ({"lane_map": {"审查": 999999}}, {"lane_map": ["泳道“审查”指定的部门“999999”不存在。"]}),
        (
            {"data": {"_private": 1}},
            {"data": ["流程数据的键“_private”无效：只能用字母、数字和下划线，且不能以下划线开头。"]},
        ),
        ({"data": {"when": NOW}}, {"data": ["流程数据只能包含文字、数字、布尔值、列表和对象。"]}),
    ],
)
def test_bad_start_arguments_are_refused_and_nothing_is_stored(county, frozen, subject, kwargs, errors):
    definition = default_process_definition()
    events = AuditEvent.objects.count()
    arguments = {"actor": county["clerk"], "definition": definition, "subject": subject, "department": county.approval}
    with pytest.raises(ValidationError) as exc:
        process_start(**{**arguments, **kwargs})
    assert exc.value.message_dict == errors
    assert (ProcessInstance.objects.count(), WorkTask.objects.count(), Clock.objects.count()) == (0, 0, 0)
    assert AuditEvent.objects.count() == events


def test_lane_map_overrides_department_and_role_by_label(county, frozen, subject):
    instance = process_start(
        actor=county["clerk"],
        definition=default_process_definition(),
        subject=subject,
        department=county.approval,
        lane_map={"审查": (county.civil.pk, "section_head"), "决定": {"department": "MZJ"}},
    )
    assert instance.lane_map["审查:handler"] == {"label": "审查", "department": county.civil.pk, "role": "section_head"}
    assert instance.lane_map["决定:leader_in_charge"] == {
        "label": "决定",
        "department": county.civil.pk,
        "role": "leader_in_charge",
    }


# ---- who may act --------------------------------------------------------------------------------
def test_only_holders_of_the_role_in_the_department_may_complete_an_unassigned_task(county, frozen, subject):
    instance = _start(county, subject)
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept")
    [review] = _open(instance)
    for name in ("clerk", "civil_handler", "supervisor", "leader"):
        with pytest.raises(ValidationError) as exc:
            task_complete(actor=county[name], task=review, outcome="approve")
        assert exc.value.messages == ["您无权办理该环节。"]
    review.refresh_from_db()
    assert review.state == "ready"
    task_complete(actor=county["admin"], task=review, outcome="approve")  # county-wide administrator
    assert [t.bpmn_id for t in _open(instance)] == ["decide"]


def test_claiming_takes_the_task_out_of_the_pool(county, frozen, subject):
    instance = _start(county, subject)
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept")
    [review] = _open(instance)
    task_claim(actor=county["handler"], task=review)
    assert (review.state, review.assignee, review.claimed_at) == ("claimed", county["handler"], NOW)
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["handler2"], task=review, outcome="approve")
    assert exc.value.messages == ["该环节由钱承办负责，您不能办理。"]
    with pytest.raises(ValidationError) as exc:
        task_claim(actor=county["handler2"], task=review)
    assert exc.value.messages == ["该环节由钱承办负责，您不能办理。"]
    with pytest.raises(ValidationError) as exc:
        task_claim(actor=county["handler"], task=review)
    assert exc.value.messages == ["您已签收该环节。"]
    task_complete(actor=county["handler"], task=review, outcome="approve")
    assert AuditEvent.objects.filter(action="workflow.task.claimed").count() == 1


def test_completing_a_completed_task_is_refused_and_changes_nothing(county, frozen, subject):
    instance = _start(county, subject)
    [accept] = _open(instance)
    stale = WorkTask.objects.get(pk=accept.pk)
    task_complete(actor=county["clerk"], task=accept, outcome="accept")
    before = (WorkTask.objects.count(), AuditEvent.objects.count(), ProcessInstance.objects.get().version)
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["clerk"], task=stale, outcome="accept")
    assert exc.value.messages == ["该环节已由他人办理。"]
    assert (WorkTask.objects.count(), AuditEvent.objects.count(), ProcessInstance.objects.get().version) == before


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"outcome": ""}, {"outcome": ["请选择办理结果。"]}),
        ({"outcome": "准予"}, {"outcome": ["请选择办理结果。"]}),
        ({"outcome": "accept", "data": {"outcome": "x"}}, {"data": ["办理结果请用 outcome 参数给出。"]}),
        ({"outcome": "accept", "comment": "很" * 2001}, {"comment": ["办理意见最多 2000 个字。"]}),
    ],
)
def test_bad_completion_arguments_change_nothing(county, frozen, subject, kwargs, errors):
    instance = _start(county, subject)
    [accept] = _open(instance)
    before = (list(WorkTask.objects.values()), AuditEvent.objects.count(), ProcessInstance.objects.get().state)
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["clerk"], task=accept, **kwargs)
    assert exc.value.message_dict == errors
    after = (list(WorkTask.objects.values()), AuditEvent.objects.count(), ProcessInstance.objects.get().state)
    assert after == before


# ---- reassign -----------------------------------------------------------------------------------
def test_reassign_hands_the_task_to_a_colleague_who_then_alone_may_complete_it(county, frozen, subject):
    instance = _start(county, subject)
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept")
    [review] = _open(instance)
    task_claim(actor=county["handler"], task=review)
    clock_due = review.clock.due_at

    task_reassign(actor=county["chief"], task=review, assignee=county["handler2"], reason="钱承办出差")
    review.refresh_from_db()
    assert (review.assignee, review.state, review.claimed_at) == (county["handler2"], "ready", None)
    assert review.clock.due_at == clock_due  # the step clock runs on
    event = AuditEvent.objects.get(action="workflow.task.reassigned")
    assert (event.actor_repr, event.before, event.after) == (
        "李科长",
        {"state": "claimed", "assignee": county["handler"].pk},
        {"state": "ready", "assignee": county["handler2"].pk, "reason": "钱承办出差"},
    )
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["handler"], task=review, outcome="approve")
    assert exc.value.messages == ["该环节由孙承办负责，您不能办理。"]
    task_complete(actor=county["handler2"], task=review, outcome="approve")
    assert WorkTask.objects.get(pk=review.pk).completed_by == county["handler2"]


@pytest.mark.parametrize(
    ("actor", "assignee", "reason", "errors"),
    [
        ("chief", "handler2", "", {"reason": ["请填写转办原因。"]}),
        ("chief", "civil_handler", "调整", {"assignee": ["只能转办给青川区行政审批服务局的工作人员。"]}),
        ("civil_handler", "handler2", "调整", {"__all__": ["您无权转办该环节。"]}),
        ("chief", "handler", "调整", {"assignee": ["该环节已由钱承办负责。"]}),
    ],
)
def test_bad_reassignments_are_refused(county, frozen, subject, actor, assignee, reason, errors):
    instance = _start(county, subject)
    task_complete(actor=county["clerk"], task=_open(instance)[0], outcome="accept")
    [review] = _open(instance)
    task_claim(actor=county["handler"], task=review)
    with pytest.raises(ValidationError) as exc:
        task_reassign(actor=county[actor], task=review, assignee=county[assignee], reason=reason)
    assert errors_of(exc.value) == errors
    review.refresh_from_db()
    assert (review.assignee, review.state) == (county["handler"], "claimed")


# ---- cancel -------------------------------------------------------------------------------------
def test_cancelling_closes_open_tasks_and_stops_their_clocks(county, frozen, subject):
    instance = _start(county, subject)
    with pytest.raises(ValidationError) as exc:
        process_cancel(actor=county["handler"], instance=instance, reason="申请人撤回")
    assert exc.value.messages == ["只有系统管理员可以撤销流程。"]
    process_cancel(actor="system:cases", instance=instance, reason="申请人撤回")
    assert (instance.status, instance.ended_at) == ("cancelled", NOW)
    assert _rows(instance) == [("accept", "cancelled", "window_clerk", "SPJ", None)]
    assert Clock.objects.open().count() == 0
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    assert exc.value.messages == ["该环节已取消，不能再办理。"]
