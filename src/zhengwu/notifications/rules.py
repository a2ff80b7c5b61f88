"""Who may see which messages: a message belongs to its recipient alone."""

from typing import Any

from django.db.models import QuerySet


def _is_active_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def can_read_message(user: Any, message: Any) -> bool:
    return _is_active_user(user) and message.recipient_id == user.pk


def scope_to_recipient(queryset: QuerySet, user: Any) -> QuerySet:
    """The rows of `queryset` addressed to `user` (none for anonymous or inactive users)."""
    if not _is_active_user(user):
        return queryset.none()
    return queryset.filter(recipient_id=user.pk)
