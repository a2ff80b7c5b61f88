"""A counter per user that moves when their unread count may change (docs/adr/0023-inbox-page-cache.md)."""

from __future__ import annotations

from collections.abc import Iterable

from zhengwu.core.versions import versions_bump


def unread_key(user_id: int) -> str:
    return f"unread:u:{user_id}"


def unread_changed(user_ids: Iterable[int]) -> None:
    versions_bump([unread_key(pk) for pk in user_ids])
