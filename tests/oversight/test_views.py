"""The supervision centre is for supervisors, administrators and department leaders only."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.accounts.factories import make_citizen, make_staff
from tests.html import assert_navigation_labelled, assert_page_shell, audit_page
from zhengwu.accounts.models import User
from zhengwu.cases.models import Case

pytestmark = pytest.mark.django_db

STYLES = ["/static/workbench/cases.css", "/static/oversight/oversight.css"]
SCRIPTS = ["/static/oversight/vendor/echarts.min.js", "/static/oversight/dashboard.js"]


def test_anonymous_visitor_is_sent_to_the_staff_login(client):
    response = client.get("/oversight/")

    assert response.status_code == 302
    assert response["Location"] == "/workbench/login/?next=/oversight/"


@pytest.mark.parametrize("roles", [(), ("handler", "section_head", "window_clerk")])
def test_staff_without_a_supervision_role_is_refused(client, roles):
    client.force_login(make_staff(roles=roles))

    response = client.get("/oversight/")

    assert response.status_code == 403
    assert "<h1>无权访问" in response.content.decode()


def test_citizen_is_refused(client):
    client.force_login(make_citizen())

    assert client.get("/oversight/").status_code == 403


@pytest.mark.parametrize("role", ["supervisor", "administrator"])
def test_supervisor_and_administrator_enter(client, role):
    client.force_login(make_staff(roles=(role,)))

    response = client.get("/oversight/")

    assert response.status_code == 200
    html = response.content.decode()
    page = assert_page_shell(html, stylesheets=STYLES, scripts=SCRIPTS)
    assert_navigation_labelled(page)
    assert "<h1>电子监察中心</h1>" in html
    assert '<h2 id="colours-title">监察对象状态</h2>' in html
    assert "<title>首页 - 电子监察中心 - 政务服务平台</title>" in html


def test_superuser_enters(client):
    client.force_login(User.objects.create_superuser(username="root", password="Zw-test-pass-2026", kind="staff"))

    assert client.get("/oversight/").status_code == 200


def test_oversight_home_marks_its_link_current_once(client):
    client.force_login(make_staff(roles=("supervisor", "administrator")))

    page = audit_page(client.get("/oversight/").content.decode())

    assert page.find_all("a", href="/oversight/", **{"aria-current": "page"}) == [
        {"href": "/oversight/", "aria-current": "page"}
    ]


def test_oversight_home_query_count_is_fixed(client, django_assert_num_queries):
    client.force_login(make_staff(roles=("supervisor",)))

    # session, user with its roles (shared with the side navigation) and staff profile with department for the
    # header; colour counts, alerts by point, alerts by department, the 30-day trend (content types are cached)
    ContentType.objects.get_for_model(Case)
    with django_assert_num_queries(6):
        client.get("/oversight/")
