"""A district with two departments, their staff, two citizens, an enterprise and two licence types."""

from dataclasses import dataclass

import pytest

from tests.accounts.factories import credit_code, make_citizen, make_enterprise, make_staff, resident_id
from zhengwu.accounts.enums import Role
from zhengwu.accounts.models import User
from zhengwu.licences.domain import licence_issue
from zhengwu.licences.enums import LicenceTemplate
from zhengwu.licences.models import Licence, LicenceType
from zhengwu.org.enums import RegionLevel
from zhengwu.org.models import Department, Region

CITIZEN_ID = resident_id("37079919850412301")
OTHER_CITIZEN_ID = resident_id("37079919900101402")
ENTERPRISE_CODE = credit_code("91370799MA3C4D5E6")

FOOD_FIELDS = [
    {"key": "legal_representative", "label": "法定代表人（负责人）"},
    {"key": "premises", "label": "经营场所"},
    {"key": "business_form", "label": "主体业态"},
    {"key": "scope", "label": "经营项目"},
    {"key": "remarks", "label": "备注", "required": False},
]
FOOD_DATA = {
    "legal_representative": "李四",
    "premises": "青川区青河大道 18 号",
    "business_form": "食品销售经营者（便利店）",
    "scope": "预包装食品销售（含冷藏冷冻食品）",
}
SHOP_FIELDS = [
    {"key": "trade_name", "label": "名称"},
    {"key": "premises", "label": "经营场所"},
    {"key": "scope", "label": "经营范围"},
]
SHOP_DATA = {"trade_name": "青川区晓明百货店", "premises": "青川区文昌路 6 号", "scope": "日用百货零售"}


@dataclass
class World:
    department: Department
    other_department: Department
    food: LicenceType
    shop: LicenceType
    citizen: User
    other_citizen: User
    enterprise: User
    handler: User
    chief: User
    other_handler: User
    supervisor: User
    administrator: User


@pytest.fixture
def world(db, settings) -> World:
    settings.ZHENGWU_PUBLIC_URL = "https://zwfw.qingchuan.example.gov.cn"
    district = Region.objects.create(name="青川区", code="370799000000", level=RegionLevel.DISTRICT)
    department = Department.objects.create(
        name="区市场监督管理局", code="SCJG", credit_code=credit_code("11370799MB1000017"), region=district
    )
    other = Department.objects.create(
        name="区民政局", code="MZJ", credit_code=credit_code("11370799MB1000025"), region=district
    )
    food = LicenceType.objects.create(
        code="SPJY",
        name="食品经营许可证",
        department=department,
        validity_years=5,
        fields=FOOD_FIELDS,
        holder_label="经营者名称",
        for_legal_persons=True,
        for_natural_persons=False,
    )
    shop = LicenceType.objects.create(
        code="GTGSH",
        name="个体工商户营业执照",
        department=department,
        validity_years=None,
        fields=SHOP_FIELDS,
        holder_label="经营者",
        for_legal_persons=False,
        for_natural_persons=True,
        template_name=LicenceTemplate.LANDSCAPE,
    )
    return World(
        department=department,
        other_department=other,
        food=food,
        shop=shop,
        citizen=make_citizen(phone="13953600001", real_name="张晓明", id_number=CITIZEN_ID),
        other_citizen=make_citizen(phone="13953600002", real_name="王芳", id_number=OTHER_CITIZEN_ID),
        enterprise=make_enterprise(code=ENTERPRISE_CODE, name="青川区绿源农业科技有限公司", phone="13953600003"),
        handler=make_staff("chengban", department=department, display_name="卢帆", roles=(Role.HANDLER,)),
        chief=make_staff("kezhang", department=department, display_name="毛春娟", roles=(Role.SECTION_HEAD,)),
        other_handler=make_staff("minzheng", department=other, display_name="周婷", roles=(Role.HANDLER,)),
        supervisor=make_staff("jiancha", department=other, display_name="钱明", roles=(Role.SUPERVISOR,)),
        administrator=make_staff("guanli", department=other, display_name="系统管理员", roles=(Role.ADMINISTRATOR,)),
    )


def issue_food(world: World, **overrides) -> Licence:
    values = {"actor": world.handler, "licence_type": world.food, "holder": world.enterprise, "data": FOOD_DATA}
    return licence_issue(**{**values, **overrides})


def issue_shop(world: World, **overrides) -> Licence:
    values = {"actor": world.handler, "licence_type": world.shop, "holder": world.citizen, "data": SHOP_DATA}
    return licence_issue(**{**values, **overrides})


def pdf_bytes(licence: Licence) -> bytes:
    with licence.pdf.open("rb") as handle:
        return handle.read()
