"""Admin: cases and stored files are only looked at, never edited there."""

import pytest
from django.urls import reverse

from tests.cases.test_acceptance import notice_items, online, registered
from zhengwu.cases.domain import case_request_correction

pytestmark = pytest.mark.django_db


def test_case_list_and_page_are_read_only_and_hide_codes(admin_client, hall):
    case = online(hall)
    other = registered(hall)
    case_request_correction(actor=hall.clerk, case=other, items=notice_items(other, "营业执照"))
    listing = admin_client.get(reverse("admin:cases_case_changelist"))
    assert listing.status_code == 200
    assert case.number in listing.content.decode()
    page = admin_client.get(reverse("admin:cases_case_change", args=[other.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "查询码" not in body
    assert other.applicant_id_number not in body
    assert "请补充营业执照" in body
    assert 'name="_save"' not in body
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403
    assert admin_client.post(reverse("admin:cases_case_delete", args=[case.pk])).status_code == 403


def test_stored_files_are_listed(admin_client, hall):
    stored = hall.pdf()
    response = admin_client.get(reverse("admin:cases_storedfile_changelist"))
    assert response.status_code == 200
    assert stored.sha256 in response.content.decode()


@pytest.mark.parametrize("decisions", [1, 4])
def test_the_decision_list_runs_a_fixed_number_of_queries(admin_client, hall, django_assert_num_queries, decisions):
    from django.utils import timezone

    from tests.accounts.factories import make_staff
    from zhengwu.cases.models import CaseDecision

    for n in range(decisions):
        decider = make_staff(f"decider{n}", department=hall.version.item.department, display_name=f"决定人{n}")
        CaseDecision.objects.create(
            case=online(hall),
            outcome="grant",
            reasons="理由",
            legal_basis="依据",
            decided_by=decider,
            decided_at=timezone.now(),
        )
    with django_assert_num_queries(5):
        response = admin_client.get(reverse("admin:cases_casedecision_changelist"))
    assert response.status_code == 200
    assert all(f"决定人{n}" in response.content.decode() for n in range(decisions))  # one user per row
