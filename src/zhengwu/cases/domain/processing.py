"""Processing accepted cases by BPMN (ADR 0012, 0013 "Processing"): start the item's process, complete its
tasks, and decide the case when the process ends.

* `case_accept_and_start` is what pages use to accept: `case_accept` and `case_processing_start` in one
  transaction, so an accepted case is never left without its process.
* The flow's own acceptance step (bpmn id "accept") was already done by `case_accept`; the process starts
  with it completed by the system actor (`CompletedAtStart`: its row goes in completed, without a step
  clock; ADR 0019, 2026-12-05 third pass).
* The decision step (bpmn id "decide") requires grant/deny, reasons and legal basis; when the process ends,
  `case_decide` records the decision, stops the handling clock and tells the applicant.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import (
    SYSTEM_ACTOR,
    fmt,
    lock,
    lock_row_with,
    locked_cases,
    require_state,
    snapshot,
    sync,
    tell_applicant,
)
from zhengwu.cases.domain._common import user_or_none as case_user
from zhengwu.cases.domain.acceptance import ACCEPTED_FIELDS, MAX_TEXT, case_accept_locked
from zhengwu.cases.domain.item_config import item_process_read
from zhengwu.cases.enums import CaseState, DecisionOutcome
from zhengwu.cases.models import Case, CaseDecision
from zhengwu.cases.rules import can_decide_acceptance
from zhengwu.core.rows import row_insert, row_update
from zhengwu.notifications.enums import Category
from zhengwu.org.models import Department
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.domain.clock import clock_lock, clock_stop
from zhengwu.workflow.domain import (
    CompletedAtStart,
    default_process_definition,
    instance_lock,
    process_start,
    task_complete,
    task_return,
    workflow_load,
)
from zhengwu.workflow.enums import InstanceStatus
from zhengwu.workflow.models import ProcessDefinition, ProcessInstance, WorkTask
from zhengwu.workflow.rules import is_system_actor

__all__ = [
    "ACCEPT_TASK_ID",
    "DECISION_TASK_ID",
    "case_accept_and_start",
    "case_decide",
    "case_for_instance",
    "case_processing_start",
    "case_task_complete",
    "case_task_return",
    "is_decision_task",
]

ACCEPT_TASK_ID = "accept"
DECISION_TASK_ID = "decide"
CO_LANE_MARKER = "协办"
# What accepting, starting the process, completing its steps and deciding read of the locked case (ADR 0019).
PROCESS_RELATED = ("item_version", "department__region", "external_link", "applicant")


logger = logging.getLogger(__name__)


def is_decision_task(task: WorkTask) -> bool:
    return task.bpmn_id == DECISION_TASK_ID


def _process_for(case: Case) -> tuple[ProcessDefinition, list[Department]]:
    # One statement reads the item's process, or the default one; the definition's row is kept per process.
    mapping, definition = item_process_read(case.item_version.item_id)
    if mapping is None:
        return definition or default_process_definition(), []
    return definition, list(mapping.co_departments.order_by("code", "pk"))


def _lane_map(definition: ProcessDefinition, co_departments: list[Department]) -> dict[str, Department]:
    """Co-departments fill, in order, the lanes of user tasks whose label contains "协办"."""
    used = {task["lane"] for task in definition.user_tasks}
    co_lanes = [lane["name"] for lane in definition.lanes if lane["name"] in used and CO_LANE_MARKER in lane["label"]]
    if len(co_lanes) != len(co_departments):
        raise ValidationError(
            _("事项办理流程“%(name)s”有 %(lanes)d 个协办泳道，但配置了 %(departments)d 个协办部门。")
            % {"name": definition.name, "lanes": len(co_lanes), "departments": len(co_departments)}
        )
    return dict(zip(co_lanes, co_departments, strict=True))


def case_processing_start(*, actor: Any, case: Case) -> ProcessInstance:
    """Start the item's process for an accepted case (accepted → in_progress). The handling clock already
    runs from acceptance. Lanes without a department of their own go to the case's department; "协办" lanes
    to the item's co-approving departments (并联审批)."""
    with audited_atomic():
        locked = lock(case)
        if not (is_system_actor(actor) or can_decide_acceptance(actor, locked)):
            raise ValidationError(_("您无权处理该办件。"))
        instance = _processing_start_locked(locked, actor=actor)
    sync(case, locked)
    return instance


def _processing_start_locked(locked: Case, *, actor: Any, unsaved: tuple[str, ...] = ()) -> ProcessInstance:
    """Start the locked case's process; the case's write also carries the `unsaved` fields a step before this
    in the same transaction changed."""
    require_state(locked, {CaseState.ACCEPTED}, _("启动办理流程"))
    before = snapshot(locked)
    definition, co_departments = _process_for(locked)
    lane_map = _lane_map(definition, co_departments)
    accepted = CompletedAtStart(
        actor=SYSTEM_ACTOR, outcome="accept", comment=_("已于 %(at)s 受理。") % {"at": fmt(locked.accepted_at)}
    )
    instance = process_start(
        actor=actor,
        definition=definition,
        subject=locked,
        data={"case_number": locked.number},
        lane_map=lane_map,
        department=locked.department,
        completed_at_start={ACCEPT_TASK_ID: accepted},  # a flow without an acceptance step starts as it is
        savepoint=False,  # every caller's block rolls back as a whole when the start fails
    )
    locked.state = CaseState.IN_PROGRESS
    row_update(locked, {"state", "updated_at", *unsaved}, hold=True)
    audit_record(
        actor=actor,
        action="cases.processing_started",
        obj=locked,
        before=before,
        after={
            **snapshot(locked),
            "definition": f"{definition.key} v{definition.version}",
            "instance_id": instance.pk,
            "co_departments": [d.pk for d in co_departments],
        },
    )
    return instance


def case_accept_and_start(*, actor: Any, case: Case) -> Case:
    """Accept (受理) and start processing in one transaction: what the acceptance pages call. The case is
    locked once; whoever may accept it may start its process."""
    with audited_atomic():
        locked = lock(case, related=ACCEPTING_RELATED)
        case_accept_locked(locked, actor=actor, save=False)  # one write of the case for both steps
        _processing_start_locked(locked, actor=actor, unsaved=ACCEPTED_FIELDS)
    sync(case, locked)
    return case


def cases_processing_start_pending() -> int:
    """Start processing for accepted cases that have none yet (those the 视为受理 sweep accepted).

    Each case in its own transaction; a case whose process cannot start stays accepted, is logged, and
    is tried again on the next sweep. Returns the number of processes started."""
    started = 0
    # Cases of departmental systems (一厅双网) are processed there, never by a platform process.
    for case in Case.objects.filter(state=CaseState.ACCEPTED, external_link__isnull=True).order_by("pk"):
        try:
            case_processing_start(actor=SYSTEM_ACTOR, case=case)
        except ValidationError as error:
            logger.warning("办件 %s 未能启动办理流程：%s", case.number, "；".join(error.messages))
            continue
        started += 1
    return started


def case_for_instance(instance: ProcessInstance) -> Case | None:
    """The case a process instance runs for, or None when its subject is something else."""
    if instance.content_type_id != ContentType.objects.get_for_model(Case).pk:
        return None
    return Case.objects.filter(pk=instance.object_id).first()


def _text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return value


def _decision_input(outcome: str, reasons: str, legal_basis: str) -> tuple[str, str, str]:
    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": _("请选择准予许可或不予许可。")})
    reasons = _text(reasons, "reasons", _("请填写决定理由。"))
    legal_basis = _text(legal_basis, "legal_basis", _("请填写法律依据。"))
    return outcome, reasons, legal_basis


def _decision_data(instance: ProcessInstance) -> dict[str, Any] | None:
    """The data of the latest completed decision step in the engine (outcome, reasons, legal_basis)."""
    from SpiffWorkflow.util.task import TaskState as SpiffState

    workflow = workflow_load(instance)
    done = [t for t in workflow.get_tasks(state=SpiffState.COMPLETED) if t.task_spec.name == DECISION_TASK_ID]
    if not done:
        return None
    return dict(max(done, key=lambda t: t.last_state_change).data)


# ... and, for the decision step, the handling clock it stops (read, not locked: see clock_stop); accepting, the
# acceptance clock.
DECIDING_RELATED = (*PROCESS_RELATED, "handling_clock")
ACCEPTING_RELATED = (*PROCESS_RELATED, "acceptance_clock")


def _lock_case_of(
    task: WorkTask, related: tuple[str, ...] = PROCESS_RELATED
) -> tuple[Case | None, ProcessInstance | None]:
    """The case whose process the task belongs to, locked (None when the process runs for something else).
    Locked before the instance, like every case function: a suspension is ordered before or after this.
    When the task comes with its instance (as the task pages read it: a process's subject never changes), the
    instance is locked in the same statement and returned too (else None: the completion locks it)."""
    case_type = ContentType.objects.get_for_model(Case)
    if WorkTask.instance.is_cached(task):
        instance = task.instance
        if instance.content_type_id != case_type.pk:
            return None, None
        try:
            return lock_row_with(int(instance.object_id), instance_lock(instance.pk), related=related)
        except (Case.DoesNotExist, ProcessInstance.DoesNotExist):
            return None, None
    subject = ProcessInstance.objects.filter(pk=task.instance_id, content_type=case_type).values("object_id")[:1]
    return locked_cases(related).filter(pk=Cast(Subquery(subject), BigIntegerField())).first(), None


def case_task_complete(
    *,
    actor: Any,
    task: WorkTask,
    outcome: str,
    comment: str = "",
    reasons: str = "",
    legal_basis: str = "",
) -> WorkTask:
    """Complete a step of a case's process (办理完成). The decision step needs grant/deny, reasons and legal
    basis; when the process ends with it, the case is decided in the same transaction."""
    data = None
    related = PROCESS_RELATED
    if is_decision_task(task):
        outcome, reasons, legal_basis = _decision_input(outcome, reasons, legal_basis)
        data = {"reasons": reasons, "legal_basis": legal_basis}
        related = DECIDING_RELATED
    with audited_atomic():
        case, instance = _lock_case_of(task, related)
        if case is not None and case.state == CaseState.SUSPENDED:
            raise ValidationError(_("办件已挂起，恢复办理前不能办理该环节。"))
        row = task_complete(
            actor=actor,
            task=task,
            outcome=outcome,
            comment=comment,
            data=data,
            savepoint=False,
            departments=[case.department] if case is not None else (),
            instance=instance,
        )
        instance = row.instance  # locked, as the completion left it
        if case is not None and instance.status == InstanceStatus.COMPLETED:
            decided = _decision_data(instance)
            if decided is None:
                raise ValidationError(_("办理流程已结束，但没有经过决定环节，无法作出决定。"))
            decision_task = (
                row
                if is_decision_task(row)
                else WorkTask.objects.filter(instance=instance, bpmn_id=DECISION_TASK_ID).order_by("-pk").first()
            )
            outcome, reasons, legal_basis = _decision_input(
                decided.get("outcome", ""), decided.get("reasons", ""), decided.get("legal_basis", "")
            )
            _require_decider(case, actor=actor, task=decision_task)
            # The process has just ended, and a case runs one process at a time: none is running.
            _decide_locked(
                case, actor=actor, outcome=outcome, reasons=reasons, legal_basis=legal_basis, task=decision_task
            )
    return row


def case_task_return(*, actor: Any, task: WorkTask, to_task_id: str, reason: str) -> WorkTask:
    """Return a step of a case's process to an earlier one (退回). Not while the case is suspended: its step clocks
    are paused, and the reopened step's clock would run through the suspension."""
    with audited_atomic():
        case, _instance = _lock_case_of(task)
        if case is not None and case.state == CaseState.SUSPENDED:
            raise ValidationError(_("办件已挂起，恢复办理前不能退回该环节。"))
        return task_return(actor=actor, task=task, to_task_id=to_task_id, reason=reason)


def case_decide(
    *, actor: Any, case: Case, outcome: str, reasons: str, legal_basis: str, task: WorkTask | None = None
) -> CaseDecision:
    """Decide the case (in_progress → decided): grant or deny with reasons and legal basis; the handling clock
    stops. A denial is a negative decision, flagged for supervision (否定报备). Called when the case's process
    has ended."""
    outcome, reasons, legal_basis = _decision_input(outcome, reasons, legal_basis)
    with audited_atomic():
        locked = lock(case, related=PROCESS_RELATED)
        running = ProcessInstance.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id=str(locked.pk),
            status=InstanceStatus.RUNNING,
        )
        _require_decider(locked, actor=actor, task=task)
        if running.exists():
            raise ValidationError(_("办理流程尚未结束，不能作出决定。"))
        decision = _decide_locked(
            locked, actor=actor, outcome=outcome, reasons=reasons, legal_basis=legal_basis, task=task
        )
    sync(case, locked)
    return decision


def _require_decider(locked: Case, *, actor: Any, task: WorkTask | None) -> None:
    if not is_system_actor(actor) and (task is None or task.completed_by_id != getattr(actor, "pk", None)):
        raise ValidationError(_("只有办理决定环节的工作人员可以作出决定。"))
    require_state(locked, {CaseState.IN_PROGRESS}, _("作出决定"))


def _decide_locked(
    locked: Case, *, actor: Any, outcome: str, reasons: str, legal_basis: str, task: WorkTask | None
) -> CaseDecision:
    """`case_decide` for a case locked with PROCESS_RELATED, once the input, the decider (`_require_decider`)
    and that no process of the case is running have been checked."""
    now = timezone.now()
    before = snapshot(locked)
    clock_outcome = ""
    if locked.handling_clock_id is not None:
        if Case.handling_clock.is_cached(locked):  # read with the case: stopped if unchanged since
            clock, clock_locked = locked.handling_clock, False
        else:
            clock, clock_locked = clock_lock(locked.handling_clock_id), True
        if clock.status != ClockStatus.STOPPED:
            clock = clock_stop(actor=actor, clock=clock, at=now, locked=clock_locked)
        clock_outcome = clock.outcome
    negative = outcome == DecisionOutcome.DENY
    decision = row_insert(
        CaseDecision(
            case=locked,
            outcome=outcome,
            reasons=reasons,
            legal_basis=legal_basis,
            negative=negative,
            task=task,
            decided_by=case_user(actor),
            decided_at=now,
        )
    )
    locked.state = CaseState.DECIDED
    row_update(locked, ["state", "updated_at"], hold=True)
    audit_record(
        actor=actor,
        action="cases.decided",
        obj=locked,
        before=before,
        after={
            **snapshot(locked),
            "decision": outcome,
            "negative_decision": negative,
            "reasons": reasons,
            "legal_basis": legal_basis,
            "task_id": task.pk if task is not None else None,
            "handling_clock_outcome": clock_outcome,
            "department_id": locked.department_id,
        },
    )
    label = DecisionOutcome(outcome).label
    tell_applicant(
        locked,
        category=Category.CASE_DECIDED,
        subject=_("您的申请已作出决定：%(number)s %(label)s") % {"number": locked.number, "label": label},
        body=_("决定：%(label)s\n理由：%(reasons)s\n法律依据：%(basis)s")
        % {"label": label, "reasons": reasons, "basis": legal_basis}
        + (_("\n如不服，可依法申请行政复议或者提起行政诉讼。") if negative else ""),
        actor=actor,
    )
    if not negative:
        from zhengwu.cases.domain.fees import case_fees_issue_after_grant

        case_fees_issue_after_grant(case=locked)  # 缴费通知 for items that charge (ADR 0014)
    return decision
