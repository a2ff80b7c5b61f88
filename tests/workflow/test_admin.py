"""Admin: upload a BPMN file (validated by the domain function), see its diagram, read instances and tasks."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.accounts.pages import field_errors
from tests.workflow.conftest import make_subject
from zhengwu.audit.models import AuditEvent
from zhengwu.workflow import diagram
from zhengwu.workflow.domain import process_start, shipped_process_definition, task_complete
from zhengwu.workflow.models import ProcessDefinition

pytestmark = pytest.mark.django_db

BPMN = (Path(diagram.__file__).resolve().parent / "bpmn" / "parallel_approval.bpmn").read_bytes()


def _upload(admin_client, content: bytes, key: str = "joint_review", name: str = ""):
    return admin_client.post(
        reverse("admin:workflow_processdefinition_add"),
        {"key": key, "name": name, "bpmn_file": SimpleUploadedFile("flow.bpmn", content, "application/xml")},
    )


def test_uploading_a_bpmn_file_creates_version_one_with_one_audit_event(admin_client, admin_user):
    response = _upload(admin_client, BPMN, name="并联审批（测试）")
    assert response.status_code == 302
    definition = ProcessDefinition.objects.get()
    assert (definition.key, definition.version, definition.name, definition.created_by) == (
        "joint_review",
        1,
        "并联审批（测试）",
        admin_user,
    )
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["workflow.definition.created"]


def test_a_bad_file_is_refused_on_the_form_and_nothing_is_stored(admin_client):
    response = _upload(
        admin_client, b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>"
    )
    assert response.status_code == 200
    assert field_errors(response.content.decode(), "bpmn_file") == ["BPMN 文件不得包含 DOCTYPE 或实体声明。"]
    response = _upload(admin_client, BPMN, key="坏标识")
    assert field_errors(response.content.decode(), "key") == [
        "流程标识只能包含小写字母、数字、下划线和连字符，以字母开头，最长 64 个字符。"
    ]
    assert ProcessDefinition.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_uploading_the_same_content_again_is_refused_on_the_form(admin_client):
    _upload(admin_client, BPMN)
    response = _upload(admin_client, BPMN)
    assert field_errors(response.content.decode(), "bpmn_file") == ["内容与现有版本 v1 相同，无需重复上传。"]
    assert ProcessDefinition.objects.count() == 1


def test_the_definition_page_shows_the_diagram_lanes_tasks_and_instances(admin_client, county, frozen):
    definition = shipped_process_definition("parallel_approval")
    instance = process_start(
        actor=county["clerk"],
        definition=definition,
        subject=make_subject(),
        department=county.approval,
        lane_map={"协办部门审查": county.civil},
    )
    html = admin_client.get(reverse("admin:workflow_processdefinition_change", args=[definition.pk])).content.decode()
    assert f'<img src="/workbench/workflow/definitions/{definition.pk}/diagram.svg"' in html
    assert "<td>review_co</td><td>协办部门审查</td><td>协办部门审查:handler</td><td>10</td>" in html
    assert "<td>协办部门审查:handler</td><td>协办部门审查</td><td>启动时指定</td><td>承办人</td>" in html
    assert f'href="/admin/workflow/processinstance/{instance.pk}/change/"' in html
    assert "workflow/diagram.css" in html
    assert 'name="_save"' not in html  # versions are read-only


def test_the_instance_page_shows_progress_and_its_tasks(admin_client, county, frozen):
    instance = process_start(
        actor=county["clerk"],
        definition=shipped_process_definition("parallel_approval"),
        subject=make_subject(),
        department=county.approval,
        lane_map={"协办部门审查": county.civil},
    )
    task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    html = admin_client.get(reverse("admin:workflow_processinstance_change", args=[instance.pk])).content.decode()
    assert f'<img src="/workbench/workflow/instances/{instance.pk}/diagram.svg"' in html
    assert "已办理" in html and "办理中" in html
    assert html.count("协办部门审查") >= 2
    assert "字节（不含流程规格）" in html


CHANGELISTS = {"processdefinition": 6, "processinstance": 8, "worktask": 8}  # incl. session, user, filters


@pytest.mark.parametrize("model", sorted(CHANGELISTS))
def test_changelist_query_count_is_pinned_and_independent_of_rows(
    model, admin_client, county, frozen, django_assert_num_queries
):
    def run(n):
        definition = shipped_process_definition("default_licensing")
        for _ in range(n):
            process_start(
                actor=county["clerk"], definition=definition, subject=make_subject(), department=county.approval
            )

    run(1)
    url = reverse(f"admin:workflow_{model}_changelist")
    admin_client.get(url)
    with django_assert_num_queries(CHANGELISTS[model]):
        assert admin_client.get(url).status_code == 200
    run(5)
    shipped_process_definition("countersign_review")
    with django_assert_num_queries(CHANGELISTS[model]):
        assert admin_client.get(url).status_code == 200
