"""消息中心 pages: only the user's own messages, unread first; marking read by POST (htmx or not); header badges."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from tests.html import assert_page_shell, audit_page
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _message(user, subject, *, category=Category.GENERAL, body="", link="", at=None):
    with time_machine.travel(at or timezone.now(), tick=False):
        [message] = notify(
            recipients=[user], category=category, subject=subject, body=body, link=link, channels=("inapp",)
        )
    return message


def _subjects(html: str) -> list[str]:
    page = audit_page(html)
    return [attributes["id"] for attributes in page.find_all("h2") if attributes.get("class") == "inbox__subject"]


def _badge(html: str) -> dict[str, str]:
    [badge] = audit_page(html).find_all("span", id="unread-badge")
    return badge


T0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/messages/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/messages/"


def test_the_inbox_shows_only_the_users_messages_unread_first_then_newest(client, citizen, other_citizen):
    old_read = _message(citizen, "旧的已读消息", at=T0)
    new_read = _message(citizen, "新的已读消息", at=T0 + datetime.timedelta(hours=3))
    old_unread = _message(citizen, "较早的未读消息", at=T0 + datetime.timedelta(hours=1))
    new_unread = _message(
        citizen,
        "您的申请已受理",
        category=Category.CASE_ACCEPTED,
        body="办件编号 2026112300001。\n请留意短信。",
        link="/cases/1/",
        at=T0 + datetime.timedelta(hours=2),
    )
    Message.objects.filter(pk__in=[old_read.pk, new_read.pk]).update(read_at=T0 + datetime.timedelta(hours=4))
    _message(other_citizen, "别人的消息")
    client.force_login(citizen)

    response = client.get("/messages/")

    assert response.status_code == 200
    html = response.content.decode()
    assert_page_shell(html)
    assert "layout-portal" in html
    assert _subjects(html) == [f"message-{m.pk}" for m in (new_unread, old_unread, new_read, old_read)]
    assert "别人的消息" not in html
    assert "<title>我的消息 - 政务服务平台</title>" in html
    assert '<p class="inbox__summary" id="inbox-summary">2 条未读消息</p>' in html
    assert '<span class="inbox__flag">【未读】</span>您的申请已受理</h2>' in html
    assert (
        '<p class="inbox__meta muted">办件受理 · <time datetime="2026-11-20T19:00:00+08:00">2026-11-20 19:00</time></p>'
        in html
    )
    assert '<p class="inbox__body">办件编号 2026112300001。<br>请留意短信。</p>' in html
    assert f'action="/messages/{new_unread.pk}/open/"' in html
    assert f'action="/messages/{old_read.pk}/read/"' not in html
    assert _badge(html) == {"class": "unread-badge", "id": "unread-badge"}
    assert '2<span class="visually-hidden">条未读</span>' in html


def test_staff_see_the_inbox_in_the_workbench_layout(client, staff):
    _message(staff, "黄牌预警", category=Category.SUPERVISION_YELLOW_CARD)
    client.force_login(staff)

    html = client.get("/messages/").content.decode()

    assert_page_shell(html)
    assert "layout-workbench" in html
    assert "监察黄牌" in html
    assert audit_page(html).find_all("a", href="/messages/")[0]["aria-current"] == "page"


def test_an_empty_inbox_says_so(client, citizen):
    client.force_login(citizen)

    html = client.get("/messages/").content.decode()

    assert '<p class="inbox__summary" id="inbox-summary">没有未读消息</p>' in html
    assert "暂无消息。" in html
    assert "全部标为已读" not in html
    assert _badge(html) == {"class": "unread-badge", "id": "unread-badge", "hidden": ""}


@pytest.mark.parametrize("count", [1, 25])
def test_the_citizen_inbox_query_count_is_pinned(client, citizen, count, django_assert_num_queries):
    for n in range(count):
        _message(citizen, f"消息{n}")
    client.force_login(citizen)

    # session, user, paginator count, the page's messages, the unread count (shared by the badge and the summary)
    with django_assert_num_queries(5):
        response = client.get("/messages/")
    assert len(_subjects(response.content.decode())) == min(count, 20)


def test_the_staff_inbox_query_count_is_pinned(client, staff, django_assert_num_queries):
    for n in range(3):
        _message(staff, f"消息{n}")
    client.force_login(staff)

    # as many as the citizen's: the staff profile (workbench header) and roles (side navigation) come with the user
    with django_assert_num_queries(5):
        client.get("/messages/")


def test_the_inbox_pages_by_twenty(client, citizen):
    for n in range(25):
        _message(citizen, f"消息{n:02d}", at=T0 + datetime.timedelta(minutes=n))
    client.force_login(citizen)

    html = client.get("/messages/?page=2").content.decode()

    assert len(_subjects(html)) == 5
    assert "第 2 页，共 2 页" in html
    assert '<a href="?page=1" rel="prev">上一页</a>' in html
    assert 'name="page" value="2"' in html


def test_marking_one_read_redirects_back_and_updates_the_badge(client, citizen):
    first = _message(citizen, "第一条")
    second = _message(citizen, "第二条")
    client.force_login(citizen)

    response = client.post(f"/messages/{first.pk}/read/", {"page": "1"})

    assert response.status_code == 302
    assert response["Location"] == "/messages/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    html = client.get("/messages/").content.decode()
    assert '1<span class="visually-hidden">条未读</span>' in html


def test_marking_read_keeps_the_page_in_the_redirect(client, citizen):
    message = _message(citizen, "第一条")
    client.force_login(citizen)

    response = client.post(f"/messages/{message.pk}/read/", {"page": "2"})

    assert response["Location"] == "/messages/?page=2"


def test_marking_read_twice_keeps_the_first_read_time(client, citizen):
    message = _message(citizen, "第一条")
    client.force_login(citizen)
    with time_machine.travel(T0, tick=False):
        client.post(f"/messages/{message.pk}/read/")
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        client.post(f"/messages/{message.pk}/read/")

    message.refresh_from_db()
    assert message.read_at == T0


def test_another_users_message_is_not_found_and_unchanged(client, citizen, other_citizen):
    theirs = _message(other_citizen, "别人的消息", link="/cases/2/")
    client.force_login(citizen)

    assert client.post(f"/messages/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/messages/{theirs.pk}/open/").status_code == 404

    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(client, citizen):
    message = _message(citizen, "第一条")
    client.force_login(citizen)

    assert client.get(f"/messages/{message.pk}/read/").status_code == 405
    assert client.get("/messages/read-all/").status_code == 405
    message.refresh_from_db()
    assert message.read_at is None


def test_with_htmx_the_list_and_the_badge_are_swapped_in_place(client, citizen, django_assert_num_queries):
    first = _message(citizen, "第一条")
    _message(citizen, "第二条")
    client.force_login(citizen)

    # session, user, the message, mark read, fresh unread count, paginator count, the page's messages
    with django_assert_num_queries(7):
        response = client.post(f"/messages/{first.pk}/read/", {"page": "1"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section class="inbox" id="inbox" aria-labelledby="inbox-summary">')
    assert "<html" not in html
    assert '<p class="inbox__summary" id="inbox-summary">1 条未读消息</p>' in html
    assert _badge(html) == {"class": "unread-badge", "id": "unread-badge", "hx-swap-oob": "true"}
    assert '1<span class="visually-hidden">条未读</span>' in html


def test_marking_all_read_changes_only_the_users_messages(client, citizen, other_citizen):
    _message(citizen, "第一条")
    _message(citizen, "第二条")
    theirs = _message(other_citizen, "别人的消息")
    client.force_login(citizen)

    response = client.post("/messages/read-all/", **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="inbox__summary" id="inbox-summary">没有未读消息</p>' in html
    assert _badge(html) == {"class": "unread-badge", "id": "unread-badge", "hx-swap-oob": "true", "hidden": ""}
    assert Message.objects.filter(recipient=citizen, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_all_read_without_htmx_redirects(client, citizen):
    _message(citizen, "第一条")
    client.force_login(citizen)

    response = client.post("/messages/read-all/")

    assert response.status_code == 302
    assert response["Location"] == "/messages/"


def test_opening_a_message_marks_it_read_and_follows_its_link(client, citizen):
    with_link = _message(citizen, "您的申请已受理", link="/cases/1/")
    without_link = _message(citizen, "系统通知")
    client.force_login(citizen)

    assert client.post(f"/messages/{with_link.pk}/open/")["Location"] == "/cases/1/"
    assert client.post(f"/messages/{without_link.pk}/open/")["Location"] == "/messages/"

    assert Message.objects.filter(recipient=citizen, read_at__isnull=True).count() == 0


def test_the_portal_header_shows_the_unread_badge(client, citizen):
    _message(citizen, "第一条")
    _message(citizen, "第二条")
    client.force_login(citizen)

    html = client.get("/account/").content.decode()

    [link] = audit_page(html).find_all("a", href="/messages/")
    assert link == {"class": "inbox-link", "href": "/messages/"}
    badge = '<span class="unread-badge" id="unread-badge">2<span class="visually-hidden">条未读</span></span>'
    assert f"消息{badge}</a>" in html


def test_the_workbench_header_shows_the_unread_badge(client, staff):
    for n in range(120):
        _message(staff, f"预警{n}")
    client.force_login(staff)

    html = client.get("/workbench/").content.decode()

    badge = '<span class="unread-badge" id="unread-badge">99+<span class="visually-hidden">条未读</span></span>'
    assert f"消息{badge}</a>" in html


def test_anonymous_pages_have_no_badge(client):
    html = client.get("/").content.decode()

    assert 'id="unread-badge"' not in html
    assert 'href="/messages/"' not in html
