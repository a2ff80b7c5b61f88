"""A counter per user that moves whenever what a staff page shows about them may change: name, department,
section, window, roles, active flag (docs/adr/0023-inbox-page-cache.md)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from zhengwu.core.versions import versions_bump


def staff_key(user_id: int) -> str:
    return f"staff:u:{user_id}"


def _user_changed(sender, instance, **kwargs) -> None:
    versions_bump([staff_key(instance.pk)])


def _related_changed(sender, instance, **kwargs) -> None:
    versions_bump([staff_key(instance.user_id)])


def connect() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_user_changed, sender="accounts.User", dispatch_uid=f"staff-version-user-{name}")
        for model in ("accounts.StaffProfile", "accounts.RoleAssignment"):
            signal.connect(_related_changed, sender=model, dispatch_uid=f"staff-version-{model}-{name}")
