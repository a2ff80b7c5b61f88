"""The in-app inbox: what a user sees, how many are unread, and marking messages read."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.notifications.models import Message
from zhengwu.notifications.rules import can_read_message, scope_to_recipient
from zhengwu.notifications.versions import unread_changed

UNREAD_FIRST = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())


def inbox_messages(user: Any) -> QuerySet[Message]:
    """The user's inbox, unread messages first, newest first within each group."""
    return scope_to_recipient(Message.objects.filter(in_inbox=True), user).order_by(
        UNREAD_FIRST.desc(), "-created_at", "-pk"
    )


def unread_message_count(user: Any) -> int:
    """One indexed COUNT over (recipient, read_at)."""
    return scope_to_recipient(Message.objects.filter(read_at__isnull=True, in_inbox=True), user).count()


def message_mark_read(*, user: Any, message: Message) -> bool:
    """Mark one of the user's messages read; True if it was unread. Another user's message is refused."""
    if not can_read_message(user, message):
        raise PermissionDenied(_("只能操作发给自己的消息。"))
    now = timezone.now()
    changed = Message.objects.filter(pk=message.pk, recipient_id=user.pk, read_at__isnull=True).update(read_at=now)
    if changed:
        message.read_at = now
        unread_changed([user.pk])
    return bool(changed)


def messages_mark_all_read(*, user: Any) -> int:
    """Mark every unread message of the user read; returns how many changed."""
    changed = scope_to_recipient(Message.objects.filter(read_at__isnull=True), user).update(read_at=timezone.now())
    if changed:
        unread_changed([user.pk])
    return changed
