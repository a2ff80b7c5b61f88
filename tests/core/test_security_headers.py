"""Security headers on every response, and the page shell every layout must keep (CSP-safe, accessible)."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template import loader

INLINE_EVENT_PREFIX = "on"


class PageAudit(HTMLParser):
    """Collects what the shell checks need from one rendered page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts: list[str] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.handler_attributes: list[str] = []
        self.script_sources: list[str] = []
        self.stylesheets: list[str] = []
        self.skip_link_text = ""
        self._in_script = False
        self._script_text: list[str] = []
        self._in_skip_link = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        for name in attributes:
            if name == "style":
                self.style_attributes.append(tag)
            if name.startswith(INLINE_EVENT_PREFIX):
                self.handler_attributes.append(f"{tag}[{name}]")
        if tag == "script":
            self._in_script = True
            self._script_text = []
            if "src" in attributes:
                self.script_sources.append(attributes["src"])
        elif tag == "style":
            self.style_elements += 1
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes.get("href", ""))
        elif tag == "a" and "skip-link" in attributes.get("class", "").split():
            self._in_skip_link = attributes.get("href") == "#main"

    def handle_endtag(self, tag):
        if tag == "script":
            text = "".join(self._script_text).strip()
            if text:
                self.inline_scripts.append(text)
            self._in_script = False
        elif tag == "a":
            self._in_skip_link = False

    def handle_data(self, data):
        if self._in_script:
            self._script_text.append(data)
        if self._in_skip_link:
            self.skip_link_text += data

    def find_all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            attributes
            for name, attributes in self.elements
            if name == tag and all(attributes.get(key) == value for key, value in attrs.items())
        ]


def audit_page(html: str) -> PageAudit:
    audit = PageAudit()
    audit.feed(html)
    audit.close()
    return audit


def static_path(url: str) -> str:
    assert url.startswith("/static/"), f"asset not self-hosted: {url}"
    return url.removeprefix("/static/")


def assert_page_shell(html: str) -> PageAudit:
    """Every page: lang, skip link, the four landmarks, no inline script/style/handlers, only self-hosted assets."""
    page = audit_page(html)
    assert page.find_all("html") == [{"lang": "zh-Hans"}]
    assert page.find_all("meta", name="viewport") == [
        {"name": "viewport", "content": "width=device-width, initial-scale=1"}
    ]
    assert page.skip_link_text.strip() == "跳到主要内容"
    assert len(page.find_all("header", role="banner")) == 1
    assert len(page.find_all("main")) == 1
    assert len(page.find_all("main", id="main")) == 1
    assert len(page.find_all("footer", role="contentinfo")) == 1
    assert page.inline_scripts == []
    assert page.style_elements == 0
    assert page.style_attributes == []
    assert page.handler_attributes == []
    # The shell's own assets come first; pages may add their own, always self-hosted.
    assert page.stylesheets[0] == "/static/zhengwu/css/zhengwu.css"
    assert page.script_sources[:2] == ["/static/zhengwu/js/htmx.min.js", "/static/zhengwu/js/app.js"]
    assert all(url.startswith("/static/") for url in page.stylesheets + page.script_sources)
    assert all("defer" in script for script in page.find_all("script"))
    for url in page.stylesheets + page.script_sources:
        assert finders.find(static_path(url)), f"missing static file {url}"
    return page


def assert_navigation_labelled(page: PageAudit) -> None:
    navs = page.find_all("nav")
    assert navs
    assert all(nav.get("aria-label") for nav in navs)


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
