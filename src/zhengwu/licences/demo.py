"""Demo licence types of 青川区 and about ten licences issued to demo citizens and enterprises.

Idempotent: types are keyed on their code, licences on (type, holder's ID number or credit code); a rerun
issues nothing and writes no audit event. Run inside `zhengwu demo` after the people exist.
"""

from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from zhengwu.accounts.enums import UserKind
from zhengwu.accounts.models import User
from zhengwu.audit.domain import audited_atomic
from zhengwu.core.demo import data
from zhengwu.licences.domain import licence_issue, licence_revoke
from zhengwu.licences.enums import LicenceTemplate
from zhengwu.licences.models import Licence, LicenceType
from zhengwu.org.models import Department

ACTOR = "system:demo"


@dataclass(frozen=True)
class TypeSpec:
    code: str
    name: str
    department: str  # department code
    validity_years: int | None
    holder_label: str
    fields: tuple[tuple[str, str], ...]
    natural: bool = False
    legal: bool = True
    template: str = LicenceTemplate.STANDARD


TYPES = (
    TypeSpec(
        "SPJY",
        "食品经营许可证",
        "SPJ",
        5,
        "经营者名称",
        (
            ("legal_representative", "法定代表人（负责人）"),
            ("residence", "住所"),
            ("premises", "经营场所"),
            ("business_form", "主体业态"),
            ("scope", "经营项目"),
        ),
    ),
    TypeSpec(
        "GTGSH",
        "个体工商户营业执照",
        "SCJG",
        None,
        "经营者",
        (("trade_name", "名称"), ("composition", "组成形式"), ("premises", "经营场所"), ("scope", "经营范围")),
        natural=True,
        legal=False,
        template=LicenceTemplate.LANDSCAPE,
    ),
    TypeSpec(
        "NYJY",
        "农药经营许可证",
        "NYJ",
        5,
        "经营者名称",
        (
            ("legal_representative", "法定代表人（负责人）"),
            ("residence", "住所"),
            ("premises", "经营场所"),
            ("warehouse", "仓储场所"),
            ("scope", "经营范围"),
        ),
    ),
    TypeSpec(
        "JZSG",
        "建筑工程施工许可证",
        "ZJJ",
        None,
        "建设单位",
        (
            ("project_name", "工程名称"),
            ("site", "建设地址"),
            ("scale", "建设规模"),
            ("contract_price", "合同价格"),
            ("contractor", "施工单位"),
            ("supervisor", "监理单位"),
            ("duration", "合同工期"),
        ),
    ),
    TypeSpec(
        "DLYS",
        "道路运输经营许可证",
        "JTJ",
        4,
        "业户名称",
        (("legal_representative", "法定代表人"), ("residence", "地址"), ("scope", "经营范围")),
    ),
)


@dataclass(frozen=True)
class LicenceSpec:
    type_code: str
    holder: str  # "citizen:<n>" (n-th demo citizen, the featured one first) or "enterprise:<name keyword>#<n>"
    data: dict[str, str] = field(default_factory=dict)
    revoke_reason: str = ""


_SHOPS = (
    ("百货店", "日用百货、文具用品、预包装食品零售"),
    ("小吃店", "小吃店经营（凭有效许可证件经营）"),
    ("五金店", "五金交电、建筑材料（不含危险化学品）零售"),
)

LICENCES = (
    *(
        LicenceSpec("GTGSH", f"citizen:{n}", {"composition": "个人经营", "scope": scope, "shop": shop})
        for n, (shop, scope) in enumerate(_SHOPS)
    ),
    LicenceSpec(
        "NYJY",
        f"enterprise:{data.FEATURED_ENTERPRISE}#0",
        {"warehouse": "青川区白石镇农资仓储园 3 号库", "scope": "农药（不含限制使用农药）"},
    ),
    LicenceSpec(
        "SPJY",
        f"enterprise:{data.FEATURED_ENTERPRISE}#0",
        {"business_form": "食品销售经营者（网络经营）", "scope": "预包装食品（不含冷藏冷冻食品）销售；散装食品销售"},
    ),
    LicenceSpec(
        "SPJY", "enterprise:食品#0", {"business_form": "食品销售经营者（商场超市）", "scope": "预包装食品销售"}
    ),
    LicenceSpec(
        "SPJY",
        "enterprise:餐饮管理#0",
        {"business_form": "餐饮服务经营者（中型餐馆）", "scope": "热食类食品制售；冷食类食品制售"},
        revoke_reason="被许可人以提供虚假材料方式取得许可，依据《中华人民共和国行政许可法》第六十九条第二款予以撤销。",
    ),
    LicenceSpec(
        "JZSG",
        "enterprise:房地产开发#0",
        {
            "project_name": "青川·凤鸣花园二期 3# 住宅楼",
            "site": "青川区凤鸣街道振兴路以北、文化路以东",
            "scale": "地上 18 层、地下 2 层，建筑面积 21,560 平方米",
            "contract_price": "人民币 5,830 万元",
            "supervisor": "青川区正衡工程监理有限公司",
            "duration": "720 日历天",
        },
    ),
    LicenceSpec("DLYS", "enterprise:物流#0", {"scope": "道路普通货物运输；货物专用运输（集装箱）"}),
    LicenceSpec("DLYS", "enterprise:物流#1", {"scope": "道路普通货物运输"}),
)


def _types(departments: dict[str, Department], created: Counter, updated: Counter) -> dict[str, LicenceType]:
    existing = LicenceType.objects.in_bulk([spec.code for spec in TYPES], field_name="code")
    types = {}
    for order, spec in enumerate(TYPES, start=1):
        department = departments.get(spec.department)
        if department is None:
            continue
        values = {
            "name": spec.name,
            "department_id": department.pk,
            "validity_years": spec.validity_years,
            "holder_label": spec.holder_label,
            "fields": [{"key": key, "label": label} for key, label in spec.fields],
            "for_natural_persons": spec.natural,
            "for_legal_persons": spec.legal,
            "template_name": spec.template,
            "is_active": True,
            "sort_order": order,
        }
        obj = existing.get(spec.code)
        if obj is None:
            obj = LicenceType.objects.create(code=spec.code, **values)
            created["licences.licencetype"] += 1
        else:
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            if changed:
                for name in changed:
                    setattr(obj, name, values[name])
                obj.save(update_fields=changed)
                updated["licences.licencetype"] += 1
        types[spec.code] = obj
    return types


def _holders() -> dict[str, User]:
    featured_phone = data.FEATURED_CITIZEN[1]
    featured_first = Case(When(username=featured_phone, then=Value(0)), default=Value(1), output_field=IntegerField())
    citizens = list(
        User.objects.filter(kind=UserKind.CITIZEN, is_active=True, citizen__isnull=False)
        .select_related("citizen")
        .order_by(featured_first, "username")[: len(_SHOPS)]
    )
    holders = {f"citizen:{n}": user for n, user in enumerate(citizens)}
    keywords = {
        spec.holder.split(":", 1)[1].split("#")[0] for spec in LICENCES if spec.holder.startswith("enterprise:")
    }
    matches = Q()
    for keyword in keywords:
        matches |= Q(enterprise__name__contains=keyword)
    enterprises = list(
        User.objects.filter(matches, kind=UserKind.ENTERPRISE, is_active=True)
        .select_related("enterprise")
        .order_by("username")
    )
    for keyword in keywords:
        for n, user in enumerate(u for u in enterprises if keyword in u.enterprise.name):
            holders[f"enterprise:{keyword}#{n}"] = user
    return holders


def _data(spec: LicenceSpec, type_spec: TypeSpec, holder: User) -> dict[str, str]:
    values = dict(spec.data)
    if holder.kind == UserKind.CITIZEN:
        shop = values.pop("shop")
        name = holder.citizen.real_name
        values["trade_name"] = f"{data.DISTRICT_NAME}{name[1:] or name}{shop}"
        street = data.STREETS[len(name) % len(data.STREETS)]
        values["premises"] = f"{data.DISTRICT_NAME}{street.name}{street.road}{10 + len(shop) * 3}号"
    else:
        profile = holder.enterprise
        values.setdefault("legal_representative", profile.legal_representative)
        values.setdefault("residence", profile.address)
        values.setdefault("premises", profile.address)
        if type_spec.code == "JZSG":
            values.setdefault("contractor", "青川隆昌建筑工程有限责任公司")
    keys = {key for key, _label in type_spec.fields}
    return {key: value for key, value in values.items() if key in keys}


def licences_demo_load(result=None) -> Counter:
    """Create what is missing of the demo licences. Returns (and adds to `result`) rows created or restored."""
    created: Counter = Counter()
    updated: Counter = Counter()
    departments = Department.objects.in_bulk([spec.department for spec in TYPES], field_name="code")
    type_specs = {spec.code: spec for spec in TYPES}
    with nullcontext() if connection.in_atomic_block else audited_atomic():
        types = _types(departments, created, updated)
        holders = _holders()
        wanted = [
            (spec, holders[spec.holder]) for spec in LICENCES if spec.holder in holders and spec.type_code in types
        ]
        existing = {
            (code, number): (licence_id, holder_id)
            for licence_id, code, number, holder_id in Licence.objects.filter(
                licence_type__code__in=[spec.code for spec in TYPES],
                holder_id_number__in=[_id_number(holder) for _spec, holder in wanted],
            ).values_list("pk", "licence_type__code", "holder_id_number", "holder_id")
        }
        for spec, holder in wanted:
            found = existing.get((spec.type_code, _id_number(holder)))
            if found is not None:
                if found[1] != holder.pk:  # the demo account was deleted and recreated
                    Licence.objects.filter(pk=found[0]).update(holder=holder)
                    updated["licences.licence"] += 1
                continue
            licence = licence_issue(
                actor=ACTOR,
                licence_type=types[spec.type_code],
                holder=holder,
                data=_data(spec, type_specs[spec.type_code], holder),
            )
            existing[(spec.type_code, licence.holder_id_number)] = (licence.pk, holder.pk)
            created["licences.licence"] += 1
            if spec.revoke_reason:
                licence_revoke(actor=ACTOR, licence=licence, reason=spec.revoke_reason)
    if result is not None:
        result.created.update(created)
        result.updated.update(updated)
    return created + updated


def _id_number(holder: User) -> str:
    return holder.citizen.id_number if holder.kind == UserKind.CITIZEN else holder.enterprise.credit_code
