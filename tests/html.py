"""HTML audits shared by the page tests: the shell every layout keeps (CSP-safe, accessible, self-hosted assets)."""

from html.parser import HTMLParser

from django.contrib.staticfiles import finders

INLINE_EVENT_PREFIX = "on"
SHELL_STYLESHEETS = ["/static/zhengwu/css/zhengwu.css"]
SHELL_SCRIPTS = ["/static/zhengwu/js/htmx.min.js", "/static/zhengwu/js/app.js"]


class PageAudit(HTMLParser):
    """Collects what the shell checks need from one rendered page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts: list[str] = []  # executable inline code (json_script data blocks excluded)
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
            # A json_script data block (type="application/json") is never executed, so CSP allows it.
            self._in_script = attributes.get("type") != "application/json"
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


def assert_page_shell(
    html: str, *, stylesheets: list[str] | None = None, scripts: list[str] | None = None
) -> PageAudit:
    """Every page: lang, skip link, the four landmarks, no inline script/style/handlers, only self-hosted assets.

    With `stylesheets` or `scripts`, the page's own assets after the shell's must be exactly those."""
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
    assert page.stylesheets[: len(SHELL_STYLESHEETS)] == SHELL_STYLESHEETS
    assert page.script_sources[: len(SHELL_SCRIPTS)] == SHELL_SCRIPTS
    if stylesheets is not None:
        assert page.stylesheets == SHELL_STYLESHEETS + stylesheets
    if scripts is not None:
        assert page.script_sources == SHELL_SCRIPTS + scripts
    assert all(url.startswith("/static/") for url in page.stylesheets + page.script_sources)
    assert all("defer" in script for script in page.find_all("script") if script.get("type") != "application/json")
    for url in page.stylesheets + page.script_sources:
        assert finders.find(static_path(url)), f"missing static file {url}"
    return page


def assert_navigation_labelled(page: PageAudit) -> None:
    navs = page.find_all("nav")
    assert navs
    assert all(nav.get("aria-label") for nav in navs)


def submission_key(html: str) -> str:
    """The one-time submission key of the page's filing form (its hidden field), which is sent once by app.js."""
    (field,) = audit_page(html).find_all("input", type="hidden", name="submission_key")
    assert len(audit_page(html).find_all("form", **{"data-submit-once": "正在提交…"})) == 1
    return field["value"]
