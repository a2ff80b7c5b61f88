"""Who may do and see what in supervision (ADR 0021).

Supervisors (监察人员, county-wide) act on alerts, orders, spot checks, callbacks and violations.
A department's leaders (分管领导, 单位负责人) see the same records for their own department only and
answer supervision orders addressed to it. Every query is scoped with the functions below."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import has_role, is_county_wide, is_staff_member, user_department_id

LEADER_ROLES = (Role.LEADER_IN_CHARGE, Role.UNIT_HEAD)


def is_supervisor(user: Any) -> bool:
    """Acts county-wide: a 监察人员 (or a superuser)."""
    if not is_staff_member(user) and not getattr(user, "is_superuser", False):
        return False
    return bool(user.is_active and (user.is_superuser or has_role(user, Role.SUPERVISOR)))


def is_department_leader(user: Any) -> bool:
    """分管领导 or 单位负责人 with a department."""
    return (
        is_staff_member(user)
        and any(has_role(user, role) for role in LEADER_ROLES)
        and user_department_id(user) is not None
    )


def can_enter_oversight(user: Any) -> bool:
    """The supervision centre: county-wide staff (supervisors, administrators) and department leaders."""
    return is_county_wide(user) or is_department_leader(user)


def scope_for(user: Any, queryset: QuerySet, *, field: str = "department") -> QuerySet:
    """All rows for county-wide users; a leader's own department's rows; nothing for anyone else."""
    if is_county_wide(user):
        return queryset
    if is_department_leader(user):
        return queryset.filter(**{field: user_department_id(user)})
    return queryset.none()


def can_view_department_records(user: Any, department_id: int | None) -> bool:
    if is_county_wide(user):
        return True
    return is_department_leader(user) and department_id is not None and department_id == user_department_id(user)


def alerts_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    from zhengwu.supervision.models import Alert

    return scope_for(user, Alert.objects.all() if queryset is None else queryset)


def orders_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    from zhengwu.supervision.models import SupervisionOrder

    return scope_for(user, SupervisionOrder.objects.all() if queryset is None else queryset)


def spot_check_items_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    from zhengwu.supervision.models import SpotCheckItem

    return scope_for(user, SpotCheckItem.objects.all() if queryset is None else queryset, field="case__department")


def callbacks_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    from zhengwu.supervision.models import Callback

    return scope_for(user, Callback.objects.all() if queryset is None else queryset, field="case__department")


def violations_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    from zhengwu.supervision.models import Violation

    return scope_for(user, Violation.objects.all() if queryset is None else queryset)


def results_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """Assessment results: county-wide users see the whole ranking; a leader their own department's rows."""
    from zhengwu.supervision.models import AssessmentResult

    return scope_for(user, AssessmentResult.objects.all() if queryset is None else queryset)


# ---- actions ---------------------------------------------------------------------------------


def can_handle_alert(user: Any, alert) -> bool:
    """Acknowledge or dismiss: supervisors only."""
    return is_supervisor(user)


def can_issue_order(user: Any) -> bool:
    return is_supervisor(user)


def can_answer_order(user: Any, order) -> bool:
    """The rectification report: a leader of the order's department."""
    return is_department_leader(user) and order.department_id == user_department_id(user)


def can_verify_order(user: Any, order) -> bool:
    return is_supervisor(user)


def can_spot_check(user: Any) -> bool:
    return is_supervisor(user)


def can_record_callback(user: Any) -> bool:
    return is_supervisor(user)


def can_manage_violations(user: Any) -> bool:
    return is_supervisor(user)


def can_compute_assessment(user: Any) -> bool:
    return is_supervisor(user)
