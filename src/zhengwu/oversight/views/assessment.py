"""The ranking page (绩效考核): stored results for a period, recomputation by a supervisor, xlsx/PDF export."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.oversight.access import oversight_required, supervisor_only
from zhengwu.oversight.views._common import date_param, error_list
from zhengwu.supervision import rules
from zhengwu.supervision.domain.assessment import (
    METRIC_ORDER,
    assessment_compute,
    assessment_pdf,
    assessment_xlsx,
    period_bounds,
    period_label,
)
from zhengwu.supervision.enums import PeriodKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(params) -> tuple[str, date, date]:
    kind = params.get("kind", PeriodKind.MONTH)
    if kind not in PeriodKind.values:
        kind = PeriodKind.MONTH
    day = date_param(params.get("day")) or (timezone.localdate().replace(day=1) - timedelta(days=1))
    start, end = period_bounds(kind, day)
    return kind, start, end


def _results(user, kind: str, start: date):
    return list(
        rules.results_visible_to(user)
        .filter(period_kind=kind, period_start=start)
        .select_related("department", "scheme")
        .order_by(F("rank").asc(nulls_last=True), "department__code")
    )


def _title(kind: str, start: date) -> str:
    return _("%(period)s部门绩效考核") % {"period": period_label(kind, start)}


@oversight_required
def assessment(request):
    kind, start, end = _period(request.GET)
    results = _results(request.user, kind, start)
    metrics = [(m.value, m.label) for m in METRIC_ORDER]
    for result in results:
        result.cells = [result.metrics.get(code, {}) for code, _label in metrics]
    query = f"kind={kind}&day={start.isoformat()}"
    return render(
        request,
        "oversight/assessment.html",
        {
            "results": results,
            "metrics": metrics,
            "kind": kind,
            "kinds": PeriodKind.choices,
            "start": start,
            "last_day": end - timedelta(days=1),
            "title": _title(kind, start),
            "query": query,
            "scheme": results[0].scheme if results else None,
            "can_compute": rules.can_compute_assessment(request.user),
        },
    )


@require_POST
@oversight_required
def assessment_compute_view(request):
    supervisor_only(request.user)
    kind, start, _end = _period(request.POST)
    try:
        assessment_compute(actor=request.user, period_kind=kind, day=start)
    except ValidationError as error:
        for message in error_list(error):
            messages.error(request, message)
    else:
        messages.success(request, _("已根据办件、计时和告警数据重新计算考核结果。"))
    return redirect(reverse("oversight:assessment") + f"?kind={kind}&day={start.isoformat()}")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@oversight_required
def assessment_export_xlsx(request):
    kind, start, _end = _period(request.GET)
    title = _title(kind, start)
    return _download(assessment_xlsx(_results(request.user, kind, start), title=title), XLSX, f"{title}.xlsx")


@oversight_required
def assessment_export_pdf(request):
    kind, start, _end = _period(request.GET)
    title = _title(kind, start)
    return _download(
        assessment_pdf(_results(request.user, kind, start), title=title), "application/pdf", f"{title}.pdf"
    )
