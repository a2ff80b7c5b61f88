from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.cases.test_acceptance import case_events, notice_items, online, registered
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_accept, case_request_correction, cases_deem_accepted
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case
from zhengwu.cases.tasks import deem_accepted
from zhengwu.notifications.models import Message
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
LAST_MOMENT = datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=TZ)  # end of the 5th working day
PERIOD_END = datetime(2026, 3, 10, 0, 0, tzinfo=TZ)


@pytest.fixture
def filed(hall) -> Case:
    with time_machine.travel(MONDAY, tick=False):
        return online(hall)


def test_not_deemed_a_moment_before_the_period_ends(filed):
    assert filed.acceptance_clock.due_at == LAST_MOMENT
    with time_machine.travel(LAST_MOMENT, tick=False):
        assert cases_deem_accepted() == 0
    assert Case.objects.get(pk=filed.pk).state == CaseState.SUBMITTED


def test_deemed_accepted_as_of_receipt_exactly_when_the_period_ends(hall, filed):
    with time_machine.travel(PERIOD_END, tick=False):
        assert cases_deem_accepted() == 1
    case = Case.objects.get(pk=filed.pk)
    assert (case.state, case.deemed_accepted, case.accepted_at) == (CaseState.ACCEPTED, True, MONDAY)
    acceptance = case.acceptance_clock
    assert (acceptance.status, acceptance.outcome, acceptance.stopped_at) == (
        ClockStatus.STOPPED,
        ClockOutcome.LATE,
        PERIOD_END,
    )
    handling = case.handling_clock
    assert (handling.received_at, handling.limit_days, handling.status) == (MONDAY, 5, ClockStatus.RUNNING)
    assert handling.due_date.isoformat() == "2026-03-09"
    assert case_events(case) == ["cases.submitted", "cases.deemed_accepted"]
    event = AuditEvent.objects.get(action="cases.deemed_accepted")
    assert (event.actor_id, event.actor_repr) == (None, "system:cases")
    assert event.before["state"] == "submitted"
    assert event.after["deemed_accepted"] is True
    assert event.after["legal_basis"] == "《行政许可法》第三十二条"
    message = Message.objects.get(recipient=hall.enterprise, category="case.accepted")
    assert message.body == (
        "受理时间：2026-03-02 10:00（逾期未作决定，依法自收到申请材料之日起视为受理）\n承诺办结期限：2026-03-09 前。"
    )


def test_sweep_is_idempotent(filed):
    with time_machine.travel(PERIOD_END + timedelta(hours=1), tick=False):
        assert cases_deem_accepted() == 1
        assert cases_deem_accepted() == 0
        assert deem_accepted.apply().get() == 0
    assert AuditEvent.objects.filter(action="cases.deemed_accepted").count() == 1
    assert Message.objects.filter(category="case.accepted").count() == 1


def test_sweep_with_explicit_now(filed):
    assert cases_deem_accepted(now=LAST_MOMENT) == 0
    assert cases_deem_accepted(now=PERIOD_END) == 1


def test_case_with_a_timely_correction_notice_is_not_deemed(hall):
    with time_machine.travel(MONDAY, tick=False):
        case = registered(hall)
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "营业执照"))
    with time_machine.travel(PERIOD_END + timedelta(days=30), tick=False):
        assert cases_deem_accepted() == 0
    assert Case.objects.get(pk=case.pk).state == CaseState.CORRECTION_REQUESTED


def test_decided_cases_are_left_alone(hall, filed):
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        case_accept(actor=hall.handler, case=filed)
    with time_machine.travel(PERIOD_END, tick=False):
        assert cases_deem_accepted() == 0
    assert AuditEvent.objects.filter(action="cases.deemed_accepted").count() == 0


def test_beat_schedule_runs_the_sweep_every_ten_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["cases-deem-accepted"]
    assert entry == {"task": "zhengwu.cases.tasks.deem_accepted", "schedule": 600.0}
    assert deem_accepted.name == "zhengwu.cases.tasks.deem_accepted"
