"""Staff pages served from the shared cache while nothing they show has changed (docs/adr/0023-inbox-page-cache.md).

An entry belongs to one session and its CSRF cookie: it holds the rendered page, the version counters it was built
from and the moment it goes stale by the clock (a row changing colour). It is served only to the same user, while
every counter is unchanged, before that moment, and never when a flash message is waiting (the page would show
it). Without a shared cache (`ZHENGWU_SHARED_CACHE`) nothing is cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from zhengwu.core.versions import shared_cache_enabled, versions_read

# A bound on staleness should a change ever reach the database without moving a counter.
PAGE_TTL_SECONDS = 300


def _messages_waiting(request: HttpRequest) -> bool:
    return bool(request.COOKIES.get(CookieStorage.cookie_name) or request.session.get(SessionStorage.session_key))


def _session_login(request: HttpRequest) -> tuple[str, str] | None:
    """The user id and password-derived hash the session was logged in with, as the session stores them."""
    user_id, auth_hash = request.session.get(SESSION_KEY), request.session.get(HASH_SESSION_KEY)
    return (str(user_id), str(auth_hash)) if user_id and auth_hash else None


def _cacheable(request: HttpRequest) -> bool:
    """A logged-in GET with a session and a CSRF cookie and no flash message waiting, with a shared cache."""
    return (
        request.method == "GET"
        and shared_cache_enabled()
        and bool(request.session.session_key)
        and bool(request.COOKIES.get(settings.CSRF_COOKIE_NAME))
        and _session_login(request) is not None
        and not _messages_waiting(request)
    )


def _entry_key(request: HttpRequest, name: str) -> str | None:
    if not _cacheable(request):
        return None
    # SECRET_KEY in the digest: rotating it (which logs every session out) leaves no entry to serve.
    seed = f"{request.session.session_key}\0{request.COOKIES[settings.CSRF_COOKIE_NAME]}\0{settings.SECRET_KEY}"
    return f"page:{name}:{hashlib.sha256(seed.encode()).hexdigest()[:40]}"


def page_from_cache(request: HttpRequest, *, name: str) -> HttpResponse | None:
    """The cached page `name` for this request, or None when it must be rendered.

    The user row is not loaded: the entry was rendered for the same session, user and password hash, and any
    change to the user (deactivation, new password, deletion) moves their staff counter, among `keys`."""
    key = _entry_key(request, name)
    entry = cache.get(key) if key else None
    if not entry or entry["login"] != list(_session_login(request)) or timezone.now().timestamp() >= entry["until"]:
        return None
    if versions_read(entry["keys"]) != tuple(entry["versions"]):
        return None
    return HttpResponse(entry["body"], content_type=entry["content_type"])


def page_versions(request: HttpRequest, keys: Sequence[str]) -> tuple | None:
    """Read the counters before rendering (a change during the render then makes the entry stale at once)."""
    return versions_read(keys) if _cacheable(request) else None


def page_to_cache(
    request: HttpRequest,
    response: HttpResponse,
    *,
    name: str,
    keys: Sequence[str],
    versions: tuple | None,
    until: datetime | None,
) -> None:
    """Keep the rendered page until a counter moves, `until` passes or PAGE_TTL_SECONDS elapse."""
    key = _entry_key(request, name)
    if key is None or versions is None or response.status_code != 200 or response.streaming:
        return
    login = _session_login(request)
    if not request.user.is_authenticated or login is None or login[0] != str(request.user.pk):
        return
    now = timezone.now().timestamp()
    expires = now + PAGE_TTL_SECONDS
    if until is not None:
        expires = min(expires, until.timestamp())
    if expires - now < 1:
        return
    entry = {
        "login": list(login),
        "keys": list(keys),
        "versions": list(versions),
        "until": expires,
        "body": response.content,
        "content_type": response["Content-Type"],
    }
    cache.set(key, entry, timeout=int(expires - now) + 1)
