"""Security headers on every response, and the page shell every layout must keep (CSP-safe, accessible)."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template import loader

from tests.html import (  # noqa: F401  (the others re-exported for modules still importing them from here)
    PageAudit,
    assert_navigation_labelled,
    assert_page_shell,
    audit_page,
    static_path,
)


@pytest.mark.django_db
def test_portal_home_sends_security_headers(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_redirects_and_error_pages_send_security_headers(client):
    for url, status in [("/workbench/", 302), ("/oversight/", 302), ("/no-such-page/", 404)]:
        response = client.get(url)

        assert response.status_code == status
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_not_found_page_is_chinese_and_keeps_the_shell(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert_page_shell(html)
    assert "<title>页面不存在 - 政务服务平台</title>" in html
    assert "<h1>页面不存在" in html


def test_server_error_page_renders_without_any_context():
    html = loader.get_template("500.html").render()

    assert_page_shell(html)
    assert "<title>服务器错误 - 政务服务平台</title>" in html
    assert "<h1>服务器错误" in html


@pytest.mark.django_db
def test_forbidden_page_renders_with_request_context(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.views.defaults import permission_denied

    request = rf.get("/workbench/")
    request.user = AnonymousUser()
    response = permission_denied(request, exception=None)

    assert response.status_code == 403
    html = response.content.decode()
    assert_page_shell(html)
    assert "<h1>无权访问" in html


def test_every_shipped_asset_exists():
    for path in [
        "zhengwu/css/zhengwu.css",
        "zhengwu/js/htmx.min.js",
        "zhengwu/js/app.js",
        "zhengwu/img/favicon.svg",
    ]:
        assert finders.find(path), path


def test_stylesheet_loads_nothing_from_other_hosts():
    css = Path(finders.find("zhengwu/css/zhengwu.css")).read_text(encoding="utf-8")

    assert "http://" not in css
    assert "https://" not in css
    assert "@import" not in css
    assert '"Noto Sans CJK SC"' in css
    assert ":focus-visible" in css
