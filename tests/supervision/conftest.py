"""A hall (tests/cases) plus a supervisor and each department's leaders; cases at known instants for the
supervision sweeps, and the sweep helpers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.cases.conftest import Hall, hall  # noqa: F401
from tests.cases.test_acceptance import online
from tests.supervision.factories import make_leader, make_supervisor
from zhengwu.accounts.enums import Role
from zhengwu.accounts.models import User
from zhengwu.cases.domain.processing import case_accept_and_start
from zhengwu.cases.models import Case
from zhengwu.supervision.domain import supervision_sweep
from zhengwu.supervision.enums import SweepKind
from zhengwu.supervision.models import Alert

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # received and accepted; handling due 2026-03-09 (5 working days)
HANDLING_DUE = datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=TZ)
MICRO = timedelta(microseconds=1)


@dataclass
class Office:
    hall: Hall
    supervisor: User
    unit_head: User  # 单位负责人 of hall.department
    leader_in_charge: User  # 分管领导 of hall.department
    other_leader: User  # 单位负责人 of hall.other_department


@pytest.fixture
def office(hall) -> Office:  # noqa: F811
    return Office(
        hall=hall,
        supervisor=make_supervisor(department=hall.other_department),
        unit_head=make_leader(hall.department, "danwei"),
        leader_in_charge=make_leader(hall.department, "fenguan", Role.LEADER_IN_CHARGE),
        other_leader=make_leader(hall.other_department, "minzhengju"),
    )


def at(y, m, d, h=0, mi=0, s=0, us=0) -> datetime:
    return datetime(y, m, d, h, mi, s, us, tzinfo=TZ)


def sweep(now: datetime, kind: str = SweepKind.FULL, **kwargs):
    with time_machine.travel(now, tick=False):
        return supervision_sweep(kind=kind, now=now, **kwargs)


def alerts(code: str | None = None, **filters) -> list[tuple]:
    rows = Alert.objects.filter(**filters)
    if code:
        rows = rows.filter(point__code=code)
    return sorted(rows.values_list("point__code", "object_id", "key", "level", "status"))


def case_ct() -> ContentType:
    return ContentType.objects.get_for_model(Case)


@pytest.fixture
def accepted(hall) -> Case:  # noqa: F811
    """Accepted on Monday 2026-03-02 10:00: the handling clock (5 working days) is due 2026-03-09."""
    with time_machine.travel(MONDAY, tick=False):
        case = online(hall)
        case_accept_and_start(actor=hall.handler, case=case)
    return Case.objects.get(pk=case.pk)
