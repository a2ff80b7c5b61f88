"""Accepted cases run the item's BPMN process; the decision step decides the case (ADR 0013 "Processing")."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.accounts.factories import make_staff
from zhengwu.accounts.enums import Role
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_accept, case_submit_online, case_timeline
from zhengwu.cases.domain.processing import (
    case_accept_and_start,
    case_decide,
    case_processing_start,
    case_task_complete,
)
from zhengwu.cases.enums import CaseState, DecisionOutcome
from zhengwu.cases.models import Case, CaseDecision, ItemProcess
from zhengwu.notifications.models import Message
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus
from zhengwu.workcal.models import Clock
from zhengwu.workflow.domain import shipped_process_definition
from zhengwu.workflow.enums import InstanceStatus, TaskState
from zhengwu.workflow.models import ProcessInstance, WorkTask
from zhengwu.workflow.rules import inbox_filter

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
BASIS = "《食品经营许可和备案管理办法》第十四条"


@pytest.fixture
def leader(hall):
    return make_staff("fenguan", department=hall.department, display_name="分管领导", roles=(Role.LEADER_IN_CHARGE,))


def online(hall) -> Case:
    return case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())


def inbox(user) -> list[str]:
    return list(WorkTask.objects.filter(inbox_filter(user)).order_by("pk").values_list("bpmn_id", flat=True))


def open_task(case: Case, bpmn_id: str) -> WorkTask:
    return WorkTask.objects.get(
        instance__object_id=str(case.pk), bpmn_id=bpmn_id, state__in=[TaskState.READY, TaskState.CLAIMED]
    )


def case_events(case: Case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def decide(case, leader, outcome=DecisionOutcome.GRANT, reasons="材料齐全，符合法定条件。", legal_basis=BASIS):
    return case_task_complete(
        actor=leader,
        task=open_task(case, "decide"),
        outcome=outcome,
        reasons=reasons,
        legal_basis=legal_basis,
    )


@time_machine.travel(MONDAY, tick=False)
def test_accepting_starts_the_default_flow_at_review_in_the_case_department(hall, leader):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)

    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS
    instance = ProcessInstance.objects.get(object_id=str(case.pk))
    assert instance.definition.key == "default_licensing"
    accept = WorkTask.objects.get(instance=instance, bpmn_id="accept")
    assert (accept.state, accept.outcome, accept.completed_by) == (TaskState.COMPLETED, "accept", None)
    review = open_task(case, "review")
    assert (review.department, review.role, review.assignee) == (hall.department, Role.HANDLER, None)
    assert inbox(hall.handler) == ["review"]
    assert inbox(hall.outsider) == []
    assert inbox(leader) == []
    assert case_events(case) == ["cases.submitted", "cases.accepted", "cases.processing_started"]


def test_processing_starts_only_for_accepted_cases(hall):
    case = online(hall)
    with pytest.raises(ValidationError) as exc:
        case_processing_start(actor=hall.handler, case=case)
    assert exc.value.messages == ["办件当前状态为“待受理”，不能启动办理流程。"]
    assert not ProcessInstance.objects.exists()


def test_a_failing_start_rolls_back_the_acceptance(hall):
    parallel = shipped_process_definition("parallel_approval")
    ItemProcess.objects.create(item=hall.version.item, definition=parallel)  # no co-department configured
    case = online(hall)
    with pytest.raises(ValidationError) as exc:
        case_accept_and_start(actor=hall.handler, case=case)
    assert exc.value.messages == [
        "事项办理流程“并联审批（一门受理、同步审查）”有 1 个协办泳道，但配置了 0 个协办部门。"
    ]
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert not ProcessInstance.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_parallel_flow_opens_both_departments_and_the_join_waits(hall, leader):
    co_handler = hall.outsider  # handler of the other department
    mapping = ItemProcess.objects.create(
        item=hall.version.item, definition=shipped_process_definition("parallel_approval")
    )
    mapping.co_departments.add(hall.other_department)
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)

    assert inbox(hall.handler) == ["review_lead"]
    assert inbox(co_handler) == ["review_co"]
    assert open_task(case, "review_co").department == hall.other_department

    case_task_complete(actor=co_handler, task=open_task(case, "review_co"), outcome="approve", comment="同意")
    assert inbox(leader) == []  # the join waits for the lead department
    assert inbox(hall.handler) == ["review_lead"]

    case_task_complete(actor=hall.handler, task=open_task(case, "review_lead"), outcome="approve")
    assert inbox(leader) == ["decide"]
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS


@time_machine.travel(MONDAY, tick=False)
def test_grant_decides_the_case_stops_the_clock_and_is_audited(hall, leader):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="approve")
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        decide(case, leader)

    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    assert case.handling_clock.status == ClockStatus.STOPPED
    assert case.handling_clock.outcome == ClockOutcome.ON_TIME
    decision = CaseDecision.objects.get(case=case)
    assert (decision.outcome, decision.negative, decision.decided_by, decision.legal_basis) == (
        DecisionOutcome.GRANT,
        False,
        leader,
        BASIS,
    )
    assert decision.task == WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="decide")
    assert ProcessInstance.objects.get(object_id=str(case.pk)).status == InstanceStatus.COMPLETED
    assert case_events(case)[-1] == "cases.decided"
    event = AuditEvent.objects.filter(action="cases.decided").get()
    assert event.after["negative_decision"] is False
    assert event.after["decision"] == "grant"
    assert Message.objects.filter(recipient=hall.enterprise, subject__contains="准予许可").count() == 1


@time_machine.travel(MONDAY, tick=False)
@pytest.mark.parametrize(
    ("outcome", "label"), [(DecisionOutcome.GRANT, "准予许可"), (DecisionOutcome.DENY, "不予许可")]
)
def test_the_applicant_timeline_shows_the_decision(hall, leader, outcome, label):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="approve")
    decide(case, leader, outcome=outcome)

    entries = [(entry.label, entry.detail) for entry in case_timeline(case)]

    assert entries == [("收件", "网上申报"), ("受理", ""), ("作出决定", label)]


@time_machine.travel(MONDAY, tick=False)
@pytest.mark.parametrize(
    ("reasons", "legal_basis", "errors"),
    [
        ("", BASIS, {"reasons": ["请填写决定理由。"]}),
        ("不符合条件", " ", {"legal_basis": ["请填写法律依据。"]}),
    ],
)
def test_decision_requires_reasons_and_legal_basis(hall, leader, reasons, legal_basis, errors):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="approve")
    with pytest.raises(ValidationError) as exc:
        decide(case, leader, outcome=DecisionOutcome.DENY, reasons=reasons, legal_basis=legal_basis)
    assert exc.value.message_dict == errors
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS
    assert open_task(case, "decide").state == TaskState.READY
    assert not CaseDecision.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_decision_step_needs_grant_or_deny(hall, leader):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="approve")
    with pytest.raises(ValidationError) as exc:
        decide(case, leader, outcome="approve")
    assert exc.value.message_dict == {"outcome": ["请选择准予许可或不予许可。"]}


@time_machine.travel(MONDAY, tick=False)
def test_denial_is_recorded_as_a_negative_decision_for_supervision(hall, leader):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="disapprove")
    decide(case, leader, outcome=DecisionOutcome.DENY, reasons="经营场所不符合要求。")

    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    decision = CaseDecision.objects.get(case=case)
    assert (decision.outcome, decision.negative, decision.reasons) == (
        DecisionOutcome.DENY,
        True,
        "经营场所不符合要求。",
    )
    event = AuditEvent.objects.filter(action="cases.decided").get()
    assert event.after["negative_decision"] is True
    assert event.after["reasons"] == "经营场所不符合要求。"
    assert event.after["legal_basis"] == BASIS
    assert list(CaseDecision.objects.filter(negative=True)) == [decision]


@time_machine.travel(MONDAY, tick=False)
def test_case_decide_refuses_while_the_process_runs(hall, leader):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    with pytest.raises(ValidationError) as exc:
        case_decide(actor="system:cases", case=case, outcome="grant", reasons="理由", legal_basis=BASIS)
    assert exc.value.messages == ["办理流程尚未结束，不能作出决定。"]
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS


@time_machine.travel(MONDAY, tick=False)
def test_second_completion_of_the_same_task_gets_the_chinese_error(hall, leader):
    second = make_staff("chengban2", department=hall.department, display_name="第二承办", roles=(Role.HANDLER,))
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    stale = open_task(case, "review")
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="approve")
    with pytest.raises(ValidationError) as exc:
        case_task_complete(actor=second, task=stale, outcome="approve")
    assert exc.value.messages == ["该环节已由他人办理。"]
    assert WorkTask.objects.filter(instance__object_id=str(case.pk), bpmn_id="decide").count() == 1


def test_plain_acceptance_still_leaves_the_case_accepted(hall):
    """case_accept keeps its contract; pages use case_accept_and_start."""
    case = online(hall)
    case_accept(actor=hall.handler, case=case)
    assert case.state == CaseState.ACCEPTED
    assert not ProcessInstance.objects.exists()


def test_the_sweep_starts_processing_for_cases_it_deemed_accepted(hall):
    from zhengwu.cases.domain import cases_deem_accepted
    from zhengwu.cases.domain.processing import cases_processing_start_pending

    with time_machine.travel(MONDAY, tick=False):
        case = online(hall)
    later = case.acceptance_clock.due_at + timedelta(microseconds=1)
    with time_machine.travel(later, tick=False):
        assert cases_deem_accepted() == 1
        assert cases_processing_start_pending() == 1
        assert cases_processing_start_pending() == 0
    case.refresh_from_db()
    assert (case.state, case.deemed_accepted) == (CaseState.IN_PROGRESS, True)


@time_machine.travel(MONDAY, tick=False)
def test_accepting_and_starting_appends_its_audit_events_together_in_the_order_they_happened(hall):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengwu.audit.domain import audit_verify

    shipped_process_definition("default_licensing")  # stored on first use, with an audit event of its own
    case = online(hall)
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        case_accept_and_start(actor=hall.handler, case=case)

    appends = [q["sql"] for q in queries.captured_queries if "audit_auditchainhead" in q["sql"]]
    assert len(appends) == 1  # one compare-and-set of the chain head for the whole transaction
    assert list(AuditEvent.objects.filter(seq__gt=last).order_by("seq").values_list("action", flat=True)) == [
        "workcal.clock.stopped",  # acceptance clock
        "workcal.clock.started",  # handling clock
        "cases.accepted",
        "workflow.instance.started",
        "workcal.clock.started",  # the review step's clock (the acceptance step, completed at start, has none)
        "workflow.task.completed",  # the acceptance step, by the system
        "cases.processing_started",
    ]
    assert audit_verify() is None


@time_machine.travel(MONDAY, tick=False)
def test_the_flows_acceptance_step_goes_in_completed_by_the_system_without_a_step_clock(hall):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)

    instance = ProcessInstance.objects.get(object_id=str(case.pk))
    accept, review = instance.tasks.order_by("pk")
    assert (accept.bpmn_id, accept.state, accept.outcome, accept.comment, accept.completed_by) == (
        "accept",
        TaskState.COMPLETED,
        "accept",
        "已于 2026-03-02 10:00 受理。",
        None,
    )
    assert (accept.created_at, accept.completed_at, accept.clock) == (MONDAY, MONDAY, None)
    assert (review.bpmn_id, review.state, review.clock.status) == ("review", TaskState.READY, ClockStatus.RUNNING)
    assert not Clock.objects.filter(content_type__model="worktask", object_id=str(accept.pk)).exists()
    assert instance.version == 1  # the engine state went in with the instance and was not written again
    completed = AuditEvent.objects.get(action="workflow.task.completed", object_id=str(accept.pk))
    assert (completed.actor_repr, completed.after["outcome"], completed.after["comment"]) == (
        "system:cases",
        "accept",
        "已于 2026-03-02 10:00 受理。",
    )
    assert (completed.after["opened"], completed.after["at_start"]) == ([f"review#{review.pk}"], True)


# Statements of case_accept_and_start on the default flow inside a test's transaction, counting the savepoints
# and the first read of the handler's roles and department (ADR 0019, 2026-12-05 third pass). Before it, when the
# acceptance step was opened with a clock and then completed through task_complete: 34 and 36; before the
# acceptance clock's lock read the calendar version along (fifth pass): 22 and 24; before the process start ran
# without a savepoint of its own and one statement read the item's process or the default definition (sixth
# pass): 21 and 23; before acceptance and the process start wrote the case once between them and the review row
# went in with its clock's key (seventh pass): 18 and 20; before the case lock read the acceptance clock along and
# the clock stopped with a compare-and-set on its version (eighth pass): 16 and 18; before the review step's clock
# and the case's write went with the audit events on PostgreSQL (tenth pass, writes held back): 15 and 17. SQLite
# writes the notification and the audit events in two statements each where PostgreSQL uses one.
ACCEPT_AND_START_STATEMENTS = {"postgresql": 13, "sqlite": 17}


@time_machine.travel(MONDAY, tick=False)
def test_accepting_and_starting_writes_each_task_row_once_and_the_engine_state_once(hall):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shipped_process_definition("default_licensing")
    for model in (Case, WorkTask):
        ContentType.objects.get_for_model(model)  # cached in a running server, whatever ran before in a test
    case = online(hall)
    with CaptureQueriesContext(connection) as queries:
        case_accept_and_start(actor=hall.handler, case=case)

    statements = [q["sql"] for q in queries.captured_queries]

    def count(write: str) -> int:  # as a statement, or held back as a WITH clause of the next write
        return sum(sql.count(write) for sql in statements)

    def reads(table: str) -> int:  # ORM and hand-written reads alike (zhengwu.core.rows aliases the table)
        return sum(1 for sql in statements if sql.startswith("SELECT") and f'FROM "{table}"' in sql)

    assert count('INSERT INTO "workflow_worktask"') == 2  # acceptance (completed) and review
    assert count('INSERT INTO "workcal_clock"') == 2  # handling clock and the review step's clock
    assert count('UPDATE "workflow_worktask"') == 0  # the review row goes in with its clock's key
    assert reads("workflow_worktask") == 0
    assert count('UPDATE "workflow_processinstance"') == 0  # the state goes in with the instance
    assert reads("workflow_processinstance") == 0
    assert count("SELECT version, stamp") == 0  # read along by the acceptance clock's lock
    assert len(statements) == ACCEPT_AND_START_STATEMENTS[connection.vendor]
