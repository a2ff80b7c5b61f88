"""Who may curate and review the catalogue."""

from typing import Any

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import has_role, is_county_wide, is_staff_member, scope_to_department, staff_profile
from zhengwu.catalog.enums import EDITABLE_STATES, VersionState


def can_edit_department_items(user: Any, department_id: int | None) -> bool:
    if not is_staff_member(user) or not has_role(user, Role.CATALOG_EDITOR):
        return False
    if is_county_wide(user):
        return True
    profile = staff_profile(user)
    return profile is not None and profile.department_id == department_id


def can_edit_version(user: Any, version) -> bool:
    return version.state in EDITABLE_STATES and can_edit_department_items(user, version.item.department_id)


def can_review(user: Any) -> bool:
    return is_staff_member(user) and has_role(user, Role.LEGAL_REVIEWER)


def can_review_version(user: Any, version) -> bool:
    """Four eyes: the legal reviewer is never the person who edited the draft."""
    return (
        version.state == VersionState.IN_REVIEW
        and can_review(user)
        and version.created_by_id != getattr(user, "pk", None)
    )


def can_see_drafts(user: Any) -> bool:
    return can_review(user) or has_role(user, Role.CATALOG_EDITOR) or is_county_wide(user)


def can_manage_themes(user: Any) -> bool:
    """Themes and scenarios are county-wide reference data: administrators and county-wide catalogue editors."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return is_staff_member(user) and (
        has_role(user, Role.ADMINISTRATOR) or (has_role(user, Role.CATALOG_EDITOR) and is_county_wide(user))
    )


def can_exchange_items(user: Any) -> bool:
    """Open the catalogue xlsx import and export pages: catalogue editors and county-wide staff."""
    return is_staff_member(user) and (has_role(user, Role.CATALOG_EDITOR) or is_county_wide(user))


def can_publish_imports(user: Any) -> bool:
    """Publish imported items without review (migrating legacy lists): administrators only."""
    return is_staff_member(user) and (user.is_superuser or has_role(user, Role.ADMINISTRATOR))


def can_view_all_items(user: Any) -> bool:
    """Legal reviewers review for the whole county; supervisors and administrators see every department."""
    return is_county_wide(user) or can_review(user)


def can_view_items(user: Any) -> bool:
    """Open the curation pages (事项管理): catalogue editors, legal reviewers and county-wide staff."""
    return is_staff_member(user) and (has_role(user, Role.CATALOG_EDITOR) or can_view_all_items(user))


def items_visible_to(queryset, user: Any, *, department_field: str = "department"):
    """Items (or versions, with department_field="item__department") the user may see, drafts included."""
    if not can_view_items(user):
        return queryset.none()
    if can_view_all_items(user):
        return queryset
    return scope_to_department(queryset, user, field=department_field)
