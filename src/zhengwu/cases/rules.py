"""Who may register, accept and see cases. Predicates over users; queries scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import has_role, is_county_wide, is_public_user, is_staff_member, staff_profile
from zhengwu.org.enums import WindowKind

# Windows that register cases; a registration window (登记验证) registers every case entering the hall.
INTAKE_WINDOW_KINDS = frozenset({WindowKind.GENERAL_INTAKE, WindowKind.REGISTRATION, WindowKind.DEPARTMENT})
DEPARTMENT_ACTOR_ROLES = (Role.HANDLER, Role.SECTION_HEAD)


def _window_department_ids(window) -> set[int]:
    cache = "_zhengwu_department_ids"
    ids = getattr(window, cache, None)
    if ids is None:
        ids = set(window.departments.values_list("pk", flat=True))
        setattr(window, cache, ids)
    return ids


def window_serves(window, department_id: int) -> bool:
    """Whether `window` may register cases for the department."""
    if window is None or not window.is_active or window.kind not in INTAKE_WINDOW_KINDS:
        return False
    if window.kind == WindowKind.REGISTRATION:
        return True
    return department_id in _window_department_ids(window)


def clerk_window(user: Any):
    """The window a window clerk is posted to, or None."""
    if not has_role(user, Role.WINDOW_CLERK):
        return None
    profile = staff_profile(user)
    return profile.window if profile is not None else None


def can_register_at_window(user: Any, department_id: int, window=None) -> bool:
    if not has_role(user, Role.WINDOW_CLERK):
        return False
    own = clerk_window(user)
    window = window or own
    return own is not None and window.pk == own.pk and window_serves(window, department_id)


def can_submit_by_proxy(user: Any) -> bool:
    return has_role(user, Role.STATION_AGENT)


def can_decide_acceptance(user: Any, case) -> bool:
    """Accept, refuse or request correction: county-wide staff, a clerk at a window serving the case's
    department, or a handler or section head of that department."""
    if not is_staff_member(user):
        return False
    if is_county_wide(user):
        return True
    if window_serves(clerk_window(user), case.department_id):
        return True
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id == case.department_id
        and any(has_role(user, role) for role in DEPARTMENT_ACTOR_ROLES)
    )


def can_handle_immediately(user: Any, case) -> bool:
    return window_serves(clerk_window(user), case.department_id)


def can_submit_correction(user: Any, case) -> bool:
    """The applicant, the station agent who filed the case, or a clerk at a window serving its department."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if case.applicant_id is not None and case.applicant_id == user.pk:
        return True
    if case.proxy_agent_id is not None and case.proxy_agent_id == user.pk and can_submit_by_proxy(user):
        return True
    return window_serves(clerk_window(user), case.department_id)


def can_view_case(user: Any, case) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if case.applicant_id == user.pk or case.proxy_agent_id == user.pk or case.registered_by_id == user.pk:
        return True
    if not is_staff_member(user):
        return False
    if is_county_wide(user) or window_serves(clerk_window(user), case.department_id):
        return True
    profile = staff_profile(user)
    return profile is not None and profile.department_id == case.department_id


def cases_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The cases `user` may see: their own (applicant), those they filed or registered, their department's,
    those of the departments their window serves; everything for county-wide staff."""
    from zhengwu.cases.models import Case

    queryset = Case.objects.all() if queryset is None else queryset
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if is_public_user(user):
        return queryset.filter(applicant=user)
    if not is_staff_member(user):
        return queryset.none()
    if is_county_wide(user):
        return queryset
    condition = Q(proxy_agent=user) | Q(registered_by=user)
    profile = staff_profile(user)
    if profile is not None and profile.department_id is not None:
        condition |= Q(department_id=profile.department_id)
    window = clerk_window(user)
    if window is not None and window.is_active and window.kind in INTAKE_WINDOW_KINDS:
        if window.kind == WindowKind.REGISTRATION:
            return queryset
        condition |= Q(department_id__in=_window_department_ids(window))
    return queryset.filter(condition)


def can_use_window_console(user: Any) -> bool:
    """窗口登记: a clerk posted to an intake window, or a station agent (代办)."""
    if not is_staff_member(user):
        return False
    window = clerk_window(user)
    if window is not None and window.is_active and window.kind in INTAKE_WINDOW_KINDS:
        return True
    return can_submit_by_proxy(user)


def can_view_acceptance_queue(user: Any) -> bool:
    """待受理: whoever may decide acceptance for some department."""
    if not is_staff_member(user):
        return False
    if is_county_wide(user):
        return True
    window = clerk_window(user)
    if window is not None and window.is_active and window.kind in INTAKE_WINDOW_KINDS:
        return True
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id is not None
        and any(has_role(user, role) for role in DEPARTMENT_ACTOR_ROLES)
    )


def registrable_department_filter(user: Any) -> Q | None:
    """Departments `user` may register cases for at the window, as a filter on Department; None: every one."""
    window = clerk_window(user)
    if window is None or not window.is_active or window.kind not in INTAKE_WINDOW_KINDS:
        return Q(pk__in=[])
    if window.kind == WindowKind.REGISTRATION:
        return None
    return Q(pk__in=_window_department_ids(window))


# ---- case clock: suspension (挂起) and extension (延期) ----------------------------------------------------
EXTENSION_APPROVER_ROLES = (Role.LEADER_IN_CHARGE, Role.UNIT_HEAD)


def _in_case_department_with(user: Any, case, roles) -> bool:
    if not is_staff_member(user):
        return False
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id == case.department_id
        and any(has_role(user, role) for role in roles)
    )


def can_manage_case_clock(user: Any, case) -> bool:
    """Suspend, resume, or ask for an extension: a handler or section head of the case's department."""
    return _in_case_department_with(user, case, DEPARTMENT_ACTOR_ROLES)


def can_decide_extension(user: Any, case) -> bool:
    """Approve or reject an extension (本行政机关负责人): the leader in charge or the head of the case's department."""
    return _in_case_department_with(user, case, EXTENSION_APPROVER_ROLES)


def can_view_extension_queue(user: Any) -> bool:
    """延期审批: leaders in charge and unit heads of a department."""
    if not is_staff_member(user):
        return False
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id is not None
        and any(has_role(user, role) for role in EXTENSION_APPROVER_ROLES)
    )


def extensions_to_decide(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """Pending extension requests `user` may decide: those of their own department's cases still being handled
    (a request left pending when its case was decided is moot)."""
    from zhengwu.cases.enums import CaseState, ExtensionState
    from zhengwu.cases.models import CaseExtension

    queryset = CaseExtension.objects.all() if queryset is None else queryset
    if not can_view_extension_queue(user):
        return queryset.none()
    return queryset.filter(
        state=ExtensionState.REQUESTED,
        case__department_id=staff_profile(user).department_id,
        case__state__in=[CaseState.IN_PROGRESS, CaseState.SUSPENDED],
    )
