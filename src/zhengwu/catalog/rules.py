"""Who may curate and review the catalogue."""

from typing import Any

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import has_role, is_county_wide, is_staff_member, staff_profile
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
