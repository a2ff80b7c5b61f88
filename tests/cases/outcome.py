"""Decided cases for the certificate, delivery and completion tests: the food-business item of the `hall`
fixture maps to a 食品经营许可证 filled from the application form, the applicant and fixed values."""

from __future__ import annotations

from tests.accounts.factories import make_staff
from tests.cases.conftest import Hall
from zhengwu.accounts.enums import Role
from zhengwu.cases.domain import case_submit_online
from zhengwu.cases.domain.certificates import item_certificate_map
from zhengwu.cases.domain.intake import case_register_at_window
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
from zhengwu.cases.enums import DecisionOutcome
from zhengwu.cases.models import Case, ItemCertificate
from zhengwu.licences.models import LicenceType
from zhengwu.workflow.enums import OPEN_TASK_STATES
from zhengwu.workflow.models import WorkTask

BASIS = "《食品经营许可和备案管理办法》第十四条"
FOOD_FIELDS = [
    {"key": "legal_representative", "label": "法定代表人（负责人）"},
    {"key": "premises", "label": "经营场所"},
    {"key": "business_form", "label": "主体业态"},
    {"key": "scope", "label": "经营项目"},
    {"key": "remarks", "label": "备注", "required": False},
]
SOURCES = {
    "legal_representative": "form:legal_representative",
    "premises": "form:premises",
    "business_form": "fixed:食品销售经营者",
    "scope": "form:scope",
    "remarks": "case:number",
}
FORM = {"legal_representative": "李四", "premises": "青川区青河大道 18 号", "scope": "预包装食品销售"}


def food_type(hall: Hall) -> LicenceType:
    return LicenceType.objects.create(
        code="SPJY",
        name="食品经营许可证",
        department=hall.department,
        validity_years=5,
        fields=FOOD_FIELDS,
        holder_label="经营者名称",
    )


def map_food(hall: Hall) -> ItemCertificate:
    return item_certificate_map(item=hall.version.item, licence_type=food_type(hall), field_sources=SOURCES)


def leader_of(hall: Hall):
    return make_staff("fenguan", department=hall.department, display_name="高建国", roles=(Role.LEADER_IN_CHARGE,))


def open_task(case: Case, bpmn_id: str) -> WorkTask:
    return WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id=bpmn_id, state__in=sorted(OPEN_TASK_STATES))


def decide(hall: Hall, case: Case, leader, outcome: str = DecisionOutcome.GRANT) -> Case:
    case_accept_and_start(actor=hall.handler, case=case)
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="approve")
    reasons = "材料齐全，符合法定条件。" if outcome == DecisionOutcome.GRANT else "经营场所与有毒有害场所距离不足。"
    case_task_complete(
        actor=leader, task=open_task(case, "decide"), outcome=outcome, reasons=reasons, legal_basis=BASIS
    )
    case.refresh_from_db()
    return case


def online_case(hall: Hall, applicant=None, form_data=None) -> Case:
    return case_submit_online(
        applicant=applicant or hall.enterprise,
        item_version=hall.version,
        materials=hall.full_materials(),
        form_data=FORM if form_data is None else form_data,
    )


def walk_in_case(hall: Hall, credit_code: str, name: str = "青川绿源农业科技有限公司") -> Case:
    return case_register_at_window(
        clerk=hall.clerk,
        item_version=hall.version,
        applicant_snapshot={"kind": "legal", "name": name, "id_number": credit_code, "phone": "13953600003"},
        materials=hall.full_materials(),
        form_data=FORM,
    )


def granted(hall: Hall, leader, **kwargs) -> Case:
    return decide(hall, online_case(hall, **kwargs), leader)


def denied(hall: Hall, leader, **kwargs) -> Case:
    return decide(hall, online_case(hall, **kwargs), leader, DecisionOutcome.DENY)
