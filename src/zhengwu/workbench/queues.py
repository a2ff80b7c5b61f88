"""The rows each workbench queue lists, scoped to the user by the owning app's rules. The queue pages and the
workbench home's counts both read them here, so a count can never disagree with its page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhengwu.cases import rules as case_rules
from zhengwu.cases.enums import AWAITING_ACCEPTANCE, FeeNoticeState
from zhengwu.cases.models import Case, CaseExtension, FeeNotice, FeeRefundRequest
from zhengwu.ratings import rules as rating_rules
from zhengwu.ratings.enums import OPEN_FOLLOW_UP_STATES
from zhengwu.ratings.models import RatingFollowUp


def acceptance_cases(user: Any) -> QuerySet:
    """待受理: cases awaiting acceptance that the user may see."""
    return case_rules.cases_visible_to(user, Case.objects.filter(state__in=sorted(AWAITING_ACCEPTANCE)))


def pending_extensions(user: Any) -> QuerySet:
    """延期审批: pending extension requests the user may decide."""
    return case_rules.extensions_to_decide(user, CaseExtension.objects.all())


def pending_refund_requests(user: Any) -> QuerySet:
    """待审批退费: pending refund requests the user may decide (never their own)."""
    return case_rules.fee_refunds_to_decide(user, FeeRefundRequest.objects.all())


def window_notices(window) -> QuerySet:
    """Every fee notice of the departments a unified fee window collects for."""
    return FeeNotice.objects.filter(case__department_id__in=case_rules.fee_window_department_ids(window))


def unpaid_notices(window) -> QuerySet:
    """统一收费窗口 (待缴费): the window's notices awaiting payment."""
    return window_notices(window).filter(state=FeeNoticeState.ISSUED)


def open_follow_ups(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """差评整改 (未办结): the follow-ups of the user's department (every one for county-wide staff) still open."""
    queryset = RatingFollowUp.objects.all() if queryset is None else queryset
    return rating_rules.follow_ups_visible_to(user, queryset).filter(state__in=sorted(OPEN_FOLLOW_UP_STATES))
