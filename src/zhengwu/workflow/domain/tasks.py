"""Acting on tasks: claim, complete, reassign, return.

Every function locks the process instance row (SELECT ... FOR UPDATE) before it reads the task row again,
so two staff acting on one task at once serialise: the first wins, the second sees the task closed and gets
"该环节已由他人办理。" — never a double step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.util.task import TaskState as SpiffState

from zhengwu.accounts.enums import UserKind
from zhengwu.accounts.rules import user_department_id
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.core.rows import row_get, rows_where
from zhengwu.org.models import Department
from zhengwu.workflow import engine, rules
from zhengwu.workflow.domain.runtime import (
    HEAVY_RELATED,
    TaskTableSync,
    check_data,
    completion_input,
    definition_for,
    engine_complete,
    engine_failed,
    lock_instance,
    workflow_load,
)
from zhengwu.workflow.enums import OPEN_TASK_STATES, InstanceStatus, TaskState
from zhengwu.workflow.models import ProcessInstance, WorkTask

__all__ = ["task_claim", "task_complete", "task_read", "task_reassign", "task_return"]

ALREADY_DONE = "该环节已由他人办理。"


# What a task's page shows with it: its process (without the engine state) and the process's definition (without
# its files), its step clock, department, assignee and who completed it.
_PAGE_RELATED = ("instance__definition", "clock", "department", "assignee", "completed_by")
_PAGE_DEFER = ("instance__state", *(f"instance__{path}" for path in HEAVY_RELATED))


def task_read(pk: int) -> WorkTask:
    """The task as its page (and the actions posted from it) read it, in one statement; WorkTask.DoesNotExist
    when there is none. Not locked: every action locks what it changes."""
    return row_get(WorkTask, pk, related=_PAGE_RELATED, defer=_PAGE_DEFER)


def _locked(task: WorkTask) -> tuple[ProcessInstance, WorkTask]:
    instance = lock_instance(task.instance_id)
    row = row_get(WorkTask, task.pk, related=("clock", "assignee"))
    row.instance = instance
    return instance, row


_OPEN_STATES = sorted(OPEN_TASK_STATES)
# `WorkTask.objects.select_related("clock").filter(Q(pk=…) | Q(instance_id=…, state__in=OPEN_TASK_STATES))`
_WITH_OPEN_WHERE = 't0."id" = %s OR (t0."instance_id" = %s AND t0."state" IN ({}))'.format(
    ", ".join(["%s"] * len(_OPEN_STATES))
)
_ORDER = 't0."created_at", t0."id"'  # WorkTask's default ordering


def _locked_with_open(
    task: WorkTask, instance: ProcessInstance | None = None
) -> tuple[ProcessInstance, WorkTask, list[WorkTask]]:
    """`_locked`, and in the same query the instance's other open task rows (for the task table sync). Task
    rows change only under their instance's lock, so they stay as read until this transaction changes them.
    `instance`: the task's instance, already locked by the caller."""
    if instance is None:
        instance = lock_instance(task.instance_id)
    elif instance.pk != task.instance_id:
        raise ValueError("the locked instance is not the task's")
    rows = rows_where(
        WorkTask, _WITH_OPEN_WHERE, [task.pk, instance.pk, *_OPEN_STATES], related=("clock",), order_by=_ORDER
    )
    row, others = None, []
    for candidate in rows:
        candidate.instance = instance
        if candidate.pk == task.pk:
            row = candidate
        else:
            others.append(candidate)
    if row is None:
        raise WorkTask.DoesNotExist("WorkTask matching query does not exist.")
    return instance, row, others


def _require_open(instance: ProcessInstance, row: WorkTask) -> None:
    if row.state == TaskState.COMPLETED:
        raise ValidationError(ALREADY_DONE)
    if row.state == TaskState.RETURNED:
        raise ValidationError("该环节已被退回，不能再办理。")
    if row.state == TaskState.CANCELLED or instance.status != InstanceStatus.RUNNING:
        raise ValidationError("该环节已取消，不能再办理。")


def _require_actor(actor: Any, row: WorkTask) -> None:
    if rules.is_system_actor(actor) or rules.can_act_on_task(actor, row):
        return
    if row.assignee_id is not None and row.assignee_id != getattr(actor, "pk", None):
        raise ValidationError(f"该环节由{row.assignee}负责，您不能办理。")
    raise ValidationError("您无权办理该环节。")


def _sync_caller(target: WorkTask, source: WorkTask) -> WorkTask:
    """Give the caller's task the committed state, and as its `instance` the locked instance as the action
    left it."""
    if target is not source:
        for field in WorkTask._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
        target.instance = source.instance
    return target


def task_claim(*, actor: Any, task: WorkTask) -> WorkTask:
    """Sign for a task (签收): it leaves the department pool and becomes the actor's."""
    now = timezone.now()
    with audited_atomic():
        instance, row = _locked(task)
        _require_open(instance, row)
        if row.state == TaskState.CLAIMED and row.assignee_id == getattr(actor, "pk", None):
            raise ValidationError("您已签收该环节。")
        _require_actor(actor, row)
        if rules.is_system_actor(actor):
            raise ValidationError("签收必须由工作人员本人进行。")
        before = {"state": row.state, "assignee": row.assignee_id}
        row.state = TaskState.CLAIMED
        row.assignee = actor
        row.claimed_at = now
        row.save(update_fields=["state", "assignee", "claimed_at"])
        audit_record(
            actor=actor,
            action="workflow.task.claimed",
            obj=row,
            before=before,
            after={"state": row.state, "assignee": row.assignee_id},
        )
    return _sync_caller(task, row)


def task_complete(
    *,
    actor: Any,
    task: WorkTask,
    outcome: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    savepoint: bool = True,
    departments: Iterable[Department] = (),
    instance: ProcessInstance | None = None,
) -> WorkTask:
    """Complete the task with an outcome (e.g. "accept", "refuse", "approve"), move the engine forward and
    bring the task table in step: new ready tasks opened, tasks the engine dropped cancelled. When the
    process ends the instance is completed. `savepoint` as in `process_start`; `departments`: rows the caller
    has read with their region, which opening a task of theirs then does not read again; `instance`: the
    task's instance, which the caller has locked in this transaction as `instance_lock` reads it."""
    outcome, comment = completion_input(outcome, comment)
    data = check_data(data)
    if "outcome" in data:
        raise ValidationError({"data": "办理结果请用 outcome 参数给出。"})
    now = timezone.now()
    with audited_atomic(savepoint=savepoint):
        instance, row, open_rows = _locked_with_open(task, instance)
        _require_open(instance, row)
        _require_actor(actor, row)
        definition = definition_for(instance)
        workflow = workflow_load(instance, definition)
        spiff_task = workflow.get_task_from_id(row.spiff_task_id) if row.spiff_task_id in workflow.tasks else None
        if spiff_task is None or spiff_task.state != SpiffState.READY:
            raise ValidationError("流程状态与待办不一致，请刷新后重试。")
        engine_complete(workflow, spiff_task, actor=actor, outcome=outcome, comment=comment, data=data)
        sync = TaskTableSync(actor=actor, instance=instance, definition=definition, now=now, departments=departments)
        before = {"state": row.state, "assignee": row.assignee_id}
        sync.close(row, state=TaskState.COMPLETED, outcome=outcome, comment=comment)
        sync.closed.remove(row)
        sync.sync(workflow, closing_state=TaskState.CANCELLED, open_rows=open_rows)
        sync.finish(workflow)
        audit_record(
            actor=actor,
            action="workflow.task.completed",
            obj=row,
            before=before,
            after={"state": row.state, "outcome": outcome, "comment": comment, "data": data, **sync.summary()},
        )
        sync.closed.insert(0, row)
        sync.announce("task_completed")
    return _sync_caller(task, row)


def task_reassign(*, actor: Any, task: WorkTask, assignee: Any, reason: str) -> WorkTask:
    """Hand the task to another staff member of its department (转办); they still have to sign for it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写转办原因。"})
    with audited_atomic():
        instance, row = _locked(task)
        _require_open(instance, row)
        if not (rules.is_system_actor(actor) or rules.can_reassign_task(actor, row)):
            raise ValidationError("您无权转办该环节。")
        target = (
            get_user_model()
            .objects.filter(pk=getattr(assignee, "pk", assignee), kind=UserKind.STAFF, is_active=True)
            .first()
        )
        if target is None:
            raise ValidationError({"assignee": "只能转办给在职的工作人员。"})
        if user_department_id(target) != row.department_id and not row.is_countersign:
            raise ValidationError({"assignee": f"只能转办给{row.department}的工作人员。"})
        if target.pk == row.assignee_id:
            raise ValidationError({"assignee": f"该环节已由{target}负责。"})
        before = {"state": row.state, "assignee": row.assignee_id}
        row.assignee = target
        row.state = TaskState.READY
        row.claimed_at = None
        row.save(update_fields=["assignee", "state", "claimed_at"])
        audit_record(
            actor=actor,
            action="workflow.task.reassigned",
            obj=row,
            before=before,
            after={"state": row.state, "assignee": target.pk, "reason": reason},
        )
    return _sync_caller(task, row)


def _join_to_reset(current, target):
    """When `target` is not an ancestor of `current` (it sits in another branch of a parallel split), the join
    that merged the branches on the way to `current` must wait again: return it, or None."""
    join = None
    node = current.parent
    while node is not None and not target.is_descendant_of(node):
        if isinstance(node.task_spec, ParallelGateway | InclusiveGateway):
            join = node
        node = node.parent
    return join


def task_return(*, actor: Any, task: WorkTask, to_task_id: str, reason: str) -> WorkTask:
    """Return the case to an earlier step (退回): the engine is reset to that step's last completion; open
    tasks after it are marked returned and the step is opened again with a fresh step clock."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因。"})
    now = timezone.now()
    with audited_atomic():
        instance, row, open_rows = _locked_with_open(task)
        _require_open(instance, row)
        _require_actor(actor, row)
        definition = definition_for(instance)
        target_meta = definition.user_task(to_task_id)
        if target_meta is None:
            raise ValidationError({"to_task_id": "退回的目标环节不存在。"})
        if to_task_id == row.bpmn_id:
            raise ValidationError({"to_task_id": "不能退回到当前环节。"})
        workflow = workflow_load(instance, definition)
        current = workflow.get_task_from_id(row.spiff_task_id) if row.spiff_task_id in workflow.tasks else None
        if current is None or current.state != SpiffState.READY:
            raise ValidationError("流程状态与待办不一致，请刷新后重试。")
        done = [t for t in workflow.get_tasks(state=SpiffState.COMPLETED) if t.task_spec.name == to_task_id]
        if not done:
            raise ValidationError({"to_task_id": f"环节“{target_meta['name']}”尚未办理，不能退回到该环节。"})
        target = max(done, key=lambda t: t.last_state_change)
        join = None if current.is_descendant_of(target) else _join_to_reset(current, target)
        if not current.is_descendant_of(target) and join is None:
            raise ValidationError({"to_task_id": f"“{target_meta['name']}”在并行的另一分支上，不能从本环节退回。"})
        try:
            workflow.reset_from_task_id(target.id)
            if join is not None:
                workflow.reset_from_task_id(join.id)
            engine.run_engine(workflow)
        except engine.EngineError as exc:
            raise engine_failed(exc) from None
        sync = TaskTableSync(actor=actor, instance=instance, definition=definition, now=now)
        before = {"state": row.state, "assignee": row.assignee_id}
        sync.close(row, state=TaskState.RETURNED, outcome="returned", comment=reason)
        sync.closed.remove(row)
        sync.sync(workflow, closing_state=TaskState.RETURNED, open_rows=open_rows)
        sync.finish(workflow)
        audit_record(
            actor=actor,
            action="workflow.task.returned",
            obj=row,
            before=before,
            after={"state": row.state, "to": to_task_id, "reason": reason, **sync.summary()},
        )
        sync.closed.insert(0, row)
        sync.announce("task_returned")
    return _sync_caller(task, row)
