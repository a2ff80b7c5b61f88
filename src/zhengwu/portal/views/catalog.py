"""办事服务: browse the catalogue, read an item's guide, search, and a scenario's "what do I need" checklist.

Only published versions are ever shown here (see zhengwu.catalog.domain.themes).
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import qrcode
import qrcode.constants
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.catalog.domain.themes import (
    audience_counts,
    audience_versions,
    department_versions,
    departments_with_counts,
    materials_merge,
    published_version,
    published_versions,
    theme_versions,
    themes_with_counts,
)
from zhengwu.catalog.enums import ServiceObject, ThemeKind, VersionState
from zhengwu.catalog.models import ItemMaterial, ItemVersion, Theme
from zhengwu.org.models import Department
from zhengwu.portal.catalog_forms import ServiceSearchForm
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.presets import get_preset

SEARCH_LIMIT = 50

# Which page shows a theme of each kind.
THEME_URL_NAMES = {
    ThemeKind.LIFE_EVENT: "portal:services_theme",
    ThemeKind.ENTERPRISE: "portal:services_theme",
    ThemeKind.IDENTITY: "portal:services_identity",
    ThemeKind.SCENARIO: "portal:services_scenario",
}

AUDIENCES = {
    ServiceObject.NATURAL_PERSON: gettext_lazy("个人办事"),
    ServiceObject.LEGAL_PERSON: gettext_lazy("法人办事"),
}


def theme_url(theme: Theme) -> str:
    return reverse(THEME_URL_NAMES[theme.kind], args=[theme.slug])


def _with_urls(themes) -> list[Theme]:
    themes = list(themes)
    for theme in themes:
        theme.url = theme_url(theme)
    return themes


def limit_text(days: int, unit: str) -> str:
    if unit == DeadlineUnit.CALENDAR:
        return _("%(days)d 个自然日") % {"days": days}
    return _("%(days)d 个工作日") % {"days": days}


def qr_svg(text: str, *, title: str) -> SafeString:
    """A QR code as inline SVG: one path of run-length rectangles, no style attributes (CSP style-src 'self')."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return format_html(
        '<svg class="qr-code" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        'aria-labelledby="qr-title" shape-rendering="crispEdges"><title id="qr-title">{title}</title>'
        '<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>',
        size=size,
        title=title,
        path="".join(runs),
    )


def services(request):
    themes = _with_urls(themes_with_counts())
    by_kind = {kind: [theme for theme in themes if theme.kind == kind] for kind in ThemeKind.values}
    counts = audience_counts()
    context = {
        "form": ServiceSearchForm(),
        "departments": departments_with_counts(),
        "life_events": by_kind[ThemeKind.LIFE_EVENT],
        "enterprise_stages": by_kind[ThemeKind.ENTERPRISE],
        "identity_groups": by_kind[ThemeKind.IDENTITY],
        "scenarios": by_kind[ThemeKind.SCENARIO],
        "audiences": [
            {"url": reverse("portal:services_audience", args=[key]), "label": label, "count": counts[key]}
            for key, label in AUDIENCES.items()
        ],
    }
    return render(request, "portal/catalog/index.html", context)


def department(request, code: str):
    dept = get_object_or_404(Department, code=code, is_active=True)
    versions = list(department_versions(dept))
    form = ServiceSearchForm(initial={"department": dept.code})
    context = {"department": dept, "versions": versions, "form": form}
    return render(request, "portal/catalog/department.html", context)


def audience(request, audience: str):
    if audience not in AUDIENCES:
        raise Http404
    versions = list(audience_versions(audience))
    return render(
        request, "portal/catalog/audience.html", {"audience_label": AUDIENCES[audience], "versions": versions}
    )


def _theme_page(request, slug: str, kinds: set[str]):
    theme = get_object_or_404(Theme, slug=slug, kind__in=kinds)
    context = {"theme": theme, "kind_label": ThemeKind(theme.kind).label, "versions": list(theme_versions(theme))}
    return render(request, "portal/catalog/theme.html", context)


def theme(request, slug: str):
    return _theme_page(request, slug, {ThemeKind.LIFE_EVENT, ThemeKind.ENTERPRISE})


def identity(request, slug: str):
    return _theme_page(request, slug, {ThemeKind.IDENTITY})


def scenario(request, slug: str):
    theme = get_object_or_404(Theme, slug=slug, kind=ThemeKind.SCENARIO)
    versions = list(theme_versions(theme).prefetch_related("materials"))
    context = {
        "theme": theme,
        "kind_label": ThemeKind(theme.kind).label,
        "checklist": materials_merge(versions),
        "versions": versions,
    }
    return render(request, "portal/catalog/scenario.html", context)


@dataclass(frozen=True)
class LimitInfo:
    statutory: str
    promised: str
    percent_of_statutory: int | None
    compression_percent: int | None
    basis: str


def _limits(version: ItemVersion) -> LimitInfo:
    ratio = version.compression_ratio
    percent = None if ratio is None else int((ratio * 100).to_integral_value())
    basis = ""
    if version.statutory_preset:
        try:
            basis = get_preset(version.statutory_preset).summary()
        except KeyError:
            basis = ""
    if version.promised_limit_days == 0:
        promised = _("当场办结")
    else:
        promised = limit_text(version.promised_limit_days, version.limit_unit)
    return LimitInfo(
        statutory=limit_text(version.statutory_limit_days, version.limit_unit),
        promised=promised,
        percent_of_statutory=percent,
        compression_percent=None if percent is None else 100 - percent,
        basis=basis,
    )


def item_guide(request, implementation_code: str):
    version = published_version(implementation_code)
    if version is None:
        raise Http404(_("该事项不存在或尚未发布。"))
    page_url = request.build_absolute_uri(reverse("portal:services_item", args=[version.item.implementation_code]))
    themes = _with_urls(version.item.themes.order_by("kind", "position", "id"))
    context = {
        "version": version,
        "item": version.item,
        "materials": list(version.materials.all()),
        "fees": list(version.fees.all()),
        "steps": list(version.steps.all()),
        "limits": _limits(version),
        "themes": themes,
        "page_url": page_url,
        "qr_code": qr_svg(page_url, title=_("扫码在手机上查看本办事指南")),
    }
    return render(request, "portal/catalog/guide.html", context)


MATERIAL_FILES = {"blank-form": "blank_form", "sample": "sample"}


def _public_file(field_file):
    """Serve a file of a published guide as a download (media files are never served directly)."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=Path(field_file.name).name)


def material_file(request, implementation_code: str, material_id: int, kind: str):
    """A material's blank form or filled-in sample, only from the published version."""
    if kind not in MATERIAL_FILES:
        raise Http404
    material = get_object_or_404(
        ItemMaterial,
        pk=material_id,
        version__state=VersionState.PUBLISHED,
        version__item__implementation_code=implementation_code,
    )
    return _public_file(getattr(material, MATERIAL_FILES[kind]))


def result_sample(request, implementation_code: str):
    version = published_version(implementation_code)
    if version is None:
        raise Http404
    return _public_file(version.result_sample)


def _search_backend():
    """`zhengwu.search.domain.search_items`, or None while the search app is not installed."""
    try:
        from zhengwu.search.domain import search_items
    except ImportError:
        return None
    return search_items


@dataclass(frozen=True)
class SearchResult:
    version: ItemVersion
    title: SafeString
    snippet: SafeString
    score: float


def search(request):
    form = ServiceSearchForm(request.GET or None)
    context = {
        "form": form,
        "query": "",
        "results": None,
        "unavailable": False,
        "limit": SEARCH_LIMIT,
        "services_url": reverse("portal:services"),
    }
    valid = form.is_bound and form.is_valid()
    form.fields["q"].widget.attrs["aria-describedby"] = "q-error q-help" if form.errors else "q-help"
    if valid and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        context["query"] = query
        scope = {}
        if form.cleaned_data["department"]:
            dept = Department.objects.filter(code=form.cleaned_data["department"], is_active=True).first()
            if dept is not None:
                context["department"] = dept
                context["all_departments_url"] = f"{request.path}?{urlencode({'q': query})}"
                scope["department_id"] = dept.pk
        search_items = _search_backend()
        if search_items is None:
            context["unavailable"] = True
        else:
            hits = search_items(query, limit=SEARCH_LIMIT, **scope)
            versions = published_versions().in_bulk([hit.version_id for hit in hits])
            # title_highlight and snippet are HTML-safe by the search app's contract (escaped text + <mark>).
            context["results"] = [
                SearchResult(
                    version=versions[hit.version_id],
                    title=mark_safe(hit.title_highlight),
                    snippet=mark_safe(hit.snippet),
                    score=hit.score,
                )
                for hit in hits
                if hit.version_id in versions
            ]
    return render(request, "portal/catalog/search.html", context)
