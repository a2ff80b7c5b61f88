"""Suspension (挂起) and extension (延期) of a case's handling period: the case page's actions and the leaders'
approval queue (延期审批). Thin adapters over zhengwu.cases.domain.suspension / extension."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases import rules
from zhengwu.cases.domain.extension import case_extension_decide, case_extension_request
from zhengwu.cases.domain.suspension import case_resume, case_suspend
from zhengwu.cases.models import CaseExtension
from zhengwu.workbench.queues import pending_extensions
from zhengwu.workbench.rules import staff_required
from zhengwu.workbench.views.cases import _act, _error_list

QUEUE_LIMIT = 200


def _date(value: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError({"expected_resume_on": _("请填写预计恢复办理日期。")}) from None


def _days(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdecimal():
        raise ValidationError({"days": _("延长天数须为正整数。")})
    return int(value)


@require_POST
@staff_required
def case_suspend_view(request, number: str):
    post = request.POST
    return _act(
        request,
        number,
        lambda case: case_suspend(
            actor=request.user,
            case=case,
            reason=post.get("reason", ""),
            explanation=post.get("explanation", ""),
            expected_resume_on=_date(post.get("expected_resume_on", "")),
        ),
        _("办件已挂起，书面告知已发送申请人。"),
    )


@require_POST
@staff_required
def case_resume_view(request, number: str):
    return _act(request, number, lambda case: case_resume(actor=request.user, case=case), _("办件已恢复办理。"))


@require_POST
@staff_required
def case_extension_request_view(request, number: str):
    post = request.POST
    return _act(
        request,
        number,
        lambda case: case_extension_request(
            actor=request.user, case=case, reason=post.get("extension_reason", ""), days=_days(post.get("days", ""))
        ),
        _("延期申请已提交分管领导审批。"),
    )


def _pending_for(user):
    return pending_extensions(user).select_related("case__item_version", "case__handling_clock", "requested_by")


def _queue(request, *, errors: list[str] | None = None, status: int = 200):
    pending = list(_pending_for(request.user).order_by("requested_at", "pk")[:QUEUE_LIMIT])
    return render(
        request,
        "workbench/cases/extension_queue.html",
        {"extensions": pending, "limit": QUEUE_LIMIT, "errors": errors or []},
        status=status,
    )


@staff_required
def extension_queue(request):
    if not rules.can_view_extension_queue(request.user):
        raise PermissionDenied
    return _queue(request)


@require_POST
@staff_required
def extension_decide_view(request, extension_id: int):
    """Approve or reject, from the queue or from the case page (from=case)."""
    user = request.user
    extension = get_object_or_404(
        CaseExtension.objects.select_related("case").filter(case__in=rules.cases_visible_to(user)), pk=extension_id
    )
    decision = request.POST.get("decision")
    from_case = request.POST.get("from") == "case"

    def decide(_case=None):
        if decision not in {"approve", "reject"}:
            raise ValidationError(_("请选择批准或不予批准。"))
        case_extension_decide(
            actor=user, extension=extension, approve=decision == "approve", comment=request.POST.get("comment", "")
        )

    success = _("已批准延期。") if decision == "approve" else _("已决定不予批准延期。")
    if from_case:
        return _act(request, extension.case.number, decide, success)
    if not rules.can_view_extension_queue(user):
        raise PermissionDenied
    try:
        decide()
    except ValidationError as error:
        return _queue(request, errors=_error_list(error), status=400)
    messages.success(request, success)
    return redirect("workbench:case_extension_queue")
