"""Who may issue, revoke and download licences."""

from typing import Any

from django.db.models import Q, QuerySet

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import (
    has_role,
    is_county_wide,
    is_public_user,
    is_staff_member,
    user_department_id,
    user_roles,
)

ISSUING_ROLES = frozenset({Role.HANDLER, Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.UNIT_HEAD})
REVOKING_ROLES = frozenset({Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.UNIT_HEAD})


def _is_administrator(user: Any) -> bool:
    return is_staff_member(user) and (user.is_superuser or has_role(user, Role.ADMINISTRATOR))


def _own_department(user: Any, department_id: int | None) -> bool:
    own = user_department_id(user)
    return own is not None and own == department_id


def can_issue(user: Any, department_id: int | None) -> bool:
    """Handlers and their line up to the unit head of the issuing department, or an administrator.

    Supervisors see the whole county but never issue: they watch those who do.
    """
    if _is_administrator(user):
        return True
    return is_staff_member(user) and bool(user_roles(user) & ISSUING_ROLES) and _own_department(user, department_id)


def can_revoke(user: Any, licence) -> bool:
    """Section heads and leaders of the issuing department (not a lone handler), or an administrator."""
    if _is_administrator(user):
        return True
    return (
        is_staff_member(user)
        and bool(user_roles(user) & REVOKING_ROLES)
        and _own_department(user, licence.department_id)
    )


def can_download(user: Any, licence) -> bool:
    """The holder, staff of the issuing department, and county-wide staff."""
    if is_public_user(user):
        return licence.holder_id is not None and licence.holder_id == user.pk
    if not is_staff_member(user):
        return False
    return is_county_wide(user) or _own_department(user, licence.department_id)


def licences_visible_to(queryset: QuerySet, user: Any) -> QuerySet:
    """Scope a Licence queryset to what `user` may see (same rule as downloading)."""
    if is_public_user(user):
        return queryset.filter(holder=user)
    if not is_staff_member(user):
        return queryset.none()
    if is_county_wide(user):
        return queryset
    department_id = user_department_id(user)
    return queryset.filter(Q(department_id=department_id)) if department_id else queryset.none()
