"""Curation (事项梳理): items are versioned; drafts are edited, reviewed, then published.

Published versions never change; a change to a published guide is a new draft that goes through
review again. Cases keep a foreign key to the version they were filed under.
"""

import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.catalog import rules
from zhengwu.catalog.domain.codes import basic_code_error, implementation_code_build, implementation_code_error
from zhengwu.catalog.enums import (
    EDITABLE_STATES,
    OPEN_STATES,
    ExerciseLevel,
    HandlingKind,
    HandlingScope,
    ItemType,
    MaterialForm,
    MaterialNecessity,
    MaterialSource,
    OnlineDepth,
    ResultKind,
    VersionState,
)
from zhengwu.catalog.models import FeeItem, ItemMaterial, ItemVersion, ProcessStep, ServiceItem
from zhengwu.catalog.signals import version_published, version_withdrawn
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.presets import get_preset

# Guide fields a version carries, in display order. Files are handled separately.
VERSION_FIELDS: tuple[str, ...] = (
    "name",
    "for_natural_persons",
    "for_legal_persons",
    "acceptance_conditions",
    "process_description",
    "limit_unit",
    "statutory_limit_days",
    "promised_limit_days",
    "statutory_preset",
    "handling_kind",
    "place",
    "office_hours",
    "consultation_phone",
    "complaint_phone",
    "is_free",
    "online_payment",
    "result_name",
    "result_kind",
    "visits_required",
    "online_depth",
    "handling_scope",
    "express_delivery",
    "intermediary_services",
    "legal_basis",
)
REQUIRED_TEXT_FIELDS = (
    "name",
    "acceptance_conditions",
    "place",
    "office_hours",
    "consultation_phone",
    "complaint_phone",
    "result_name",
    "legal_basis",
)
MATERIAL_FIELDS = ("name", "source", "form", "copies", "necessity", "condition", "licence_type", "notes")
# Optional keys of a material dict: a stored file name to keep, an uploaded File to store, or "" for none.
MATERIAL_FILE_FIELDS = ("blank_form", "sample")
FEE_FIELDS = ("name", "standard_amount", "unit", "legal_basis")
STEP_FIELDS = ("name", "description", "limit_days")

_CHOICES = {
    "limit_unit": DeadlineUnit,
    "handling_kind": HandlingKind,
    "result_kind": ResultKind,
    "handling_scope": HandlingScope,
}


# Files attached to guides (blank forms, filled samples, result samples): checked by name, size and content.
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word and Excel files
UPLOAD_KINDS: dict[str, str] = {
    "pdf": "PDF",
    "doc": "Word",
    "docx": "Word",
    "xls": "Excel",
    "xlsx": "Excel",
    "jpg": "JPG",
    "jpeg": "JPG",
    "png": "PNG",
}


def _sniff(upload: File, extension: str) -> bool:
    """Whether the file's content is what its extension claims (magic bytes; zip members for docx/xlsx)."""
    upload.seek(0)
    head = upload.read(8)
    try:
        if extension == "pdf":
            return head.startswith(b"%PDF-")
        if extension in ("doc", "xls"):
            return head == _OLE2
        if extension in ("jpg", "jpeg"):
            return head.startswith(b"\xff\xd8\xff")
        if extension == "png":
            return head == b"\x89PNG\r\n\x1a\n"
        if extension in ("docx", "xlsx"):
            if not head.startswith(b"PK\x03\x04"):
                return False
            upload.seek(0)
            member = "word/document.xml" if extension == "docx" else "xl/workbook.xml"
            with zipfile.ZipFile(upload) as archive:
                return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return False


def uploaded_file_error(upload: File) -> str | None:
    """Why an uploaded attachment is refused (Chinese), or None: type by extension and content, at most 10 MB."""
    name = str(getattr(upload, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in UPLOAD_KINDS:
        shown = f"“.{extension}”" if extension else "无扩展名"
        return f"不支持的文件类型（{shown}），仅限 PDF、Word（doc、docx）、Excel（xls、xlsx）、JPG、PNG 文件。"
    size = upload.size or 0
    if size > UPLOAD_MAX_BYTES:
        return f"文件过大（{size / 1024 / 1024:.1f} MB），单个文件不得超过 10 MB。"
    if size == 0:
        return "文件为空。"
    if not _sniff(upload, extension):
        return f"文件内容与扩展名“.{extension}”不符，请上传真实的 {UPLOAD_KINDS[extension]} 文件。"
    return None


def _is_upload(value: Any) -> bool:
    return isinstance(value, File) and not isinstance(value, FieldFile)


def _file_value(value: Any) -> Any:
    """What a FileField is set to: an upload as is, a stored file by name, nothing as ""."""
    if _is_upload(value):
        return value
    if isinstance(value, FieldFile):
        return value.name or ""
    return str(value or "")


def _summary(version: ItemVersion) -> dict:
    return {"number": version.number, "state": version.state, "name": version.name}


def _is_trusted_loader(actor: Any) -> bool:
    """System actors (demo, migrations) and administrators loading legacy lists."""
    return (isinstance(actor, str) and actor.startswith("system:")) or rules.can_publish_imports(actor)


def _require_editor(actor: Any, department_id: int) -> None:
    if not (_is_trusted_loader(actor) or rules.can_edit_department_items(actor, department_id)):
        raise ValidationError("您没有编辑该部门事项的权限。")


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def version_fields_validate(fields: dict) -> dict[str, str]:
    """Field-level problems in a version's guide fields (Chinese messages), empty if none."""
    errors: dict[str, str] = {}
    for name in REQUIRED_TEXT_FIELDS:
        if not str(fields.get(name) or "").strip():
            errors[name] = "此项为必填项。"
    for name, enum in _CHOICES.items():
        if fields.get(name) not in enum.values:
            errors[name] = f"请选择有效的选项（{'、'.join(str(label) for label in enum.labels)}）。"
    if _as_int(fields.get("online_depth")) not in OnlineDepth.values:
        errors["online_depth"] = "网上办理深度应为 1 至 4（Ⅳ级为全程网办）。"
    statutory = _as_int(fields.get("statutory_limit_days"))
    promised = _as_int(fields.get("promised_limit_days"))
    if statutory is None or statutory < 0:
        errors["statutory_limit_days"] = "法定办结时限应为不小于 0 的整数（天）。"
    if promised is None or promised < 0:
        errors["promised_limit_days"] = "承诺办结时限应为不小于 0 的整数（天）。"
    elif statutory is not None and promised > statutory:
        errors["promised_limit_days"] = f"承诺办结时限（{promised} 天）不得超过法定办结时限（{statutory} 天）。"
    visits = _as_int(fields.get("visits_required"))
    if visits is None or not 0 <= visits <= 9:
        errors["visits_required"] = "到办事现场次数应为 0 至 9 的整数。"
    if not fields.get("for_natural_persons") and not fields.get("for_legal_persons"):
        errors["for_natural_persons"] = "服务对象至少选择自然人或法人之一。"
    if fields.get("handling_kind") == HandlingKind.IMMEDIATE and promised not in (None, 0, 1):
        errors["promised_limit_days"] = "即办件的承诺时限应为 0 或 1 天（当场办结）。"
    preset = fields.get("statutory_preset") or ""
    if preset:
        try:
            found = get_preset(preset)
        except KeyError:
            errors["statutory_preset"] = "未知的法定时限预设。"
        else:
            if found.unit != fields.get("limit_unit"):
                errors["limit_unit"] = f"时限单位应与所选法定时限一致（{found.unit.label}）。"
    if fields.get("online_payment") and fields.get("is_free"):
        errors["online_payment"] = "不收费事项无需网上支付。"
    return errors


def materials_validate(materials: list[dict]) -> dict[int, dict[str, str]]:
    errors: dict[int, dict[str, str]] = {}
    seen: set[str] = set()
    for index, material in enumerate(materials):
        problems: dict[str, str] = {}
        name = str(material.get("name") or "").strip()
        if not name:
            problems["name"] = "材料名称为必填项。"
        elif name in seen:
            problems["name"] = "材料名称重复。"
        seen.add(name)
        if material.get("source", MaterialSource.APPLICANT) not in MaterialSource.values:
            problems["source"] = "来源渠道无效。"
        if material.get("form", MaterialForm.ORIGINAL) not in MaterialForm.values:
            problems["form"] = "材料形式无效。"
        copies = _as_int(material.get("copies", 1))
        if copies is None or not 1 <= copies <= 99:
            problems["copies"] = "份数应为 1 至 99 的整数。"
        necessity = material.get("necessity", MaterialNecessity.REQUIRED)
        if necessity not in MaterialNecessity.values:
            problems["necessity"] = "必要性无效。"
        elif necessity == MaterialNecessity.CONDITIONAL and not str(material.get("condition") or "").strip():
            problems["condition"] = "情形必要的材料须写明适用情形。"
        for key in MATERIAL_FILE_FIELDS:
            if _is_upload(material.get(key)):
                problem = uploaded_file_error(material[key])
                if problem:
                    problems[key] = problem
        if problems:
            errors[index] = problems
    return errors


def fees_validate(fees: list[dict], *, is_free: bool) -> dict[int, dict[str, str]]:
    errors: dict[int, dict[str, str]] = {}
    if is_free and fees:
        return {0: {"name": "不收费事项不能设置收费项目。"}}
    if not is_free and not fees:
        return {0: {"name": "收费事项至少需要一个收费项目（含依据和标准）。"}}
    for index, fee in enumerate(fees):
        problems: dict[str, str] = {}
        if not str(fee.get("name") or "").strip():
            problems["name"] = "收费项目名称为必填项。"
        if not str(fee.get("legal_basis") or "").strip():
            problems["legal_basis"] = "收费依据为必填项。"
        try:
            amount = Decimal(str(fee.get("standard_amount")))
            if amount < 0 or amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems["standard_amount"] = "收费标准应为不小于 0 的金额（最多两位小数）。"
        if problems:
            errors[index] = problems
    return errors


def _clean_fields(fields: dict) -> dict:
    cleaned = {name: fields[name] for name in VERSION_FIELDS if name in fields}
    for name in ("statutory_limit_days", "promised_limit_days", "visits_required", "online_depth"):
        if name in cleaned:
            cleaned[name] = int(cleaned[name])
    for name in (*REQUIRED_TEXT_FIELDS, "process_description", "intermediary_services", "statutory_preset"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    return cleaned


def _raise_if(errors: dict, materials_errors: dict, fees_errors: dict) -> None:
    if not (errors or materials_errors or fees_errors):
        return
    flat = dict(errors)
    for index, problems in materials_errors.items():
        for field, message in problems.items():
            flat[f"materials-{index}-{field}"] = message
    for index, problems in fees_errors.items():
        for field, message in problems.items():
            flat[f"fees-{index}-{field}"] = message
    raise ValidationError(flat)


def _material(version: ItemVersion, position: int, data: dict) -> ItemMaterial:
    material = ItemMaterial(version=version, position=position, **{k: data[k] for k in MATERIAL_FIELDS if k in data})
    for key in MATERIAL_FILE_FIELDS:
        if key in data:
            setattr(material, key, _file_value(data[key]))
    return material


def _material_files(materials: list[ItemMaterial]) -> dict[str, dict[str, str]]:
    """Stored file names by material position, for audit records."""
    return {
        str(m.position): {key: getattr(m, key).name for key in MATERIAL_FILE_FIELDS if getattr(m, key)}
        for m in materials
        if m.blank_form or m.sample
    }


def _replace_children(version: ItemVersion, materials, fees, steps) -> list[ItemMaterial] | None:
    """Replace the given child lists; returns the new materials (None when materials were not given)."""
    created = None
    if materials is not None:
        version.materials.all().delete()
        # bulk_create runs FileField.pre_save, which stores uploads under upload_to.
        created = ItemMaterial.objects.bulk_create(_material(version, i, m) for i, m in enumerate(materials))
    if fees is not None:
        version.fees.all().delete()
        FeeItem.objects.bulk_create(
            FeeItem(version=version, position=i, **{k: f[k] for k in FEE_FIELDS if k in f}) for i, f in enumerate(fees)
        )
    if steps is not None:
        version.steps.all().delete()
        ProcessStep.objects.bulk_create(
            ProcessStep(version=version, position=i, **{k: s[k] for k in STEP_FIELDS if k in s})
            for i, s in enumerate(steps)
        )
    return created


def item_create(
    *,
    actor: Any,
    department,
    item_type: str,
    level: str,
    basic_code: str,
    fields: dict,
    materials: list[dict] = (),
    fees: list[dict] = (),
    steps: list[dict] = (),
    implementation_code: str = "",
) -> ItemVersion:
    """Create an item with its first version as a draft."""
    _require_editor(actor, department.pk)
    errors: dict[str, str] = {}
    if item_type not in ItemType.values:
        errors["item_type"] = "事项类型无效。"
    if level not in ExerciseLevel.values:
        errors["level"] = "行使层级无效。"
    basic_code = (basic_code or "").strip().upper()
    problem = basic_code_error(basic_code)
    if problem:
        errors["basic_code"] = problem
    code = (implementation_code or "").strip().upper() or implementation_code_build(
        credit_code=department.credit_code, level=level, basic_code=basic_code
    )
    if not errors:
        problem = implementation_code_error(
            code, credit_code=department.credit_code, level=level, basic_code=basic_code
        )
        if problem:
            errors["implementation_code"] = problem
        elif ServiceItem.objects.filter(implementation_code=code).exists():
            errors["implementation_code"] = "该实施编码的事项已存在。"
    materials, fees, steps = list(materials), list(fees), list(steps)
    errors.update(version_fields_validate(fields))
    _raise_if(errors, materials_validate(materials), fees_validate(fees, is_free=bool(fields.get("is_free"))))
    with audited_atomic():
        item = ServiceItem.objects.create(
            implementation_code=code, basic_code=basic_code, item_type=item_type, level=level, department=department
        )
        version = ItemVersion.objects.create(
            item=item, number=1, created_by=_user_or_none(actor), **_clean_fields(fields)
        )
        _replace_children(version, materials, fees, steps)
        audit_record(actor=actor, action="catalog.item_created", obj=version, after=_summary(version))
    return version


def _user_or_none(actor: Any):
    return actor if getattr(actor, "is_authenticated", False) else None


def _locked(version: ItemVersion) -> ItemVersion:
    return ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)


def version_draft_create(*, actor: Any, item: ServiceItem) -> ItemVersion:
    """Start a new draft from the item's latest version (copying its guide, materials, fees, steps)."""
    _require_editor(actor, item.department_id)
    with audited_atomic():
        ServiceItem.objects.select_for_update().get(pk=item.pk)
        if item.versions.filter(state__in=OPEN_STATES).exists():
            raise ValidationError("该事项已有未发布的版本，请先完成或撤回。")
        latest = item.versions.order_by("-number").first()
        draft = ItemVersion.objects.get(pk=latest.pk)
        draft.pk = None
        draft.number = latest.number + 1
        draft.state = VersionState.DRAFT
        draft.created_by = _user_or_none(actor)
        draft.submitted_at = draft.reviewed_at = draft.published_at = None
        draft.reviewed_by = None
        draft.review_comment = ""
        draft.save()
        _replace_children(
            draft,
            [{k: getattr(m, k) for k in MATERIAL_FIELDS} for m in latest.materials.all()],
            [{k: getattr(f, k) for k in FEE_FIELDS} for f in latest.fees.all()],
            [{k: getattr(s, k) for k in STEP_FIELDS} for s in latest.steps.all()],
        )
        for old, new in zip(latest.materials.all(), draft.materials.all(), strict=True):
            if old.blank_form or old.sample:
                new.blank_form, new.sample = old.blank_form, old.sample
                new.save(update_fields=["blank_form", "sample"])
        audit_record(actor=actor, action="catalog.draft_created", obj=draft, after=_summary(draft))
    return draft


def version_update(
    *,
    actor: Any,
    version: ItemVersion,
    fields: dict,
    materials: list[dict] | None = None,
    fees: list[dict] | None = None,
    steps: list[dict] | None = None,
    result_sample: Any = None,
) -> ItemVersion:
    """Edit a draft (or a returned draft). Any field not given keeps its value.

    Material dicts may carry MATERIAL_FILE_FIELDS (see there). `result_sample`: None keeps the stored
    file, an uploaded File replaces it, "" removes it.
    """
    with audited_atomic():
        version = _locked(version)
        _require_editor(actor, version.item.department_id)
        if version.state not in EDITABLE_STATES:
            raise ValidationError(f"“{version.get_state_display()}”状态的版本不能修改。")
        merged = {name: getattr(version, name) for name in VERSION_FIELDS} | dict(fields)
        fees_to_check = (
            fees if fees is not None else [{k: getattr(f, k) for k in FEE_FIELDS} for f in version.fees.all()]
        )
        errors = version_fields_validate(merged)
        if _is_upload(result_sample):
            problem = uploaded_file_error(result_sample)
            if problem:
                errors["result_sample"] = problem
        _raise_if(
            errors,
            materials_validate(materials) if materials is not None else {},
            fees_validate(fees_to_check, is_free=bool(merged.get("is_free"))),
        )
        before = {name: _jsonable(getattr(version, name)) for name in fields if name in VERSION_FIELDS}
        if result_sample is not None:
            before["result_sample"] = version.result_sample.name
            version.result_sample = _file_value(result_sample)
        for name, value in _clean_fields(fields).items():
            setattr(version, name, value)
        version.save()
        created = _replace_children(version, materials, fees, steps)
        after = {name: _jsonable(getattr(version, name)) for name in before if name != "result_sample"}
        if result_sample is not None:
            after["result_sample"] = version.result_sample.name
        if created:
            after["material_files"] = _material_files(created)
        audit_record(
            actor=actor,
            action="catalog.draft_updated",
            obj=version,
            before=before,
            after=after | {"materials_replaced": materials is not None, "fees_replaced": fees is not None},
        )
    return version


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def version_submit(*, actor: Any, version: ItemVersion) -> ItemVersion:
    with audited_atomic():
        version = _locked(version)
        _require_editor(actor, version.item.department_id)
        if version.state not in EDITABLE_STATES:
            raise ValidationError(f"“{version.get_state_display()}”状态的版本不能提交审核。")
        if not version.materials.exists():
            raise ValidationError({"materials": "至少需要一项申请材料（无需材料的事项请写明“无”并说明）。"})
        before = _summary(version)
        version.state = VersionState.IN_REVIEW
        version.submitted_at = timezone.now()
        version.save(update_fields=["state", "submitted_at", "updated_at"])
        audit_record(actor=actor, action="catalog.submitted", obj=version, before=before, after=_summary(version))
    return version


def version_return(*, actor: Any, version: ItemVersion, comment: str) -> ItemVersion:
    """The legal-affairs reviewer sends a draft back with comments."""
    comment = (comment or "").strip()
    with audited_atomic():
        version = _locked(version)
        if not rules.can_review_version(actor, version):
            raise ValidationError(_review_refusal(actor, version))
        if not comment:
            raise ValidationError({"comment": "退回时必须填写审核意见。"})
        before = _summary(version)
        version.state = VersionState.RETURNED
        version.reviewed_by, version.reviewed_at, version.review_comment = actor, timezone.now(), comment
        version.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment", "updated_at"])
        audit_record(
            actor=actor,
            action="catalog.returned",
            obj=version,
            before=before,
            after=_summary(version) | {"comment": comment},
        )
    return version


def _review_refusal(actor: Any, version: ItemVersion) -> str:
    if version.state != VersionState.IN_REVIEW:
        return f"“{version.get_state_display()}”状态的版本不能审核。"
    if not rules.can_review(actor):
        return "只有法制审核人员可以审核事项。"
    return "不能审核自己编辑的版本。"


def version_approve(*, actor: Any, version: ItemVersion, comment: str = "") -> ItemVersion:
    """Approve and publish: the previous published version becomes superseded, untouched otherwise."""
    with audited_atomic():
        version = _locked(version)
        if not rules.can_review_version(actor, version):
            raise ValidationError(_review_refusal(actor, version))
        previous = (
            ItemVersion.objects.select_for_update()
            .filter(item_id=version.item_id, state=VersionState.PUBLISHED)
            .first()
        )
        if previous is not None:
            previous.state = VersionState.SUPERSEDED
            previous.save(update_fields=["state", "updated_at"])
        before = _summary(version)
        now = timezone.now()
        version.state = VersionState.PUBLISHED
        version.reviewed_by, version.reviewed_at = actor, now
        version.review_comment = (comment or "").strip()
        version.published_at = now
        version.save(
            update_fields=["state", "reviewed_by", "reviewed_at", "review_comment", "published_at", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="catalog.published",
            obj=version,
            before=before,
            after=_summary(version) | {"superseded": previous.number if previous else None},
        )
        transaction.on_commit(lambda: version_published.send(sender=ItemVersion, version=version))
    return version


def version_withdraw(*, actor: Any, version: ItemVersion, reason: str) -> ItemVersion:
    """Stop offering an item (the published version is withdrawn, never deleted)."""
    reason = (reason or "").strip()
    with audited_atomic():
        version = _locked(version)
        _require_editor(actor, version.item.department_id)
        if version.state != VersionState.PUBLISHED:
            raise ValidationError("只有现行版本可以停用。")
        if not reason:
            raise ValidationError({"reason": "停用事项必须说明理由。"})
        before = _summary(version)
        version.state = VersionState.WITHDRAWN
        version.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="catalog.withdrawn",
            obj=version,
            before=before,
            after=_summary(version) | {"reason": reason},
        )
        transaction.on_commit(lambda: version_withdrawn.send(sender=ItemVersion, version=version))
    return version


def version_publish_system(*, version: ItemVersion, actor: str = "system:import") -> ItemVersion:
    """Publish without the four-eyes review; only for trusted loaders (demo data, migration of legacy lists)."""
    with audited_atomic():
        version = _locked(version)
        if version.state not in OPEN_STATES:
            raise ValidationError(f"“{version.get_state_display()}”状态的版本不能发布。")
        ItemVersion.objects.filter(item_id=version.item_id, state=VersionState.PUBLISHED).update(
            state=VersionState.SUPERSEDED
        )
        before = _summary(version)
        version.state, version.published_at = VersionState.PUBLISHED, timezone.now()
        version.save(update_fields=["state", "published_at", "updated_at"])
        audit_record(actor=actor, action="catalog.published", obj=version, before=before, after=_summary(version))
        transaction.on_commit(lambda: version_published.send(sender=ItemVersion, version=version))
    return version


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


def version_diff(old: ItemVersion, new: ItemVersion) -> list[FieldChange]:
    """What changed between two versions, field by field, plus materials, fees and steps."""
    changes: list[FieldChange] = []
    for name in VERSION_FIELDS:
        field = ItemVersion._meta.get_field(name)
        a, b = _display(old, name), _display(new, name)
        if a != b:
            changes.append(FieldChange(name, str(field.verbose_name), a, b))
    for related, label, describe in (
        ("materials", "申请材料", _describe_material),
        ("fees", "收费项目", lambda f: f"{f.name} {f.standard_amount}{f.unit}（{f.legal_basis}）"),
        (
            "steps",
            "办理环节",
            lambda s: f"{s.name}：{s.description}" + (f"（{s.limit_days} 日）" if s.limit_days else ""),
        ),
    ):
        a = "\n".join(describe(x) for x in getattr(old, related).all())
        b = "\n".join(describe(x) for x in getattr(new, related).all())
        if a != b:
            changes.append(FieldChange(related, label, a, b))
    return changes


def _describe_material(m: ItemMaterial) -> str:
    text = f"{m.name}（{m.get_form_display()}{m.copies}份，{m.get_necessity_display()}）"
    if m.condition:
        text += f"，适用情形：{m.condition}"
    if m.licence_type:
        text += f"，可用电子证照“{m.licence_type}”替代"
    return text


def _display(version: ItemVersion, name: str) -> str:
    value = getattr(version, name)
    display = getattr(version, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
