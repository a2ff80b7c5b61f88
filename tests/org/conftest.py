"""A small organisation: one district, one street, one department with a full reporting line and its staff."""

from dataclasses import dataclass

import pytest

from zhengwu.accounts.domain.identity import credit_code_check_char
from zhengwu.accounts.models import RoleAssignment, StaffProfile, User
from zhengwu.org.enums import HallKind, PositionRank, RegionLevel, WindowKind
from zhengwu.org.models import Department, Position, Region, Section, ServiceHall, Window


def credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


@dataclass
class Org:
    district: Region
    street: Region
    communities: list[Region]
    department: Department
    other_department: Department
    registration: Section
    credit: Section
    head: Position
    deputy: Position
    chief: Position
    handler: Position
    credit_chief: Position
    credit_handler: Position
    hall: ServiceHall
    windows: list[Window]
    users: dict[str, User]


def make_staff(username: str, name: str, department: Department, position: Position | None, *roles, **extra) -> User:
    user = User.objects.create_user(
        username=username, password="Zw-test-pass-2026", kind="staff", display_name=name, **extra
    )
    StaffProfile.objects.create(
        user=user,
        department=department,
        section=position.section if position else None,
        position=position,
        employee_number=f"E{User.objects.count():04d}",
    )
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role)
    return user


@pytest.fixture
def org(db) -> Org:
    district = Region.objects.create(name="青川区", code="370799000000", level=RegionLevel.DISTRICT)
    street = Region.objects.create(name="城关街道", code="370799001000", level=RegionLevel.STREET, parent=district)
    communities = [
        Region.objects.create(name=name, code=f"370799001{i:03d}", level=RegionLevel.COMMUNITY, parent=street)
        for i, name in enumerate(("文昌社区", "府前社区"), start=1)
    ]
    department = Department.objects.create(
        name="区市场监督管理局",
        short_name="区市场监管局",
        code="SCJG",
        credit_code=credit_code("11370799MB1000017"),
        region=district,
        sort_order=1,
    )
    other = Department.objects.create(
        name="区民政局",
        short_name="区民政局",
        code="MZJ",
        credit_code=credit_code("11370799MB1000025"),
        region=district,
    )
    registration = Section.objects.create(department=department, name="登记注册科", sort_order=1)
    credit = Section.objects.create(department=department, name="信用监督管理科", sort_order=2)
    head = Position.objects.create(department=department, title="局长", rank=PositionRank.UNIT_HEAD)
    deputy = Position.objects.create(
        department=department, title="副局长", rank=PositionRank.LEADER_IN_CHARGE, reports_to=head
    )
    chief = Position.objects.create(
        department=department,
        section=registration,
        title="登记注册科科长",
        rank=PositionRank.SECTION_HEAD,
        reports_to=deputy,
    )
    handler = Position.objects.create(
        department=department,
        section=registration,
        title="登记注册科承办人",
        rank=PositionRank.HANDLER,
        reports_to=chief,
    )
    credit_chief = Position.objects.create(
        department=department,
        section=credit,
        title="信用监督管理科科长",
        rank=PositionRank.SECTION_HEAD,
        reports_to=deputy,
    )
    credit_handler = Position.objects.create(
        department=department,
        section=credit,
        title="信用监督管理科承办人",
        rank=PositionRank.HANDLER,
        reports_to=credit_chief,
    )
    hall = ServiceHall.objects.create(
        name="青川区政务服务中心", kind=HallKind.CENTRE, region=district, address="青川区青河大道88号"
    )
    intake = Window.objects.create(hall=hall, number="01", name="综合受理窗口", kind=WindowKind.GENERAL_INTAKE)
    intake.departments.set([department, other])
    own = Window.objects.create(hall=hall, number="02", name="市场监管窗口", kind=WindowKind.DEPARTMENT)
    own.departments.set([department])
    Window.objects.create(hall=hall, number="03", name="统一收费窗口", kind=WindowKind.FEE)
    users = {
        "handler": make_staff("chengban", "卢帆", department, handler, "handler"),
        "chief": make_staff("kezhang", "毛春娟", department, chief, "section_head"),
        "deputy_a": make_staff("fenguan", "林欣", department, deputy, "leader_in_charge"),
        "deputy_b": make_staff("fenguan2", "周婷", department, deputy, "leader_in_charge"),
        "deputy_gone": make_staff("fenguan3", "吴刚", department, deputy, "leader_in_charge", is_active=False),
        "head": make_staff("juzhang", "蔡梅", department, head, "unit_head"),
        "credit_chief": make_staff("kezhang2", "钱明", department, credit_chief, "section_head"),
    }
    return Org(
        district=district,
        street=street,
        communities=communities,
        department=department,
        other_department=other,
        registration=registration,
        credit=credit,
        head=head,
        deputy=deputy,
        chief=chief,
        handler=handler,
        credit_chief=credit_chief,
        credit_handler=credit_handler,
        hall=hall,
        windows=list(hall.windows.order_by("number")),
        users=users,
    )
