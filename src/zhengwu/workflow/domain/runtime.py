"""Internals shared by the instance and task functions: loading a workflow, keeping the task table in step
with the engine, and the step clocks. Not public: callers use workflow.domain."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask

from zhengwu.accounts.enums import UserKind
from zhengwu.core.rows import Locked, row_get, row_insert, row_update
from zhengwu.org.models import Department
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.domain.clock import clock_start, clock_stop
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workflow import engine
from zhengwu.workflow.enums import OPEN_TASK_STATES, InstanceStatus, TaskState
from zhengwu.workflow.models import ProcessDefinition, ProcessInstance, WorkTask
from zhengwu.workflow.signals import workflow_changed

MAX_DATA_BYTES = 64 * 1024
OUTCOME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_COMMENT = 2000


def user_or_none(actor: Any) -> AbstractBaseUser | None:
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None


def check_data(data: Any, *, field: str = "data") -> dict[str, Any]:
    """Process data must be a small JSON object with plain identifiers as keys."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError({field: "流程数据必须是键值对（JSON 对象）。"})
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise ValidationError({field: f"流程数据的键“{key}”无效：只能用字母、数字和下划线，且不能以下划线开头。"})
    try:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationError({field: "流程数据只能包含文字、数字、布尔值、列表和对象。"}) from None
    if len(encoded.encode("utf-8")) > MAX_DATA_BYTES:
        raise ValidationError({field: "流程数据过大（最多 64 KB）。"})
    return json.loads(encoded)


def completion_input(outcome: str | None, comment: str | None) -> tuple[str, str]:
    """The outcome and comment of a completion, checked and stripped."""
    outcome = (outcome or "").strip()
    if not OUTCOME_PATTERN.match(outcome):
        raise ValidationError({"outcome": "请选择办理结果。"})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": f"办理意见最多 {MAX_COMMENT} 个字。"})
    return outcome, comment


def engine_complete(
    workflow: BpmnWorkflow, spiff_task: SpiffTask, *, actor: Any, outcome: str, comment: str, data: dict[str, Any]
) -> None:
    """Complete a ready user task in the engine (its data gets `data` and the outcome; a countersign task
    also writes its opinion to the collection) and run the engine on to the next user tasks."""
    spiff_task.data.update(data)
    spiff_task.data["outcome"] = outcome
    parent = engine.multi_instance_parent(spiff_task)
    if parent is not None and parent.output_item is not None:
        spiff_task.data[parent.output_item.bpmn_id] = {
            "user": getattr(actor, "pk", None),
            "name": str(actor),
            "outcome": outcome,
            "comment": comment,
        }
    try:
        engine.run_task(workflow, spiff_task)
    except engine.EngineError as exc:
        raise engine_failed(exc) from None


_HEAVY = ("bpmn_xml", "spec_json")
HEAVY_RELATED = tuple(f"definition__{name}" for name in _HEAVY)


def definition_for(instance: ProcessInstance) -> ProcessDefinition:
    """The instance's definition without its BPMN text; the spec text loads only when not cached.
    A definition already loaded with the instance is used as it is (definitions never change)."""
    if ProcessInstance.definition.is_cached(instance):
        return instance.definition
    definition = ProcessDefinition.objects.defer(*_HEAVY).get(pk=instance.definition_id)
    instance.definition = definition
    return definition


# On an instance whose state was just dumped (TaskTableSync.finish): (that state, the workflow it was dumped from).
_DUMPED_FROM = "_zhengwu_dumped_from"


def workflow_load(instance: ProcessInstance, definition: ProcessDefinition | None = None) -> BpmnWorkflow:
    """The instance's workflow, rebuilt from its state; the workflow its state was just dumped from, once, when
    the state is still that one (a case deciding as its process ends reads the engine right after)."""
    dumped = instance.__dict__.pop(_DUMPED_FROM, None)
    if dumped is not None and dumped[0] is instance.state:
        return dumped[1]
    definition = definition or definition_for(instance)
    return engine.load_state(definition, instance.state)


def lock_instance(instance_id: int) -> ProcessInstance:
    """Lock the instance row (only it: never its definition) and load its definition in the same query."""
    return row_get(ProcessInstance, instance_id, related=("definition",), defer=HEAVY_RELATED, for_update=True)


def instance_lock(instance_id: int) -> Locked:
    """The instance's row as `lock_instance` reads it, for a statement that locks it along with its subject's
    (`core.rows.rows_lock_together`; the subject first, the order every function locks them in)."""
    return Locked(ProcessInstance, instance_id, related=("definition",), defer=HEAVY_RELATED)


def engine_failed(exc: Exception) -> ValidationError:
    return ValidationError(f"流程无法继续：{exc}")


class TaskTableSync:
    """Creates task rows (and step clocks) for newly ready user tasks; closes rows whose engine task is gone."""

    def __init__(
        self,
        *,
        actor: Any,
        instance: ProcessInstance,
        definition: ProcessDefinition,
        now: datetime,
        departments: Iterable[Department] = (),
    ):
        self.actor = actor
        self.instance = instance
        self.definition = definition
        self.now = now
        self.opened: list[WorkTask] = []
        self.closed: list[WorkTask] = []
        # departments the caller has at hand (with their region), so opening their tasks reads none again
        self._departments: dict[int, Department] = {department.pk: department for department in departments}

    # -- closing ----------------------------------------------------------------------------------
    def close(self, row: WorkTask, *, state: str, outcome: str = "", comment: str = "") -> None:
        row.state = state
        row.completed_at = self.now
        row.completed_by = user_or_none(self.actor)
        row.outcome = outcome
        row.comment = comment
        row_update(row, ["state", "completed_at", "completed_by", "outcome", "comment"], hold=True)
        if row.clock_id is not None and row.clock.status != ClockStatus.STOPPED:
            clock_stop(actor=self.actor, clock=row.clock, at=self.now)
        self.closed.append(row)

    # -- opening ----------------------------------------------------------------------------------
    def _department(self, department_id: int) -> Department:
        if department_id not in self._departments:
            # hand-written: one per opened task (ADR 0019, sixth pass)
            self._departments[department_id] = row_get(Department, department_id, related=("region",))
        return self._departments[department_id]

    def _countersigner(self, value: Any, task_name: str):
        user_id = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.isdecimal():
            user_id = int(value)
        if user_id is None:
            raise ValidationError(f"环节“{task_name}”的会签人必须是工作人员的用户 ID，收到“{value}”。")
        user = (
            get_user_model()
            .objects.select_related("staff")
            .filter(pk=user_id, kind=UserKind.STAFF, is_active=True)
            .first()
        )
        if user is None:
            raise ValidationError(f"环节“{task_name}”的会签人（用户 ID {user_id}）不存在或不是在职工作人员。")
        return user

    def open(
        self,
        spiff_task: SpiffTask,
        *,
        closed_state: str | None = None,
        closed_by: Any = None,
        outcome: str = "",
        comment: str = "",
    ) -> WorkTask:
        """Insert the row of a newly ready user task, with a running step clock. With `closed_state`: a task
        closed in the same moment it became ready (completed by the system as its process starts, or dropped by
        the engine on the way): its row goes in closed by `closed_by` (completed_at = now) and never had a
        step clock."""
        spec = spiff_task.task_spec
        bpmn_id = spec.bpmn_id
        meta = self.definition.user_task(bpmn_id) or {}
        name = meta.get("name") or spec.bpmn_name or bpmn_id
        lane = meta.get("lane") or spec.lane or ""
        mapping = self.instance.lane_map.get(lane)
        if mapping is None:
            raise ValidationError(f"环节“{name}”所在的泳道“{lane}”没有对应的部门和角色。")
        department_id = mapping["department"]
        assignee = None
        parent = engine.multi_instance_parent(spiff_task)
        if parent is not None and parent.input_item is not None:
            assignee = self._countersigner(spiff_task.data.get(parent.input_item.bpmn_id), name)
            profile = getattr(assignee, "staff", None)
            if profile is not None:
                department_id = profile.department_id  # countersigning may cross departments
        department = self._department(department_id)
        step_limit = int(meta.get("step_limit_days") or engine.default_step_limit_days())
        row = WorkTask(
            instance=self.instance,
            bpmn_id=bpmn_id,
            name=name[:200],
            spiff_task_id=spiff_task.id,
            lane=lane[:200],
            role=mapping["role"],
            department=department,
            assignee=assignee,
            is_countersign=parent is not None,
            state=TaskState.READY,
            step_limit_days=step_limit,
            created_at=self.now,
        )
        if closed_state is not None:
            row.state = closed_state
            row.completed_at = self.now
            row.completed_by = user_or_none(closed_by)
            row.outcome = outcome
            row.comment = comment
            row_insert(row)
            self.opened.append(row)
            return row
        row_insert(row, draw=("clock",))  # the row goes in once, pointing at its clock's key
        row.clock = clock_start(
            actor=self.actor,
            subject=row,
            unit=DeadlineUnit.WORKING,
            limit=step_limit,
            received_at=self.now,
            region=department.region,
            pk=row.clock_id,
        )
        self.opened.append(row)
        return row

    # -- both -------------------------------------------------------------------------------------
    def sync(self, workflow: BpmnWorkflow, *, closing_state: str, open_rows: list[WorkTask] | None = None) -> None:
        ready = engine.ready_user_tasks(workflow)
        ready_ids = {task.id for task in ready}
        if open_rows is None:
            open_rows = list(
                WorkTask.objects.filter(instance=self.instance, state__in=sorted(OPEN_TASK_STATES)).select_related(
                    "clock"
                )
            )
        still_open = set()
        for row in open_rows:
            if row.spiff_task_id in ready_ids:
                still_open.add(row.spiff_task_id)
            else:
                self.close(row, state=closing_state)
        for task in ready:
            if task.id not in still_open:
                self.open(task)

    def finish(self, workflow: BpmnWorkflow, *, save: bool = True) -> None:
        """Save the state (with `save=False`: only set it on the instance); a finished process is marked
        completed."""
        instance = self.instance
        if workflow.is_completed() and instance.status == InstanceStatus.RUNNING:
            instance.status = InstanceStatus.COMPLETED
            instance.end_event = engine.ended_at(workflow)[:200]
            instance.ended_at = self.now
        instance.state = engine.dump_state(workflow)
        instance.__dict__[_DUMPED_FROM] = (instance.state, workflow)
        instance.version += 1
        instance.updated_at = self.now
        if save:
            row_update(instance, ["status", "end_event", "ended_at", "state", "version", "updated_at"], hold=True)

    def announce(
        self, action: str, *, opened: list[WorkTask] | None = None, closed: list[WorkTask] | None = None
    ) -> None:
        """Send `workflow_changed` once the transaction commits: the rows opened and closed (by default, all
        this sync opened and closed)."""
        instance = self.instance
        opened = list(self.opened if opened is None else opened)
        closed = list(self.closed if closed is None else closed)
        transaction.on_commit(
            lambda: workflow_changed.send(
                sender=ProcessInstance, instance=instance, action=action, opened=opened, closed=closed
            )
        )

    def summary(self) -> dict[str, Any]:
        return task_summary(self.opened, self.closed, instance_status=self.instance.status)


def task_summary(opened: list[WorkTask], closed: list[WorkTask], *, instance_status: str) -> dict[str, Any]:
    """What an audit event of the workflow records of the task table: rows opened and closed, and the
    instance's status."""
    return {
        "opened": [f"{row.bpmn_id}#{row.pk}" for row in opened],
        "closed": [f"{row.bpmn_id}#{row.pk}:{row.state}" for row in closed],
        "instance_status": instance_status,
    }
