"""The search page's states and rendering. The ranking itself belongs to zhengwu.search and is stubbed here."""

from dataclasses import dataclass

import pytest
from django.utils.safestring import mark_safe

from tests.catalog.factories import Curation, publish, republish
from tests.html import audit_page
from tests.portal.test_catalog import assert_catalog_shell, main_text
from zhengwu.portal.views import catalog as views

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Hit:
    version_id: int
    score: float
    title_highlight: str
    snippet: str


class StubSearch:
    def __init__(self, hits=()):
        self.hits = list(hits)
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, query, **kwargs):
        self.calls.append((query, kwargs))
        return self.hits


@pytest.fixture
def stub(monkeypatch):
    search = StubSearch()
    monkeypatch.setattr(views, "_search_backend", lambda: search)
    return search


def test_search_page_without_a_query_invites_one(client, stub):
    html = client.get("/services/search/").content.decode()

    assert_catalog_shell(html)
    assert "<title>搜索事项 - 办事服务 - 政务服务平台</title>" in html
    assert main_text(html) == (
        "搜索事项 搜索事项 输入事项名称、受理条件或材料中的词语，两个字即可，如“护照”“低保”。 搜索 "
        "搜索结果 请输入要查找的事项名称或关键词。"
    )
    assert stub.calls == []
    assert client.get("/services/search/?q=+++").content.decode().count("请输入要查找的事项名称或关键词。") == 1
    assert stub.calls == []


def test_a_query_longer_than_50_characters_is_refused_with_a_clear_error(client, stub):
    html = client.get("/services/search/", {"q": "护" * 51}).content.decode()

    assert "<li>搜索词不能超过 50 个字（当前 51 个字），请精简后再搜索。</li>" in html
    (field,) = audit_page(html).find_all("input", name="q")
    assert (field["aria-invalid"], field["aria-describedby"]) == ("true", "q-error q-help")
    assert "maxlength" not in field
    assert stub.calls == []

    client.get("/services/search/", {"q": "护" * 50})
    assert stub.calls == [("护" * 50, {"limit": 50})]


def test_hits_show_highlighted_title_snippet_department_and_a_count(client, stub):
    cur = Curation()
    passport = publish(cur, "000201001000", name="普通护照签发", materials=[{"name": "居民身份证"}])
    renewal = publish(cur, "000201002000", name="护照换发", materials=[{"name": "原护照"}])
    stale = publish(cur, "000201003000", name="护照加注")
    republish(cur, stale, name="护照加注（新版）")  # the index may still hold the superseded version
    stub.hits = [
        Hit(renewal.pk, 2.0, mark_safe("<mark>护照</mark>换发"), mark_safe("材料：原<mark>护照</mark>")),
        Hit(stale.pk, 1.5, mark_safe("<mark>护照</mark>加注"), ""),
        Hit(passport.pk, 1.0, mark_safe("普通<mark>护照</mark>签发"), ""),
    ]

    html = client.get("/services/search/", {"q": " 护照 "}).content.decode()

    assert_catalog_shell(html)
    assert "<title>搜索“护照” - 办事服务 - 政务服务平台</title>" in html
    assert stub.calls == [("护照", {"limit": 50})]
    assert '<h2 id="results-title">找到 2 个事项</h2>' in html
    assert (
        f'<a class="search-hit__title" href="/services/item/{renewal.item.implementation_code}/">'
        "<mark>护照</mark>换发</a>"
    ) in html
    assert '<p class="search-hit__snippet">材料：原<mark>护照</mark></p>' in html
    assert main_text(html).endswith(
        "找到 2 个事项 护照换发 区市场监督管理局 · 行政许可 · 承诺件 材料：原护照 "
        "普通护照签发 区市场监督管理局 · 行政许可 · 承诺件"
    )
    assert "护照加注" not in html
    (field,) = audit_page(html).find_all("input", name="q")
    assert field["value"] == " 护照 "  # as typed


def test_no_results_are_told_in_chinese_with_the_query_escaped(client, stub):
    html = client.get("/services/search/", {"q": "<b>低保</b>"}).content.decode()

    assert '<h2 id="results-title">找到 0 个事项</h2>' in html
    assert "没有找到与“&lt;b&gt;低保&lt;/b&gt;”相关的事项。请换一个词语试试，或" in html
    assert '<a href="/services/">按部门或主题浏览</a>' in html
    assert "<b>低保</b>" not in html


def test_search_page_still_works_while_the_search_service_is_missing(client, monkeypatch):
    monkeypatch.setattr(views, "_search_backend", lambda: None)

    html = client.get("/services/search/", {"q": "公积金"}).content.decode()

    assert "搜索服务暂不可用，请按部门或主题浏览事项。" in main_text(html)


def test_a_department_page_searches_within_that_department(client, stub):
    cur = Curation()
    publish(cur, "000201001000", name="食品经营许可")

    department_page = audit_page(client.get("/services/department/SC01/").content.decode())
    html = client.get("/services/search/", {"q": "食品", "department": "SC01"}).content.decode()

    assert department_page.find_all("input", type="hidden", name="department") == [
        {"type": "hidden", "name": "department", "value": "SC01", "id": "id_department"}
    ]
    assert stub.calls == [("食品", {"limit": 50, "department_id": cur.department.pk})]
    assert "仅搜索“区市场监督管理局”的事项。" in html
    assert '<a href="/services/search/?q=%E9%A3%9F%E5%93%81">搜索全部部门</a>' in html


def test_an_unknown_department_searches_everywhere(client, stub):
    html = client.get("/services/search/", {"q": "食品", "department": "NOPE"}).content.decode()

    assert stub.calls == [("食品", {"limit": 50})]
    assert "仅搜索" not in html
