"""Catalogue test data built through the domain functions."""

from tests.accounts.factories import make_department, make_staff
from zhengwu.accounts.enums import Role
from zhengwu.catalog.domain.versions import item_create, version_approve, version_submit
from zhengwu.catalog.models import ItemVersion


def guide_fields(**overrides) -> dict:
    fields = {
        "name": "食品经营许可证核发",
        "for_natural_persons": True,
        "for_legal_persons": True,
        "acceptance_conditions": "申请人具有与经营的食品品种、数量相适应的经营场所。",
        "process_description": "申请、受理、审查、决定、送达。",
        "limit_unit": "working",
        "statutory_limit_days": 20,
        "promised_limit_days": 5,
        "statutory_preset": "licence_decision",
        "handling_kind": "promised",
        "place": "区政务服务中心一楼 A05 窗口",
        "office_hours": "工作日 9:00-12:00，13:30-17:30",
        "consultation_phone": "0000-12345678",
        "complaint_phone": "0000-12345",
        "is_free": True,
        "online_payment": False,
        "result_name": "食品经营许可证",
        "result_kind": "licence",
        "visits_required": 0,
        "online_depth": 4,
        "handling_scope": "county",
        "express_delivery": True,
        "intermediary_services": "",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
    }
    return fields | overrides


MATERIALS = [
    {"name": "食品经营许可申请书", "form": "original", "copies": 1, "necessity": "required"},
    {"name": "营业执照", "form": "electronic", "copies": 1, "necessity": "required", "licence_type": "营业执照"},
    {"name": "法定代表人授权委托书", "form": "original", "necessity": "conditional", "condition": "委托他人办理的"},
]


class Curation:
    """A department with an editor and a legal reviewer."""

    def __init__(self):
        self.department = make_department("区市场监督管理局", "SC01")
        self.editor = make_staff(
            "editor", department=self.department, display_name="赵编辑", roles=(Role.CATALOG_EDITOR,)
        )
        self.reviewer = make_staff(
            "reviewer", department=self.department, display_name="钱审核", roles=(Role.LEGAL_REVIEWER,)
        )

    def draft(self, basic_code: str = "000201001000", **overrides) -> ItemVersion:
        return item_create(
            actor=self.editor,
            department=self.department,
            item_type="01",
            level="4",
            basic_code=basic_code,
            fields=guide_fields(**overrides),
            materials=MATERIALS,
        )

    def published(self, basic_code: str = "000201001000", **overrides) -> ItemVersion:
        version = version_submit(actor=self.editor, version=self.draft(basic_code, **overrides))
        return version_approve(actor=self.reviewer, version=version)
