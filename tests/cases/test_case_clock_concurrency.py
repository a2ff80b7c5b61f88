"""Races on the case clock: two leaders approve the same extension, two sweeps deem the same case approved.

PostgreSQL only (row locks); skipped on SQLite at runtime."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from tests.accounts.factories import make_staff
from tests.cases.clock_helpers import MONDAY, at
from tests.concurrency import race
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.cases.domain import (
    case_accept,
    case_extension_decide,
    case_extension_request,
    case_submit_online,
    case_suspend,
    cases_deem_approved,
)
from zhengwu.cases.domain.processing import case_processing_start, case_task_complete
from zhengwu.cases.enums import CaseState, ExtensionState
from zhengwu.cases.models import Case, CaseDecision, CaseExtension, ItemDeemedApproval
from zhengwu.workcal.clock_enums import ClockStatus, PauseReason
from zhengwu.workcal.models.clock import Clock, ClockExtension
from zhengwu.workflow.enums import TaskState
from zhengwu.workflow.models import WorkTask

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


def started(hall) -> Case:
    case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    case_accept(actor=hall.handler, case=case)
    case_processing_start(actor=hall.handler, case=case)
    return case


def test_two_leaders_approving_the_same_extension_extend_the_clock_once(hall):
    leaders = [
        make_staff(name, department=hall.department, display_name=name, roles=(Role.LEADER_IN_CHARGE,))
        for name in ("lingdao1", "lingdao2")
    ]
    case = started(hall)
    due = Clock.objects.get(pk=case.handling_clock_id).due_date
    extension = case_extension_request(actor=hall.handler, case=case, reason="需现场核查。", days=4)

    def approve(leader):
        return lambda: case_extension_decide(
            actor=leader, extension=CaseExtension.objects.get(pk=extension.pk), approve=True
        )

    results = race(approve(leaders[0]), approve(leaders[1]))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该延期申请已经审批（已批准），不能重复审批。"]
    clock = Clock.objects.get(pk=case.handling_clock_id)
    assert clock.extension_days == 4
    assert ClockExtension.objects.filter(clock=clock).count() == 1
    assert clock.due_date > due
    assert CaseExtension.objects.get().state == ExtensionState.APPROVED
    assert CaseExtension.objects.get().decided_by == leaders[0]
    assert audit_verify() is None


def test_two_sweeps_deem_an_overdue_case_approved_once(hall):
    ItemDeemedApproval.objects.create(item=hall.version.item, legal_basis="《行政许可法》第五十条第二款")
    with time_machine.travel(MONDAY, tick=False):
        case = started(hall)
    counts = {}

    def sweep(name):
        def run():
            counts[name] = cases_deem_approved()

        return run

    with time_machine.travel(at(10)):  # ticking: the race helper waits on real time
        results = race(sweep("first"), sweep("second"))

    assert results["contender_waited"] is True
    assert (results["first"], results["second"]) == ("ok", "ok")
    assert counts == {"first": 1, "second": 0}
    assert Case.objects.get(pk=case.pk).state == CaseState.DECIDED
    assert CaseDecision.objects.filter(case=case).count() == 1
    assert audit_verify() is None


def _review(case) -> WorkTask:
    return WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="review")


def test_a_step_completed_while_the_case_is_being_suspended_waits_and_is_refused(hall):
    case = started(hall)
    suspend = lambda: case_suspend(  # noqa: E731
        actor=hall.section_head,
        case=Case.objects.get(pk=case.pk),
        reason=PauseReason.INSPECTION,
        explanation="现场检验。",
        expected_resume_on=timezone.localdate() + timedelta(days=3),
    )
    complete = lambda: case_task_complete(actor=hall.handler, task=_review(case), outcome="approve")  # noqa: E731

    results = race(suspend, complete)

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["办件已挂起，恢复办理前不能办理该环节。"]
    assert _review(case).state == TaskState.READY
    assert Case.objects.get(pk=case.pk).state == CaseState.SUSPENDED


def test_a_suspension_waiting_for_a_completion_pauses_the_next_step_clock(hall):
    case = started(hall)
    complete = lambda: case_task_complete(actor=hall.handler, task=_review(case), outcome="approve")  # noqa: E731
    suspend = lambda: case_suspend(  # noqa: E731
        actor=hall.section_head,
        case=Case.objects.get(pk=case.pk),
        reason=PauseReason.INSPECTION,
        explanation="现场检验。",
        expected_resume_on=timezone.localdate() + timedelta(days=3),
    )

    results = race(complete, suspend)

    assert results["contender_waited"] is True
    assert (results["first"], results["second"]) == ("ok", "ok")
    assert _review(case).state == TaskState.COMPLETED
    decide = WorkTask.objects.select_related("clock").get(instance__object_id=str(case.pk), bpmn_id="decide")
    assert decide.clock.status == ClockStatus.PAUSED
    assert Clock.objects.get(pk=case.handling_clock_id).status == ClockStatus.PAUSED


def _overdue_at_decision(hall):
    leader = make_staff("lingdao", department=hall.department, display_name="分管领导", roles=(Role.LEADER_IN_CHARGE,))
    ItemDeemedApproval.objects.create(item=hall.version.item, legal_basis="《行政许可法》第五十条第二款")
    with time_machine.travel(MONDAY, tick=False):
        case = started(hall)
        case_task_complete(actor=hall.handler, task=_review(case), outcome="approve")
    decide = WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="decide")
    counts = {}

    def sweep():
        counts["swept"] = cases_deem_approved()

    def decide_late():
        case_task_complete(
            actor=leader,
            task=WorkTask.objects.get(pk=decide.pk),
            outcome="deny",
            reasons="不符合条件。",
            legal_basis="《行政许可法》第三十八条",
        )

    return case, sweep, decide_late, counts


def test_the_sweep_wins_and_a_late_decision_is_refused(hall):
    case, sweep, decide_late, counts = _overdue_at_decision(hall)
    with time_machine.travel(at(10)):
        results = race(sweep, decide_late)
    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该环节已取消，不能再办理。"]
    assert counts == {"swept": 1}
    assert list(CaseDecision.objects.filter(case=case).values_list("outcome", flat=True)) == ["grant"]


def test_a_late_decision_wins_and_the_sweep_leaves_the_case_alone(hall):
    case, sweep, decide_late, counts = _overdue_at_decision(hall)
    with time_machine.travel(at(10)):
        results = race(decide_late, sweep)
    assert results["contender_waited"] is True
    assert (results["first"], results["second"]) == ("ok", "ok")
    assert counts == {"swept": 0}
    assert list(CaseDecision.objects.filter(case=case).values_list("outcome", flat=True)) == ["deny"]
    assert Case.objects.get(pk=case.pk).state == CaseState.DECIDED
