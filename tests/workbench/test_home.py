"""The staff workbench home: who may enter, and what it shows."""

import datetime
import re
from collections import Counter

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.accounts.factories import make_citizen, make_department, make_staff, make_staff_record
from tests.cases import conftest as cases_conftest
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.test_acceptance import online
from tests.html import assert_navigation_labelled, assert_page_shell, audit_page
from tests.supervision.factories import make_alert, make_case, make_leader, make_point, make_supervisor
from zhengwu.accounts.enums import Role
from zhengwu.cases.domain import (
    case_extension_request,
    case_fee_pay,
    case_submit_online,
    case_suspend,
    fee_refund_request,
)
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
from zhengwu.cases.models import Case
from zhengwu.org.models import Section
from zhengwu.ratings.domain import rating_submit
from zhengwu.ratings.enums import Level
from zhengwu.supervision.enums import AlertLevel, AlertStatus
from zhengwu.workbench.views import home as home_views
from zhengwu.workcal.clock_enums import ClockStatus, DisplayStatus
from zhengwu.workcal.models import Clock
from zhengwu.workflow.enums import OPEN_TASK_STATES
from zhengwu.workflow.models import WorkTask
from zhengwu.workflow.rules import inbox_filter

pytestmark = pytest.mark.django_db

TASKS_CSS = ["/static/workbench/tasks.css"]


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
    client.get("/workbench/")  # warm the working-day index

    # session, user with its staff profile (department/section/position/window) and roles (shared with the side
    # nav), the calendar version the in-memory working-day index is checked against, the 待办 colour counts
    # (no step: no urgent rows read), 待受理, 差评整改, the unread-message badge
    with django_assert_num_queries(7):
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


# ---------------------------------------------------------------- the work waiting for each user

TZ = timezone.get_default_timezone()
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
NOW = MONDAY + datetime.timedelta(days=18)  # Friday 2026-03-20: steps started on MONDAY are overdue
HOME = "/workbench/"
hall = cases_conftest.hall


def started(hall, when: datetime.datetime) -> Case:
    with time_machine.travel(when, tick=False):
        case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
        case_accept_and_start(actor=hall.handler, case=case)
    case.refresh_from_db()
    return case


def review_step(case: Case) -> WorkTask:
    return WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="review", state__in=sorted(OPEN_TASK_STATES))


def colour_counts(html: str) -> list[tuple[str, str, int]]:
    todo = html[html.index('id="todo-title"') : html.index('id="profile-title"')]
    found = re.findall(
        r'<li><span class="urgency urgency--([a-z_]+)">([^<]+)</span>\s*<span class="home-counts__n">(\d+)</span></li>',
        todo,
    )
    return [(css, label, int(n)) for css, label, n in found]


def urgent_rows(html: str) -> list[str]:
    """The 最紧迫的环节 list items, whitespace collapsed."""
    start = html.index('<ol class="urgent-steps">')
    items = re.findall(r"<li>.*?</li>", html[start : html.index("</ol>", start)], flags=re.S)
    return [" ".join(item.split()) for item in items]


def urgent_links(html: str) -> list[str]:
    return [re.search(r'href="/workbench/tasks/(\d+)/"', row).group(1) for row in urgent_rows(html)]


def queue_counts(html: str) -> dict[str, tuple[str, int]]:
    """label → (link, count) of the 待我处理 section."""
    found = re.findall(r'<dt><a href="([^"]+)">([^<]+)</a></dt>\s*<dd><span class="home-counts__n">(\d+)</span>', html)
    return {label: (href, int(n)) for href, label, n in found}


def alert_counts(html: str) -> list[tuple[str, str, int]]:
    found = re.findall(
        r'<a href="(/oversight/alerts/\?level=\d)"><span class="level-tag level-tag--\d">([^<]+)</span> '
        r'<span class="home-counts__n">(\d+)</span></a>',
        html,
    )
    return [(href, label, int(n)) for href, label, n in found]


@pytest.fixture
def inbox(hall):
    """hall.handler's pool at NOW: three overdue steps, one due soon, one running, one paused (its case suspended)
    and one without a clock."""
    overdue = [started(hall, MONDAY + datetime.timedelta(minutes=n)) for n in range(3)]
    due_soon = started(hall, MONDAY + datetime.timedelta(days=7))
    running = started(hall, NOW - datetime.timedelta(hours=1))
    paused = started(hall, NOW - datetime.timedelta(minutes=30))
    with time_machine.travel(NOW - datetime.timedelta(minutes=20), tick=False):
        case_suspend(
            actor=hall.handler,
            case=paused,
            reason="expert_review",
            explanation="需组织专家评审。",
            expected_resume_on=datetime.date(2026, 3, 27),
        )
    untimed = started(hall, NOW - datetime.timedelta(minutes=10))
    WorkTask.objects.filter(pk=review_step(untimed).pk).update(clock=None)
    return {
        "overdue": [review_step(case) for case in overdue],
        "due_soon": review_step(due_soon),
        "running": review_step(running),
        "paused": review_step(paused),
        "untimed": review_step(untimed),
    }


@time_machine.travel(NOW, tick=False)
def test_my_todo_is_counted_by_clock_colour_with_the_five_most_urgent_steps_in_the_todo_pages_order(
    client, hall, inbox
):
    client.force_login(hall.handler)

    response = client.get(HOME)

    html = response.content.decode()
    assert_page_shell(html, stylesheets=TASKS_CSS)
    assert "共 7 个待办环节。" in html
    assert colour_counts(html) == [
        ("overdue", "已超期", 3),
        ("due_soon", "即将到期", 1),
        ("running", "计时中", 1),
        ("paused", "已暂停", 1),
        ("paused", "无时限", 1),
    ]
    expected = [inbox["overdue"][0], inbox["overdue"][1], inbox["overdue"][2], inbox["due_soon"], inbox["running"]]
    assert urgent_links(html) == [str(task.pk) for task in expected]
    todo_page = client.get("/workbench/tasks/")
    assert re.findall(r'href="/workbench/tasks/(\d+)/"', todo_page.content.decode())[:5] == urgent_links(html)
    assert todo_page.context["open_count"] == response.context["todo"]["total"] == 7
    first = inbox["overdue"][0]
    number = Case.objects.get(pk=first.instance.object_id).number
    assert urgent_rows(html)[0] == (
        '<li><span class="urgency urgency--overdue">已超期</span> '
        f'<a href="/workbench/tasks/{first.pk}/">审查</a> '
        f'<span class="urgent-steps__case">{number} 青川绿源农业科技有限公司</span> '
        '<span class="urgent-steps__due">环节期限 2026-03-16</span> </li>'
    )
    assert '<a href="/workbench/tasks/">查看全部待办</a>' in html
    assert "待办事项、办件时限和预警将随业务模块上线后在此显示。" not in html


@time_machine.travel(NOW, tick=False)
def test_the_colour_counts_follow_the_clock_as_time_passes(client, hall, inbox):
    with time_machine.travel(NOW + datetime.timedelta(days=30), tick=False):
        client.force_login(hall.handler)
        html = client.get(HOME).content.decode()

    # The running steps are overdue by then; the paused one and the one without a clock stay as they were.
    assert colour_counts(html) == [
        ("overdue", "已超期", 5),
        ("due_soon", "即将到期", 0),
        ("running", "计时中", 0),
        ("paused", "已暂停", 1),
        ("paused", "无时限", 1),
    ]


def test_the_colour_counts_agree_with_each_steps_own_display_status(hall, inbox):
    counts = home_views._todo_summary(hall.handler, NOW)

    tasks = WorkTask.objects.filter(inbox_filter(hall.handler)).select_related("clock")
    by_status = Counter(task.clock.display_status(NOW) if task.clock else None for task in tasks)
    assert {colour.urgency: colour.count for colour in counts["colours"]} == {
        DisplayStatus.OVERDUE: by_status[DisplayStatus.OVERDUE],
        DisplayStatus.DUE_SOON: by_status[DisplayStatus.DUE_SOON],
        DisplayStatus.RUNNING: by_status[DisplayStatus.RUNNING],
        DisplayStatus.PAUSED: by_status[DisplayStatus.PAUSED],
        None: by_status[None],
    }
    assert sum(by_status.values()) == counts["total"] == 7


@time_machine.travel(NOW, tick=False)
def test_an_open_step_whose_clock_was_stopped_is_counted_not_lost(client, hall, inbox):
    Clock.objects.filter(pk=inbox["running"].clock_id).update(status=ClockStatus.STOPPED, outcome="late")
    client.force_login(hall.handler)

    html = client.get(HOME).content.decode()

    assert "共 7 个待办环节。" in html
    assert colour_counts(html)[-2:] == [("paused", "无时限", 1), ("stopped_late", "超期办结", 1)]
    assert sum(n for _css, _label, n in colour_counts(html)) == 7


@time_machine.travel(NOW, tick=False)
def test_staff_of_another_department_see_none_of_these_steps_or_cases(client, hall, inbox):
    client.force_login(hall.outsider)

    response = client.get(HOME)

    html = response.content.decode()
    assert "共 0 个待办环节。" in html
    assert '<ol class="urgent-steps">' not in html
    assert hall.enterprise.display_name not in html
    assert queue_counts(html) == {
        "待受理": ("/workbench/cases/acceptance/", 0),
        "差评整改": ("/workbench/ratings/follow-ups/", 0),
    }


@time_machine.travel(NOW, tick=False)
def test_a_handler_with_steps_reads_a_fixed_number_of_queries(client, hall, inbox, django_assert_num_queries):
    client.force_login(hall.handler)
    client.get(HOME)

    # session, user with profile and roles, calendar version, 待办 colour counts, the five urgent steps (joined to
    # their case instance and clock), 待受理, 差评整改, unread count
    with django_assert_num_queries(8):
        client.get(HOME)
    for _n in range(3):
        started(hall, NOW)
    with django_assert_num_queries(8):
        assert client.get(HOME).context["todo"]["total"] == 10


# ---------------------------------------------------------------- the queues each role may act on


def listed(client, url: str, key: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return len(response.context[key])


@time_machine.travel(NOW, tick=False)
def test_acceptance_count_is_what_the_queue_lists_for_whoever_may_see_it(client, hall):
    with time_machine.travel(NOW - datetime.timedelta(hours=2), tick=False):
        waiting = [online(hall) for _n in range(2)]
    started(hall, NOW - datetime.timedelta(hours=1))  # accepted: not waiting any more
    assert len(waiting) == 2
    queue = reverse("workbench:case_acceptance_queue")

    for user, expected in [(hall.handler, 2), (hall.section_head, 2), (hall.clerk, 2), (hall.registrar, 2)]:
        client.force_login(user)
        counts = queue_counts(client.get(HOME).content.decode())
        assert counts["待受理"] == (queue, expected)
        assert listed(client, queue, "rows") == expected
    client.force_login(hall.other_clerk)  # a window of the other department only
    assert queue_counts(client.get(HOME).content.decode())["待受理"] == (queue, 0)
    assert listed(client, queue, "rows") == 0
    client.force_login(hall.agent)  # a station agent files cases but decides no acceptance
    assert "待受理" not in queue_counts(client.get(HOME).content.decode())


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


def test_leaders_see_the_approvals_waiting_for_them_and_the_fee_window_its_unpaid_notices(client, fees):
    hall = fees.hall
    unpaid = fees.decided_case()
    paid = fees.decided_case()
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(paid), method="cash", amount=TOTAL)
    fee_refund_request(actor=fees.fee_clerk, payment=payment, amount="10", reason="多收工本费")
    extending = started(hall, timezone.now())
    case_extension_request(actor=hall.handler, case=extending, reason="需现场核查。", days=2)
    assert fees.notice(unpaid).state == "issued"

    client.force_login(fees.leader)
    counts = queue_counts(client.get(HOME).content.decode())
    assert counts == {
        "延期审批": ("/workbench/cases/extensions/", 1),
        "待审批退费": ("/workbench/fees/refunds/", 1),
        "差评整改": ("/workbench/ratings/follow-ups/", 0),
    }
    assert listed(client, "/workbench/cases/extensions/", "extensions") == 1
    assert listed(client, "/workbench/fees/refunds/", "refund_requests") == 1

    client.force_login(fees.fee_clerk)
    counts = queue_counts(client.get(HOME).content.decode())
    assert counts == {"统一收费窗口": ("/workbench/fees/", 1)}
    assert listed(client, "/workbench/fees/", "page") == 1

    client.force_login(fees.other_fee_clerk)  # a street hall's fee window serving none of these departments
    assert queue_counts(client.get(HOME).content.decode()) == {"统一收费窗口": ("/workbench/fees/", 0)}

    client.force_login(hall.handler)  # decides neither extensions nor refunds, collects no fees
    assert set(queue_counts(client.get(HOME).content.decode())) == {"待受理", "差评整改"}

    stranger = make_staff(
        "lingdao9", department=hall.other_department, display_name="他局领导", roles=(Role.LEADER_IN_CHARGE,)
    )
    client.force_login(stranger)  # a leader of another department: none of these are theirs to decide
    assert queue_counts(client.get(HOME).content.decode()) == {
        "延期审批": ("/workbench/cases/extensions/", 0),
        "待审批退费": ("/workbench/fees/refunds/", 0),
        "差评整改": ("/workbench/ratings/follow-ups/", 0),
    }


def test_the_fee_clerk_and_the_leader_read_a_fixed_number_of_queries(client, fees, django_assert_num_queries):
    hall = fees.hall
    paid = fees.decided_case()
    fees.decided_case()
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(paid), method="cash", amount=TOTAL)
    fee_refund_request(actor=fees.fee_clerk, payment=payment, amount="10", reason="多收工本费")
    case_extension_request(actor=hall.handler, case=started(hall, timezone.now()), reason="需现场核查。", days=2)
    reviewed = started(hall, timezone.now())
    case_task_complete(actor=hall.handler, task=review_step(reviewed), outcome="approve")  # 决定 is the leader's

    client.force_login(fees.fee_clerk)
    client.get(HOME)
    # session, user, calendar version, 待办 colour counts (no step: no urgent rows), the departments the fee
    # window collects for, its unpaid notices, unread count
    with django_assert_num_queries(7):
        client.get(HOME)

    client.force_login(fees.leader)
    client.get(HOME)
    # session, user, calendar version, 待办 colour counts, the urgent steps, 延期审批, 待审批退费, 差评整改, the open
    # alerts of the department by level (one aggregate), unread count
    with django_assert_num_queries(10):
        response = client.get(HOME)
    assert response.context["todo"]["total"] == 1
    assert [row["task"].bpmn_id for row in response.context["todo"]["urgent"]] == ["decide"]
    assert [alert.count for alert in response.context["alerts"]] == [0, 0, 0, 0]


@time_machine.travel(NOW, tick=False)
def test_bad_rating_follow_ups_are_counted_for_the_department_only(client, hall):
    from tests.ratings.conftest import case_in

    rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.DISSATISFIED, comment="等了很久")
    rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.VERY_DISSATISFIED, comment="态度差")
    queue = reverse("workbench:rating_follow_ups")

    for user, expected in [(hall.section_head, 2), (hall.handler, 2), (hall.administrator, 2), (hall.outsider, 0)]:
        client.force_login(user)
        assert queue_counts(client.get(HOME).content.decode())["差评整改"] == (queue, expected)
        assert listed(client, queue, "rows") == expected
    client.force_login(hall.clerk)
    assert "差评整改" not in queue_counts(client.get(HOME).content.decode())


# ---------------------------------------------------------------- the oversight block


@pytest.fixture
def alerts(hall):
    """Open alerts of both departments on every level, and one dismissed (no longer 在办)."""
    mine, other = hall.department, hall.other_department
    overdue = make_point("approval.overdue", "办理超时")

    def case(department):
        return make_case(hall.version, department, received_at=NOW - datetime.timedelta(days=20))

    made = [
        make_alert(subject=case(mine), point=overdue, level=AlertLevel.RED),
        make_alert(subject=case(mine), point=overdue, level=AlertLevel.RED, status=AlertStatus.ACKNOWLEDGED),
        make_alert(subject=case(mine), point=overdue, level=AlertLevel.YELLOW),
        make_alert(subject=case(mine), point=overdue, level=AlertLevel.REPORT),
        make_alert(
            subject=case(mine), point=overdue, level=AlertLevel.RED, status=AlertStatus.DISMISSED, handling_note="误报"
        ),
        make_alert(subject=case(other), point=overdue, level=AlertLevel.WARNING),
        make_alert(subject=case(other), point=overdue, level=AlertLevel.RED),
    ]
    return made


LEVEL_LINKS = [
    "/oversight/alerts/?level=3",
    "/oversight/alerts/?level=2",
    "/oversight/alerts/?level=1",
    "/oversight/alerts/?level=0",
]


@time_machine.travel(NOW, tick=False)
def test_a_supervisor_sees_the_open_alerts_of_the_county_by_level_as_the_alerts_page_lists_them(
    client, hall, alerts, django_assert_num_queries
):
    supervisor = make_supervisor(department=hall.other_department)
    client.force_login(supervisor)
    client.get(HOME)

    # session, user, calendar version, 待办 colour counts, 待受理 and 差评整改 (county-wide), alerts by level,
    # unread count
    with django_assert_num_queries(8):
        response = client.get(HOME)

    html = response.content.decode()
    assert alert_counts(html) == list(zip(LEVEL_LINKS, ["红牌", "黄牌", "预警", "报备"], [3, 1, 1, 1], strict=True))
    assert "全县在办（未处理或已确认）的告警：" in html
    assert '<a href="/oversight/alerts/">查看全部在办告警</a>' in html
    for href, _label, count in alert_counts(html):
        assert client.get(href).context["page"].paginator.count == count


@time_machine.travel(NOW, tick=False)
def test_a_department_leader_sees_their_own_departments_alerts_only(client, hall, alerts):
    leader = make_leader(hall.department, "danwei")
    client.force_login(leader)

    html = client.get(HOME).content.decode()

    assert alert_counts(html) == list(zip(LEVEL_LINKS, ["红牌", "黄牌", "预警", "报备"], [2, 1, 0, 1], strict=True))
    assert "本部门在办（未处理或已确认）的告警：" in html
    for href, _label, count in alert_counts(html):
        assert client.get(href).context["page"].paginator.count == count
    # 电子监察中心 in the side navigation and in 常用入口, as for county-wide staff
    assert len(audit_page(html).find_all("a", href="/oversight/")) == 2


@time_machine.travel(NOW, tick=False)
def test_a_handler_gets_no_oversight_block(client, hall, alerts):
    client.force_login(hall.handler)

    html = client.get(HOME).content.decode()

    assert 'id="alerts-title"' not in html
    assert "/oversight/alerts/" not in html
    assert alert_counts(html) == []
