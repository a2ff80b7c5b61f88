"""Supervision orders (督办): list, issue (from alerts or a case), the department's report, verification."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases.models import Case
from zhengwu.org.models import Department
from zhengwu.oversight.access import oversight_required, supervisor_only
from zhengwu.oversight.views._common import error_list, int_param, page_of
from zhengwu.supervision import rules
from zhengwu.supervision.domain.work import (
    supervision_order_close,
    supervision_order_issue,
    supervision_order_report,
    supervision_order_return,
)
from zhengwu.supervision.enums import ACTIVE_ALERT_STATUSES, ORDER_AWAITING_REPORT, OrderState
from zhengwu.supervision.models import Alert
from zhengwu.workcal.domain.clock import clock_explain


@oversight_required
def order_list(request):
    queryset = rules.orders_visible_to(request.user).select_related("department", "clock", "case")
    state = request.GET.get("state", "")
    if state in OrderState.values:
        queryset = queryset.filter(state=state)
    return render(
        request,
        "oversight/orders.html",
        {
            "page": page_of(request, queryset.order_by("-issued_at", "-id")),
            "state": state,
            "states": OrderState.choices,
            "is_supervisor": rules.is_supervisor(request.user),
        },
    )


def _new_context(request, **extra):
    values = request.GET.getlist("alert") + request.POST.getlist("alert")
    alert_ids = [pk for pk in map(int_param, values) if pk is not None]
    alerts = list(
        Alert.objects.filter(pk__in=alert_ids, status__in=sorted(ACTIVE_ALERT_STATUSES)).select_related(
            "point", "department"
        )
    )
    department_id = int_param(request.POST.get("department")) or next(
        (a.department_id for a in alerts if a.department_id), None
    )
    case_number = (request.POST.get("case") or request.GET.get("case") or "").strip()
    return {
        "alerts": alerts,
        "departments": Department.objects.order_by("code"),
        "department_id": department_id,
        "case_number": case_number,
        "form_values": request.POST,
        **extra,
    }


@oversight_required
def order_new(request):
    supervisor_only(request.user)
    if request.method != "POST":
        return render(request, "oversight/order_new.html", _new_context(request))
    context = _new_context(request)
    department = Department.objects.filter(pk=context["department_id"]).first()
    case = None
    if context["case_number"]:
        case = Case.objects.filter(number=context["case_number"]).first()
        if case is None:
            context["errors"] = [_("未找到该办件编号。")]
            return render(request, "oversight/order_new.html", context, status=400)
    try:
        order = supervision_order_issue(
            actor=request.user,
            department=department,
            alerts=context["alerts"],
            case=case,
            requirement=request.POST.get("requirement", ""),
            due_working_days=request.POST.get("due_working_days", ""),
        )
    except ValidationError as error:
        context["errors"] = error_list(error)
        return render(request, "oversight/order_new.html", context, status=400)
    messages.success(request, _("已发出督办单 %(number)s。") % {"number": order.number})
    return redirect("oversight:order_detail", pk=order.pk)


def _order_or_404(request, pk: int):
    return get_object_or_404(
        rules.orders_visible_to(request.user).select_related("department", "clock", "case", "issued_by", "closed_by"),
        pk=pk,
    )


def _order_context(request, order, **extra):
    user = request.user
    return {
        "order": order,
        "alerts": order.alerts.select_related("point"),
        "reports": order.reports.select_related("submitted_by", "verdict_by"),
        "clock_lines": clock_explain(order.clock) if order.clock_id else [],
        "can_report": rules.can_answer_order(user, order) and order.state in ORDER_AWAITING_REPORT,
        "can_verify": rules.can_verify_order(user, order) and order.state == OrderState.REPORTED,
        "is_supervisor": rules.is_supervisor(user),
        **extra,
    }


@oversight_required
def order_detail(request, pk: int):
    order = _order_or_404(request, pk)
    return render(request, "oversight/order.html", _order_context(request, order))


def _act(request, pk: int, action, success: str):
    order = _order_or_404(request, pk)
    try:
        action(order)
    except ValidationError as error:
        context = _order_context(request, order, errors=error_list(error), form_values=request.POST)
        return render(request, "oversight/order.html", context, status=400)
    messages.success(request, success)
    return redirect("oversight:order_detail", pk=order.pk)


@require_POST
@oversight_required
def order_report_view(request, pk: int):
    text = request.POST.get("text", "")
    return _act(
        request, pk, lambda o: supervision_order_report(actor=request.user, order=o, text=text), _("已报送整改情况。")
    )


@require_POST
@oversight_required
def order_close_view(request, pk: int):
    note = request.POST.get("note", "")
    return _act(
        request, pk, lambda o: supervision_order_close(actor=request.user, order=o, note=note), _("督办已办结。")
    )


@require_POST
@oversight_required
def order_return_view(request, pk: int):
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        lambda o: supervision_order_return(actor=request.user, order=o, reason=reason),
        _("已退回整改。"),
    )
