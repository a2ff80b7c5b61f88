"""差评整改: the department's follow-ups of 差评 (list by clock urgency, follow-up page with its actions) and
the window's rating on an applicant's behalf. Thin adapters over zhengwu.ratings.domain."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhengwu.cases import rules as case_rules
from zhengwu.cases.models import Case
from zhengwu.ratings import rules
from zhengwu.ratings.domain import (
    rating_callback_record,
    rating_follow_up_close,
    rating_follow_up_rectify,
    rating_follow_up_verify,
    rating_submit,
)
from zhengwu.ratings.enums import RECTIFIABLE_STATES, FollowUpState, RatingChannel
from zhengwu.ratings.models import CallbackRecord, RatingFollowUp
from zhengwu.workbench.queues import open_follow_ups
from zhengwu.workbench.rules import staff_required
from zhengwu.workcal.domain.clock import clock_explain

PER_PAGE = 50
TABS = {"open": gettext_lazy("未办结"), "closed": gettext_lazy("已办结")}
YES_NO = {"yes": True, "no": False}


@staff_required
def follow_ups(request):
    user = request.user
    if not rules.can_view_follow_ups(user):
        raise Http404
    tab = request.GET.get("tab", "open")
    if tab not in TABS:
        tab = "open"
    rows = RatingFollowUp.objects.select_related("rating__case__item_version", "department", "clock")
    if tab == "open":
        rows = open_follow_ups(user, rows).order_by(F("clock__due_at").asc(nulls_last=True), "pk")
    else:
        rows = rules.follow_ups_visible_to(user, rows).filter(state=FollowUpState.CLOSED).order_by("-closed_at", "-pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    context = {
        "tab": tab,
        "tabs": [(key, str(label)) for key, label in TABS.items()],
        "page": page,
        "rows": [
            {"follow_up": f, "urgency": f.clock.display_status(now) if f.clock_id else None} for f in page.object_list
        ],
    }
    return render(request, "workbench/ratings/follow_ups.html", context)


def _visible(request, follow_up_id: int) -> RatingFollowUp:
    follow_up = get_object_or_404(
        RatingFollowUp.objects.select_related(
            "rating__case__item_version",
            "rating__case__department",
            "department",
            "clock",
            "verified_by",
            "rectified_by",
            "closed_by",
        ),
        pk=follow_up_id,
    )
    if not rules.can_view_follow_up(request.user, follow_up):
        raise Http404
    return follow_up


def _render(request, follow_up: RatingFollowUp, *, errors: list[str] | None = None, status: int = 200):
    user = request.user
    now = timezone.now()
    state = follow_up.state
    context = {
        "follow_up": follow_up,
        "rating": follow_up.rating,
        "case": follow_up.rating.case,
        "urgency": follow_up.clock.display_status(now) if follow_up.clock_id else None,
        "clock_lines": clock_explain(follow_up.clock, now=now) if follow_up.clock_id else [],
        "callbacks": list(CallbackRecord.objects.filter(follow_up=follow_up).select_related("called_by")),
        "can_verify": state == FollowUpState.OPEN and rules.can_handle_follow_up(user, follow_up),
        "can_rectify": state in RECTIFIABLE_STATES and rules.can_handle_follow_up(user, follow_up),
        "can_callback": state == FollowUpState.RECTIFIED and rules.can_record_callback(user, follow_up),
        "can_close": state == FollowUpState.RECTIFIED and rules.can_close_follow_up(user, follow_up),
        "errors": errors or [],
        "values": request.POST if errors else {},
    }
    return render(request, "workbench/ratings/follow_up.html", context, status=status)


@staff_required
def follow_up_detail(request, follow_up_id: int):
    return _render(request, _visible(request, follow_up_id))


def _act(request, follow_up_id: int, action, success: str):
    follow_up = _visible(request, follow_up_id)
    try:
        action(follow_up)
    except ValidationError as error:
        follow_up.refresh_from_db()
        return _render(request, follow_up, errors=error.messages, status=400)
    messages.success(request, success)
    return redirect("workbench:rating_follow_up", follow_up_id=follow_up.pk)


def _yes_no(value: str | None) -> bool | None:
    return YES_NO.get(value or "")


@require_POST
@staff_required
def follow_up_verify(request, follow_up_id: int):
    return _act(
        request,
        follow_up_id,
        lambda f: rating_follow_up_verify(
            actor=request.user,
            follow_up=f,
            finding=request.POST.get("finding", ""),
            substantiated=_yes_no(request.POST.get("substantiated")),
        ),
        _("已记录核实情况。"),
    )


@require_POST
@staff_required
def follow_up_rectify(request, follow_up_id: int):
    return _act(
        request,
        follow_up_id,
        lambda f: rating_follow_up_rectify(
            actor=request.user, follow_up=f, rectification=request.POST.get("rectification", "")
        ),
        _("已记录整改情况。"),
    )


@require_POST
@staff_required
def follow_up_callback(request, follow_up_id: int):
    return _act(
        request,
        follow_up_id,
        lambda f: rating_callback_record(
            actor=request.user,
            follow_up=f,
            reached=_yes_no(request.POST.get("reached")),
            satisfied=_yes_no(request.POST.get("satisfied")),
            comment=request.POST.get("comment", ""),
        ),
        _("已记录回访情况。"),
    )


@require_POST
@staff_required
def follow_up_close(request, follow_up_id: int):
    return _act(
        request,
        follow_up_id,
        lambda f: rating_follow_up_close(actor=request.user, follow_up=f),
        _("差评整改已办结。"),
    )


@require_POST
@staff_required
def case_rate_at_window(request, number: str):
    """评价器: the clerk records the applicant's own choice at the window."""
    case = get_object_or_404(Case.objects.select_related("department"), number=number)
    if not case_rules.can_view_case(request.user, case):
        raise Http404
    try:
        rating_submit(
            actor=request.user,
            case=case,
            level=request.POST.get("level", ""),
            comment=request.POST.get("comment", ""),
            channel=RatingChannel.WINDOW,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已记录申请人的评价。"))
    return redirect("workbench:case_detail", number=case.number)
