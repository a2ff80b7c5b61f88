"""Read endpoints of the service-item catalogue (政务服务事项目录): published guides, themes, departments.

Only versions in force are served; drafts and superseded versions never leave the database through here.
"""

from django.apps import apps
from django.db.models import Q
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from zhengwu.catalog.domain.themes import (
    departments_with_counts,
    materials_merge,
    published_version,
    published_versions,
    theme_versions,
    themes_with_counts,
)
from zhengwu.catalog.enums import ItemType, ThemeKind
from zhengwu.catalog.models import ItemVersion, Theme
from zhengwu.workcal.presets import PRESETS

router = Router(tags=["catalog"])

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000  # far past the last page of any catalogue; keeps the offset inside a 64-bit integer
SEARCH_LIMIT = 500
THEME_URL_NAMES = {
    ThemeKind.IDENTITY: "portal:services_identity",
    ThemeKind.SCENARIO: "portal:services_scenario",
}


# --- Schemas ----------------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="错误说明")


class DepartmentRef(Schema):
    code: str = Field(description="部门编码")
    name: str = Field(description="部门名称（实施主体）")


class CatalogDepartment(DepartmentRef):
    short_name: str = Field(description="简称")
    credit_code: str = Field(description="统一社会信用代码")
    item_count: int = Field(description="现行事项数")


class CatalogItemSummary(Schema):
    implementation_code: str = Field(description="实施编码（31 位）")
    name: str = Field(description="事项名称")
    item_type: str = Field(description="事项类型代码：01 行政许可 … 20 公共服务")
    item_type_label: str = Field(description="事项类型")
    department: DepartmentRef = Field(description="实施主体")
    handling_kind: str = Field(description="办件类型代码：immediate 即办件，promised 承诺件")
    handling_kind_label: str = Field(description="办件类型")
    statutory_limit_days: int = Field(description="法定办结时限（天）")
    promised_limit_days: int = Field(description="承诺办结时限（天）")
    limit_unit: str = Field(description="时限单位代码：working 工作日，calendar 自然日")
    online_depth: int = Field(description="网上办理深度：1–4，4 为全程网办")
    version: int = Field(description="现行版本号")
    url: str = Field(description="门户网站办事指南页面地址")


class CatalogItemPage(Schema):
    count: int = Field(description="符合条件的事项总数")
    page: int = Field(description="当前页码（从 1 开始）")
    page_size: int = Field(description="每页条数")
    pages: int = Field(description="总页数")
    items: list[CatalogItemSummary] = Field(description="本页事项")


class Limits(Schema):
    unit: str = Field(description="时限单位代码：working 工作日，calendar 自然日")
    unit_label: str = Field(description="时限单位")
    statutory_days: int = Field(description="法定办结时限（天）")
    promised_days: int = Field(description="承诺办结时限（天）")
    compression_ratio: float | None = Field(description="承诺时限压缩比（承诺时限 ÷ 法定时限），法定时限为 0 时为空")
    statutory_preset: str = Field(description="法定时限依据预设代码，未选择时为空字符串")
    statutory_preset_name: str = Field(description="法定时限依据预设名称")


class Material(Schema):
    name: str = Field(description="材料名称")
    source: str = Field(description="来源渠道代码")
    source_label: str = Field(description="来源渠道")
    form: str = Field(description="材料形式代码")
    form_label: str = Field(description="材料形式：原件、复印件、电子材料、原件和复印件")
    copies: int = Field(description="份数")
    necessity: str = Field(description="必要性代码：required 必要，optional 非必要，conditional 情形必要")
    necessity_label: str = Field(description="必要性")
    condition: str = Field(description="适用情形（情形必要时）")
    licence_type: str = Field(description="可替代的电子证照名称；为空表示须提交材料本身")
    notes: str = Field(description="填报须知")
    blank_form_url: str | None = Field(description="空白表格下载地址")
    sample_url: str | None = Field(description="示例样表下载地址")


class Fee(Schema):
    name: str = Field(description="收费项目")
    standard_amount: str = Field(description="收费标准（元，两位小数的十进制字符串）")
    unit: str = Field(description="计费单位")
    legal_basis: str = Field(description="收费依据")


class Fees(Schema):
    is_free: bool = Field(description="是否不收费")
    online_payment: bool = Field(description="是否支持网上支付")
    items: list[Fee] = Field(description="收费项目")


class Step(Schema):
    name: str = Field(description="环节名称")
    description: str = Field(description="办理内容")
    limit_days: int | None = Field(description="环节时限（天）")


class Result(Schema):
    name: str = Field(description="办理结果名称")
    kind: str = Field(description="结果类型代码：licence 证照，approval_document 批文，other 其他")
    kind_label: str = Field(description="结果类型")
    sample_url: str | None = Field(description="结果样本下载地址")


class ThemeRef(Schema):
    slug: str = Field(description="主题标识")
    name: str = Field(description="主题名称")
    kind: str = Field(description="主题类别代码")


class CatalogItemGuide(Schema):
    implementation_code: str = Field(description="实施编码（31 位）")
    basic_code: str = Field(description="基本编码（12 位）")
    item_type: str = Field(description="事项类型代码")
    item_type_label: str = Field(description="事项类型")
    level: str = Field(description="行使层级代码：1 国家级 … 5 乡镇（街道）级")
    level_label: str = Field(description="行使层级")
    department: DepartmentRef = Field(description="实施主体")
    version: int = Field(description="现行版本号")
    published_at: str | None = Field(description="发布时间（ISO 8601）")
    name: str = Field(description="事项名称")
    service_objects: list[str] = Field(description="服务对象：自然人、法人")
    acceptance_conditions: str = Field(description="受理条件")
    process_description: str = Field(description="办理流程")
    steps: list[Step] = Field(description="办理环节")
    limits: Limits = Field(description="办结时限")
    handling_kind: str = Field(description="办件类型代码")
    handling_kind_label: str = Field(description="办件类型：即办件、承诺件")
    place: str = Field(description="办理地点")
    office_hours: str = Field(description="办理时间")
    consultation_phone: str = Field(description="咨询电话")
    complaint_phone: str = Field(description="监督投诉电话")
    materials: list[Material] = Field(description="申请材料")
    fees: Fees = Field(description="收费")
    result: Result = Field(description="办理结果")
    visits_required: int = Field(description="到办事现场次数")
    online_depth: int = Field(description="网上办理深度：1–4")
    online_depth_label: str = Field(description="网上办理深度")
    handling_scope: str = Field(description="通办范围代码")
    handling_scope_label: str = Field(description="通办范围")
    express_delivery: bool = Field(description="是否支持物流快递")
    intermediary_services: str = Field(description="中介服务")
    legal_basis: str = Field(description="设定依据")
    themes: list[ThemeRef] = Field(description="所属主题和场景")
    url: str = Field(description="门户网站办事指南页面地址")


class CatalogTheme(Schema):
    slug: str = Field(description="主题标识")
    name: str = Field(description="主题名称")
    kind: str = Field(
        description="类别代码：life_event 个人生命周期，identity 特定人群，enterprise 企业全生命周期，scenario 一件事"
    )
    kind_label: str = Field(description="类别")
    description: str = Field(description="说明")
    item_count: int = Field(description="现行事项数")
    url: str = Field(description="门户网站主题页面地址")


class ItemCondition(Schema):
    item: str = Field(description="事项名称")
    condition: str = Field(description="该事项需要此材料的情形")


class ChecklistEntry(Schema):
    name: str = Field(description="材料名称（合并后）")
    form: str = Field(description="材料形式代码（满足所有事项的最严格形式）")
    form_label: str = Field(description="材料形式")
    copies: int = Field(description="份数（各事项要求的最大值）")
    necessity: str = Field(description="必要性代码（各事项中最严格的）")
    necessity_label: str = Field(description="必要性")
    items: list[str] = Field(description="需要此材料的事项")
    conditions: list[ItemCondition] = Field(description="情形必要的事项及其情形")
    licence_types: list[str] = Field(description="可替代的电子证照")
    licence_replaces_everywhere: bool = Field(description="是否所有事项都接受电子证照替代")
    produced_by: list[str] = Field(description="场景中产生此材料的事项（办理后无需另行提交）")


class CatalogThemeDetail(CatalogTheme):
    items: list[CatalogItemSummary] = Field(description="主题包含的现行事项（按主题顺序）")
    checklist: list[ChecklistEntry] | None = Field(
        description="场景式服务（一件事）的合并材料清单（同名材料去重）；其他类别为空"
    )


# --- Serialisers ------------------------------------------------------------------------------------------------


def _department(department) -> dict:
    return {"code": department.code, "name": department.name}


def _guide_url(version: ItemVersion) -> str:
    return reverse("portal:services_item", args=[version.item.implementation_code])


def _item_fields(version: ItemVersion) -> dict:
    """What the list entry and the full guide both say about an item (the schema fixes the order of the keys)."""
    item = version.item
    return {
        "implementation_code": item.implementation_code,
        "name": version.name,
        "item_type": item.item_type,
        "item_type_label": str(item.get_item_type_display()),
        "department": _department(item.department),
        "handling_kind": version.handling_kind,
        "handling_kind_label": str(version.get_handling_kind_display()),
        "online_depth": version.online_depth,
        "version": version.number,
        "url": _guide_url(version),
    }


def _summary(version: ItemVersion) -> dict:
    return _item_fields(version) | {
        "statutory_limit_days": version.statutory_limit_days,
        "promised_limit_days": version.promised_limit_days,
        "limit_unit": version.limit_unit,
    }


def _material(version: ItemVersion, material) -> dict:
    return {
        "name": material.name,
        "source": material.source,
        "source_label": str(material.get_source_display()),
        "form": material.form,
        "form_label": str(material.get_form_display()),
        "copies": material.copies,
        "necessity": material.necessity,
        "necessity_label": str(material.get_necessity_display()),
        "condition": material.condition,
        "licence_type": material.licence_type,
        "notes": material.notes,
        "blank_form_url": _material_file_url(version, material, "blank-form") if material.blank_form else None,
        "sample_url": _material_file_url(version, material, "sample") if material.sample else None,
    }


def _guide(version: ItemVersion) -> dict:
    item = version.item
    preset = PRESETS.get(version.statutory_preset)
    ratio = version.compression_ratio
    return _item_fields(version) | {
        "basic_code": item.basic_code,
        "level": item.level,
        "level_label": str(item.get_level_display()),
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "service_objects": [
            label
            for flag, label in ((version.for_natural_persons, "自然人"), (version.for_legal_persons, "法人"))
            if flag
        ],
        "acceptance_conditions": version.acceptance_conditions,
        "process_description": version.process_description,
        "steps": [
            {"name": s.name, "description": s.description, "limit_days": s.limit_days} for s in version.steps.all()
        ],
        "limits": {
            "unit": version.limit_unit,
            "unit_label": str(version.get_limit_unit_display()),
            "statutory_days": version.statutory_limit_days,
            "promised_days": version.promised_limit_days,
            "compression_ratio": float(ratio) if ratio is not None else None,
            "statutory_preset": version.statutory_preset,
            "statutory_preset_name": preset.name if preset else "",
        },
        "place": version.place,
        "office_hours": version.office_hours,
        "consultation_phone": version.consultation_phone,
        "complaint_phone": version.complaint_phone,
        "materials": [_material(version, m) for m in version.materials.all()],
        "fees": {
            "is_free": version.is_free,
            "online_payment": version.online_payment,
            "items": [
                {
                    "name": f.name,
                    "standard_amount": f"{f.standard_amount:.2f}",
                    "unit": f.unit,
                    "legal_basis": f.legal_basis,
                }
                for f in version.fees.all()
            ],
        },
        "result": {
            "name": version.result_name,
            "kind": version.result_kind,
            "kind_label": str(version.get_result_kind_display()),
            "sample_url": (
                reverse("portal:services_result_sample", args=[item.implementation_code])
                if version.result_sample
                else None
            ),
        },
        "visits_required": version.visits_required,
        "online_depth_label": str(version.get_online_depth_display()),
        "handling_scope": version.handling_scope,
        "handling_scope_label": str(version.get_handling_scope_display()),
        "express_delivery": version.express_delivery,
        "intermediary_services": version.intermediary_services,
        "legal_basis": version.legal_basis,
        "themes": [{"slug": t.slug, "name": t.name, "kind": t.kind} for t in item.themes.all()],
    }


def _material_file_url(version: ItemVersion, material, kind: str) -> str:
    return reverse("portal:services_material_file", args=[version.item.implementation_code, material.pk, kind])


def _theme_url(theme: Theme) -> str:
    return reverse(THEME_URL_NAMES.get(theme.kind, "portal:services_theme"), args=[theme.slug])


def _theme(theme: Theme, count: int) -> dict:
    return {
        "slug": theme.slug,
        "name": theme.name,
        "kind": theme.kind,
        "kind_label": str(theme.get_kind_display()),
        "description": theme.description,
        "item_count": count,
        "url": _theme_url(theme),
    }


def _checklist_entry(line) -> dict:
    return {
        "name": line.name,
        "form": line.form,
        "form_label": line.form_label,
        "copies": line.copies,
        "necessity": line.necessity,
        "necessity_label": line.necessity_label,
        "items": line.item_names,
        "conditions": [{"item": item, "condition": condition} for item, condition in line.conditions],
        "licence_types": line.licence_types,
        "licence_replaces_everywhere": line.licence_replaces_everywhere,
        "produced_by": [version.name for version in line.produced_by],
    }


# --- Endpoints --------------------------------------------------------------------------------------------------


def _search_ids(q: str) -> list[int] | None:
    """Version ids matching `q`, best first; None when the search app is not installed."""
    if not apps.is_installed("zhengwu.search"):
        return None
    from zhengwu.search.domain import search_items

    return [hit.version_id for hit in search_items(q, limit=SEARCH_LIMIT)]


@router.get(
    "/items",
    response=CatalogItemPage,
    summary="现行事项列表",
    description="分页列出现行（已发布）的政务服务事项，可按部门、事项类型、主题筛选，或按关键词检索（按相关度排序）。",
)
def list_items(
    request,
    department: str | None = Query(None, description="部门编码，如 SCJG"),
    item_type: str | None = Query(None, alias="type", description="事项类型代码，如 01（行政许可）、20（公共服务）"),
    theme: str | None = Query(None, description="主题标识，如 newborn"),
    q: str | None = Query(None, description="关键词（支持两个字的检索，如“护照”“低保”）", max_length=100),
    page: int = Query(1, ge=1, le=MAX_PAGE, description=f"页码，从 1 开始（至多 {MAX_PAGE}）"),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"每页条数（1–{MAX_PAGE_SIZE}）"),
):
    versions = published_versions()
    if department:
        versions = versions.filter(item__department__code=department)
    if item_type:
        if item_type not in ItemType.values:
            raise HttpError(422, f"未知的事项类型代码：{item_type}。")
        versions = versions.filter(item__item_type=item_type)
    ranked: list[int] | None = None
    q = (q or "").strip()
    if q:
        ranked = _search_ids(q)
        if ranked is None:
            versions = versions.filter(
                Q(name__icontains=q) | Q(acceptance_conditions__icontains=q) | Q(materials__name__icontains=q)
            ).distinct()
        else:
            versions = versions.filter(pk__in=ranked)
    if theme:
        versions = versions.filter(item__theme_items__theme__slug=theme).order_by("item__theme_items__position")
    else:
        versions = versions.order_by(
            "item__department__sort_order", "item__department__code", "item__implementation_code"
        )
    if ranked is not None:
        # Relevance order: fetch the matching ids (one query), then only the page's rows.
        order = {pk: index for index, pk in enumerate(ranked)}
        ids = sorted(versions.values_list("pk", flat=True), key=order.__getitem__)
        count = len(ids)
        page_ids = ids[(page - 1) * page_size : page * page_size]
        rows = {v.pk: v for v in published_versions().filter(pk__in=page_ids)} if page_ids else {}
        rows = [rows[pk] for pk in page_ids]
    else:
        count = versions.count()
        rows = list(versions[(page - 1) * page_size : page * page_size]) if count else []
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": (count + page_size - 1) // page_size,
        "items": [_summary(v) for v in rows],
    }


@router.get(
    "/items/{implementation_code}",
    response={200: CatalogItemGuide, 404: ErrorOut},
    summary="办事指南",
    description="一个现行事项的完整办事指南：受理条件、申请材料、办理环节、时限（含压缩比）、收费、结果、地点和电话。",
)
def get_item(request, implementation_code: str):
    version = published_version(implementation_code)
    if version is None:
        raise HttpError(404, f"没有实施编码为 {implementation_code} 的现行事项。")
    return _guide(version)


@router.get(
    "/themes",
    response=list[CatalogTheme],
    summary="主题和场景",
    description="个人生命周期、特定人群、企业全生命周期和场景式服务（一件事）主题，只列出含现行事项的主题。",
)
def list_themes(
    request, kind: str | None = Query(None, description="类别代码：life_event、identity、enterprise、scenario")
):
    if kind is not None and kind not in ThemeKind.values:
        raise HttpError(422, f"未知的主题类别：{kind}。")
    return [_theme(theme, theme.published_count) for theme in themes_with_counts(kind)]


@router.get(
    "/themes/{slug}",
    response={200: CatalogThemeDetail, 404: ErrorOut},
    summary="主题详情",
    description="主题包含的现行事项；场景式服务（一件事）另附合并去重后的“一次告知”材料清单。",
)
def get_theme(request, slug: str):
    theme = Theme.objects.filter(slug=slug).first()
    if theme is None:
        raise HttpError(404, f"没有标识为 {slug} 的主题。")
    versions = theme_versions(theme)
    if theme.kind == ThemeKind.SCENARIO:
        versions = list(versions.prefetch_related("materials"))
        checklist = [_checklist_entry(line) for line in materials_merge(versions)]
    else:
        versions, checklist = list(versions), None
    return _theme(theme, len(versions)) | {"items": [_summary(v) for v in versions], "checklist": checklist}


@router.get(
    "/departments",
    response=list[CatalogDepartment],
    summary="实施部门",
    description="有现行事项的部门及其事项数，按部门排序。",
)
def list_departments(request):
    return [
        _department(d) | {"short_name": d.short_name, "credit_code": d.credit_code, "item_count": d.published_count}
        for d in departments_with_counts()
    ]
