"""我的待办: the inbox (to do / done / watching) and the task page with its actions."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.accounts.factories import make_staff
from tests.cases import conftest as cases_conftest
from tests.html import assert_page_shell
from tests.workbench import test_home
from zhengwu.accounts.enums import Role
from zhengwu.cases.domain import case_submit_online
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case, CaseDecision
from zhengwu.workflow.domain import task_reassign
from zhengwu.workflow.enums import TaskState
from zhengwu.workflow.models import WorkTask

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
TASKS_CSS = ["/static/workbench/tasks.css"]
hall = cases_conftest.hall  # the cases app's published item, departments, windows and staff
inbox = test_home.inbox  # hall.handler's pool in every clock colour, at test_home.NOW


@pytest.fixture
def leader(hall):
    return make_staff("fenguan", department=hall.department, display_name="分管领导", roles=(Role.LEADER_IN_CHARGE,))


@pytest.fixture
def colleague(hall):
    return make_staff("chengban2", department=hall.department, display_name="第二承办", roles=(Role.HANDLER,))


def started(hall) -> Case:
    case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    case_accept_and_start(actor=hall.handler, case=case)
    return case


def open_task(case: Case, bpmn_id: str) -> WorkTask:
    return WorkTask.objects.get(
        instance__object_id=str(case.pk), bpmn_id=bpmn_id, state__in=[TaskState.READY, TaskState.CLAIMED]
    )


def task_links(html: str) -> list[str]:
    return re.findall(r'href="/workbench/tasks/(\d+)/"', html)


def test_inbox_requires_staff(client, hall):
    response = client.get("/workbench/tasks/")
    assert response.status_code == 302
    client.force_login(hall.enterprise)
    assert client.get("/workbench/tasks/").status_code == 403


@time_machine.travel(MONDAY, tick=False)
def test_inbox_lists_department_tasks_only_for_the_right_staff(client, hall):
    case = started(hall)
    review = open_task(case, "review")

    client.force_login(hall.handler)
    response = client.get("/workbench/tasks/")
    html = response.content.decode()
    assert_page_shell(html, stylesheets=TASKS_CSS)
    assert task_links(html) == [str(review.pk)]
    assert case.number in html
    assert '<span class="urgency urgency--running">计时中</span>' in html
    assert '<a href="/workbench/tasks/" aria-current="page">我的待办</a>' in html

    client.force_login(hall.outsider)
    assert task_links(client.get("/workbench/tasks/").content.decode()) == []
    assert client.get(f"/workbench/tasks/{review.pk}/").status_code == 404


def test_a_task_number_past_the_integer_range_is_not_found(client, hall):
    case = started(hall)
    review = open_task(case, "review")
    client.force_login(hall.handler)

    assert client.get("/workbench/tasks/99999999999999999999999/").status_code == 404
    assert client.post("/workbench/tasks/99999999999999999999999/complete/").status_code == 404
    assert WorkTask.objects.get(pk=review.pk).state == review.state


def test_inbox_orders_by_step_clock_overdue_first_with_label_and_pins_queries(
    client,
    hall,
    django_assert_num_queries,
):
    with time_machine.travel(MONDAY, tick=False):
        old = started(hall)
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        newer = [started(hall) for _ in range(3)]
    with time_machine.travel(MONDAY + timedelta(days=18), tick=False):
        client.force_login(hall.handler)
        client.get("/workbench/tasks/")  # warm caches (site settings, calendar)
        with django_assert_num_queries(4):  # session, user with profile and roles, tasks, unread count
            response = client.get("/workbench/tasks/")
        html = response.content.decode()
    expected = [str(open_task(c, "review").pk) for c in [old, *newer]]
    assert task_links(html) == expected
    assert html.index("urgency--overdue") < html.index("urgency--due_soon")
    assert '<span class="urgency urgency--overdue">已超期</span>' in html
    assert '<span class="urgency urgency--due_soon">即将到期</span>' in html


@time_machine.travel(MONDAY, tick=False)
def test_a_user_with_several_roles_costs_no_more_queries(client, hall, django_assert_num_queries):
    started(hall)
    chief = make_staff(
        "kezhang2",
        department=hall.department,
        display_name="多岗科长",
        roles=(Role.HANDLER, Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.CATALOG_EDITOR, Role.SUPERVISOR),
    )
    client.force_login(chief)
    client.get("/workbench/tasks/")

    # session, the user with its staff profile and all its roles, the page of tasks, the unread count
    with django_assert_num_queries(4):
        html = client.get("/workbench/tasks/").content.decode()
    with django_assert_num_queries(4):
        client.get("/workbench/tasks/?tab=done")

    assert len(task_links(html)) == 1
    assert '<span class="user-bar__dept">' in html
    for entry in ("我的待办", "事项管理", "延期审批", "电子监察中心"):  # the side navigation, from the roles
        assert f">{entry}</a>" in html


def test_a_full_inbox_page_holds_the_most_urgent_tasks_in_order(client, hall, monkeypatch):
    from zhengwu.workbench.views import tasks as views

    with time_machine.travel(MONDAY, tick=False):
        old = started(hall)
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        newer = [started(hall) for _ in range(2)]
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    with time_machine.travel(MONDAY + timedelta(days=18), tick=False):
        client.force_login(hall.handler)
        html = client.get("/workbench/tasks/").content.decode()
    assert task_links(html) == [str(open_task(c, "review").pk) for c in [old, newer[0]]]
    assert "共 3 个待办环节，按紧迫程度显示前 2 个；办理后其余环节依次列出。" in html


@time_machine.travel(MONDAY, tick=False)
def test_done_and_watching_tabs(client, hall, leader):
    case = started(hall)
    review = open_task(case, "review")
    case_task_complete(actor=hall.handler, task=review, outcome="approve")

    client.force_login(hall.handler)
    html = client.get("/workbench/tasks/?tab=done").content.decode()
    assert_page_shell(html, stylesheets=TASKS_CSS)
    assert task_links(html) == [str(review.pk)]
    html = client.get("/workbench/tasks/?tab=watching").content.decode()
    assert_page_shell(html, stylesheets=TASKS_CSS)
    assert f'href="/workbench/cases/{case.number}/"' in html
    assert f"<td>{case.item_version.name}</td>" in html
    assert table_rows(html)[0][0] == '<span class="urgency urgency--running">计时中</span>'  # the handling clock
    client.force_login(hall.outsider)
    assert case.number not in client.get("/workbench/tasks/?tab=watching").content.decode()


@time_machine.travel(MONDAY, tick=False)
def test_task_page_shows_case_diagram_clock_and_actions(client, hall, colleague):
    case = started(hall)
    review = open_task(case, "review")
    client.force_login(hall.handler)

    response = client.get(f"/workbench/tasks/{review.pk}/")

    html = response.content.decode()
    assert_page_shell(html, stylesheets=TASKS_CSS)
    assert f'src="/workbench/workflow/instances/{review.instance_id}/diagram.svg"' in html
    assert f'href="/workbench/cases/{case.number}/"' in html
    assert "环节时限说明" in html
    assert f"<dt>事项</dt><dd>{case.item_version.name}</dd>" in html
    assert f'action="/workbench/tasks/{review.pk}/complete/"' in html
    assert f'action="/workbench/tasks/{review.pk}/reassign/"' in html
    assert "第二承办" in html
    assert 'name="csrfmiddlewaretoken"' in html


@time_machine.travel(MONDAY, tick=False)
def test_the_acceptance_step_completed_at_start_shows_as_done_and_never_timed(client, hall):
    case = started(hall)
    accept = WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="accept")
    client.force_login(hall.handler)

    html = client.get(f"/workbench/tasks/{accept.pk}/").content.decode()

    assert_page_shell(html, stylesheets=TASKS_CSS)
    assert "<h1>受理</h1>" in html  # a closed step without a clock has no urgency badge
    assert "<dt>状态</dt><dd>已办结</dd>" in html
    assert "<dt>办理人</dt><dd>系统自动办理</dd>" in html  # not "部门待办（未指定）": nobody is to pick it up
    assert "<p>本环节不计时。</p>" in html
    assert "已于 2026-03-02 10:00 受理。" in html
    assert f'action="/workbench/tasks/{accept.pk}/complete/"' not in html


@time_machine.travel(MONDAY, tick=False)
def test_complete_then_decide_through_the_pages(client, hall, leader):
    case = started(hall)
    client.force_login(hall.handler)
    review = open_task(case, "review")
    response = client.post(f"/workbench/tasks/{review.pk}/complete/", {"outcome": "approve", "comment": "同意"})
    assert response.status_code == 302
    assert response["Location"] == "/workbench/tasks/"

    client.force_login(leader)
    decision = open_task(case, "decide")
    html = client.get(f"/workbench/tasks/{decision.pk}/").content.decode()
    assert "准予许可" in html and "法律依据" in html
    response = client.post(f"/workbench/tasks/{decision.pk}/complete/", {"outcome": "deny", "reasons": "不符合条件"})
    assert response.status_code == 200
    assert "这个字段是必填项。" in response.content.decode()
    assert not CaseDecision.objects.exists()

    response = client.post(
        f"/workbench/tasks/{decision.pk}/complete/",
        {"outcome": "deny", "reasons": "不符合条件", "legal_basis": "《行政许可法》第三十八条"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    assert CaseDecision.objects.get(case=case).negative is True


@time_machine.travel(MONDAY, tick=False)
def test_the_task_page_names_the_outcomes_of_finished_steps_in_chinese(client, hall, leader):
    case = started(hall)
    case_task_complete(actor=hall.handler, task=open_task(case, "review"), outcome="approve", comment="材料齐全")
    decision = open_task(case, "decide")
    case_task_complete(
        actor=leader, task=decision, outcome="grant", reasons="符合条件", legal_basis="《行政许可法》第三十四条"
    )
    client.force_login(leader)

    html = client.get(f"/workbench/tasks/{decision.pk}/").content.decode()

    rows = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td></tr>", html)
    assert rows == [("受理", "受理 已于 2026-03-02 10:00 受理。"), ("审查", "同意 材料齐全"), ("决定", "准予许可 ")]
    assert "approve" not in html and "grant" not in html
    assert "分管领导 准予许可 " in html  # the finished task's own line


@time_machine.travel(MONDAY, tick=False)
def test_second_staff_completing_the_same_task_sees_the_chinese_error(client, hall, colleague):
    case = started(hall)
    review = open_task(case, "review")
    case_task_complete(actor=colleague, task=review, outcome="approve")

    client.force_login(hall.handler)
    response = client.post(f"/workbench/tasks/{review.pk}/complete/", {"outcome": "approve"})

    assert response.status_code == 200
    html = response.content.decode()
    assert_page_shell(html, stylesheets=TASKS_CSS)
    assert "该环节已由他人办理。" in html
    assert WorkTask.objects.filter(instance__object_id=str(case.pk), bpmn_id="decide").count() == 1


@time_machine.travel(MONDAY, tick=False)
def test_reassign_and_return(client, hall, leader, colleague):
    case = started(hall)
    review = open_task(case, "review")
    client.force_login(hall.handler)
    response = client.post(f"/workbench/tasks/{review.pk}/reassign/", {"assignee": colleague.pk, "reason": "休假"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.assignee == colleague
    response = client.post(f"/workbench/tasks/{review.pk}/reassign/", {"assignee": colleague.pk, "reason": ""})
    assert response.status_code == 200  # the handler no longer holds the task: only a form error, nothing changed

    case_task_complete(actor=colleague, task=review, outcome="approve")
    client.force_login(leader)
    decision = open_task(case, "decide")
    html = client.get(f"/workbench/tasks/{decision.pk}/").content.decode()
    assert '<option value="review">审查</option>' in html
    assert '<option value="accept">' not in html
    response = client.post(f"/workbench/tasks/{decision.pk}/return/", {"to_task_id": "review", "reason": "补充核查"})
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.state == TaskState.RETURNED
    assert open_task(case, "review").state == TaskState.READY


def table_rows(html: str) -> list[tuple[str, ...]]:
    """The cells of each row of the page's table, whitespace inside a cell collapsed."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [tuple(" ".join(cell.split()) for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)) for row in rows]


def test_the_rows_show_each_colour_the_assignee_the_case_the_department_and_the_deadline(
    client, hall, colleague, inbox
):
    """Every kind of row the 待办 and 已办 tabs list, cell by cell: the badge of each clock colour (and 无时限), the
    step's link, its assignee, its case, its department (short name, else name) and its deadline or completion."""
    now = test_home.NOW
    with time_machine.travel(now - timedelta(minutes=5), tick=False):
        task_reassign(actor=hall.handler, task=inbox["running"], assignee=colleague, reason="本人出差")
    hall.department.short_name = "审批局"
    hall.department.save(update_fields=["short_name"])
    done = open_task(test_home.started(hall, now - timedelta(hours=2)), "review")
    with time_machine.travel(now - timedelta(minutes=1), tick=False):
        case_task_complete(actor=colleague, task=done, outcome="approve")

    with time_machine.travel(now, tick=False):
        client.force_login(colleague)
        todo = client.get("/workbench/tasks/").content.decode()
        finished = client.get("/workbench/tasks/?tab=done").content.decode()

    def subject(task):
        return f"{Case.objects.get(pk=task.instance.object_id).number} 青川绿源农业科技有限公司"

    def badge(css, label):
        return f'<span class="urgency urgency--{css}">{label}</span>'

    def step(task, assignee=""):
        link = f'<a href="/workbench/tasks/{task.pk}/">审查</a>'
        return f"{link} <span>（办理人：{assignee}）</span>" if assignee else link

    overdue = inbox["overdue"]
    assert table_rows(todo) == [
        (badge("overdue", "已超期"), step(overdue[0]), subject(overdue[0]), "审批局", "2026-03-16"),
        (badge("overdue", "已超期"), step(overdue[1]), subject(overdue[1]), "审批局", "2026-03-16"),
        (badge("overdue", "已超期"), step(overdue[2]), subject(overdue[2]), "审批局", "2026-03-16"),
        (badge("due_soon", "即将到期"), step(inbox["due_soon"]), subject(inbox["due_soon"]), "审批局", "2026-03-23"),
        (
            badge("running", "计时中"),
            step(inbox["running"], "第二承办"),
            subject(inbox["running"]),
            "审批局",
            "2026-04-03",
        ),
        (badge("paused", "已暂停"), step(inbox["paused"]), subject(inbox["paused"]), "审批局", "2026-04-03"),
        (badge("paused", "无时限"), step(inbox["untimed"]), subject(inbox["untimed"]), "审批局", ""),
    ]
    assert table_rows(finished) == [
        (badge("stopped_on_time", "按期办结"), step(done), subject(done), "审批局", "2026-03-20 09:59"),
    ]
    hall.department.short_name = ""
    hall.department.save(update_fields=["short_name"])
    with time_machine.travel(now, tick=False):
        without_short_name = client.get("/workbench/tasks/?tab=done").content.decode()
    assert table_rows(without_short_name)[0][3] == hall.department.name == "区市场监督管理局"
