"""Case page actions for suspension (挂起) and extension (延期), and the leaders' approval queue (延期审批)."""

# ruff: noqa: F811 (fixtures are imported from tests/cases)

import pytest
import time_machine
from django.urls import reverse

from tests.cases.clock_helpers import at, in_progress, leader, on  # noqa: F401
from tests.cases.conftest import hall  # noqa: F401
from tests.html import assert_page_shell
from zhengwu.cases.domain import case_extension_request, case_suspend
from zhengwu.cases.enums import CaseState, ExtensionState
from zhengwu.cases.models import Case, CaseExtension, CaseSuspension
from zhengwu.workcal.clock_enums import PauseReason
from zhengwu.workcal.models.clock import Clock

pytestmark = pytest.mark.django_db

CASE_CSS = ["/static/workbench/cases.css"]
QUEUE = "/workbench/cases/extensions/"


def case_url(case, action: str = "") -> str:
    return reverse(f"workbench:case_{action}" if action else "workbench:case_detail", args=[case.number])


def suspend_post(**overrides) -> dict:
    return {
        "reason": "expert_review",
        "explanation": "需组织专家评审。",
        "expected_resume_on": "2026-03-09",
    } | overrides


@time_machine.travel(at(4), tick=False)
def test_handler_suspends_from_the_case_page_and_resumes(client, hall):
    case = in_progress(hall)
    client.force_login(hall.handler)
    html = client.get(case_url(case)).content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert case_url(case, "suspend") in html
    assert '<option value="expert_review">专家评审（《行政许可法》第四十五条）</option>' in html
    assert 'value="correction"' not in html
    assert case_url(case, "extension_request") in html

    response = client.post(case_url(case, "suspend"), suspend_post())
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.SUSPENDED
    html = client.get(case_url(case)).content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert "第 1 次挂起：专家评审" in html
    assert "预计于 2026-03-09 恢复办理" in html  # the written notice
    assert case_url(case, "resume") in html
    assert case_url(case, "suspend") not in html

    with time_machine.travel(at(9), tick=False):
        client.force_login(hall.handler)  # a new working day, a new session
        response = client.post(case_url(case, "resume"))
    assert response["Location"] == case_url(case)
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert Clock.objects.get(pk=case.handling_clock_id).due_date == on(12)


@time_machine.travel(at(4), tick=False)
@pytest.mark.parametrize(
    ("data", "error"),
    [
        (suspend_post(expected_resume_on=""), "请填写预计恢复办理日期。"),
        (suspend_post(reason="correction"), "请选择法定的挂起事由。"),
        (suspend_post(explanation=""), "请说明挂起的具体情况。"),
    ],
)
def test_bad_suspension_form_shows_the_chinese_error_and_changes_nothing(client, hall, data, error):
    case = in_progress(hall)
    client.force_login(hall.handler)
    response = client.post(case_url(case, "suspend"), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS
    assert not CaseSuspension.objects.exists()


@time_machine.travel(at(4), tick=False)
@pytest.mark.parametrize("days", ["²", "abc", "-1"])
def test_extension_days_that_are_not_a_whole_number_show_the_chinese_error(client, hall, days):
    case = in_progress(hall)
    client.force_login(hall.handler)
    response = client.post(case_url(case, "extension_request"), {"extension_reason": "需现场核查", "days": days})
    assert response.status_code == 400
    assert "延长天数须为正整数。" in response.content.decode()
    assert not CaseExtension.objects.exists()


@time_machine.travel(at(4), tick=False)
def test_a_window_clerk_sees_the_case_but_may_not_suspend_it(client, hall):
    case = in_progress(hall)
    client.force_login(hall.clerk)
    html = client.get(case_url(case)).content.decode()
    assert case_url(case, "suspend") not in html
    response = client.post(case_url(case, "suspend"), suspend_post())
    assert response.status_code == 400
    assert "只有本部门的承办人或科长可以挂起办件。" in response.content.decode()
    client.force_login(hall.outsider)
    assert client.post(case_url(case, "suspend"), suspend_post()).status_code == 404
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS


@time_machine.travel(at(4), tick=False)
def test_extension_request_reaches_the_leaders_queue_and_is_approved_there(
    client, hall, leader, django_assert_num_queries
):
    case = in_progress(hall)
    other = in_progress(hall)
    client.force_login(hall.handler)
    response = client.post(case_url(case, "extension_request"), {"days": "10", "extension_reason": "需现场核查。"})
    assert response.status_code == 302
    case_extension_request(actor=hall.section_head, case=other, reason="材料较多。", days=3)
    assert QUEUE not in client.get(reverse("workbench:home")).content.decode()
    assert client.get(QUEUE).status_code == 403

    client.force_login(leader)
    assert QUEUE in client.get(reverse("workbench:home")).content.decode()
    client.get(QUEUE)
    with django_assert_num_queries(4):  # session, user with profile and roles, extensions, unread count
        response = client.get(QUEUE)
    html = response.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert [e.case.number for e in response.context["extensions"]] == [case.number, other.number]
    assert "需现场核查。" in html

    first = CaseExtension.objects.get(case=case)
    decide = reverse("workbench:case_extension_decide", args=[first.pk])
    response = client.post(decide, {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    assert "不予批准的，请填写审批意见。" in response.content.decode()
    assert client.post(decide, {"decision": "approve", "comment": "同意。"}).status_code == 302
    first.refresh_from_db()
    assert (first.state, first.due_date_after) == (ExtensionState.APPROVED, on(23))
    assert [e.case.number for e in client.get(QUEUE).context["extensions"]] == [other.number]


@time_machine.travel(at(4), tick=False)
def test_leader_decides_from_the_case_page_and_a_leader_elsewhere_cannot(client, hall, leader):
    from tests.accounts.factories import make_staff
    from zhengwu.accounts.enums import Role

    case = in_progress(hall)
    extension = case_extension_request(actor=hall.handler, case=case, reason="需现场核查。", days=2)
    stranger = make_staff(
        "lingdao9", department=hall.other_department, display_name="他局", roles=(Role.LEADER_IN_CHARGE,)
    )
    decide = reverse("workbench:case_extension_decide", args=[extension.pk])
    client.force_login(stranger)
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert client.get(QUEUE).context["extensions"] == []

    client.force_login(leader)
    html = client.get(case_url(case)).content.decode()
    assert decide in html
    response = client.post(decide, {"decision": "reject", "comment": "可按期办结。", "from": "case"})
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    extension.refresh_from_db()
    assert extension.state == ExtensionState.REJECTED
    html = client.get(case_url(case)).content.decode()
    assert "不予批准延期 · 分管领导：审批意见：可按期办结。" in html
    assert "申请延期 · 卢帆：申请延长 2 个工作日；理由：需现场核查。" in html


@time_machine.travel(at(4), tick=False)
def test_the_applicant_sees_the_suspension_in_the_portal_timeline(client, hall):
    case = in_progress(hall)
    case_suspend(
        actor=hall.handler,
        case=case,
        reason=PauseReason.TESTING,
        explanation="样品送检。",
        expected_resume_on=on(9),
    )
    client.force_login(hall.enterprise)
    html = client.get(reverse("portal:case_detail", args=[case.number])).content.decode()
    assert "暂停办理（挂起）" in html
    assert "暂停办理告知书" in html
    assert CaseSuspension.objects.get().notice_text.splitlines()[1] in html
    assert "检测，样品送检。；依据《行政许可法》第四十五条，所需时间不计入办理期限；预计 2026-03-09 恢复办理" in html


@time_machine.travel(at(4), tick=False)
def test_completing_a_step_of_a_suspended_case_on_the_task_page_shows_the_chinese_error(client, hall):
    from tests.cases.clock_helpers import open_task
    from zhengwu.workflow.enums import TaskState

    case = in_progress(hall)
    case_suspend(
        actor=hall.handler, case=case, reason=PauseReason.HEARING, explanation="举行听证。", expected_resume_on=on(9)
    )
    review = open_task(case)
    client.force_login(hall.handler)
    response = client.post(f"/workbench/tasks/{review.pk}/complete/", {"outcome": "approve"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "办件已挂起，恢复办理前不能办理该环节。" in html
    assert "挂起" in html
    review.refresh_from_db()
    assert review.state == TaskState.READY
