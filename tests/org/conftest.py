"""A small organisation: one district, one street, one department with a full reporting line and its staff."""

from dataclasses import dataclass

import pytest

from tests.accounts.factories import credit_code, make_staff_record
from zhengwu.accounts.models import User
from zhengwu.org.enums import HallKind, PositionRank, RegionLevel, WindowKind
from zhengwu.org.models import Department, Position, Region, Section, ServiceHall, Window


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
    staff = [  # key, username, name, position, role; employee numbers E0001… in this order
        ("handler", "chengban", "卢帆", handler, "handler"),
        ("chief", "kezhang", "毛春娟", chief, "section_head"),
        ("deputy_a", "fenguan", "林欣", deputy, "leader_in_charge"),
        ("deputy_b", "fenguan2", "周婷", deputy, "leader_in_charge"),
        ("deputy_gone", "fenguan3", "吴刚", deputy, "leader_in_charge"),
        ("head", "juzhang", "蔡梅", head, "unit_head"),
        ("credit_chief", "kezhang2", "钱明", credit_chief, "section_head"),
    ]
    users = {
        key: make_staff_record(
            username,
            name,
            department,
            role,
            position=position,
            employee_number=f"E{number:04d}",
            is_active=key != "deputy_gone",
        )
        for number, (key, username, name, position, role) in enumerate(staff, start=1)
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
