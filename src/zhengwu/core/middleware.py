from contextvars import ContextVar

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def client_ip(request) -> str | None:
    # Behind a trusted proxy set BEHIND_TLS_PROXY and let the proxy overwrite X-Forwarded-For.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class ContentSecurityPolicyMiddleware:
    """Sets the CSP header and remembers the client IP for audit events written in this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            current_ip.reset(token)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class NulCharacterMiddleware:
    """PostgreSQL's text cannot hold a NUL character (U+0000): a lookup or a save with one raises DataError, a 500
    on any page reading a case number from its path or saving a reason read from its form. A request whose path,
    query string or form (names and values) holds one is answered 400 before its view runs and after the CSRF check:
    a page saying so, or for the API the catalogue API's error body ({"detail": …}). Views exempt from CSRF read their
    own body (the licence check installs its upload limit first, payment platforms sign theirs): only their path and
    query string are looked at. The departmental systems API answers in its own format (api/external.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/external/"):
            return None
        parameters = [request.GET] if getattr(view_func, "csrf_exempt", False) else [request.GET, request.POST]
        if "\x00" in request.path_info or any(
            "\x00" in name or any("\x00" in value for value in values)
            for query in parameters
            for name, values in query.lists()
        ):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": _("请求中含有无法处理的字符（空字符 U+0000）。")}, status=400)
            return render(request, "nul_character.html", status=400)
        return None
