"""Shared set-up for the case-clock tests (suspension, extension, deemed approval): an in-progress case of the
hall's item, accepted on Monday 2026-03-02 10:00 with a promised limit of 5 working days (due 2026-03-09)."""

from datetime import date, datetime

import pytest
import time_machine
from django.utils import timezone

from tests.accounts.factories import make_staff
from zhengwu.accounts.enums import Role
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_submit_online
from zhengwu.cases.domain.processing import case_accept_and_start
from zhengwu.cases.models import Case
from zhengwu.workflow.enums import OPEN_TASK_STATES
from zhengwu.workflow.models import WorkTask

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def on(day: int) -> date:
    return date(2026, 3, day)


@pytest.fixture
def leader(hall):
    return make_staff("fenguan", department=hall.department, display_name="分管领导", roles=(Role.LEADER_IN_CHARGE,))


def in_progress(hall) -> Case:
    with time_machine.travel(MONDAY, tick=False):
        case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
        case_accept_and_start(actor=hall.handler, case=case)
    case.refresh_from_db()
    return case


def open_task(case: Case, bpmn_id: str = "review") -> WorkTask:
    return WorkTask.objects.select_related("clock").get(
        instance__object_id=str(case.pk), bpmn_id=bpmn_id, state__in=sorted(OPEN_TASK_STATES)
    )


def case_events(case: Case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
