"""Starting and cancelling process instances."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState as SpiffState

from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.core.rows import row_insert
from zhengwu.org.models import Department
from zhengwu.workflow import engine, rules
from zhengwu.workflow.domain.definitions import department_lookup
from zhengwu.workflow.domain.runtime import (
    TaskTableSync,
    check_data,
    completion_input,
    definition_for,
    engine_complete,
    engine_failed,
    lock_instance,
    task_summary,
    user_or_none,
    workflow_load,
)
from zhengwu.workflow.enums import OPEN_TASK_STATES, InstanceStatus, TaskState
from zhengwu.workflow.models import ProcessDefinition, ProcessInstance, WorkTask

__all__ = ["CompletedAtStart", "lane_map_resolve", "process_cancel", "process_start"]

LaneTarget = Department | int | str | None


@dataclass(frozen=True)
class CompletedAtStart:
    """A user task the system completes as its process starts, because the step was already done before
    the process existed (e.g. a case's acceptance): who completes it (a system actor, "system:..."), with
    which outcome and comment."""

    actor: str
    outcome: str
    comment: str = ""


@dataclass
class _StartStep:
    """One task completed at start, in the engine: what became ready with it and what the engine dropped."""

    task: SpiffTask
    done: CompletedAtStart
    opened: list[SpiffTask] = field(default_factory=list)
    dropped: list[SpiffTask] = field(default_factory=list)


def _checked_completions(completed_at_start: Mapping[str, CompletedAtStart] | None) -> dict[str, CompletedAtStart]:
    checked = {}
    for bpmn_id, done in (completed_at_start or {}).items():
        if not (isinstance(done, CompletedAtStart) and rules.is_system_actor(done.actor)):
            raise ValidationError({"completed_at_start": f"环节“{bpmn_id}”只能由系统在流程启动时办结。"})
        outcome, comment = completion_input(done.outcome, done.comment)
        checked[bpmn_id] = CompletedAtStart(actor=done.actor, outcome=outcome, comment=comment)
    return checked


def _complete_at_start(
    workflow: BpmnWorkflow, ready: list[SpiffTask], completions: dict[str, CompletedAtStart]
) -> list[_StartStep]:
    """Complete, in the engine and in order, the tasks ready at start whose BPMN id is in `completions`
    (once each: a task of that id that becomes ready later stays open, as does one the engine has dropped
    meanwhile)."""
    steps: list[_StartStep] = []
    for task in ready:
        done = completions.get(task.task_spec.bpmn_id)
        if done is None or task.state != SpiffState.READY:
            continue
        before = {t.id: t for t in engine.ready_user_tasks(workflow)}
        engine_complete(workflow, task, actor=done.actor, outcome=done.outcome, comment=done.comment, data={})
        after = engine.ready_user_tasks(workflow)
        after_ids = {t.id for t in after}
        steps.append(
            _StartStep(
                task=task,
                done=done,
                opened=[t for t in after if t.id not in before],
                dropped=[t for t_id, t in before.items() if t_id not in after_ids and t_id != task.id],
            )
        )
    return steps


def _department(value: LaneTarget, *, lane: str) -> Department | None:
    if value is None or value == "":
        return None
    if isinstance(value, Department):
        department = value
    elif isinstance(value, int) and not isinstance(value, bool):
        department = Department.objects.filter(pk=value).first()
    elif isinstance(value, str):
        department = department_lookup(value)
    else:
        department = None
    if department is None:
        raise ValidationError({"lane_map": f"泳道“{lane}”指定的部门“{value}”不存在。"})
    if not department.is_active:
        raise ValidationError({"lane_map": f"泳道“{lane}”指定的部门“{department}”已停用。"})
    return department


def _override(value: Any) -> tuple[LaneTarget, str | None]:
    if isinstance(value, dict):
        return value.get("department"), value.get("role")
    if isinstance(value, tuple | list):
        padded = [*list(value), None, None]
        return padded[0], padded[1]
    return value, None


def lane_map_resolve(
    *, definition: ProcessDefinition, lane_map: dict[str, Any] | None, department: Department | None
) -> dict[str, dict[str, Any]]:
    """Department and role of every lane that holds a user task (ADR 0012, "Lanes").

    Per lane, the first that applies: `lane_map[label or full lane name]`, the lane's own "@department" /
    ":role", the `department` given at start. Keys are lane names as written in the BPMN file."""
    lanes = {lane["name"]: lane for lane in definition.lanes}
    by_label = {lane["label"]: lane["name"] for lane in definition.lanes}
    overrides: dict[str, tuple[LaneTarget, str | None]] = {}
    for key, value in (lane_map or {}).items():
        name = key if key in lanes else by_label.get(key)
        if name is None:
            raise ValidationError({"lane_map": f"泳道映射中的“{key}”在流程中不存在。"})
        overrides[name] = _override(value)
    used = []
    for task in definition.user_tasks:
        if task["lane"] not in used:
            used.append(task["lane"])
    resolved: dict[str, dict[str, Any]] = {}
    for name in used:
        lane = lanes.get(name, {"name": name, "label": name, "department": "", "role": ""})
        target, role = overrides.get(name, (None, None))
        dept = (
            _department(target, lane=lane["label"])
            or _department(lane["department"] or None, lane=lane["label"])
            or department
        )
        role = role or lane["role"]
        if dept is None:
            raise ValidationError(
                {"lane_map": f"泳道“{lane['label']}”没有指定部门：请在启动流程时给出部门或泳道映射。"}
            )
        if role not in Role.values:
            raise ValidationError({"lane_map": f"泳道“{lane['label']}”没有有效的角色。"})
        resolved[name] = {"label": lane["label"], "department": dept.pk, "role": role}
    return resolved


def process_start(
    *,
    actor: Any,
    definition: ProcessDefinition,
    subject: models.Model,
    data: dict[str, Any] | None = None,
    lane_map: dict[str, Any] | None = None,
    department: Department | None = None,
    completed_at_start: Mapping[str, CompletedAtStart] | None = None,
    savepoint: bool = True,
) -> ProcessInstance:
    """Start `definition` for `subject`: run the engine up to the first user tasks and open their task rows
    with step clocks. One running instance per subject.

    `completed_at_start` ({BPMN id: CompletedAtStart}): user tasks the system completes as the process
    starts, because their step was done before (ids not ready at start are ignored). They are completed in
    the engine before anything is written: their rows go in already completed (completed_at = now, never
    with a step clock), the tasks that follow are opened once with their clocks, the engine state is written
    once, and the audit trail reads as if each had been completed right after the start.

    `savepoint=False` (as `transaction.atomic` takes it): a caller whose own block rolls back as a whole when
    this fails (it does not catch the error) saves the savepoint's two statements."""
    if subject is None or subject.pk is None:
        raise ValidationError({"subject": "流程对象尚未保存。"})
    if department is not None and not department.is_active:
        raise ValidationError({"department": f"部门“{department}”已停用。"})
    data = check_data(data)
    completions = _checked_completions(completed_at_start)
    resolved = lane_map_resolve(definition=definition, lane_map=lane_map, department=department)
    content_type = ContentType.objects.get_for_model(subject)
    now = timezone.now()
    workflow = engine.new_workflow(definition, data)
    try:
        engine.run_engine(workflow)
    except engine.EngineError as exc:
        raise engine_failed(exc) from None
    ready_at_start = engine.ready_user_tasks(workflow)
    steps = _complete_at_start(workflow, ready_at_start, completions) if completions else []
    with audited_atomic(savepoint=savepoint):
        instance = ProcessInstance(
            definition=definition,
            content_type=content_type,
            object_id=str(subject.pk),
            subject_repr=str(subject)[:300],
            lane_map=resolved,
            state={},
            started_by=user_or_none(actor),
            created_at=now,
            updated_at=now,
        )
        sync = TaskTableSync(
            actor=actor,
            instance=instance,
            definition=definition,
            now=now,
            departments=[department] if department is not None else [],
        )
        ends_at_once = workflow.is_completed()
        if not ends_at_once:
            # The state goes in with the row: opening the task rows below does not move the engine (the tasks
            # completed at start were completed in it above). A process that ends at once (or with those
            # tasks) is saved running first, so that the one-running check below applies to it.
            sync.finish(workflow, save=False)
        try:
            # One running instance per subject is a constraint (workflow_instance_one_running), so the insert
            # is the check. No savepoint: the ValidationError leaves through the block above, which rolls
            # back to its own.
            with transaction.atomic(savepoint=False):
                row_insert(instance)
        except IntegrityError:
            raise ValidationError({"subject": "该对象已有进行中的流程。"}) from None
        started = {
            "definition": f"{definition.key} v{definition.version}",
            "subject": f"{content_type.app_label}.{content_type.model}:{subject.pk}",
            "lane_map": resolved,
            "data": data,
        }
        if ends_at_once:
            sync.finish(workflow)
        if steps:
            _open_with_completed(actor, sync, started, ready_at_start, steps)
        else:
            sync.sync(workflow, closing_state=TaskState.CANCELLED, open_rows=[])  # a new instance has no rows yet
            audit_record(
                actor=actor, action="workflow.instance.started", obj=instance, after={**started, **sync.summary()}
            )
            sync.announce("started")
    return instance


def _open_with_completed(
    actor: Any,
    sync: TaskTableSync,
    started: dict[str, Any],
    ready_at_start: list[SpiffTask],
    steps: list[_StartStep],
) -> None:
    """The task rows and audit events of a start with tasks completed at start: the rows of the tasks ready
    at start and the start's event, then per completed task the rows of the tasks it made ready and its
    event (as `task_complete` records it, with "at_start"). Each row goes in once, in the state the start
    leaves it in; only the rows left open get a step clock."""
    instance = sync.instance
    completed = {step.task.id: step for step in steps}
    dropped = {task.id: step for step in steps for task in step.dropped}
    rows: dict[Any, WorkTask] = {}

    def insert(task: SpiffTask) -> WorkTask:
        if task.id in completed:
            done = completed[task.id].done
            row = sync.open(
                task,
                closed_state=TaskState.COMPLETED,
                closed_by=done.actor,
                outcome=done.outcome,
                comment=done.comment,
            )
        elif task.id in dropped:
            row = sync.open(task, closed_state=TaskState.CANCELLED, closed_by=dropped[task.id].done.actor)
        else:
            row = sync.open(task)
        rows[task.id] = row
        return row

    opened = [insert(task) for task in ready_at_start]
    audit_record(
        actor=actor,
        action="workflow.instance.started",
        obj=instance,
        after={**started, **task_summary(opened, [], instance_status=InstanceStatus.RUNNING)},
    )
    sync.announce("started", opened=opened, closed=[])
    for number, step in enumerate(steps, start=1):
        row = rows[step.task.id]
        opened = [insert(task) for task in step.opened]
        closed = [rows[task.id] for task in step.dropped]
        last = number == len(steps)
        status = instance.status if last else InstanceStatus.RUNNING
        audit_record(
            actor=step.done.actor,
            action="workflow.task.completed",
            obj=row,
            before={"state": TaskState.READY, "assignee": row.assignee_id},
            after={
                "state": row.state,
                "outcome": row.outcome,
                "comment": row.comment,
                "data": {},
                **task_summary(opened, closed, instance_status=status),
                "at_start": True,
            },
        )
        sync.announce("task_completed", opened=opened, closed=[row, *closed])


def process_cancel(*, actor: Any, instance: ProcessInstance, reason: str) -> ProcessInstance:
    """Cancel a running instance (the subject was withdrawn): open tasks are cancelled, clocks stopped."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤销原因。"})
    if not rules.can_cancel_instance(actor):
        raise ValidationError("只有系统管理员可以撤销流程。")
    now = timezone.now()
    with audited_atomic():
        locked = lock_instance(instance.pk)
        if locked.status != InstanceStatus.RUNNING:
            raise ValidationError("流程已结束，不能撤销。")
        definition = definition_for(locked)
        workflow = workflow_load(locked, definition)
        workflow.cancel()
        sync = TaskTableSync(actor=actor, instance=locked, definition=definition, now=now)
        for row in WorkTask.objects.filter(instance=locked, state__in=sorted(OPEN_TASK_STATES)).select_related("clock"):
            sync.close(row, state=TaskState.CANCELLED, comment=reason)
        locked.status = InstanceStatus.CANCELLED
        locked.ended_at = now
        sync.finish(workflow)
        audit_record(
            actor=actor,
            action="workflow.instance.cancelled",
            obj=locked,
            before={"status": InstanceStatus.RUNNING},
            after={"reason": reason, **sync.summary()},
        )
        sync.announce("cancelled")
    _refresh(instance, locked)
    return instance


def _refresh(target: ProcessInstance, source: ProcessInstance) -> None:
    if target is not source:
        for field in ProcessInstance._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
