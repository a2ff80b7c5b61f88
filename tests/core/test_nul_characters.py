"""A NUL character (U+0000) in a request's path, query string or form is a 400 page, never a 500: PostgreSQL's text
cannot hold one, so a lookup or a save with it raised DataError (core.middleware.NulCharacterMiddleware)."""

import pytest
from django.urls import reverse

from tests.cases import conftest as cases_conftest
from tests.ratings.conftest import case_in
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case
from zhengwu.ratings.models import Rating

pytestmark = pytest.mark.django_db
hall = cases_conftest.hall

REFUSAL = "网址或填写的内容中含有无法处理的字符（空字符），请检查后重新提交。"


def assert_refused(response) -> None:
    assert response.status_code == 400
    assert REFUSAL in response.content.decode()


def test_a_case_number_with_a_nul_in_the_path_is_a_400_page(client, hall):
    case = case_in(hall, CaseState.DECIDED)
    client.force_login(hall.citizen)

    assert_refused(client.get(f"/cases/mine/{case.number}%00/"))
    assert_refused(client.get("/services/item/1133%00/"))


def test_a_form_value_with_a_nul_read_straight_by_a_view_is_a_400_and_changes_nothing(client, hall):
    decided, submitted = case_in(hall, CaseState.DECIDED), case_in(hall, CaseState.SUBMITTED)
    events = AuditEvent.objects.count()
    client.force_login(hall.citizen)

    assert_refused(client.post(reverse("portal:case_rate", args=[decided.number]), {"level": "4", "comment": "好\x00"}))
    client.force_login(hall.clerk)
    assert_refused(client.post(reverse("workbench:case_refuse", args=[submitted.number]), {"reason": "\x00"}))

    assert not Rating.objects.exists()
    assert Case.objects.get(pk=submitted.pk).state == CaseState.SUBMITTED
    assert AuditEvent.objects.count() == events


def test_a_nul_in_a_query_string_name_or_value_is_a_400_page(client):
    assert_refused(client.get("/services/search/?q=a%00b"))
    assert_refused(client.get("/services/search/?q%00=a"))


@pytest.mark.parametrize(
    "url",
    ["/api/catalog/items/1133%00", "/api/catalog/themes/a%00b", "/api/catalog/items?department=%00"],
)
def test_the_catalogue_api_answers_a_nul_with_its_own_error_body(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response.json() == {"detail": "请求中含有无法处理的字符（空字符 U+0000）。"}


def test_the_departmental_systems_api_keeps_its_own_answers(client):
    response = client.get("/api/external/cases/X%00")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_credentials"
