"""Admin: which licence an item's granted cases produce; the case result rows are read-only."""

import json

import pytest
from django.urls import reverse

from tests.cases.outcome import SOURCES, food_type
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.models import ItemCertificate

pytestmark = pytest.mark.django_db


def test_item_certificate_is_edited_in_the_admin_and_audited(admin_client, hall):
    food = food_type(hall)
    assert admin_client.get(reverse("admin:cases_itemcertificate_add")).status_code == 200

    response = admin_client.post(
        reverse("admin:cases_itemcertificate_add"),
        {"item": hall.version.item_id, "licence_type": food.pk, "field_sources": json.dumps(SOURCES)},
    )

    assert response.status_code == 302
    mapping = ItemCertificate.objects.get()
    assert (mapping.item, mapping.licence_type, mapping.field_sources) == (hall.version.item, food, SOURCES)
    assert AuditEvent.objects.filter(object_type="cases.itemcertificate", object_id=str(mapping.pk)).count() == 1


def test_item_certificate_rules_are_checked_in_the_admin(admin_client, hall):
    food = food_type(hall)
    sources = {key: value for key, value in SOURCES.items() if key != "premises"}

    response = admin_client.post(
        reverse("admin:cases_itemcertificate_add"),
        {"item": hall.version.item_id, "licence_type": food.pk, "field_sources": json.dumps(sources)},
    )

    assert response.status_code == 200
    assert "必填信息项没有取值规则：经营场所。" in response.content.decode()
    assert not ItemCertificate.objects.exists()


@pytest.mark.parametrize("model", ["casecertificate", "casedecisiondocument", "casedelivery"])
def test_case_result_rows_are_read_only(admin_client, model):
    assert admin_client.get(reverse(f"admin:cases_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:cases_{model}_add")).status_code == 403
