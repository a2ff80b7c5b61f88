"""The public portal home page and the portal layout."""

import pytest

from tests.accounts.factories import make_citizen, make_staff
from tests.html import assert_navigation_labelled, assert_page_shell, audit_page

pytestmark = pytest.mark.django_db


def test_anonymous_home_offers_login_and_registration(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    page = assert_page_shell(html)
    assert_navigation_labelled(page)
    assert "<title>首页 - 政务服务平台</title>" in html
    assert '<h1 id="home-title">政务服务平台</h1>' in html
    assert page.find_all("a", href="/login/")
    assert page.find_all("a", href="/register/")
    assert "您好" not in html
    assert page.find_all("form", action="/logout/") == []


def test_home_describes_the_four_services_without_linking_missing_pages(client):
    page = audit_page(client.get("/").content.decode())

    links = sorted({attributes["href"] for tag, attributes in page.elements if tag == "a"})
    assert links == [
        "#main",
        "/",
        "/cases/board/",
        "/cases/lookup/",
        "/login/",
        "/register/",
        "/services/",
        "/supervision/violations/",
        "/workbench/login/",
    ]


def test_home_names_the_services_in_chinese(client):
    html = client.get("/").content.decode()

    for heading in ["<h3>办事服务</h3>", "<h3>政务公开</h3>", "<h3>互动交流</h3>", "<h3>电子监察</h3>"]:
        assert heading in html
    assert html.count('<span class="badge">即将开放</span>') == 2
    assert '<a href="/services/">进入办事服务</a>' in html
    assert '<a href="/supervision/violations/">查看违规公示</a>' in html


def test_main_navigation_marks_the_current_page(client):
    page = audit_page(client.get("/").content.decode())

    assert page.find_all("nav", id="site-nav", **{"aria-label": "主导航"})
    assert page.find_all("a", href="/", **{"aria-current": "page"}) == [{"href": "/", "aria-current": "page"}]


def test_logged_in_citizen_is_greeted_by_name_and_can_log_out(client):
    client.force_login(make_citizen(real_name="张三"))

    html = client.get("/").content.decode()

    page = assert_page_shell(html)
    assert '<p class="lead greeting">您好，张三</p>' in html
    assert page.find_all("a", href="/account/")
    assert page.find_all("a", href="/login/") == []
    assert page.find_all("form", action="/logout/") == [
        {"class": "logout-form", "method": "post", "action": "/logout/"}
    ]
    assert page.find_all("a", href="/workbench/") == []


def test_staff_member_on_the_portal_gets_a_workbench_link(client):
    client.force_login(make_staff())

    page = audit_page(client.get("/").content.decode())

    assert len(page.find_all("a", href="/workbench/")) == 2


def test_page_carries_the_csrf_token_for_htmx(client):
    page = audit_page(client.get("/").content.decode())

    (meta,) = page.find_all("meta", name="csrf-token")
    assert len(meta["content"]) == 64


def test_htmx_is_configured_not_to_inject_inline_styles(client):
    page = audit_page(client.get("/").content.decode())

    (meta,) = page.find_all("meta", name="htmx-config")
    assert '"includeIndicatorStyles": false' in meta["content"]
    assert '"allowEval": false' in meta["content"]


def test_anonymous_home_needs_no_database_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/")


def test_site_name_comes_from_settings(client, settings):
    settings.ZHENGWU_SITE_NAME = "示范县政务服务网"

    html = client.get("/").content.decode()

    assert "<title>首页 - 示范县政务服务网</title>" in html
    assert '<a class="site-name" href="/">示范县政务服务网</a>' in html
