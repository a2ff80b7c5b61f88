"""好差评 from the applicant's case page."""

import pytest
from django.urls import reverse

from tests.cases import conftest as cases_conftest
from tests.ratings.conftest import case_in
from zhengwu.cases.enums import CaseState
from zhengwu.ratings.enums import FollowUpState
from zhengwu.ratings.models import Rating, RatingFollowUp

pytestmark = pytest.mark.django_db
hall = cases_conftest.hall


def detail(case) -> str:
    return reverse("portal:case_detail", args=[case.number])


def rate(case) -> str:
    return reverse("portal:case_rate", args=[case.number])


def test_the_applicant_rates_a_decided_case_from_its_page_once(client, hall):
    case = case_in(hall, CaseState.DECIDED)
    client.force_login(hall.citizen)
    page = client.get(detail(case)).content.decode()
    assert f'action="{rate(case)}"' in page
    assert (
        '<input type="radio" id="rating-level-5" name="level" value="5" required>'
        ' <label for="rating-level-5">非常满意</label>' in page
    )

    response = client.post(rate(case), {"level": "4", "comment": "很方便"}, follow=True)

    assert response.redirect_chain == [(detail(case), 302)]
    html = response.content.decode()
    assert "感谢您的评价。" in html
    assert "评价：满意" in html
    assert f'action="{rate(case)}"' not in html
    assert list(Rating.objects.values_list("level", "comment")) == [(4, "很方便")]

    again = client.post(rate(case), {"level": "1", "comment": "再评一次"}, follow=True).content.decode()
    assert "该办件已经评价过，每个办件只能评价一次。" in again
    assert list(Rating.objects.values_list("level", flat=True)) == [4]


def test_a_bad_rating_from_the_page_tells_the_applicant_it_will_be_followed_up(client, hall):
    case = case_in(hall, CaseState.COMPLETED)
    client.force_login(hall.citizen)

    html = client.post(rate(case), {"level": "2", "comment": "跑了两趟"}, follow=True).content.decode()

    assert "我们已将您的意见转交办理部门核实整改，整改后将回访您。" in html
    assert RatingFollowUp.objects.get().state == FollowUpState.OPEN


def test_no_rating_before_the_decision(client, hall):
    case = case_in(hall, CaseState.IN_PROGRESS)
    client.force_login(hall.citizen)
    assert "服务评价（好差评）" not in client.get(detail(case)).content.decode()

    html = client.post(rate(case), {"level": "5"}, follow=True).content.decode()

    assert "办件当前状态为“办理中”，作出办理决定或办结后才能评价。" in html
    assert Rating.objects.count() == 0


def test_someone_elses_case_cannot_be_rated(client, hall):
    case = case_in(hall, CaseState.DECIDED)
    client.force_login(hall.enterprise)
    assert client.post(rate(case), {"level": "5"}).status_code == 404
    assert client.get(rate(case)).status_code == 405
    assert Rating.objects.count() == 0
