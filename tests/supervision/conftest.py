"""A hall (tests/cases) plus a supervisor and each department's leaders."""

from dataclasses import dataclass

import pytest

from tests.cases.conftest import Hall, hall  # noqa: F401
from tests.supervision.factories import make_leader, make_supervisor
from zhengwu.accounts.enums import Role
from zhengwu.accounts.models import User


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
