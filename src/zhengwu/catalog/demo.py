"""The demo catalogue of 青川区: items published through the trusted loader, themes and scenarios.

Idempotent (items keyed on their implementation code, themes on their slug; a rerun creates nothing and writes
no audit event), deterministic (codes derive from the spec order), and run inside `zhengwu demo`.
"""

from collections import Counter
from contextlib import nullcontext

from django.db import connection

from zhengwu.audit.domain import audited_atomic
from zhengwu.catalog.demo_items import ITEMS, THEMES, ItemSpec
from zhengwu.catalog.domain.codes import implementation_code_build
from zhengwu.catalog.domain.versions import item_create, version_publish_system
from zhengwu.catalog.models import ServiceItem, Theme, ThemeItem
from zhengwu.core.demo import data
from zhengwu.org.models import Department

ACTOR = "system:demo"
DEPARTMENT_NAMES = {spec.code: spec.name for spec in data.DEPARTMENTS}
DEPARTMENT_NUMBERS = {spec.code: number for number, spec in enumerate(data.DEPARTMENTS, start=1)}
THEME_KIND_ORDER = {"scenario": 0, "life_event": 1, "identity": 2, "enterprise": 3}

# Centre window by department (see core.demo.data.CENTRE_WINDOWS).
WINDOWS = {
    "SCJG": "09号窗口（市场监管窗口）",
    "GAFJ": "05号窗口（公安户政窗口）",
    "RSJ": "07号窗口（人力资源和社会保障窗口）",
    "YBJ": "08号窗口（医疗保障窗口）",
    "ZRZYJ": "06号窗口（不动产登记窗口）",
    "ZJJ": "11号窗口（住房和城乡建设窗口）",
    "SPJ": "10号窗口（行政审批服务窗口）",
    "FGJ": "02号窗口（综合受理窗口·工程建设项目）",
    "JTJ": "02号窗口（综合受理窗口·工程建设项目）",
    "YJJ": "02号窗口（综合受理窗口·工程建设项目）",
    "NYJ": "12号窗口（综合受理窗口·农业文旅商务）",
    "WLJ": "12号窗口（综合受理窗口·农业文旅商务）",
    "SWJ": "12号窗口（综合受理窗口·农业文旅商务）",
    "CZJ": "12号窗口（综合受理窗口·农业文旅商务）",
}
DEFAULT_WINDOW = "03号窗口（综合受理窗口·社会事务）"

REVIEW_NAMES = {"01": ("审查", "决定"), "05": ("审核（含入户调查、公示）", "审批")}


def basic_code(spec: ItemSpec, serial: int) -> str:
    """12 digits: item type, department number, serial within the department, five zeros."""
    return f"{spec.item_type}{DEPARTMENT_NUMBERS[spec.department]:02d}{serial:03d}00000"


def _steps(spec: ItemSpec) -> list[dict]:
    if spec.immediate:
        return [
            {
                "name": "受理",
                "description": "网上或窗口核验申请材料，材料齐全、符合法定形式的当场受理",
                "limit_days": None,
            },
            {"name": "办结", "description": "当场审核并作出决定，出具办理结果", "limit_days": None},
        ]
    review, decide = REVIEW_NAMES.get(spec.item_type, ("审核", "审批"))
    days = spec.promised
    split = days >= 3
    return [
        {
            "name": "受理",
            "description": "审查材料是否齐全、符合法定形式；不齐全的当场或五日内一次性告知需要补正的全部内容",
            "limit_days": 1 if split else None,
        },
        {
            "name": review,
            "description": "对申请材料进行审查；需要现场核查的，指派两名以上工作人员核查",
            "limit_days": days - 2 if split else None,
        },
        {
            "name": decide,
            "description": "作出准予或不予的决定；不予的书面说明理由，并告知申请人申请行政复议或提起行政诉讼的权利",
            "limit_days": 1 if split else None,
        },
        {"name": "送达", "description": "制作办理结果，窗口领取或免费邮寄送达", "limit_days": None},
    ]


def guide_fields(spec: ItemSpec) -> dict:
    flow = (
        "网上申请或窗口申请 → 受理 → 当场办结" if spec.immediate else "网上申请或窗口申请 → 受理 → 审查 → 决定 → 送达"
    )
    if spec.level == "5":
        place = spec.place
    else:
        place = spec.place or f"{data.CENTRE_NAME}{WINDOWS.get(spec.department, DEFAULT_WINDOW)}"
    return {
        "name": spec.name,
        "for_natural_persons": spec.natural,
        "for_legal_persons": spec.legal,
        "acceptance_conditions": spec.conditions,
        "process_description": flow,
        "limit_unit": spec.unit,
        "statutory_limit_days": spec.statutory,
        "promised_limit_days": spec.promised,
        "statutory_preset": spec.preset,
        "handling_kind": "immediate" if spec.immediate else "promised",
        "place": place,
        "office_hours": data.OPENING_HOURS,
        "consultation_phone": f"12345 转 {800 + DEPARTMENT_NUMBERS[spec.department]}",
        "complaint_phone": "12345",
        "is_free": not spec.fees,
        "online_payment": spec.online_payment,
        "result_name": spec.result,
        "result_kind": spec.result_kind,
        "visits_required": spec.visits,
        "online_depth": spec.depth,
        "handling_scope": spec.scope,
        "express_delivery": spec.express,
        "intermediary_services": spec.intermediary,
        "legal_basis": spec.legal_basis,
    }


def _fees(spec: ItemSpec) -> list[dict]:
    return [
        {"name": name, "standard_amount": amount, "unit": unit, "legal_basis": basis}
        for name, amount, unit, basis in spec.fees
    ]


def item_plan(departments: dict[str, Department]) -> list[tuple[ItemSpec, str, str]]:
    """(spec, basic code, implementation code) for every demo item, in spec order."""
    serial: Counter = Counter()
    plan = []
    for spec in ITEMS:
        serial[spec.department] += 1
        code = basic_code(spec, serial[spec.department])
        department = departments[spec.department]
        plan.append(
            (
                spec,
                code,
                implementation_code_build(credit_code=department.credit_code, level=spec.level, basic_code=code),
            )
        )
    return plan


def catalog_demo_load(result=None) -> Counter:
    """Create what is missing of the demo catalogue. Returns (and adds to `result`) rows created or restored."""
    created: Counter = Counter()
    updated: Counter = Counter()
    by_name = Department.objects.in_bulk(list(DEPARTMENT_NAMES.values()), field_name="name")
    departments = {code: by_name[name] for code, name in DEPARTMENT_NAMES.items() if name in by_name}
    plan = item_plan(departments)
    # Inside `zhengwu demo` the loader's transaction already holds everything (and a rerun issues no savepoint).
    with nullcontext() if connection.in_atomic_block else audited_atomic():
        existing = dict(
            ServiceItem.objects.filter(implementation_code__in=[code for _, _, code in plan]).values_list(
                "implementation_code", "pk"
            )
        )
        item_ids: dict[str, int] = {}
        for spec, basic, code in plan:
            if code in existing:
                item_ids[spec.name] = existing[code]
                continue
            version = item_create(
                actor=ACTOR,
                department=departments[spec.department],
                item_type=spec.item_type,
                level=spec.level,
                basic_code=basic,
                implementation_code=code,
                fields=guide_fields(spec),
                materials=list(spec.materials),
                fees=_fees(spec),
                steps=_steps(spec),
            )
            version_publish_system(version=version, actor=ACTOR)
            item_ids[spec.name] = version.item_id
            created["catalog.serviceitem"] += 1
        _themes(item_ids, created, updated)
    if result is not None:
        result.created.update(created)
        result.updated.update(updated)
    return created + updated


def _themes(item_ids: dict[str, int], created: Counter, updated: Counter) -> None:
    themes = Theme.objects.in_bulk([spec.slug for spec in THEMES], field_name="slug")
    position: Counter = Counter()
    for spec in THEMES:
        position[spec.kind] += 1
        values = {
            "kind": spec.kind,
            "name": spec.name,
            "description": spec.description,
            "position": position[spec.kind],
        }
        theme = themes.get(spec.slug)
        if theme is None:
            themes[spec.slug] = Theme.objects.create(slug=spec.slug, **values)
            created["catalog.theme"] += 1
        else:
            changed = [name for name, value in values.items() if getattr(theme, name) != value]
            if changed:
                for name in changed:
                    setattr(theme, name, values[name])
                theme.save(update_fields=changed)
                updated["catalog.theme"] += 1
    links = {
        (link.theme_id, link.item_id): link
        for link in ThemeItem.objects.filter(theme__in=[t.pk for t in themes.values()])
    }
    missing, moved = [], []
    for spec in THEMES:
        theme = themes[spec.slug]
        for index, name in enumerate(spec.items, start=1):
            link = links.get((theme.pk, item_ids[name]))
            if link is None:
                missing.append(ThemeItem(theme=theme, item_id=item_ids[name], position=index))
            elif link.position != index:
                link.position = index
                moved.append(link)
    if missing:
        ThemeItem.objects.bulk_create(missing)
        created["catalog.themeitem"] += len(missing)
    if moved:
        ThemeItem.objects.bulk_update(moved, ["position"])
        updated["catalog.themeitem"] += len(moved)
