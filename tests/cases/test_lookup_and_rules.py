import pytest

from tests.cases.test_acceptance import online, registered
from zhengwu.cases.domain import case_lookup
from zhengwu.cases.rules import can_view_case, cases_visible_to

pytestmark = pytest.mark.django_db


def test_lookup_by_number_and_query_code(hall):
    case = online(hall)
    assert case_lookup(number=case.number, query_code=case.query_code) == case
    assert case_lookup(number=f" {case.number.lower()} ", query_code=f" {case.query_code} ") == case


def test_lookup_with_wrong_code_or_number_finds_nothing(hall):
    case = online(hall)
    wrong = f"{(int(case.query_code) + 1) % 1_000_000:06d}"
    assert case_lookup(number=case.number, query_code=wrong) is None
    assert case_lookup(number=case.number, query_code="") is None
    assert case_lookup(number="NOSUCHNUMBER", query_code=case.query_code) is None
    assert case_lookup(number="", query_code="") is None


def test_applicant_sees_own_cases_only(hall):
    own = online(hall)
    registered_for_other = registered(hall, applicant=None)
    assert list(cases_visible_to(hall.enterprise)) == [own]
    assert list(cases_visible_to(hall.citizen)) == []
    assert can_view_case(hall.enterprise, own)
    assert not can_view_case(hall.enterprise, registered_for_other)
    assert not can_view_case(hall.citizen, own)


def test_staff_see_their_departments_cases_and_windows_those_they_serve(hall):
    case = online(hall)
    ids = {case.pk}
    for user in (hall.handler, hall.section_head, hall.clerk, hall.registrar, hall.administrator):
        assert set(cases_visible_to(user).values_list("pk", flat=True)) == ids, user
        assert can_view_case(user, case)
    for user in (hall.outsider, hall.other_clerk, hall.agent):
        assert list(cases_visible_to(user)) == [], user
        assert not can_view_case(user, case)


def test_agent_and_registering_clerk_see_what_they_filed(hall):
    from zhengwu.cases.domain import case_submit_by_proxy

    filed = case_submit_by_proxy(
        agent=hall.agent,
        applicant=hall.citizen,
        item_version=hall.version,
        materials=[],
        consent_text="同意代办",
    )
    assert list(cases_visible_to(hall.agent)) == [filed]
    assert can_view_case(hall.agent, filed)
    assert list(cases_visible_to(hall.citizen)) == [filed]


def test_anonymous_sees_nothing(hall):
    from django.contrib.auth.models import AnonymousUser

    online(hall)
    assert list(cases_visible_to(AnonymousUser())) == []
    assert list(cases_visible_to(None)) == []


def test_visible_cases_query_count(hall, django_assert_num_queries):
    online(hall)
    registered(hall)
    clerk = type(hall.clerk).objects.get(pk=hall.clerk.pk)
    # roles, staff profile with window, the window's departments, the cases
    with django_assert_num_queries(4):
        assert len(list(cases_visible_to(clerk))) == 2
