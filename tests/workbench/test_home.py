"""The staff workbench home: who may enter, and what it shows."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.accounts.factories import make_citizen, make_department, make_staff, make_staff_record
from tests.html import assert_navigation_labelled, assert_page_shell, audit_page
from zhengwu.org.models import Section

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_staff_login_with_next(client):
    response = client.get("/workbench/")

    assert response.status_code == 302
    assert response["Location"] == "/workbench/login/?next=/workbench/"


def test_citizen_is_refused_with_the_chinese_403_page(client):
    client.force_login(make_citizen())

    response = client.get("/workbench/")

    assert response.status_code == 403
    html = response.content.decode()
    assert_page_shell(html)
    assert "<h1>无权访问" in html


@time_machine.travel(datetime.datetime(2026, 11, 18, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_staff_member_sees_greeting_profile_and_roles(client):
    department = make_department("县行政审批局")
    user = make_staff(department=department, roles=("section_head", "handler"), employee_number="A-17")
    user.staff.section = Section.objects.create(department=department, name="审批一科")
    user.staff.save()
    client.force_login(user)

    response = client.get("/workbench/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>您好，王芳</h1>" in html
    assert "今天是 2026年11月18日 星期三，工作日。" in html
    assert "<dd>县行政审批局</dd>" in html
    assert "<dd>审批一科</dd>" in html
    assert "<dd>A-17</dd>" in html
    # Roles in the order of the Role enum, not the order they were granted.
    assert "<dd>承办人、科长</dd>" in html
    assert '<span class="user-bar__dept">县行政审批局</span>' in html
    assert "<title>工作台首页 - 工作台 - 政务服务平台</title>" in html


def test_workbench_home_keeps_the_accessible_shell(client):
    client.force_login(make_staff())

    html = client.get("/workbench/").content.decode()

    page = assert_page_shell(html)
    assert_navigation_labelled(page)
    assert page.find_all("nav", id="site-nav", **{"aria-label": "工作台导航"})
    assert page.find_all("a", href="/workbench/", **{"aria-current": "page"})
    logout_forms = page.find_all("form", action=reverse("portal:logout"))
    assert logout_forms == [{"class": "logout-form", "method": "post", "action": "/logout/"}]
    assert page.find_all("input", type="hidden", name="csrfmiddlewaretoken")


def test_staff_member_without_profile_or_roles_is_told_so(client):
    client.force_login(make_staff_record("wangfang", "王芳"))

    response = client.get("/workbench/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "未设置（请联系系统管理员配置工作人员信息）" in html
    assert "<dd>暂未分配角色</dd>" in html
    assert "user-bar__dept" not in html


def test_plain_staff_member_gets_no_admin_or_oversight_links(client):
    client.force_login(make_staff(roles=("handler",)))

    page = audit_page(client.get("/workbench/").content.decode())

    assert page.find_all("a", href="/admin/") == []
    assert page.find_all("a", href="/oversight/") == []
    assert page.find_all("a", href="/account/") == [{"href": "/account/"}]


def test_administrator_with_admin_access_gets_one_admin_and_one_oversight_link_per_menu(client):
    user = make_staff(roles=("administrator", "supervisor"))
    user.is_staff = True
    user.save()
    client.force_login(user)

    page = audit_page(client.get("/workbench/").content.decode())

    # One in the side navigation, one in the page's 常用入口.
    assert len(page.find_all("a", href="/admin/")) == 2
    assert len(page.find_all("a", href="/oversight/")) == 2


def test_administrator_role_without_django_admin_access_gets_no_dead_admin_link(client):
    client.force_login(make_staff(roles=("administrator",)))

    page = audit_page(client.get("/workbench/").content.decode())

    assert page.find_all("a", href="/admin/") == []
    assert len(page.find_all("a", href="/oversight/")) == 2


def test_supervisor_gets_the_oversight_link_only(client):
    client.force_login(make_staff(roles=("supervisor",)))

    page = audit_page(client.get("/workbench/").content.decode())

    assert len(page.find_all("a", href="/oversight/")) == 2
    assert page.find_all("a", href="/admin/") == []


def test_workbench_home_query_count_is_fixed(client, django_assert_num_queries):
    user = make_staff(roles=("handler", "section_head"))
    client.force_login(user)

    # session, user with its staff profile (department/section/position/window) and roles (shared with the side
    # nav), the calendar version the in-memory working-day index is checked against, the unread-message badge
    with django_assert_num_queries(4):
        client.get("/workbench/")


@time_machine.travel(datetime.datetime(2026, 10, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_on_a_holiday_the_home_page_names_it_and_the_next_working_day(client):
    client.force_login(make_staff())

    html = client.get("/workbench/").content.decode()

    assert "今天是 2026年10月2日 星期五，法定节假日（国庆节），下一个工作日是 10月8日 星期四。" in html


@time_machine.travel(datetime.datetime(2026, 11, 18, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_administrators_are_warned_when_next_years_calendar_is_missing(client):
    user = make_staff(roles=("administrator",))
    user.is_staff = True
    user.save()
    client.force_login(user)

    html = client.get("/workbench/").content.decode()

    assert "2027 年工作日历尚未导入，相关时限按周一至周五临时计算。" in html
