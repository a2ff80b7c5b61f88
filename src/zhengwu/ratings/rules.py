"""Who may rate a case and who handles a 差评's follow-up. Predicates over users; queries scoped to the actor."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import (
    has_role,
    is_county_wide,
    is_public_user,
    is_staff_member,
    scope_to_department,
    user_department_id,
)
from zhengwu.cases.enums import CaseState
from zhengwu.cases.rules import clerk_window, window_serves
from zhengwu.ratings.enums import RatingChannel

# A case may be rated once its outcome is known.
RATEABLE_STATES = frozenset({CaseState.DECIDED, CaseState.COMPLETED})
# Department staff who verify, rectify and call back.
FOLLOW_UP_ROLES = (Role.HANDLER, Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.UNIT_HEAD)
# Department staff who close a follow-up and are told of every new 差评.
FOLLOW_UP_LEAD_ROLES = (Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.UNIT_HEAD)


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def can_rate_case(user: Any, case, channel: str = RatingChannel.ONLINE) -> bool:
    """Online: the case's applicant. At the window (评价器): a clerk at a window serving the case's department,
    on the applicant's behalf. SMS replies come from the gateway (a system actor), not from a user."""
    if not _active(user):
        return False
    if channel == RatingChannel.ONLINE:
        return is_public_user(user) and case.applicant_id is not None and case.applicant_id == user.pk
    if channel == RatingChannel.WINDOW:
        return window_serves(clerk_window(user), case.department_id)
    return False


def _in_department_with(user: Any, department_id: int, roles) -> bool:
    return (
        is_staff_member(user)
        and user_department_id(user) == department_id
        and any(has_role(user, role) for role in roles)
    )


def can_view_follow_ups(user: Any) -> bool:
    """差评整改 list: department staff who handle follow-ups, and county-wide supervision."""
    if not is_staff_member(user):
        return False
    if is_county_wide(user):
        return True
    return user_department_id(user) is not None and any(has_role(user, role) for role in FOLLOW_UP_ROLES)


def follow_ups_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    from zhengwu.ratings.models import RatingFollowUp

    queryset = RatingFollowUp.objects.all() if queryset is None else queryset
    if not can_view_follow_ups(user):
        return queryset.none()
    return scope_to_department(queryset, user)


def can_view_follow_up(user: Any, follow_up) -> bool:
    if not can_view_follow_ups(user):
        return False
    return is_county_wide(user) or user_department_id(user) == follow_up.department_id


def can_handle_follow_up(user: Any, follow_up) -> bool:
    """Verify and rectify: the department's own staff."""
    return _in_department_with(user, follow_up.department_id, FOLLOW_UP_ROLES)


def can_record_callback(user: Any, follow_up) -> bool:
    """回访: the department's staff, or county-wide supervision calling the applicant independently."""
    return can_handle_follow_up(user, follow_up) or (is_staff_member(user) and is_county_wide(user))


def can_close_follow_up(user: Any, follow_up) -> bool:
    """Close: the department's section head or leaders, or county-wide supervision."""
    return _in_department_with(user, follow_up.department_id, FOLLOW_UP_LEAD_ROLES) or (
        is_staff_member(user) and is_county_wide(user)
    )
