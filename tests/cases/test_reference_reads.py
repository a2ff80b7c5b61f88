"""What every case reads of the catalogue, the item's configuration and the departments is read afresh where it can
change and kept per process only where it cannot (ADR 0019, sixth pass): a change made through its domain function
(or the admin's save) shows in the very next case."""

from datetime import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.cases.outcome import FORM, SOURCES, food_type
from zhengwu.cases.domain import case_submit_online
from zhengwu.cases.domain.certificates import item_certificate_map
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
from zhengwu.cases.models import Case, CaseMaterial, ItemProcess
from zhengwu.catalog.domain.versions import (
    version_approve,
    version_draft_create,
    version_submit,
    version_update,
    version_withdraw,
)
from zhengwu.catalog.enums import VersionState
from zhengwu.org.enums import RegionLevel
from zhengwu.org.models import Region
from zhengwu.workflow.domain import shipped_process_definition
from zhengwu.workflow.enums import OPEN_TASK_STATES
from zhengwu.workflow.models import ProcessInstance, WorkTask

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_default_timezone())
REFUSED = {"item_version": ["该事项版本未发布或已停用，不能申请。"]}


def online(hall, version=None, materials=None, form_data=None) -> Case:
    return case_submit_online(
        applicant=hall.enterprise,
        item_version=version or hall.version,
        materials=hall.full_materials() if materials is None else materials,
        form_data=form_data,
    )


def open_task(case: Case, bpmn_id: str) -> WorkTask:
    return WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id=bpmn_id, state__in=sorted(OPEN_TASK_STATES))


def test_withdrawing_the_version_refuses_the_next_application(hall):
    online(hall)  # the version's materials are now kept by this process

    version_withdraw(actor=hall.curation.editor, version=hall.version, reason="事项调整，暂停办理")

    with pytest.raises(ValidationError) as error:
        online(hall)
    assert error.value.message_dict == REFUSED
    assert Case.objects.count() == 1


def test_a_new_version_supersedes_the_old_one_and_its_own_materials_are_asked(hall):
    online(hall)
    cur = hall.curation
    draft = version_draft_create(actor=cur.editor, item=hall.version.item)
    draft = version_update(
        actor=cur.editor,
        version=draft,
        fields={},
        materials=[
            {"name": "食品经营许可申请书", "form": "original", "copies": 1, "necessity": "required"},
            {"name": "经营场所使用证明", "form": "copy", "copies": 1, "necessity": "required"},
        ],
    )
    new = version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=draft))

    with pytest.raises(ValidationError) as error:
        online(hall)  # the superseded version
    assert error.value.message_dict == REFUSED
    with pytest.raises(ValidationError) as error:
        online(hall, version=new)  # the old version's materials
    assert error.value.message_dict == {"materials": ["所提交的材料不属于该事项。"]}

    form, premises = new.materials.order_by("position")
    case = online(
        hall,
        version=new,
        materials=[{"material": form, "file": hall.pdf("form")}, {"material": premises, "file": hall.pdf("p")}],
    )
    assert list(CaseMaterial.objects.filter(case=case).order_by("position").values_list("name", "item_material")) == [
        ("食品经营许可申请书", form.pk),
        ("经营场所使用证明", premises.pk),
    ]


def test_editing_a_draft_changes_its_materials_at_once(hall):
    from zhengwu.catalog.domain.reads import version_materials

    cur = hall.curation
    draft = version_draft_create(actor=cur.editor, item=hall.version.item)
    assert [m.name for m in version_materials(draft)] == ["食品经营许可申请书", "营业执照", "法定代表人授权委托书"]

    draft = version_update(
        actor=cur.editor, version=draft, fields={}, materials=[{"name": "申请书", "necessity": "required"}]
    )

    assert draft.state == VersionState.DRAFT
    assert [m.name for m in version_materials(draft)] == ["申请书"]


def test_mapping_the_item_to_a_licence_changes_the_next_application_form(hall):
    online(hall)  # no mapping: no form entries
    licence_type = food_type(hall)
    item_certificate_map(item=hall.version.item, licence_type=licence_type, field_sources=SOURCES)

    with pytest.raises(ValidationError) as error:
        online(hall)
    assert error.value.message_dict == {
        "legal_representative": ["请填写法定代表人（负责人）。"],
        "premises": ["请填写经营场所。"],
        "scope": ["请填写经营项目。"],
    }

    item_certificate_map(
        item=hall.version.item,
        licence_type=licence_type,
        field_sources=SOURCES | {"legal_representative": "applicant:name", "premises": "fixed:见营业执照"},
    )

    case = online(hall, form_data={"scope": " 预包装食品销售 "})
    assert case.form_data == {"scope": "预包装食品销售"}


def test_changing_a_licence_types_fields_changes_the_next_application_form(hall):
    licence_type = food_type(hall)
    item_certificate_map(item=hall.version.item, licence_type=licence_type, field_sources=SOURCES)
    online(hall, form_data=FORM)

    licence_type.fields = [dict(spec, required=False) for spec in licence_type.fields]
    licence_type.save()  # the admin's save

    assert online(hall).form_data == {}


def test_assigning_a_process_to_the_item_runs_it_for_the_next_case(hall):
    first = online(hall)
    case_accept_and_start(actor=hall.handler, case=first)
    mapping = ItemProcess.objects.create(
        item=hall.version.item, definition=shipped_process_definition("parallel_approval")
    )
    mapping.co_departments.add(hall.other_department)  # the admin's save

    second = online(hall)
    case_accept_and_start(actor=hall.handler, case=second)

    keys = dict(ProcessInstance.objects.values_list("object_id", "definition__key"))
    assert keys == {str(first.pk): "default_licensing", str(second.pk): "parallel_approval"}
    assert open_task(second, "review_co").department == hall.other_department

    mapping.co_departments.clear()
    third = online(hall)
    with pytest.raises(ValidationError) as error:
        case_accept_and_start(actor=hall.handler, case=third)
    assert error.value.messages == [
        "事项办理流程“并联审批（一门受理、同步审查）”有 1 个协办泳道，但配置了 0 个协办部门。"
    ]

    mapping.definition = shipped_process_definition("default_licensing")
    mapping.save()
    case_accept_and_start(actor=hall.handler, case=third)
    assert ProcessInstance.objects.get(object_id=str(third.pk)).definition.key == "default_licensing"
    assert open_task(third, "review").department == hall.department


@time_machine.travel(MONDAY, tick=False)
def test_a_department_changed_between_two_steps_shows_in_the_next_step(hall):
    case = online(hall)
    case_accept_and_start(actor=hall.handler, case=case)
    review = open_task(case, "review")
    assert review.clock.region_id == hall.department.region_id

    region = Region.objects.create(name="新区", code="330109000000", level=RegionLevel.DISTRICT)
    department = hall.department
    department.name, department.region = "区市场监管局（新）", region
    department.save()  # the admin's save

    case_task_complete(actor=hall.handler, task=review, outcome="approve", comment="同意")

    decide = WorkTask.objects.select_related("department", "clock").get(pk=open_task(case, "decide").pk)
    assert (decide.department.name, decide.clock.region_id) == ("区市场监管局（新）", region.pk)
