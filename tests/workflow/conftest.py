"""A small county for workflow tests: two departments, staff with roles, and a subject to run processes for."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.accounts.factories import credit_code, make_staff_record
from zhengwu.accounts.models import User
from zhengwu.org.enums import RegionLevel
from zhengwu.org.models import Department, Region

TZ = ZoneInfo("Asia/Shanghai")
# Monday 14 September 2026, 10:00: an ordinary working day.
NOW = datetime(2026, 9, 14, 10, 0, tzinfo=TZ)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class County:
    district: Region
    approval: Department
    civil: Department
    users: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.users[name]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def county(db) -> County:
    district = Region.objects.create(name="青川区", code="370799000000", level=RegionLevel.DISTRICT)
    approval = Department.objects.create(
        name="青川区行政审批服务局",
        short_name="区审批局",
        code="SPJ",
        credit_code=credit_code("11370799MB1000033"),
        region=district,
    )
    civil = Department.objects.create(
        name="青川区民政局",
        short_name="区民政局",
        code="MZJ",
        credit_code=credit_code("11370799MB1000025"),
        region=district,
    )
    users = {
        "clerk": make_staff_record("chuangkou", "赵窗口", approval, "window_clerk"),
        "handler": make_staff_record("chengban", "钱承办", approval, "handler"),
        "handler2": make_staff_record("chengban2", "孙承办", approval, "handler"),
        "chief": make_staff_record("kezhang", "李科长", approval, "section_head"),
        "leader": make_staff_record("fenguan", "周分管", approval, "leader_in_charge"),
        "civil_handler": make_staff_record("minzheng", "吴民政", civil, "handler"),
        "civil_handler2": make_staff_record("minzheng2", "郑民政", civil, "handler"),
        "admin": make_staff_record("guanli", "王管理", approval, "administrator"),
        "supervisor": make_staff_record("jiancha", "冯监察", approval, "supervisor"),
    }
    return County(district=district, approval=approval, civil=civil, users=users)


_counter = iter(range(1, 10**6))


def make_subject(name: str = "食品经营许可申请") -> Region:
    """Any saved model can be a process subject; a region is the cheapest (the cases app will use Case)."""
    n = next(_counter)
    return Region.objects.create(name=f"{name}{n}", code=f"8{n:011d}", level=RegionLevel.DISTRICT)


@pytest.fixture
def subject(db) -> Region:
    return make_subject()


def errors_of(exc) -> dict[str, list[str]]:
    """A ValidationError's messages by field ("__all__" for errors not tied to a field)."""
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
