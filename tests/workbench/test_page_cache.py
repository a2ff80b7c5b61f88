"""我的待办 from the shared cache (workbench/page_cache.py, ADR 0023): served while nothing it shows changed."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.utils import timezone

from tests.accounts.factories import make_staff
from tests.workbench import test_tasks
from tests.workbench.test_tasks import open_task, started, task_links
from zhengwu.accounts.domain.staff import role_grant
from zhengwu.accounts.enums import Role
from zhengwu.cases.domain.processing import case_task_complete
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.workcal.clock_enums import PauseReason
from zhengwu.workcal.domain.clock import clock_pause

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
hall, leader, colleague = test_tasks.hall, test_tasks.leader, test_tasks.colleague
# A hit reads the session (from the database in tests; production reads it from the shared cache).
HIT_QUERIES = 1


def cached_inbox(client, user):
    """Log in, get the CSRF cookie, then render once so the page is in the cache."""
    client.force_login(user)
    client.get("/workbench/tasks/")  # the response sets the CSRF cookie the cached forms are rendered for
    return client.get("/workbench/tasks/").content.decode()


@time_machine.travel(MONDAY, tick=False)
def test_the_todo_page_is_served_from_the_cache_while_nothing_changed(
    shared_cache, client, hall, django_assert_num_queries
):
    review = open_task(started(hall), "review")
    first = cached_inbox(client, hall.handler)
    with django_assert_num_queries(HIT_QUERIES):
        again = client.get("/workbench/tasks/").content.decode()
    assert again == first
    assert task_links(again) == [str(review.pk)]


@time_machine.travel(MONDAY, tick=False)
def test_without_a_shared_cache_every_request_renders(client, hall, django_assert_num_queries):
    started(hall)
    cached_inbox(client, hall.handler)
    with django_assert_num_queries(4):  # session, user with profile and roles, tasks, unread count
        client.get("/workbench/tasks/")


@time_machine.travel(MONDAY, tick=False)
def test_completing_a_task_takes_it_off_the_cached_page(
    shared_cache, client, hall, leader, django_capture_on_commit_callbacks
):
    case = started(hall)
    review = open_task(case, "review")
    assert task_links(cached_inbox(client, hall.handler)) == [str(review.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        case_task_complete(actor=hall.handler, task=review, outcome="approve", comment="材料齐全")
    assert task_links(client.get("/workbench/tasks/").content.decode()) == []


@time_machine.travel(MONDAY, tick=False)
def test_a_new_task_in_the_department_shows_up(shared_cache, client, hall, django_capture_on_commit_callbacks):
    assert task_links(cached_inbox(client, hall.handler)) == []
    with django_capture_on_commit_callbacks(execute=True):
        case = started(hall)
    assert task_links(client.get("/workbench/tasks/").content.decode()) == [str(open_task(case, "review").pk)]


def test_the_page_is_rendered_again_when_a_row_changes_colour(shared_cache, client, hall):
    with time_machine.travel(MONDAY, tick=False):
        clock = open_task(started(hall), "review").clock
    with time_machine.travel(clock.warn_at - timedelta(minutes=2), tick=False):
        assert "urgency--running" in cached_inbox(client, hall.handler)
    with time_machine.travel(clock.warn_at, tick=False):
        html = client.get("/workbench/tasks/").content.decode()
    assert '<span class="urgency urgency--due_soon">即将到期</span>' in html
    with time_machine.travel(clock.due_at - timedelta(minutes=2), tick=False):
        assert "urgency--due_soon" in cached_inbox(client, hall.handler)  # a new session: the old one expired
    with time_machine.travel(clock.due_at + timedelta(seconds=1), tick=False):
        html = client.get("/workbench/tasks/").content.decode()
    assert '<span class="urgency urgency--overdue">已超期</span>' in html


@time_machine.travel(MONDAY, tick=False)
def test_pausing_a_step_clock_refreshes_the_page(shared_cache, client, hall, django_capture_on_commit_callbacks):
    review = open_task(started(hall), "review")
    assert "urgency--running" in cached_inbox(client, hall.handler)
    with django_capture_on_commit_callbacks(execute=True):
        clock_pause(
            actor=hall.handler, clock=review.clock, reason=PauseReason.EXPERT_REVIEW, basis="专家评审", at=MONDAY
        )
    assert "urgency--paused" in client.get("/workbench/tasks/").content.decode()


@time_machine.travel(MONDAY, tick=False)
def test_a_new_role_or_message_refreshes_the_layout(
    shared_cache, client, hall, colleague, django_capture_on_commit_callbacks
):
    cached_inbox(client, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[colleague], category=Category.GENERAL, subject="系统维护通知", body="今晚维护。")
    assert '<span class="unread-badge" id="unread-badge">1<' in client.get("/workbench/tasks/").content.decode()
    admin = make_staff("xitong_guanli", department=hall.department, display_name="管理员", roles=(Role.ADMINISTRATOR,))
    with django_capture_on_commit_callbacks(execute=True):
        role_grant(actor=admin, user=colleague, role=Role.SUPERVISOR)
    assert "电子监察中心" in client.get("/workbench/tasks/").content.decode()


@time_machine.travel(MONDAY, tick=False)
def test_an_entry_belongs_to_its_session(shared_cache, client, hall, django_assert_num_queries):
    from django.test import Client

    cached_inbox(client, hall.handler)
    other = Client()
    other.force_login(hall.handler)
    other.get("/workbench/tasks/")
    with django_assert_num_queries(4):  # a session of its own: rendered, not someone else's copy
        other.get("/workbench/tasks/")


@time_machine.travel(MONDAY, tick=False)
def test_a_waiting_flash_message_is_shown_not_a_cached_page(shared_cache, client, hall):
    cached_inbox(client, hall.handler)
    waiting = CookieStorage(RequestFactory().get("/"))._encode([Message(constants.SUCCESS, "已办理完毕")])
    client.cookies[CookieStorage.cookie_name] = waiting
    html = client.get("/workbench/tasks/").content.decode()
    assert "已办理完毕" in html
    assert "已办理完毕" not in client.get("/workbench/tasks/").content.decode()


@time_machine.travel(MONDAY, tick=False)
def test_other_tabs_and_anonymous_visitors_are_never_cached(shared_cache, client, hall, django_assert_num_queries):
    assert client.get("/workbench/tasks/").status_code == 302
    cached_inbox(client, hall.handler)
    client.get("/workbench/tasks/?tab=done")
    with django_assert_num_queries(4):
        client.get("/workbench/tasks/?tab=done")
    client.logout()
    assert client.get("/workbench/tasks/").status_code == 302


@time_machine.travel(MONDAY, tick=False)
def test_a_deactivated_user_or_a_new_password_is_never_served_the_cached_page(
    shared_cache, client, hall, colleague, django_capture_on_commit_callbacks
):
    cached_inbox(client, hall.handler)
    with django_capture_on_commit_callbacks(execute=True):
        hall.handler.is_active = False
        hall.handler.save(update_fields=["is_active"])
    assert client.get("/workbench/tasks/").status_code == 302

    cached_inbox(client, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        colleague.set_password("另一个新密码-2026")
        colleague.save(update_fields=["password"])
    assert client.get("/workbench/tasks/").status_code == 302
