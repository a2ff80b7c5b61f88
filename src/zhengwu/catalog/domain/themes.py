"""Themes (life events, identity groups, enterprise stages, scenarios) and the public read side of the catalogue.

Only published versions are ever returned by the read helpers here: drafts, versions in review and
superseded or withdrawn versions are never shown to the public.

Identity groups (students, farmers, veterans, …) are themes of kind ``identity``; ``theme_versions``
serves them like any other theme. Service objects (个人办事 / 法人办事) are ``audience_versions``.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models import Count, Q, QuerySet

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.catalog import rules
from zhengwu.catalog.enums import MaterialForm, MaterialNecessity, ServiceObject, ThemeKind, VersionState
from zhengwu.catalog.models import ItemMaterial, ItemVersion, ServiceItem, Theme, ThemeItem
from zhengwu.org.models import Department

PUBLISHED = Q(state=VersionState.PUBLISHED)


# --- Read helpers (public) -------------------------------------------------------------------------------------


def published_versions() -> QuerySet[ItemVersion]:
    """Every version in force, with its item and department (one query)."""
    return ItemVersion.objects.filter(PUBLISHED).select_related("item", "item__department")


def published_version(implementation_code: str) -> ItemVersion | None:
    """The version in force of one item, with materials, fees and steps prefetched; None if there is none."""
    return (
        published_versions()
        .filter(item__implementation_code=(implementation_code or "").strip().upper())
        .prefetch_related("materials", "fees", "steps")
        .first()
    )


def theme_versions(theme: Theme) -> QuerySet[ItemVersion]:
    """Published versions of a theme's items in the theme's order (ThemeItem.position)."""
    return (
        published_versions()
        .filter(item__theme_items__theme=theme)
        .order_by("item__theme_items__position", "item__theme_items__id")
    )


def department_versions(department: Department) -> QuerySet[ItemVersion]:
    """Published versions of a department's items, grouped by item type, in catalogue (basic code) order."""
    return published_versions().filter(item__department=department).order_by("item__item_type", "item__basic_code")


def audience_versions(audience: str) -> QuerySet[ItemVersion]:
    """Published versions for natural persons (个人办事) or legal persons (法人办事)."""
    if audience not in ServiceObject.values:
        raise ValueError(f"unknown audience {audience!r}")
    flag = "for_natural_persons" if audience == ServiceObject.NATURAL_PERSON else "for_legal_persons"
    return published_versions().filter(**{flag: True}).order_by("item__item_type", "item__basic_code")


def departments_with_counts() -> QuerySet[Department]:
    """Active departments that have at least one published item, each with `published_count`."""
    return (
        Department.objects.filter(is_active=True)
        .annotate(
            published_count=Count(
                "service_items", filter=Q(service_items__versions__state=VersionState.PUBLISHED), distinct=True
            )
        )
        .filter(published_count__gt=0)
        .order_by("sort_order", "code")
    )


def themes_with_counts(kind: str | None = None) -> QuerySet[Theme]:
    """Themes (of one kind, or all) with `published_count`; themes with nothing published are left out."""
    themes = Theme.objects.all() if kind is None else Theme.objects.filter(kind=kind)
    return (
        themes.annotate(
            published_count=Count("items", filter=Q(items__versions__state=VersionState.PUBLISHED), distinct=True)
        )
        .filter(published_count__gt=0)
        .order_by("kind", "position", "id")
    )


def audience_counts() -> dict[str, int]:
    """Number of published items for natural and for legal persons."""
    counts = ItemVersion.objects.filter(PUBLISHED).aggregate(
        natural=Count("id", filter=Q(for_natural_persons=True)),
        legal=Count("id", filter=Q(for_legal_persons=True)),
    )
    return {ServiceObject.NATURAL_PERSON: counts["natural"], ServiceObject.LEGAL_PERSON: counts["legal"]}


# --- Scenario checklist ("what do I need") ---------------------------------------------------------------------

# Different names for the same document across guides (after normalisation).
MATERIAL_SYNONYMS: dict[str, str] = {
    "身份证": "居民身份证",
    "二代身份证": "居民身份证",
    "第二代居民身份证": "居民身份证",
    "户口本": "户口簿",
    "居民户口簿": "户口簿",
    "常住人口登记卡": "户口簿",
    "结婚证书": "结婚证",
    "出生医学证明书": "出生医学证明",
}
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|〈[^〈〉]*〉")
_DROPPED_CHARS = re.compile(r"[\s《》<>“”\"‘’'「」『』]")
# Longest first: "原件及复印件" must go before "复印件".
_FORM_SUFFIXES = (
    "原件及复印件",
    "原件和复印件",
    "复印件及原件",
    "原件或复印件",
    "原件、复印件",
    "正副本",
    "复印件",
    "影印件",
    "扫描件",
    "电子件",
    "电子版",
    "原件",
    "正本",
    "副本",
)


def material_key(name: str) -> str:
    """The name a material is merged under: no spaces, brackets or form suffixes; synonyms unified.

    "居民身份证（复印件）", "身份证复印件", "申请人身份证" and "身份证 原件" all become "居民身份证".
    """
    text = unicodedata.normalize("NFKC", name or "")
    text = _DROPPED_CHARS.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _BRACKETED.sub("", text)
    text = text.strip("()[]【】〔〕〈〉、，,;；:：.。")
    stripped = True
    while stripped:
        stripped = False
        for suffix in _FORM_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].rstrip("及和或、")
                stripped = True
                break
    # "申请人居民身份证" is the applicant's own document in every item: the same as "居民身份证".
    for prefix in _PARTY_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    return MATERIAL_SYNONYMS.get(text, text) or (name or "").strip()


_PARTY_PREFIXES = ("申请人的", "申请人")

_NECESSITY_RANK = {MaterialNecessity.OPTIONAL: 0, MaterialNecessity.CONDITIONAL: 1, MaterialNecessity.REQUIRED: 2}


def _strictest_form(forms: set[str]) -> str:
    """What satisfies every item: an original and a copy when one item keeps a copy and another checks the original."""
    if MaterialForm.ORIGINAL_AND_COPY in forms or {MaterialForm.ORIGINAL, MaterialForm.COPY} <= forms:
        return MaterialForm.ORIGINAL_AND_COPY
    for form in (MaterialForm.ORIGINAL, MaterialForm.COPY, MaterialForm.ELECTRONIC):
        if form in forms:
            return form
    return MaterialForm.ORIGINAL


@dataclass(frozen=True)
class MaterialNeed:
    """One item's requirement for a material (as its own guide words it)."""

    version: ItemVersion
    material: ItemMaterial


@dataclass
class MergedMaterial:
    """One line of a scenario's checklist: a material, and every item of the scenario that needs it."""

    name: str
    form: str = MaterialForm.ORIGINAL
    copies: int = 1
    necessity: str = MaterialNecessity.OPTIONAL
    needs: list[MaterialNeed] = field(default_factory=list)
    # Items of the same scenario whose result is this material (e.g. 营业执照 from 设立登记) and that don't need it.
    produced_by: list[ItemVersion] = field(default_factory=list)

    def add(self, need: MaterialNeed) -> None:
        self.needs.append(need)
        material = need.material
        self.form = _strictest_form({known.material.form for known in self.needs})
        self.copies = max(self.copies, material.copies)
        if _NECESSITY_RANK[MaterialNecessity(material.necessity)] > _NECESSITY_RANK[MaterialNecessity(self.necessity)]:
            self.necessity = material.necessity

    @property
    def form_label(self) -> str:
        return str(MaterialForm(self.form).label)

    @property
    def necessity_label(self) -> str:
        return str(MaterialNecessity(self.necessity).label)

    @property
    def versions(self) -> list[ItemVersion]:
        """The items needing it, each once, in scenario order."""
        seen: dict[int, ItemVersion] = {}
        for need in self.needs:
            seen.setdefault(need.version.pk, need.version)
        return list(seen.values())

    @property
    def item_names(self) -> list[str]:
        return [version.name for version in self.versions]

    @property
    def original_names(self) -> list[str]:
        """How the items' guides name it, where that differs from the merged name."""
        names: list[str] = []
        for need in self.needs:
            if need.material.name != self.name and need.material.name not in names:
                names.append(need.material.name)
        return names

    @property
    def conditions(self) -> list[tuple[str, str]]:
        """(item name, condition) for items that need it only in some situations."""
        return [
            (need.version.name, need.material.condition)
            for need in self.needs
            if need.material.necessity == MaterialNecessity.CONDITIONAL and need.material.condition
        ]

    @property
    def licence_types(self) -> list[str]:
        types: list[str] = []
        for need in self.needs:
            if need.material.licence_type and need.material.licence_type not in types:
                types.append(need.material.licence_type)
        return types

    @property
    def licence_replaces_everywhere(self) -> bool:
        """True when every item needing it accepts an electronic licence instead of the paper."""
        return all(need.material.licence_type for need in self.needs)

    @property
    def items_without_licence(self) -> list[str]:
        names: list[str] = []
        for need in self.needs:
            if not need.material.licence_type and need.version.name not in names:
                names.append(need.version.name)
        return names


def materials_merge(versions: list[ItemVersion]) -> list[MergedMaterial]:
    """Merge the materials of several versions into one de-duplicated list, in order of first appearance.

    A material that another item of the list produces as its result says so (`produced_by`).
    The versions' `materials` should be prefetched.
    """
    merged: dict[str, MergedMaterial] = {}
    for version in versions:
        for material in version.materials.all():
            key = material_key(material.name)
            line = merged.get(key)
            if line is None:
                line = merged[key] = MergedMaterial(name=key, form=material.form, copies=material.copies)
            line.add(MaterialNeed(version=version, material=material))
    for version in versions:
        line = merged.get(material_key(version.result_name))
        if line is not None and version.pk not in {need.version.pk for need in line.needs}:
            line.produced_by.append(version)
    return list(merged.values())


def scenario_checklist(theme: Theme) -> list[MergedMaterial]:
    """The "what do I need" list of a scenario: its published items' materials merged (two queries)."""
    return materials_merge(list(theme_versions(theme).prefetch_related("materials")))


# --- Theme management (reference data; audited) ----------------------------------------------------------------

THEME_FIELDS = ("kind", "slug", "name", "description", "position")


def _require_manager(actor: Any) -> None:
    if isinstance(actor, str) and actor.startswith("system:"):
        return
    if not rules.can_manage_themes(actor):
        raise ValidationError("您没有维护主题和场景的权限。")


def _theme_summary(theme: Theme) -> dict:
    return {name: getattr(theme, name) for name in THEME_FIELDS}


def _theme_errors(values: dict, *, exclude_pk: int | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("kind") not in ThemeKind.values:
        errors["kind"] = f"请选择有效的类别（{'、'.join(str(label) for label in ThemeKind.labels)}）。"
    slug = values.get("slug") or ""
    try:
        validate_slug(slug)
    except ValidationError:
        errors["slug"] = "标识只能包含字母、数字、连字符和下划线。"
    else:
        if len(slug) > 60:
            errors["slug"] = "标识不能超过 60 个字符。"
        elif Theme.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
            errors["slug"] = "该标识已被使用。"
    name = values.get("name") or ""
    if not name:
        errors["name"] = "名称为必填项。"
    elif len(name) > 100:
        errors["name"] = "名称不能超过 100 个字。"
    position = values.get("position")
    if not isinstance(position, int) or not 0 <= position <= 32767:
        errors["position"] = "排序应为 0 至 32767 的整数。"
    return errors


def _theme_clean(values: dict) -> dict:
    cleaned = dict(values)
    for name in ("slug", "name", "description"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    if "position" in cleaned:
        try:
            cleaned["position"] = int(cleaned["position"])
        except (TypeError, ValueError):
            cleaned["position"] = None
    return cleaned


def theme_create(*, actor: Any, kind: str, slug: str, name: str, description: str = "", position: int = 0) -> Theme:
    """Create a theme (life event, identity group, enterprise stage or scenario)."""
    _require_manager(actor)
    values = _theme_clean({"kind": kind, "slug": slug, "name": name, "description": description, "position": position})
    with audited_atomic():
        errors = _theme_errors(values)
        if errors:
            raise ValidationError(errors)
        theme = Theme.objects.create(**values)
        audit_record(actor=actor, action="catalog.theme_created", obj=theme, after=_theme_summary(theme))
    return theme


def theme_update(*, actor: Any, theme: Theme, fields: dict) -> Theme:
    """Change a theme's kind, slug, name, description or position. Fields not given keep their values."""
    _require_manager(actor)
    unknown = set(fields) - set(THEME_FIELDS)
    if unknown:
        raise ValidationError(f"未知的字段：{'、'.join(sorted(unknown))}")
    with audited_atomic():
        theme = Theme.objects.select_for_update().get(pk=theme.pk)
        before = _theme_summary(theme)
        values = before | _theme_clean(fields)
        errors = _theme_errors(values, exclude_pk=theme.pk)
        if errors:
            raise ValidationError(errors)
        for name, value in values.items():
            setattr(theme, name, value)
        theme.save()
        audit_record(actor=actor, action="catalog.theme_updated", obj=theme, before=before, after=values)
    return theme


def theme_items_set(*, actor: Any, theme: Theme, items: list[ServiceItem]) -> Theme:
    """Replace the theme's items with `items`, in that order."""
    _require_manager(actor)
    items = list(items)
    pks = [item.pk for item in items]
    if len(set(pks)) != len(pks):
        raise ValidationError({"items": "同一事项不能重复加入主题。"})
    with audited_atomic():
        theme = Theme.objects.select_for_update().get(pk=theme.pk)
        found = set(ServiceItem.objects.filter(pk__in=pks).values_list("pk", flat=True))
        if found != set(pks):
            raise ValidationError({"items": "所选事项不存在。"})
        before = list(theme.theme_items.order_by("position", "id").values_list("item__implementation_code", flat=True))
        theme.theme_items.all().delete()
        ThemeItem.objects.bulk_create(
            ThemeItem(theme=theme, item=item, position=position) for position, item in enumerate(items)
        )
        after = [item.implementation_code for item in items]
        audit_record(
            actor=actor, action="catalog.theme_items_set", obj=theme, before={"items": before}, after={"items": after}
        )
    return theme
