"""The catalogue as an xlsx workbook: export, and an all-or-nothing import with a validation report.

Layout (one header row per sheet; the importer finds columns by header, in any order):
- 事项: identity columns (实施编码, 基本编码, 事项类型, 行使层级, 实施主体, 实施主体统一社会信用代码) and every guide
  field under its Chinese name (VERSION_FIELDS); choices as their Chinese labels, flags as 是/否;
- 申请材料, 收费项目, 办理环节: one row per material, fee or step, keyed by 实施编码, in the guide's order.

Every row and cell is checked first (the domain validators of versions.py and codes.py); any problem refuses the
whole file and nothing is written. Valid rows become drafts (new items via item_create, existing ones via
version_draft_create + version_update) that go through the normal review, or, for trusted administrator use
(demo data, migration of legacy lists), are published at once with version_publish_system.
"""

import hashlib
import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from zhengwu.accounts.domain.identity import credit_code_error
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.catalog import rules
from zhengwu.catalog.domain.codes import basic_code_error, implementation_code_build, implementation_code_error
from zhengwu.catalog.domain.versions import (
    FEE_FIELDS,
    MATERIAL_FIELDS,
    STEP_FIELDS,
    VERSION_FIELDS,
    fees_validate,
    item_create,
    materials_validate,
    version_draft_create,
    version_fields_validate,
    version_publish_system,
    version_update,
)
from zhengwu.catalog.enums import (
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
from zhengwu.org.models import Department
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.presets import presets

logger = logging.getLogger(__name__)

SHEET_ITEMS = "事项"
SHEET_MATERIALS = "申请材料"
SHEET_FEES = "收费项目"
SHEET_STEPS = "办理环节"
SHEETS = (SHEET_ITEMS, SHEET_MATERIALS, SHEET_FEES, SHEET_STEPS)

CODE_HEADER = "实施编码"
DEPARTMENT_HEADER = "实施主体"
CREDIT_CODE_HEADER = "实施主体统一社会信用代码"

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a zip bomb is refused before openpyxl reads it
MAX_ROWS = 5000  # per sheet
MAX_PROBLEMS = 500  # a report longer than this is cut (the file is refused anyway)

YES, NO = "是", "否"
_YES_WORDS = frozenset({"是", "Y", "YES", "TRUE", "1", "√"})
_NO_WORDS = frozenset({"否", "N", "NO", "FALSE", "0", "×"})
_ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "I": 1, "II": 2, "III": 3, "IV": 4}


# --- Report -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    sheet: str  # "" for the file itself
    row: int | None  # the Excel row number (the header is row 1); None for the sheet or file
    column: str  # the column header; "" for a whole row, sheet or file
    message: str


@dataclass
class ImportResult:
    problems: list[ImportProblem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # implementation codes of new items
    drafted: list[str] = field(default_factory=list)  # existing items given a new version
    published: int = 0
    truncated: bool = False  # the report was cut at MAX_PROBLEMS

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def imported(self) -> int:
        return len(self.created) + len(self.drafted)


class _CellError(Exception):
    pass


# --- Cell conversion --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or code typed as a number
    return str(value).strip()


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).upper()
    if not text:
        return None
    if text in _YES_WORDS:
        return True
    if text in _NO_WORDS:
        return False
    raise _CellError(f"“{_text(value)}”无效，请填写“是”或“否”。")


def _flag_required(value: Any) -> bool:
    flag = _flag(value)
    if flag is None:
        raise _CellError(f"请填写“{YES}”或“{NO}”。")
    return flag


def _integer(value: Any) -> int | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, bool):
        raise _CellError(f"“{value}”不是整数。")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(_text(value))
    except ValueError:
        raise _CellError(f"“{_text(value)}”不是整数。") from None


def _amount(value: Any) -> Decimal | None:
    text = _text(value)
    if not text:
        return None
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else text)
    except InvalidOperation:
        raise _CellError(f"“{text}”不是金额。") from None
    if not amount.is_finite():
        raise _CellError(f"“{text}”不是金额。")
    return amount


def _choice(enum: type[models.Choices], *, aliases: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    lookup: dict[str, Any] = {}
    for value, label in zip(enum.values, enum.labels, strict=True):
        lookup[str(value).upper()] = value
        lookup[str(label)] = value
    lookup.update(aliases or {})
    labels = "、".join(str(label) for label in enum.labels)

    def parse(raw: Any) -> Any:
        text = _text(raw)
        if not text:
            return None
        value = lookup.get(text.upper(), lookup.get(text))
        if value is None:
            raise _CellError(f"“{text}”不是有效的选项，应为：{labels}。")
        return value

    return parse


def _depth(raw: Any) -> int | None:
    text = _text(raw)
    if not text:
        return None
    if text.isdecimal() and int(text) in OnlineDepth.values:
        return int(text)
    for value, label in zip(OnlineDepth.values, OnlineDepth.labels, strict=True):
        if text == str(label):
            return value
    head = text.split("级", 1)[0].strip().upper()
    if head in _ROMAN and (text == head or text.startswith(head + "级")):
        return _ROMAN[head]
    raise _CellError(f"“{text}”不是有效的网上办理深度，应为 Ⅰ级 至 Ⅳ级（Ⅳ级为全程网办）。")


def _preset(raw: Any) -> str:
    text = _text(raw)
    if not text:
        return ""
    for preset in presets():
        if text in (preset.code, preset.name):
            return preset.code
    raise _CellError(f"“{text}”不是已知的法定时限预设。")


def _item_type(raw: Any) -> str | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        raw = f"{int(raw):02d}"  # "01" typed into a number cell
    return _choice(ItemType)(raw)


def _level(raw: Any) -> str | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        raw = str(int(raw))
    return _choice(ExerciseLevel)(raw)


# --- Layout -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    parse: Callable[[Any], Any]
    write: Callable[[Any], Any]  # model value → cell value
    required: bool = True  # the header must be present
    default: Any = None  # used when the column is absent or the cell empty (None: nothing to default to)
    max_length: int | None = None


def _label_of(enum: type[models.Choices]) -> Callable[[Any], str]:
    labels = dict(zip(enum.values, enum.labels, strict=True))
    return lambda value: str(labels.get(value, value or ""))


def _yes_no(value: Any) -> str:
    return YES if value else NO


def _as_is(value: Any) -> Any:
    return value


def _preset_name(code: str) -> str:
    for preset in presets():
        if preset.code == code:
            return preset.name
    return code or ""


def _model_column(model: type[models.Model], name: str, **overrides) -> Column:
    model_field = model._meta.get_field(name)
    header = str(model_field.verbose_name)
    if model_field.choices:
        enum = _ENUMS[name]
        spec = {"parse": _choice(enum), "write": _label_of(enum)}
    elif isinstance(model_field, models.BooleanField):
        spec = {"parse": _flag_required, "write": _yes_no}
    elif isinstance(model_field, models.DecimalField):
        spec = {"parse": _amount, "write": _as_is}
    elif isinstance(model_field, models.IntegerField):
        spec = {"parse": _integer, "write": _as_is}
    else:
        spec = {"parse": _text, "write": lambda value: value or "", "max_length": model_field.max_length}
    spec.update(overrides)
    return Column(header=header, key=name, **spec)


_ENUMS = {
    "limit_unit": DeadlineUnit,
    "handling_kind": HandlingKind,
    "result_kind": ResultKind,
    "handling_scope": HandlingScope,
    "online_depth": OnlineDepth,
    "source": MaterialSource,
    "form": MaterialForm,
    "necessity": MaterialNecessity,
}

# Optional guide columns and their defaults; every other column must be present.
_OPTIONAL_VERSION_COLUMNS = {
    "process_description": "",
    "statutory_preset": "",
    "online_payment": False,
    "express_delivery": False,
    "intermediary_services": "",
}


def _item_columns() -> list[Column]:
    columns = [
        Column(CODE_HEADER, "implementation_code", _text, _as_is, required=False, default="", max_length=31),
        Column("基本编码", "basic_code", _text, _as_is, max_length=12),
        Column("事项类型", "item_type", _item_type, _label_of(ItemType)),
        Column("行使层级", "level", _level, _label_of(ExerciseLevel)),
        Column(DEPARTMENT_HEADER, "department_name", _text, _as_is, required=False, default=""),
        Column(CREDIT_CODE_HEADER, "credit_code", _text, _as_is, required=False, default=""),
    ]
    for name in VERSION_FIELDS:
        overrides: dict[str, Any] = {}
        if name in _OPTIONAL_VERSION_COLUMNS:
            default = _OPTIONAL_VERSION_COLUMNS[name]
            overrides.update(required=False, default=default)
            if isinstance(default, bool):
                overrides["parse"] = _flag
        if name == "online_depth":
            overrides.update(parse=_depth, write=_label_of(OnlineDepth))
        elif name == "statutory_preset":
            overrides.update(parse=_preset, write=_preset_name, max_length=None)
        columns.append(_model_column(ItemVersion, name, **overrides))
    return columns


def _code_column() -> Column:
    return Column(CODE_HEADER, "code", _text, _as_is)


def _material_columns() -> list[Column]:
    defaults = {
        "source": MaterialSource.APPLICANT,
        "form": MaterialForm.ORIGINAL,
        "copies": 1,
        "necessity": MaterialNecessity.REQUIRED,
        "condition": "",
        "licence_type": "",
        "notes": "",
    }
    optional = {name: {"required": False, "default": value} for name, value in defaults.items()}
    return [_code_column()] + [_model_column(ItemMaterial, name, **optional.get(name, {})) for name in MATERIAL_FIELDS]


def _fee_columns() -> list[Column]:
    return [_code_column()] + [
        _model_column(FeeItem, name, **({"required": False, "default": "元/件"} if name == "unit" else {}))
        for name in FEE_FIELDS
    ]


def _step_columns() -> list[Column]:
    return [_code_column()] + [
        _model_column(ProcessStep, name, **({} if name == "name" else {"required": False, "default": None}))
        for name in STEP_FIELDS
    ]


def layout() -> dict[str, list[Column]]:
    """Columns of each sheet, in export order."""
    return {
        SHEET_ITEMS: _item_columns(),
        SHEET_MATERIALS: _material_columns(),
        SHEET_FEES: _fee_columns(),
        SHEET_STEPS: _step_columns(),
    }


REQUIRED_SHEETS = frozenset({SHEET_ITEMS, SHEET_MATERIALS})


# --- Export -----------------------------------------------------------------------------------------------------


def _write_sheet(sheet, columns: list[Column], rows: list[list[Any]]) -> None:
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append(values)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text starting with "=" stays text, never a formula
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(column.header) * 2 + 4))


def catalog_export_xlsx(*, queryset=None) -> bytes:
    """The published catalogue (or the given versions) as an xlsx workbook in the import layout."""
    if queryset is None:
        queryset = ItemVersion.objects.filter(state=VersionState.PUBLISHED)
    versions = list(
        queryset.select_related("item__department")
        .prefetch_related("materials", "fees", "steps")
        .order_by("item__department__sort_order", "item__department__code", "item__implementation_code")
    )
    sheets = layout()
    item_rows, material_rows, fee_rows, step_rows = [], [], [], []
    for version in versions:
        item = version.item
        identity = {
            "implementation_code": item.implementation_code,
            "basic_code": item.basic_code,
            "item_type": item.item_type,
            "level": item.level,
            "department_name": item.department.name,
            "credit_code": item.department.credit_code,
        }
        item_rows.append(
            [c.write(identity[c.key] if c.key in identity else getattr(version, c.key)) for c in sheets[SHEET_ITEMS]]
        )
        for rows, children, columns in (
            (material_rows, version.materials.all(), sheets[SHEET_MATERIALS]),
            (fee_rows, version.fees.all(), sheets[SHEET_FEES]),
            (step_rows, version.steps.all(), sheets[SHEET_STEPS]),
        ):
            for child in children:
                rows.append(
                    [
                        item.implementation_code if c.key == "code" else _blank_none(c.write(getattr(child, c.key)))
                        for c in columns
                    ]
                )
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in zip(SHEETS, (item_rows, material_rows, fee_rows, step_rows), strict=True):
        _write_sheet(workbook.create_sheet(name), sheets[name], rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


# --- Import: reading --------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)  # keys whose cells could not be read


class _Report:
    def __init__(self, sheets: dict[str, list[Column]]):
        self.problems: list[ImportProblem] = []
        self._seen: set[ImportProblem] = set()
        self._columns = {name: [c.header for c in columns] for name, columns in sheets.items()}

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        problem = ImportProblem(sheet, row, column, message)
        if problem not in self._seen:
            self._seen.add(problem)
            self.problems.append(problem)

    def sorted(self) -> list[ImportProblem]:
        def key(p: ImportProblem):
            sheet = SHEETS.index(p.sheet) if p.sheet in SHEETS else -1
            headers = self._columns.get(p.sheet, [])
            column = headers.index(p.column) if p.column in headers else -1
            return (sheet, p.row or 0, column)

        return sorted(self.problems, key=key)


def _open_workbook(data: bytes, report: _Report):
    if not data:
        report.add("", None, "", "文件为空。")
        return None
    if len(data) > MAX_FILE_BYTES:
        report.add("", None, "", f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限。")
        return None
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(b"PK"):
            report.add("", None, "", "文件已损坏（压缩包不完整），无法读取。请重新导出或另存后再导入。")
            return None
        report.add("", None, "", "文件不是 Excel 工作簿（.xlsx）。请用 Excel 或 WPS 另存为 .xlsx 格式后再导入。")
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        unpacked = 0
    if unpacked > MAX_UNPACKED_BYTES:
        report.add("", None, "", f"文件解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB，请拆分后分批导入。")
        return None
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, BadZipFile, InvalidFileException, XML errors)
        logger.info("catalog import: unreadable workbook", exc_info=True)
        report.add("", None, "", "文件已损坏或不是有效的 Excel 工作簿（.xlsx），无法读取。")
        return None


def _read_sheet(workbook, name: str, columns: list[Column], report: _Report) -> list[_Row] | None:
    """Rows of one sheet with every cell converted; None when the sheet cannot be read at all."""
    if name not in workbook.sheetnames:
        if name in REQUIRED_SHEETS:
            report.add(name, None, "", f"缺少工作表“{name}”。")
            return None
        return []
    try:
        rows = workbook[name].iter_rows(values_only=True)
        header = next(rows, None)
        headers = [_text(h) for h in (header or ())]
        positions: dict[str, int] = {}
        for index, text in enumerate(headers):
            if not text:
                continue
            if text in positions:
                report.add(name, 1, text, "列名重复。")
            positions.setdefault(text, index)
        missing = [c.header for c in columns if c.required and c.header not in positions]
        for header_name in missing:
            report.add(name, 1, header_name, "缺少此列。")
        if name == SHEET_ITEMS and not ({DEPARTMENT_HEADER, CREDIT_CODE_HEADER} & set(positions)):
            report.add(name, 1, DEPARTMENT_HEADER, f"缺少此列（或“{CREDIT_CODE_HEADER}”列）。")
            missing.append(DEPARTMENT_HEADER)
        if missing:
            return None
        out: list[_Row] = []
        for number, cells in enumerate(rows, start=2):
            if cells is None or all(_text(c) == "" for c in cells):
                if number > 2 * MAX_ROWS:
                    break  # only blank rows this far down
                continue
            if len(out) >= MAX_ROWS:
                report.add(name, number, "", f"工作表超过 {MAX_ROWS} 行数据的上限，请拆分后分批导入。")
                return None
            row = _Row(number, {})
            for column in columns:
                index = positions.get(column.header)
                raw = cells[index] if index is not None and index < len(cells) else None
                try:
                    value = column.parse(raw)
                except _CellError as error:
                    report.add(name, number, column.header, str(error))
                    row.bad.add(column.key)
                    continue
                if value is None or value == "":
                    value = column.default if column.default is not None else value
                if column.max_length and isinstance(value, str) and len(value) > column.max_length:
                    message = f"不得超过 {column.max_length} 个字符（当前 {len(value)} 个）。"
                    report.add(name, number, column.header, message)
                    row.bad.add(column.key)
                row.values[column.key] = value
            out.append(row)
        return out
    except Exception:  # a damaged sheet part inside a readable zip
        logger.warning("catalog import: sheet %s unreadable", name, exc_info=True)
        report.add(name, None, "", f"工作表“{name}”已损坏，无法读取。")
        return None


# --- Import: checking -------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    row: _Row
    department: Department | None = None
    code: str = ""
    existing: ServiceItem | None = None
    materials: list[tuple[_Row, dict]] = field(default_factory=list)
    fees: list[tuple[_Row, dict]] = field(default_factory=list)
    steps: list[tuple[_Row, dict]] = field(default_factory=list)

    @property
    def fields(self) -> dict:
        return {name: self.row.values.get(name) for name in VERSION_FIELDS}


def _departments() -> tuple[dict[str, Department], dict[str, Department]]:
    departments = list(Department.objects.all())
    return {d.name: d for d in departments}, {d.credit_code: d for d in departments}


def _resolve_department(row: _Row, by_name, by_code, report: _Report) -> Department | None:
    name, code = row.values.get("department_name") or "", (row.values.get("credit_code") or "").upper()
    if "department_name" in row.bad or "credit_code" in row.bad:
        return None
    if not name and not code:
        report.add(SHEET_ITEMS, row.number, DEPARTMENT_HEADER, f"请填写实施主体名称或“{CREDIT_CODE_HEADER}”。")
        return None
    found_by_name = by_name.get(name) if name else None
    if name and found_by_name is None:
        report.add(SHEET_ITEMS, row.number, DEPARTMENT_HEADER, f"系统中没有名为“{name}”的部门。")
    found_by_code = None
    if code:
        problem = credit_code_error(code)
        if problem:
            report.add(SHEET_ITEMS, row.number, CREDIT_CODE_HEADER, str(problem))
        else:
            found_by_code = by_code.get(code)
            if found_by_code is None:
                report.add(SHEET_ITEMS, row.number, CREDIT_CODE_HEADER, f"系统中没有统一社会信用代码为 {code} 的部门。")
    if found_by_name and found_by_code and found_by_name.pk != found_by_code.pk:
        report.add(
            SHEET_ITEMS,
            row.number,
            CREDIT_CODE_HEADER,
            f"统一社会信用代码属于“{found_by_code.name}”，与实施主体“{found_by_name.name}”不一致。",
        )
        return None
    if (name and not found_by_name) or (code and not found_by_code):
        return None
    return found_by_name or found_by_code


def _header_of(columns: list[Column], key: str) -> str:
    return next(c.header for c in columns if c.key == key)


def _check_items(rows: list[_Row], columns: list[Column], actor: Any, trusted: bool, report: _Report) -> list[_Plan]:
    by_name, by_code = _departments()
    plans: list[_Plan] = []
    seen: dict[str, int] = {}
    for row in rows:
        plan = _Plan(row)
        plans.append(plan)
        values = row.values
        plan.department = _resolve_department(row, by_name, by_code, report)
        if (
            plan.department is not None
            and not trusted
            and not rules.can_edit_department_items(actor, plan.department.pk)
        ):
            report.add(SHEET_ITEMS, row.number, DEPARTMENT_HEADER, f"您没有编辑“{plan.department.name}”事项的权限。")
        for key in ("item_type", "level"):
            if key not in row.bad and not values.get(key):
                report.add(SHEET_ITEMS, row.number, _header_of(columns, key), "此项为必填项。")
        basic = (values.get("basic_code") or "").upper()
        values["basic_code"] = basic
        basic_ok = "basic_code" not in row.bad and basic_code_error(basic) is None
        if "basic_code" not in row.bad and not basic_ok:
            report.add(SHEET_ITEMS, row.number, "基本编码", basic_code_error(basic))
        code = (values.get("implementation_code") or "").upper()
        level = values.get("level")
        if code and "implementation_code" not in row.bad:
            complete = plan.department is not None and level and basic_ok
            problem = implementation_code_error(
                code,
                credit_code=plan.department.credit_code if complete else None,
                level=level if complete else None,
                basic_code=basic if complete else None,
            )
            if problem:
                report.add(SHEET_ITEMS, row.number, CODE_HEADER, problem)
                code = ""
        elif not code and plan.department is not None and level and basic_ok:
            code = implementation_code_build(credit_code=plan.department.credit_code, level=level, basic_code=basic)
        if code in seen:
            report.add(SHEET_ITEMS, row.number, CODE_HEADER, f"实施编码 {code} 与第 {seen[code]} 行重复。")
            code = ""  # materials, fees and steps belong to the first row with the code
        elif code:
            seen[code] = row.number
        plan.code = code
        for name, message in version_fields_validate(plan.fields).items():
            if name not in row.bad:
                report.add(SHEET_ITEMS, row.number, _header_of(columns, name), message)
    existing = ServiceItem.objects.filter(implementation_code__in=[p.code for p in plans if p.code]).in_bulk(
        field_name="implementation_code"
    )
    open_versions = dict(
        ItemVersion.objects.filter(item__in=existing.values(), state__in=OPEN_STATES).values_list("item_id", "state")
    )
    for plan in plans:
        item = existing.get(plan.code)
        if item is None:
            continue
        plan.existing = item
        number = plan.row.number
        if plan.row.values.get("item_type") and item.item_type != plan.row.values["item_type"]:
            report.add(
                SHEET_ITEMS,
                number,
                "事项类型",
                f"已有事项 {item.implementation_code} 的类型为“{item.get_item_type_display()}”，"
                "不能通过导入变更；类型不同请新建事项。",
            )
        if item.pk in open_versions:
            state = VersionState(open_versions[item.pk]).label
            report.add(
                SHEET_ITEMS,
                number,
                CODE_HEADER,
                f"该事项已有未发布的版本（{state}），请先完成审核或撤回后再导入。",
            )
    return plans


def _attach(
    sheet: str, rows: list[_Row], plans_by_code: dict[str, _Plan], attribute: str, keys: tuple[str, ...]
) -> None:
    for row in rows:
        plan = plans_by_code.get((row.values.get("code") or "").upper())
        if plan is not None:
            getattr(plan, attribute).append((row, {k: row.values.get(k) for k in keys}))


def _check_children(
    plans: list[_Plan],
    materials: list[_Row],
    fees: list[_Row],
    steps: list[_Row],
    sheets: dict[str, list[Column]],
    report: _Report,
) -> None:
    by_code = {p.code: p for p in plans if p.code}
    for sheet, rows in ((SHEET_MATERIALS, materials), (SHEET_FEES, fees), (SHEET_STEPS, steps)):
        for row in rows:
            code = (row.values.get("code") or "").upper()
            if not code:
                report.add(sheet, row.number, CODE_HEADER, "此项为必填项。")
            elif code not in by_code:
                report.add(sheet, row.number, CODE_HEADER, f"“{SHEET_ITEMS}”工作表中没有实施编码为 {code} 的事项。")
    _attach(SHEET_MATERIALS, materials, by_code, "materials", MATERIAL_FIELDS)
    _attach(SHEET_FEES, fees, by_code, "fees", FEE_FIELDS)
    _attach(SHEET_STEPS, steps, by_code, "steps", STEP_FIELDS)
    material_columns, fee_columns = sheets[SHEET_MATERIALS], sheets[SHEET_FEES]
    step_columns, item_columns = sheets[SHEET_STEPS], sheets[SHEET_ITEMS]
    for plan in plans:
        if not plan.code:
            continue
        if not plan.materials:
            report.add(
                SHEET_ITEMS,
                plan.row.number,
                CODE_HEADER,
                f"“{SHEET_MATERIALS}”工作表中没有该事项的材料，至少需要一项申请材料。",
            )
        for index, problems in materials_validate([values for _, values in plan.materials]).items():
            row = plan.materials[index][0]
            for name, message in problems.items():
                if name not in row.bad:
                    report.add(SHEET_MATERIALS, row.number, _header_of(material_columns, name), message)
        is_free = plan.row.values.get("is_free")
        if "is_free" not in plan.row.bad and is_free is not None:
            for index, problems in fees_validate([values for _, values in plan.fees], is_free=is_free).items():
                for name, message in problems.items():
                    if plan.fees:
                        row = plan.fees[index][0]
                        if name not in row.bad:
                            report.add(SHEET_FEES, row.number, _header_of(fee_columns, name), message)
                    else:
                        report.add(SHEET_ITEMS, plan.row.number, _header_of(item_columns, "is_free"), message)
        for row, values in plan.steps:
            if "name" not in row.bad and not values.get("name"):
                report.add(SHEET_STEPS, row.number, _header_of(step_columns, "name"), "环节名称为必填项。")
            limit = values.get("limit_days")
            if "limit_days" not in row.bad and limit is not None and not 0 <= limit <= 999:
                message = "环节时限应为 0 至 999 的整数。"
                report.add(SHEET_STEPS, row.number, _header_of(step_columns, "limit_days"), message)


# --- Import: writing --------------------------------------------------------------------------------------------


def _write(plan: _Plan, *, actor: Any, publish: bool) -> ItemVersion:
    values = plan.row.values
    fields = plan.fields
    materials = [m for _, m in plan.materials]
    fees = [f for _, f in plan.fees]
    steps = [s for _, s in plan.steps]
    if plan.existing is None:
        version = item_create(
            actor=actor,
            department=plan.department,
            item_type=values["item_type"],
            level=values["level"],
            basic_code=values["basic_code"],
            implementation_code=plan.code,
            fields=fields,
            materials=materials,
            fees=fees,
            steps=steps,
        )
    else:
        draft = version_draft_create(actor=actor, item=plan.existing)
        version = version_update(actor=actor, version=draft, fields=fields, materials=materials, fees=fees, steps=steps)
    if plan.existing is not None:
        _carry_files(plan.existing, version)
    if publish:
        version = version_publish_system(version=version, actor=actor)
    return version


def _carry_files(item: ServiceItem, version: ItemVersion) -> None:
    """Blank forms and samples are not in the workbook: keep those of same-named materials of the last version."""
    previous = item.versions.exclude(pk=version.pk).order_by("-number").first()
    if previous is None:
        return
    files = {m.name: m for m in previous.materials.all() if m.blank_form or m.sample}
    for material in version.materials.all():
        old = files.get(material.name)
        if old is not None:
            material.blank_form, material.sample = old.blank_form, old.sample
            material.save(update_fields=["blank_form", "sample"])


def _flatten(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{name}: {m}" for name, messages in error.message_dict.items() for m in messages]
    return list(error.messages)


def catalog_import_xlsx(*, actor: Any, data: bytes, publish: bool = False) -> ImportResult:
    """Import an xlsx catalogue all-or-nothing. Any problem refuses the whole file; the result lists them all.

    `actor` is a staff user (each row needs the catalogue-editor right over its department), or a system actor
    string such as "system:import" (command line). `publish=True` publishes without review: system actors and
    administrators only (demo data, migration of a legacy list).
    """
    sheets = layout()
    report = _Report(sheets)
    system = isinstance(actor, str)
    if not system and not rules.can_exchange_items(actor):
        report.add("", None, "", "您没有导入事项的权限。")
    elif publish and not system and not rules.can_publish_imports(actor):
        report.add("", None, "", "只有系统管理员可以导入并直接发布事项；请取消“直接发布”，导入后走审核流程。")
    trusted = system or (publish and rules.can_publish_imports(actor))
    plans = [] if report.problems else _plans(data, sheets, actor=actor, trusted=trusted, report=report)
    if report.problems:
        return _cut(ImportResult(problems=report.sorted()))
    result = ImportResult()
    try:
        with audited_atomic():
            for plan in plans:
                version = _write(plan, actor=actor, publish=publish)
                (result.drafted if plan.existing else result.created).append(version.item.implementation_code)
                result.published += int(publish)
            audit_record(
                actor=actor,
                action="catalog.imported",
                object_type="catalog.serviceitem",
                object_repr=f"导入 {result.imported} 个事项",
                after={
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "created": result.created,
                    "drafted": result.drafted,
                    "published": result.published,
                },
            )
    except ValidationError as error:  # a rule the pre-check does not know; the transaction wrote nothing
        return ImportResult(
            problems=[ImportProblem(SHEET_ITEMS, plan.row.number, "", message) for message in _flatten(error)]
        )
    return result


def _plans(data: bytes, sheets: dict[str, list[Column]], *, actor: Any, trusted: bool, report: _Report) -> list:
    workbook = _open_workbook(data, report)
    if workbook is None:
        return []
    try:
        read = {name: _read_sheet(workbook, name, columns, report) for name, columns in sheets.items()}
    finally:
        workbook.close()
    if any(rows is None for rows in read.values()):  # a missing sheet or column: rows cannot be checked
        return []
    if not read[SHEET_ITEMS]:
        report.add(SHEET_ITEMS, None, "", "工作表中没有事项。")
        return []
    plans = _check_items(read[SHEET_ITEMS], sheets[SHEET_ITEMS], actor, trusted, report)
    _check_children(plans, read[SHEET_MATERIALS], read[SHEET_FEES], read[SHEET_STEPS], sheets, report)
    return plans


def _cut(result: ImportResult) -> ImportResult:
    if len(result.problems) > MAX_PROBLEMS:
        result.problems = result.problems[:MAX_PROBLEMS]
        result.truncated = True
    return result
