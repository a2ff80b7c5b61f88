"""Admin: which process an item runs, with its co-departments; decisions are read-only."""

import pytest
from django.urls import reverse

from zhengwu.audit.models import AuditEvent
from zhengwu.cases.models import ItemProcess
from zhengwu.workflow.domain import shipped_process_definition
from zhengwu.workflow.models import ProcessDefinition

pytestmark = pytest.mark.django_db


def test_item_process_is_edited_in_the_admin_and_audited(admin_client, hall):
    parallel = shipped_process_definition("parallel_approval")
    assert admin_client.get(reverse("admin:cases_itemprocess_add")).status_code == 200

    response = admin_client.post(
        reverse("admin:cases_itemprocess_add"),
        {"item": hall.version.item_id, "definition": parallel.pk, "co_departments": [hall.other_department.pk]},
    )

    assert response.status_code == 302
    mapping = ItemProcess.objects.get()
    assert (mapping.item, mapping.definition, list(mapping.co_departments.all())) == (
        hall.version.item,
        parallel,
        [hall.other_department],
    )
    assert AuditEvent.objects.filter(object_type="cases.itemprocess", object_id=str(mapping.pk)).count() == 1


def test_item_process_needs_a_decision_step(admin_client, hall):
    countersign = shipped_process_definition("countersign_review")
    assert countersign.user_task("decide") is not None  # the shipped flows all end with 决定
    no_decision = ProcessDefinition.objects.create(
        key="no_decide",
        version=1,
        name="无决定环节",
        process_id="x",
        bpmn_xml="<x/>",
        bpmn_sha256="0" * 64,
        spec_json="{}",
        spec_sha256="0" * 64,
        user_tasks=[{"id": "review", "name": "审查", "lane": "审查:handler"}],
        created_at=countersign.created_at,
    )
    response = admin_client.post(
        reverse("admin:cases_itemprocess_add"), {"item": hall.version.item_id, "definition": no_decision.pk}
    )
    assert response.status_code == 200
    assert "办件流程必须有 ID 为“decide”的决定环节。" in response.content.decode()
    assert not ItemProcess.objects.exists()
    assert admin_client.get(reverse("admin:cases_casedecision_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:cases_casedecision_add")).status_code == 403
