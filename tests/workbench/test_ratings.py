"""差评整改 in the workbench: the department's list by clock urgency, the follow-up page with its actions, the
rating on the case page, and the window's rating on an applicant's behalf."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.cases import conftest as cases_conftest
from tests.html import assert_page_shell
from tests.ratings.conftest import case_in
from zhengwu.cases.enums import CaseState
from zhengwu.ratings.domain import rating_follow_up_rectify, rating_follow_up_verify, rating_submit
from zhengwu.ratings.enums import FollowUpState, Level
from zhengwu.ratings.models import Rating, RatingFollowUp

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
LIST = reverse("workbench:rating_follow_ups")
hall = cases_conftest.hall


def bad_rating(hall, when: datetime, comment: str = "等了很久") -> RatingFollowUp:
    with time_machine.travel(when, tick=False):
        rating = rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.DISSATISFIED, comment=comment)
    return RatingFollowUp.objects.get(rating=rating)


def page_url(follow_up) -> str:
    return reverse("workbench:rating_follow_up", args=[follow_up.pk])


def urgency_labels(html: str) -> list[str]:
    return re.findall(r'<span class="urgency urgency--[a-z_]+">([^<]+)</span>', html)


def test_the_list_puts_overdue_follow_ups_first_with_their_colour_and_a_fixed_query_count(
    client, hall, django_assert_num_queries
):
    late = bad_rating(hall, MONDAY)
    recent = bad_rating(hall, MONDAY + timedelta(days=21))
    client.force_login(hall.section_head)

    with time_machine.travel(MONDAY + timedelta(days=22), tick=False):
        with django_assert_num_queries(5):
            html = client.get(LIST).content.decode()
        for n in range(3):
            bad_rating(hall, MONDAY + timedelta(days=21, hours=n + 1))
        with django_assert_num_queries(5):
            more = client.get(LIST).content.decode()

    assert_page_shell(html, stylesheets=["/static/workbench/tasks.css"])
    assert '<span class="urgency urgency--overdue">已超期</span>' in html
    assert urgency_labels(html) == ["已超期", "计时中"]
    assert html.index(page_url(late)) < html.index(page_url(recent))
    assert urgency_labels(more) == ["已超期", "计时中", "计时中", "计时中", "计时中"]


def test_the_list_and_pages_are_for_the_department_and_supervision_only(client, hall):
    follow_up = bad_rating(hall, MONDAY)
    client.force_login(hall.outsider)
    assert page_url(follow_up) not in client.get(LIST).content.decode()
    assert client.get(page_url(follow_up)).status_code == 404

    client.force_login(hall.clerk)
    assert client.get(LIST).status_code == 404
    assert f'href="{LIST}"' not in client.get(reverse("workbench:home")).content.decode()

    client.force_login(hall.administrator)
    assert page_url(follow_up) in client.get(LIST).content.decode()
    client.force_login(hall.handler)
    assert f'href="{LIST}"' in client.get(reverse("workbench:home")).content.decode()


def test_the_follow_up_page_verifies_rectifies_calls_back_and_closes(client, hall):
    follow_up = bad_rating(hall, MONDAY)
    client.force_login(hall.section_head)
    url = page_url(follow_up)

    page = client.get(url).content.decode()
    assert '<dd id="rating-level">不满意（网上评价，2026-03-02 10:00）</dd>' in page
    assert reverse("workbench:rating_follow_up_rectify", args=[follow_up.pk]) not in page

    steps = [
        ("verify", {"finding": "排队过长属实", "substantiated": "yes"}, "已记录核实情况。", FollowUpState.VERIFIED),
        ("rectify", {"rectification": "增设窗口"}, "已记录整改情况。", FollowUpState.RECTIFIED),
        (
            "callback",
            {"reached": "yes", "satisfied": "yes", "comment": "满意"},
            "已记录回访情况。",
            FollowUpState.RECTIFIED,
        ),
        ("close", {}, "差评整改已办结。", FollowUpState.CLOSED),
    ]
    for action, data, message, state in steps:
        response = client.post(reverse(f"workbench:rating_follow_up_{action}", args=[follow_up.pk]), data, follow=True)
        assert response.redirect_chain == [(url, 302)]
        assert message in response.content.decode()
        assert RatingFollowUp.objects.get(pk=follow_up.pk).state == state
    assert "申请人对整改满意。满意" in response.content.decode()


def test_closing_without_a_callback_shows_the_reason_and_changes_nothing(client, hall):
    follow_up = bad_rating(hall, MONDAY)
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="增设窗口")
    client.force_login(hall.section_head)

    response = client.post(reverse("workbench:rating_follow_up_close", args=[follow_up.pk]))

    assert response.status_code == 400
    assert "<p>整改后尚未回访申请人，不能办结。请先记录回访情况。</p>" in response.content.decode()
    assert RatingFollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.RECTIFIED


def test_a_verification_without_a_verdict_keeps_the_typed_finding(client, hall):
    follow_up = bad_rating(hall, MONDAY)
    client.force_login(hall.handler)

    response = client.post(reverse("workbench:rating_follow_up_verify", args=[follow_up.pk]), {"finding": "已调取监控"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "<p>请选择差评是否属实。</p>" in html
    assert '<textarea id="finding" name="finding" rows="3">已调取监控</textarea>' in html
    assert RatingFollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.OPEN


def test_the_case_page_shows_the_rating_and_links_the_follow_up(client, hall):
    follow_up = bad_rating(hall, MONDAY, comment="材料被退回")
    client.force_login(hall.handler)

    html = client.get(reverse("workbench:case_detail", args=[follow_up.rating.case.number])).content.decode()

    assert '<dd id="rating-level">不满意</dd>' in html
    assert "<dd>材料被退回</dd>" in html
    assert f'<a href="{page_url(follow_up)}">待核实</a>' in html


def test_a_window_clerk_records_a_walk_in_applicants_rating_from_the_case_page(client, hall):
    case = case_in(hall, CaseState.COMPLETED, walk_in=True)
    client.force_login(hall.clerk)
    url = reverse("workbench:case_detail", args=[case.number])
    assert reverse("workbench:case_rate", args=[case.number]) in client.get(url).content.decode()

    response = client.post(reverse("workbench:case_rate", args=[case.number]), {"level": "5"}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "已记录申请人的评价。" in response.content.decode()
    assert list(Rating.objects.values_list("channel", "recorded_by")) == [("window", hall.clerk.pk)]
