"""超时默认: cases of items configured for deemed approval are granted once their handling period runs out."""

# ruff: noqa: F811 (the `leader` and `hall` fixtures are imported)

from datetime import timedelta

import pytest
import time_machine

from tests.cases.clock_helpers import at, case_events, in_progress, leader, on  # noqa: F401
from tests.cases.test_suspension import suspend
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_extension_decide,
    case_extension_request,
    case_submit_online,
    case_timeline,
    cases_deem_approved,
)
from zhengwu.cases.domain.processing import case_accept_and_start
from zhengwu.cases.enums import CaseState, DecisionOutcome, FeeNoticeState
from zhengwu.cases.models import Case, CaseDecision, FeeNotice, ItemDeemedApproval
from zhengwu.cases.tasks import deem_approved
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus
from zhengwu.workcal.models.clock import Clock
from zhengwu.workflow.enums import InstanceStatus, TaskState
from zhengwu.workflow.models import ProcessInstance, WorkTask

pytestmark = pytest.mark.django_db

BASIS = "《行政许可法》第五十条第二款"


@pytest.fixture
def deemed(hall):
    return ItemDeemedApproval.objects.create(item=hall.version.item, legal_basis=BASIS)


def due_at(case):
    return Clock.objects.get(pk=case.handling_clock_id).due_at


def test_nothing_happens_up_to_the_last_instant_of_the_period(hall, deemed):
    case = in_progress(hall)
    assert due_at(case) == at(9, 23, 59) + timedelta(seconds=59, microseconds=999999)
    with time_machine.travel(due_at(case), tick=False):
        assert cases_deem_approved() == 0
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert not CaseDecision.objects.exists()


def test_a_case_overdue_by_a_moment_is_deemed_granted_its_process_cancelled_and_clocks_stopped(hall, deemed):
    case = in_progress(hall)
    later = due_at(case) + timedelta(microseconds=1)
    with time_machine.travel(later, tick=False):
        assert cases_deem_approved() == 1
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    decision = CaseDecision.objects.get(case=case)
    assert (decision.outcome, decision.reasons, decision.legal_basis, decision.negative) == (
        DecisionOutcome.GRANT,
        "期限届满未作决定，视为准予",
        BASIS,
        False,
    )
    assert (decision.decided_by, decision.task, decision.decided_at) == (None, None, later)
    instance = ProcessInstance.objects.get(object_id=str(case.pk))
    assert instance.status == InstanceStatus.CANCELLED
    review = WorkTask.objects.get(instance=instance, bpmn_id="review")
    assert review.state == TaskState.CANCELLED
    assert review.clock.status == ClockStatus.STOPPED
    handling = Clock.objects.get(pk=case.handling_clock_id)
    assert (handling.status, handling.outcome, handling.stopped_at) == (ClockStatus.STOPPED, ClockOutcome.LATE, later)
    assert case_events(case)[-1] == "cases.deemed_approved"
    event = AuditEvent.objects.get(action="cases.deemed_approved")
    assert (event.actor_repr, event.after["legal_basis"], event.after["cancelled_instances"]) == (
        "system:cases",
        BASIS,
        [instance.pk],
    )
    message = Message.objects.get(recipient=hall.enterprise, category=Category.CASE_DEEMED_APPROVED)
    assert message.body == (f"办理期限已于 2026-03-09 届满，行政机关未作出决定，依法视为准予许可。\n法律依据：{BASIS}")
    entry = case_timeline(case)[-1]
    assert (entry.label, entry.detail) == ("视为准予许可", f"期限届满未作决定，视为准予；法律依据：{BASIS}")


def test_the_sweep_is_idempotent_and_the_task_runs_it(hall, deemed):
    case = in_progress(hall)
    with time_machine.travel(at(10), tick=False):
        assert deem_approved() == 1
        assert deem_approved() == 0
        assert cases_deem_approved() == 0
    assert CaseDecision.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="cases.deemed_approved").count() == 1
    assert Message.objects.filter(category=Category.CASE_DEEMED_APPROVED).count() == 1


def test_items_without_deemed_approval_are_left_overdue(hall):
    case = in_progress(hall)
    with time_machine.travel(at(20), tick=False):
        assert cases_deem_approved() == 0
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert ProcessInstance.objects.get(object_id=str(case.pk)).status == InstanceStatus.RUNNING


def test_a_suspended_case_is_not_deemed_approved(hall, deemed):
    case = in_progress(hall)
    with time_machine.travel(at(4), tick=False):
        suspend(hall, case, expected_resume_on=on(20))
    with time_machine.travel(at(20), tick=False):
        assert cases_deem_approved() == 0
    assert Case.objects.get(pk=case.pk).state == CaseState.SUSPENDED


def test_an_extension_moves_the_moment_of_deemed_approval(hall, deemed, leader):
    case = in_progress(hall)
    with time_machine.travel(at(5), tick=False):
        extension = case_extension_request(actor=hall.handler, case=case, reason="需现场核查。", days=2)
        case_extension_decide(actor=leader, extension=extension, approve=True)
    assert Clock.objects.get(pk=case.handling_clock_id).due_date == on(11)
    with time_machine.travel(at(11, 23, 59), tick=False):
        assert cases_deem_approved() == 0
    with time_machine.travel(at(12, 0, 0), tick=False):
        assert cases_deem_approved() == 1


def test_a_case_extended_after_selection_is_left_alone(hall, deemed, leader, monkeypatch):
    """The sweep re-checks the clock after claiming the case: a claim on a no-longer-overdue case rolls back."""
    case = in_progress(hall)
    from zhengwu.cases.domain import deemed_approval

    with time_machine.travel(at(10), tick=False):
        clock = Clock.objects.get(pk=case.handling_clock_id)
        real_get = deemed_approval.Clock.objects.get

        def moved(*args, **kwargs):
            found = real_get(*args, **kwargs)
            found.due_at = found.due_at + timedelta(days=7)
            return found

        monkeypatch.setattr(deemed_approval.Clock.objects, "get", moved)
        assert cases_deem_approved() == 0
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert Clock.objects.get(pk=clock.pk).status == ClockStatus.RUNNING
    assert not CaseDecision.objects.exists()


def test_deemed_approval_is_configured_in_the_admin_and_audited(admin_client, hall):
    from django.urls import reverse

    url = reverse("admin:cases_itemdeemedapproval_add")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"item": hall.version.item_id, "legal_basis": BASIS})
    assert response.status_code == 302
    rule = ItemDeemedApproval.objects.get()
    assert (rule.item, rule.legal_basis) == (hall.version.item, BASIS)
    assert AuditEvent.objects.filter(object_type="cases.itemdeemedapproval", object_id=str(rule.pk)).count() == 1
    response = admin_client.post(url, {"item": hall.version.item_id, "legal_basis": ""})
    assert response.status_code == 200
    assert ItemDeemedApproval.objects.count() == 1
    for name in ("cases_casesuspension_changelist", "cases_caseextension_changelist"):
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_a_request_pending_when_the_case_is_deemed_approved_leaves_the_leaders_queue(hall, deemed, leader):
    from zhengwu.cases.rules import extensions_to_decide

    case = in_progress(hall)
    with time_machine.travel(at(9, 17), tick=False):
        extension = case_extension_request(actor=hall.handler, case=case, reason="需现场核查。")
        assert list(extensions_to_decide(leader)) == [extension]
    with time_machine.travel(at(10), tick=False):
        assert cases_deem_approved() == 1
        assert list(extensions_to_decide(leader)) == []


def test_the_sweep_appends_the_events_of_each_case_at_the_end_of_that_cases_transaction(hall, deemed):
    from tests.audit.appends import audit_appends

    first, second = in_progress(hall), in_progress(hall)
    with time_machine.travel(at(10), tick=False), audit_appends() as appends:
        assert cases_deem_approved() == 2
    assert appends.head_statements == 2  # one append per case: each case keeps its own transaction
    per_case = [
        "workcal.clock.stopped",  # the review step's clock
        "workflow.instance.cancelled",
        "workcal.clock.stopped",  # the handling clock
        "cases.deemed_approved",
    ]
    assert appends.actions() == per_case * 2
    assert case_events(first)[-1] == case_events(second)[-1] == "cases.deemed_approved"


def test_a_deemed_grant_of_an_item_that_charges_issues_the_standard_fee_notice(hall):
    from tests.cases.fee_setup import TOTAL, make_fee_setup

    fees = make_fee_setup(hall)
    ItemDeemedApproval.objects.create(item=fees.version.item, legal_basis=BASIS)
    with time_machine.travel(at(2), tick=False):
        case = case_submit_online(
            applicant=hall.enterprise, item_version=fees.version, materials=fees.materials(fees.version)
        )
        case_accept_and_start(actor=hall.handler, case=case)
    case.refresh_from_db()

    with time_machine.travel(due_at(case) + timedelta(microseconds=1), tick=False):
        assert cases_deem_approved() == 1

    notice = FeeNotice.objects.get(case=case)  # as after any grant (case_decide): the applicant can pay
    assert (notice.state, notice.total, notice.flagged_for_supervision) == (FeeNoticeState.ISSUED, TOTAL, False)
    assert case_events(case)[-2:] == ["cases.deemed_approved", "cases.fee_notice_issued"]
    assert Message.objects.filter(recipient=hall.enterprise, category=Category.CASE_FEE_NOTICE).exists()
