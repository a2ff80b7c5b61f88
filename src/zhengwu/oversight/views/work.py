"""Spot checks (抽查), callbacks (回访) and confirmed violations (违规认定与公开)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases.models import Case
from zhengwu.org.models import Department
from zhengwu.oversight.access import oversight_required, supervisor_only
from zhengwu.oversight.views._common import date_param, error_list, int_param, page_of
from zhengwu.supervision import rules
from zhengwu.supervision.domain.work import (
    callback_record,
    spot_check_draw,
    spot_check_record_finding,
    violation_confirm,
    violation_publish,
)
from zhengwu.supervision.enums import Finding
from zhengwu.supervision.models import Alert, SpotCheck, SpotCheckItem, SupervisionOrder

# ---- spot checks ------------------------------------------------------------------------------


def _spot_checks_context(request, **extra):
    user = request.user
    checks = SpotCheck.objects.select_related("department", "drawn_by").order_by("-drawn_at", "-id")
    if not rules.is_county_wide(user):
        checks = checks.filter(items__in=rules.spot_check_items_visible_to(user)).distinct()
    return {
        "page": page_of(request, checks),
        "departments": Department.objects.order_by("code"),
        "is_supervisor": rules.is_supervisor(user),
        "form_values": request.POST,
        **extra,
    }


@oversight_required
def spot_checks(request):
    if request.method == "POST":
        supervisor_only(request.user)
        department = Department.objects.filter(pk=int_param(request.POST.get("department"))).first()
        try:
            check = spot_check_draw(
                actor=request.user,
                department=department,
                period_start=date_param(request.POST.get("period_start")),
                period_end=date_param(request.POST.get("period_end")),
                sample_size=request.POST.get("sample_size", ""),
            )
        except ValidationError as error:
            return render(
                request,
                "oversight/spot_checks.html",
                _spot_checks_context(request, errors=error_list(error)),
                status=400,
            )
        messages.success(request, _("已抽取 %(n)d 件办件。") % {"n": check.sample_size})
        return redirect("oversight:spot_check_detail", pk=check.pk)
    return render(request, "oversight/spot_checks.html", _spot_checks_context(request))


@oversight_required
def spot_check_detail(request, pk: int):
    check = get_object_or_404(SpotCheck.objects.select_related("department", "drawn_by"), pk=pk)
    items = rules.spot_check_items_visible_to(
        request.user, check.items.select_related("case__department", "recorded_by")
    )
    items = list(items)
    if not items and not rules.is_county_wide(request.user):
        raise Http404
    return render(
        request,
        "oversight/spot_check.html",
        {
            "check": check,
            "items": items,
            "is_supervisor": rules.is_supervisor(request.user),
            "findings": [(Finding.OK, Finding.OK.label), (Finding.PROBLEM, Finding.PROBLEM.label)],
        },
    )


@require_POST
@oversight_required
def spot_check_finding(request, pk: int):
    supervisor_only(request.user)
    item = get_object_or_404(SpotCheckItem, pk=pk)
    try:
        spot_check_record_finding(
            actor=request.user, item=item, finding=request.POST.get("finding", ""), text=request.POST.get("text", "")
        )
    except ValidationError as error:
        for message in error_list(error):
            messages.error(request, message)
    else:
        messages.success(request, _("已记录抽查结果。"))
    return redirect("oversight:spot_check_detail", pk=item.spot_check_id)


# ---- callbacks --------------------------------------------------------------------------------


def _callbacks_context(request, **extra):
    queryset = rules.callbacks_visible_to(request.user).select_related("case__department", "recorded_by")
    return {
        "page": page_of(request, queryset.order_by("-recorded_at", "-id")),
        "is_supervisor": rules.is_supervisor(request.user),
        "form_values": request.POST,
        **extra,
    }


@oversight_required
def callbacks(request):
    if request.method == "POST":
        supervisor_only(request.user)
        number = request.POST.get("case", "").strip()
        case = Case.objects.filter(number=number).first()
        reached = request.POST.get("reached") == "yes"
        satisfied = {"yes": True, "no": False}.get(request.POST.get("satisfied", ""))
        try:
            if case is None:
                raise ValidationError({"case": _("未找到该办件编号。")})
            callback_record(
                actor=request.user,
                case=case,
                reached=reached,
                satisfied=satisfied,
                comment=request.POST.get("comment", ""),
            )
        except ValidationError as error:
            return render(
                request, "oversight/callbacks.html", _callbacks_context(request, errors=error_list(error)), status=400
            )
        messages.success(request, _("已记录回访。"))
        return redirect("oversight:callbacks")
    return render(request, "oversight/callbacks.html", _callbacks_context(request))


# ---- violations -------------------------------------------------------------------------------


def _violations_context(request, **extra):
    queryset = rules.violations_visible_to(request.user).select_related(
        "department", "alert__point", "order", "confirmed_by", "published_by"
    )
    return {
        "page": page_of(request, queryset.order_by("-confirmed_at", "-id")),
        "is_supervisor": rules.is_supervisor(request.user),
        "form_values": request.POST or request.GET,
        **extra,
    }


@oversight_required
def violations(request):
    if request.method == "POST":
        supervisor_only(request.user)
        alert = Alert.objects.filter(pk=int_param(request.POST.get("alert"))).first()
        order = SupervisionOrder.objects.filter(pk=int_param(request.POST.get("order"))).first()
        try:
            violation_confirm(actor=request.user, alert=alert, order=order, summary=request.POST.get("summary", ""))
        except ValidationError as error:
            return render(
                request, "oversight/violations.html", _violations_context(request, errors=error_list(error)), status=400
            )
        messages.success(request, _("已认定违规。"))
        return redirect("oversight:violations")
    return render(request, "oversight/violations.html", _violations_context(request))


@require_POST
@oversight_required
def violation_publish_view(request, pk: int):
    supervisor_only(request.user)
    violation = get_object_or_404(rules.violations_visible_to(request.user), pk=pk)
    try:
        violation_publish(
            actor=request.user, violation=violation, published_text=request.POST.get("published_text", "")
        )
    except ValidationError as error:
        for message in error_list(error):
            messages.error(request, message)
    else:
        messages.success(request, _("已决定公开。"))
    return redirect("oversight:violations")
