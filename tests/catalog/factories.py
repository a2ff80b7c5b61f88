"""Catalogue test data built through the domain functions."""

from tests.accounts.factories import SYSTEM, make_department, make_staff
from zhengwu.accounts.enums import Role
from zhengwu.catalog.domain.themes import theme_create, theme_items_set
from zhengwu.catalog.domain.versions import (
    item_create,
    version_approve,
    version_draft_create,
    version_submit,
    version_update,
)
from zhengwu.catalog.models import ItemVersion, Theme


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


BIRTH_MATERIALS = [
    {"name": "居民身份证", "form": "original", "copies": 1, "necessity": "required", "licence_type": "居民身份证"},
    {"name": "户口簿", "form": "original", "copies": 1, "necessity": "required"},
    {"name": "出生医学证明", "form": "original", "copies": 1, "necessity": "required", "licence_type": "出生医学证明"},
]
INSURANCE_MATERIALS = [
    {"name": "身份证复印件", "form": "copy", "copies": 2, "necessity": "required"},
    {"name": "户口本（复印件）", "form": "copy", "copies": 1, "necessity": "required"},
    {"name": "银行卡", "form": "original", "copies": 1, "necessity": "conditional", "condition": "选择银行代扣缴费的"},
]


def publish(cur: Curation, basic_code: str, *, materials=None, fees=(), steps=(), **overrides) -> ItemVersion:
    """Create, submit and approve an item with its own materials (and fees and steps)."""
    version = item_create(
        actor=cur.editor,
        department=cur.department,
        item_type=overrides.pop("item_type", "01"),
        level="4",
        basic_code=basic_code,
        fields=guide_fields(**overrides),
        materials=materials if materials is not None else BIRTH_MATERIALS,
        fees=fees,
        steps=steps,
    )
    version = version_submit(actor=cur.editor, version=version)
    return version_approve(actor=cur.reviewer, version=version)


def republish(cur: Curation, version: ItemVersion, **fields) -> ItemVersion:
    """A new version of an item, published through review (the old one becomes superseded)."""
    draft = version_draft_create(actor=cur.editor, item=version.item)
    draft = version_update(actor=cur.editor, version=draft, fields=fields)
    draft = version_submit(actor=cur.editor, version=draft)
    return version_approve(actor=cur.reviewer, version=draft)


def make_theme(kind: str, slug: str, name: str, versions, *, position: int = 0, description: str = "") -> Theme:
    theme = theme_create(actor=SYSTEM, kind=kind, slug=slug, name=name, position=position, description=description)
    theme_items_set(actor=SYSTEM, theme=theme, items=[version.item for version in versions])
    return theme


def newborn_scenario(cur: Curation) -> tuple[Theme, ItemVersion, ItemVersion]:
    """新生儿出生一件事: two published items that share 居民身份证 and 户口簿 under different names."""
    birth = publish(
        cur,
        "000207001000",
        name="出生登记（户口登记）",
        item_type="07",
        result_name="户口簿",
        result_kind="other",
        materials=BIRTH_MATERIALS,
    )
    insurance = publish(
        cur,
        "002005001000",
        name="城乡居民基本医疗保险参保登记",
        item_type="20",
        result_name="参保凭证",
        result_kind="other",
        materials=INSURANCE_MATERIALS,
    )
    theme = make_theme("scenario", "newborn", "新生儿出生一件事", [birth, insurance])
    return theme, birth, insurance
