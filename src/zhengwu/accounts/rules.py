"""Who may do and see what: named predicates over users, and query scoping.

Predicates are cheap: a user's roles and staff profile are loaded at most once per user instance, and the
request's user comes with both in the statement that loads it (`user_with_access`, used by the auth backend).
"""

from typing import Any

from django.db.models import Model, QuerySet, prefetch_related_objects

from zhengwu.accounts.enums import COUNTY_WIDE_ROLES, PUBLIC_KINDS, Role, UserKind

_ROLES_CACHE = "_zhengwu_roles"
_STAFF_LOADED = "_zhengwu_staff_loaded"
# What a staff profile is read with: the layout and the predicates use all of these.
_STAFF_RELATED = ("department", "section", "position", "window__hall")
_JOINED_ROLES = "zhengwu_joined_roles"


def _is_active_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_citizen(user: Any) -> bool:
    return _is_active_user(user) and user.kind == UserKind.CITIZEN


def is_enterprise(user: Any) -> bool:
    return _is_active_user(user) and user.kind == UserKind.ENTERPRISE


def is_public_user(user: Any) -> bool:
    return _is_active_user(user) and user.kind in PUBLIC_KINDS


def is_staff_member(user: Any) -> bool:
    return _is_active_user(user) and user.kind == UserKind.STAFF


def user_roles(user: Any) -> frozenset[str]:
    """The user's roles, loaded once per user instance (shares the `role_assignments` prefetch)."""
    if not is_staff_member(user):
        return frozenset()
    cached = getattr(user, _ROLES_CACHE, None)
    if cached is None:
        prefetch_related_objects([user], "role_assignments")
        cached = frozenset(assignment.role for assignment in user.role_assignments.all())
        setattr(user, _ROLES_CACHE, cached)
    return cached


def user_roles_forget(user: Any) -> None:
    """Drop the cached roles after granting or revoking one."""
    if hasattr(user, _ROLES_CACHE):
        delattr(user, _ROLES_CACHE)
    getattr(user, "_prefetched_objects_cache", {}).pop("role_assignments", None)


def has_role(user: Any, role: str) -> bool:
    return Role(role) in user_roles(user)


def is_county_wide(user: Any) -> bool:
    """Supervisors and administrators (and superusers) see every department."""
    if not _is_active_user(user):
        return False
    return bool(user.is_superuser or user_roles(user) & COUNTY_WIDE_ROLES)


def can_manage_accounts(user: Any) -> bool:
    """Create staff accounts and grant or revoke roles."""
    if not _is_active_user(user):
        return False
    return bool(user.is_superuser or Role.ADMINISTRATOR in user_roles(user))


def staff_profile(user: Any):
    """The user's StaffProfile with department, section, position and window, in one query; None if absent."""
    from zhengwu.accounts.models import StaffProfile, User

    if not is_staff_member(user):
        return None
    if not getattr(user, _STAFF_LOADED, False):
        profile = StaffProfile.objects.select_related(*_STAFF_RELATED).filter(user_id=user.pk).first()
        if profile is not None:
            user.staff = profile
        else:
            User.staff.related.set_cached_value(user, None)
        setattr(user, _STAFF_LOADED, True)
    return getattr(user, "staff", None)


_ROLES_SQL = {
    "postgresql": "STRING_AGG(r.\"role\", ',')",
    "sqlite": "GROUP_CONCAT(r.\"role\", ',')",
}
_STAFF_PATHS = tuple(f"staff__{name}" for name in _STAFF_RELATED)


def user_with_access(pk: Any) -> Any:
    """The user with their staff profile (its department, section, position, window and hall) and their roles, in
    one hand-written statement (zhengwu.core.rows: the request's user is read on every request); `access_remember`
    then lets the predicates use them. A user without a profile or roles gets None / no roles, never another query.
    User.DoesNotExist when there is none."""
    from django.db import connections, router

    from zhengwu.accounts.models import RoleAssignment, User
    from zhengwu.core.rows import row_get_with

    connection = connections[router.db_for_read(User)]
    quote = connection.ops.quote_name
    roles = (
        f"(SELECT {_ROLES_SQL[connection.vendor]} FROM {quote(RoleAssignment._meta.db_table)} r"
        f' WHERE r."user_id" = t0.{quote(User._meta.pk.column)})'
    )
    user, (joined,) = row_get_with(User, pk, related=_STAFF_PATHS, extra_columns=roles)
    setattr(user, _JOINED_ROLES, joined)
    return user


def access_remember(user: Any) -> Any:
    """Mark a user read by `user_with_access` as having its profile and roles loaded."""
    joined = getattr(user, _JOINED_ROLES, None) or ""
    setattr(user, _ROLES_CACHE, frozenset(role for role in joined.split(",") if role))
    setattr(user, _STAFF_LOADED, True)
    return user


def user_department_id(user: Any) -> int | None:
    profile = staff_profile(user)
    return profile.department_id if profile is not None else None


def can_view_department(user: Any, department: Model | int | None) -> bool:
    if department is None:
        return is_county_wide(user)
    if is_county_wide(user):
        return True
    department_id = department.pk if isinstance(department, Model) else department
    own = user_department_id(user)
    return own is not None and own == department_id


def scope_to_department(queryset: QuerySet, user: Any, *, field: str = "department") -> QuerySet:
    """Limit `queryset` to the rows the user may see: all (county-wide), own department (staff), or none."""
    if is_county_wide(user):
        return queryset
    department_id = user_department_id(user)
    if department_id is None:
        return queryset.none()
    return queryset.filter(**{field: department_id})
