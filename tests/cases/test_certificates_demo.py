"""The demo maps its licensing items to the demo licence types, once."""

import pytest

from tests.cases.outcome import granted, leader_of
from zhengwu.cases.certificates_demo import DEMO_ITEMS, certificates_demo_map, demo_field_sources
from zhengwu.cases.domain import case_certificate_issue
from zhengwu.cases.models import ItemCertificate
from zhengwu.catalog.models import ItemVersion
from zhengwu.licences.models import LicenceType

pytestmark = pytest.mark.django_db

FOOD_FIELDS = [
    {"key": "legal_representative", "label": "法定代表人（负责人）"},
    {"key": "premises", "label": "经营场所"},
]


def test_maps_items_by_name_once_and_the_mapping_issues(hall):
    ItemVersion.objects.filter(pk=hall.version.pk).update(name="食品经营许可证核发")
    LicenceType.objects.create(code="SPJY", name="食品经营许可证", department=hall.department, fields=FOOD_FIELDS)

    assert certificates_demo_map() == {"cases.itemcertificate": 1}
    assert certificates_demo_map() == {}

    mapping = ItemCertificate.objects.get()
    assert mapping.item == hall.version.item
    assert mapping.field_sources == {"legal_representative": "form:legal_representative", "premises": "form:premises"}
    case = granted(hall, leader_of(hall), form_data={"legal_representative": "李四", "premises": "青河大道 18 号"})
    licence = case_certificate_issue(actor=hall.handler, case=case)
    assert licence.data == {"legal_representative": "李四", "premises": "青河大道 18 号"}


def test_changed_mapping_is_restored(hall):
    ItemVersion.objects.filter(pk=hall.version.pk).update(name="食品经营许可证核发")
    food = LicenceType.objects.create(
        code="SPJY", name="食品经营许可证", department=hall.department, fields=FOOD_FIELDS
    )
    certificates_demo_map()
    ItemCertificate.objects.update(field_sources={"legal_representative": "fixed:某", "premises": "fixed:某"})

    assert certificates_demo_map() == {"cases.itemcertificate": 1}
    assert ItemCertificate.objects.get().field_sources == demo_field_sources(food)


def test_fixed_values_and_every_demo_type_is_named():
    shop = LicenceType(
        code="GTGSH", fields=[{"key": "trade_name", "label": "名称"}, {"key": "composition", "label": "组成形式"}]
    )
    assert demo_field_sources(shop) == {"trade_name": "form:trade_name", "composition": "fixed:个人经营"}
    assert set(DEMO_ITEMS.values()) == {"SPJY", "GTGSH", "JZSG", "DLYS", "NYJY"}
