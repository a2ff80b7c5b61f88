"""`unread_message_count` for the header badge: one cheap query for a logged-in user, and only if a template
asks for it; none for anonymous visitors."""

from typing import Any

_CACHE = "_zhengwu_unread_message_count"


def request_unread_count(request: Any) -> int:
    """The unread count of the request's user, counted at most once per request."""
    cached = getattr(request, _CACHE, None)
    if cached is None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            cached = 0
        else:
            from zhengwu.notifications.domain import unread_message_count

            cached = unread_message_count(user)
        setattr(request, _CACHE, cached)
    return cached


def request_unread_count_set(request: Any, value: int) -> None:
    setattr(request, _CACHE, value)


def unread_count(request):
    # A callable: the template engine calls it only where the badge is rendered.
    return {"unread_message_count": lambda: request_unread_count(request)}
