"""The supervisors' alert inbox: filter, open, acknowledge, dismiss (htmx swaps the action panel in place)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases.models import Case
from zhengwu.org.models import Department
from zhengwu.oversight import queries
from zhengwu.oversight.access import oversight_required, supervisor_only
from zhengwu.oversight.views._common import date_param, error_list, int_param, page_of
from zhengwu.supervision import rules
from zhengwu.supervision.domain.work import alert_acknowledge, alert_dismiss
from zhengwu.supervision.enums import ACTIVE_ALERT_STATUSES, AlertLevel, AlertStatus
from zhengwu.supervision.models import MonitoringPoint
from zhengwu.supervision.points import point_explain
from zhengwu.workcal.domain.clock import clock_explain


def _filtered(request):
    queryset = rules.alerts_visible_to(request.user).select_related("point", "department")
    params = request.GET
    filters: dict[str, str] = {}
    status = params.get("status", "active")
    if status == "active":
        queryset = queryset.filter(status__in=sorted(ACTIVE_ALERT_STATUSES))
    elif status in AlertStatus.values:
        queryset = queryset.filter(status=status)
    else:
        status = "all"
    filters["status"] = status
    level = int_param(params.get("level"))
    if level is not None and level in AlertLevel.values:
        queryset = queryset.filter(level=level)
        filters["level"] = str(level)
    point = int_param(params.get("point"))
    if point is not None:
        queryset = queryset.filter(point_id=point)
        filters["point"] = str(point)
    department = params.get("department", "")
    if department == "none":
        queryset = queryset.filter(department__isnull=True)
        filters["department"] = department
    elif (department_id := int_param(department)) is not None:
        queryset = queryset.filter(department_id=department_id)
        filters["department"] = str(department_id)
    case = int_param(params.get("case"))
    if case is not None:
        queryset = queryset.filter(content_type=ContentType.objects.get_for_model(Case), object_id=str(case))
        filters["case"] = str(case)
    opened = date_param(params.get("opened"))
    if opened is not None:
        start = timezone.make_aware(datetime.combine(opened, datetime.min.time()))
        queryset = queryset.filter(opened_at__gte=start, opened_at__lt=start + timedelta(days=1))
        filters["opened"] = opened.isoformat()
    return queryset, filters


@oversight_required
def alert_list(request):
    queryset, filters = _filtered(request)
    page = page_of(request, queryset.order_by("-level", "-level_changed_at", "-id"))
    numbers = queries.case_numbers(page.object_list)
    for alert in page.object_list:
        alert.case_number = numbers.get(alert.pk)
    departments = rules.scope_for(request.user, Department.objects.order_by("code"), field="pk")
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return render(
        request,
        "oversight/alerts.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "levels": AlertLevel.choices,
            "statuses": AlertStatus.choices,
            "points": MonitoringPoint.objects.order_by("module", "position", "code"),
            "departments": departments,
            "is_supervisor": rules.is_supervisor(request.user),
        },
    )


def _alert_or_404(request, pk: int):
    return get_object_or_404(
        rules.alerts_visible_to(request.user).select_related("point", "department", "clock", "handled_by"), pk=pk
    )


def _detail_context(request, alert, **extra):
    number = queries.case_numbers([alert]).get(alert.pk)
    return {
        "alert": alert,
        "case_number": number,
        "clock_lines": clock_explain(alert.clock) if alert.clock_id else [],
        "found_lines": point_explain(alert.point.code, alert.details),
        "is_supervisor": rules.is_supervisor(request.user),
        "can_handle": rules.is_supervisor(request.user) and alert.status in ACTIVE_ALERT_STATUSES,
        "orders": alert.orders.order_by("-issued_at"),
        **extra,
    }


@oversight_required
def alert_detail(request, pk: int):
    alert = _alert_or_404(request, pk)
    return render(request, "oversight/alert.html", _detail_context(request, alert))


def _act(request, pk: int, action, success: str):
    alert = _alert_or_404(request, pk)
    supervisor_only(request.user)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        action(alert)
    except ValidationError as error:
        context = _detail_context(request, alert, errors=error_list(error), form_values=request.POST)
        template = "oversight/_alert_actions.html" if htmx else "oversight/alert.html"
        return render(request, template, context, status=200 if htmx else 400)
    if htmx:
        return render(request, "oversight/_alert_actions.html", _detail_context(request, alert, done=success))
    messages.success(request, success)
    return redirect("oversight:alert_detail", pk=alert.pk)


@require_POST
@oversight_required
def alert_acknowledge_view(request, pk: int):
    note = request.POST.get("note", "")
    return _act(request, pk, lambda a: alert_acknowledge(actor=request.user, alert=a, note=note), _("已确认告警。"))


@require_POST
@oversight_required
def alert_dismiss_view(request, pk: int):
    reason = request.POST.get("reason", "")
    return _act(request, pk, lambda a: alert_dismiss(actor=request.user, alert=a, reason=reason), _("已排除告警。"))
