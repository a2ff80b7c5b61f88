"""Completion (办结): requirements per outcome, and every clock of the case stops in the same transaction."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.accounts.factories import credit_code
from tests.cases.outcome import decide, denied, granted, leader_of, map_food, online_case, walk_in_case
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_certificate_issue,
    case_complete,
    case_delivery_arrange,
    case_hand_over,
    case_ship,
)
from zhengwu.cases.domain.completion import case_clocks
from zhengwu.cases.domain.lookup import case_timeline
from zhengwu.cases.enums import CaseState, DecisionOutcome, DeliveryMethod
from zhengwu.cases.models import CaseDecisionDocument
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.domain.clock import clock_start
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.models.clock import Clock
from zhengwu.workflow.models import WorkTask

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


@pytest.fixture
def leader(hall):
    return leader_of(hall)


def extra_clock(subject) -> Clock:
    return clock_start(
        actor="system:test", subject=subject, unit=DeadlineUnit.WORKING, limit=5, received_at=timezone.now()
    )


def handed_over(hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    case_certificate_issue(actor=hall.handler, case=case)
    case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=True)
    return case


def test_completion_stops_every_open_clock_of_the_case_and_its_tasks(hall, leader):
    with time_machine.travel(MONDAY, tick=False):
        case = handed_over(hall, leader)
        other = granted(hall, leader)
        tasks = list(WorkTask.objects.filter(instance__object_id=str(case.pk)).order_by("pk"))
        # Clocks still open when the case completes: one on the case itself, one on each of its tasks.
        on_case = extra_clock(case)
        on_tasks = [extra_clock(task) for task in tasks]
        elsewhere = extra_clock(WorkTask.objects.filter(instance__object_id=str(other.pk)).first())
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        case_complete(actor=hall.clerk, case=case)

    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert case.completed_at == MONDAY + timedelta(days=1)
    clocks = list(case_clocks(case))
    expected = {case.acceptance_clock_id, case.handling_clock_id, on_case.pk}
    # the acceptance step was completed as the process started and never had a step clock
    assert [(task.bpmn_id, task.clock_id is None) for task in tasks] == [
        ("accept", True),
        ("review", False),
        ("decide", False),
    ]
    expected |= {task.clock_id for task in tasks[1:]} | {clock.pk for clock in on_tasks}
    assert {clock.pk for clock in clocks} == expected
    assert {clock.status for clock in clocks} == {ClockStatus.STOPPED}
    assert Clock.objects.get(pk=on_case.pk).stopped_at == MONDAY + timedelta(days=1)
    assert Clock.objects.get(pk=elsewhere.pk).status == ClockStatus.RUNNING
    event = AuditEvent.objects.get(action="cases.completed")
    assert sorted(item["clock_id"] for item in event.after["clocks_stopped"]) == sorted(
        [on_case.pk, *(clock.pk for clock in on_tasks)]
    )
    assert event.after["delivery"] == "handed_over"
    assert Message.objects.filter(recipient=hall.enterprise, category=Category.CASE_COMPLETED).count() == 1
    assert case_timeline(case)[-1].label == "办结"
    assert CaseDecisionDocument.objects.filter(case=case).exists()


def test_shipped_express_case_completes(hall, leader):
    case = granted(hall, leader)
    case_delivery_arrange(
        actor=hall.enterprise,
        case=case,
        method=DeliveryMethod.EXPRESS,
        address="文昌路 6 号",
        recipient="李四",
        phone="13953600003",
    )
    case_ship(actor=hall.clerk, case=case, carrier="EMS", tracking_number="1187654321098")

    case_complete(actor=hall.handler, case=case)

    assert case.state == CaseState.COMPLETED


def test_completion_before_delivery_is_refused_and_changes_nothing(hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    case_certificate_issue(actor=hall.handler, case=case)
    case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)
    open_clock = extra_clock(case)

    with pytest.raises(ValidationError) as error:
        case_complete(actor=hall.clerk, case=case)

    assert error.value.messages == ["办理结果尚未送达（窗口领取或寄出），不能办结。"]
    case.refresh_from_db()
    assert (case.state, case.completed_at) == (CaseState.DECIDED, None)
    assert Clock.objects.get(pk=open_clock.pk).status == ClockStatus.RUNNING
    assert not AuditEvent.objects.filter(action="cases.completed").exists()
    assert not CaseDecisionDocument.objects.exists()


def test_completion_before_the_certificate_is_refused(hall, leader):
    map_food(hall)
    case = granted(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_complete(actor=hall.clerk, case=case)

    assert error.value.messages == ["证照尚未签发，不能办结。"]


def test_completion_with_unsettled_fees_is_refused(hall, leader, monkeypatch):
    case = handed_over(hall, leader)
    monkeypatch.setattr("zhengwu.cases.domain.completion.case_fees_settled", lambda *, case: False)

    with pytest.raises(ValidationError) as error:
        case_complete(actor=hall.clerk, case=case)

    assert error.value.messages == ["办件尚有未缴清的费用，不能办结。"]


def test_denied_case_completes_with_its_decision_document(hall, leader):
    case = denied(hall, leader)
    open_clock = extra_clock(case)

    case_complete(actor=hall.handler, case=case)

    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert CaseDecisionDocument.objects.get(case=case).signature_reason == "不予许可，决定人：高建国"
    assert Clock.objects.get(pk=open_clock.pk).status == ClockStatus.STOPPED
    assert not case_clocks(case).open().exists()


def test_a_walk_in_without_an_account_is_told_of_each_step_by_sms_and_not_pointed_to_my_cases(
    hall, leader, sms_outbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = walk_in_case(hall, credit_code("91370799MA3D4E5F7"), name="青川无账户公司")
        case = decide(hall, case, leader, DecisionOutcome.DENY)
        case_complete(actor=hall.handler, case=case)

    assert list(Message.objects.order_by("pk").values_list("recipient", "category", "in_inbox")) == [
        (None, "case.submitted", False),
        (None, "case.accepted", False),
        (None, "case.decided", False),
        (None, "case.completed", False),
    ]
    completed = Message.objects.get(category=Category.CASE_COMPLETED)
    assert completed.body == "您申请的“食品经营许可证核发”已于 2026-03-02 10:00 办结。欢迎对本次服务作出评价。"
    assert [sms.phone for sms in sms_outbox] == ["13953600003"] * 4
    assert all(case.number in sms.text for sms in sms_outbox)
    assert sms_outbox[-1].text == f"【政务服务平台】您的办件已办结：{case.number}：{completed.body}"


def test_undecided_case_cannot_complete(hall):
    case = online_case(hall)

    with pytest.raises(ValidationError) as error:
        case_complete(actor=hall.clerk, case=case)

    assert error.value.messages == ["办件当前状态为“待受理”，不能办结。"]
    assert Clock.objects.get(pk=case.acceptance_clock_id).status == ClockStatus.RUNNING


def test_completing_twice_is_refused(hall, leader):
    case = denied(hall, leader)
    case_complete(actor=hall.handler, case=case)

    with pytest.raises(ValidationError) as error:
        case_complete(actor=hall.handler, case=case)

    assert error.value.messages == ["办件当前状态为“办结”，不能办结。"]
    assert AuditEvent.objects.filter(action="cases.completed").count() == 1


@pytest.mark.parametrize("who", ["enterprise", "outsider", "other_clerk"])
def test_only_staff_handling_the_case_complete_it(hall, leader, who):
    case = denied(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_complete(actor=getattr(hall, who), case=case)

    assert error.value.messages == ["您无权办结该办件。"]
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
