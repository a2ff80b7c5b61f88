"""The live dashboard: colour counts, alerts by point and department, the 30-day trend; every number links
to the objects behind it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.oversight import queries
from zhengwu.oversight.access import oversight_required
from zhengwu.oversight.views._common import page_of
from zhengwu.supervision import rules
from zhengwu.supervision.enums import ColourStatus


def _alerts_url(**params) -> str:
    return reverse("oversight:alerts") + "?" + urlencode({k: v for k, v in params.items() if v is not None})


@oversight_required
def home(request):
    user = request.user
    colours = queries.colour_counts(user)
    for row in colours:
        row["url"] = reverse("oversight:objects") + "?" + urlencode({"colour": row["colour"].value})
    by_point = queries.alerts_by_point(user)
    for row in by_point:
        row["url"] = _alerts_url(point=row["point_id"])
    by_department = queries.alerts_by_department(user)
    for row in by_department:
        department = row["department_id"] if row["department_id"] is not None else "none"
        row["url"] = _alerts_url(department=department)
        row["levels"] = [
            (_("预警"), row["warning"], _alerts_url(department=department, level=1)),
            (_("黄牌"), row["yellow"], _alerts_url(department=department, level=2)),
            (_("红牌"), row["red"], _alerts_url(department=department, level=3)),
        ]
    trend = queries.alert_trend(user)
    chart = {
        "trend": {
            "title": _("近 30 日新增告警"),
            "days": [row["day"].isoformat() for row in trend],
            "counts": [row["count"] for row in trend],
            "urls": [_alerts_url(opened=row["day"].isoformat(), status="all") for row in trend],
        },
        "points": {
            "title": _("各监察点在办告警"),
            "names": [row["point__name"] for row in by_point],
            "counts": [row["n"] for row in by_point],
            "urls": [row["url"] for row in by_point],
        },
        "colours": {
            "title": _("监察对象状态"),
            "names": [str(row["label"]) for row in colours],
            "keys": [row["colour"].value for row in colours],
            "counts": [row["count"] for row in colours],
            "urls": [row["url"] for row in colours],
        },
    }
    return render(
        request,
        "oversight/home.html",
        {
            "colours": colours,
            "by_point": by_point,
            "by_department": by_department,
            "trend": trend,
            "trend_total": sum(row["count"] for row in trend),
            "chart": chart,
            "is_supervisor": rules.is_supervisor(user),
            "scoped": not rules.is_county_wide(user),
            "now": timezone.now(),
        },
    )


@oversight_required
def objects(request):
    """The supervised cases behind a colour count; each links to its case page (with the clock's explanation)."""
    colour = request.GET.get("colour", "")
    queryset = queries.supervised_cases(request.user).select_related("department", "handling_clock")
    if colour in ColourStatus.values:
        queryset = queryset.filter(colour=colour)
    else:
        colour = ""
    page = page_of(request, queryset.order_by("-top_level", "handling_clock__due_at", "pk"))
    labels = dict(ColourStatus.choices)
    for case in page.object_list:
        case.colour_label = labels[case.colour]
    return render(
        request,
        "oversight/objects.html",
        {"page": page, "colour": colour, "colour_label": labels.get(colour, ""), "colours": ColourStatus.choices},
    )
