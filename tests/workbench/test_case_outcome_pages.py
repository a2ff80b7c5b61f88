"""The result section of the staff case page: certificate, decision document, delivery, completion."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import pytest
from django.urls import reverse

from tests.cases.conftest import hall  # noqa: F401
from tests.cases.outcome import denied, granted, leader_of, map_food, online_case
from tests.html import assert_page_shell
from zhengwu.cases.domain import case_certificate_issue, case_decision_document, case_delivery_arrange
from zhengwu.cases.enums import CaseState, DeliveryMethod, DeliveryState
from zhengwu.cases.models import CaseCertificate, CaseDelivery
from zhengwu.licences.domain import licence_verify_pdf
from zhengwu.licences.enums import LicenceState, VerificationOutcome

pytestmark = pytest.mark.django_db
CASE_CSS = ["/static/workbench/cases.css"]


@pytest.fixture
def leader(hall):
    return leader_of(hall)


def url(case, action: str = "") -> str:
    return reverse(f"workbench:case_{action}" if action else "workbench:case_detail", args=[case.number])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_undecided_case_page_has_no_result_section(client, hall):
    case = online_case(hall)
    client.force_login(hall.handler)
    html = client.get(url(case)).content.decode()
    assert 'id="case-outcome"' not in html


def test_handler_issues_the_certificate_and_downloads_it(client, hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    client.force_login(hall.handler)

    page = client.get(url(case))
    html = page.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert 'id="case-outcome"' in html
    assert url(case, "certificate_issue") in html
    assert "食品经营许可证，尚未签发" in html

    response = client.post(url(case, "certificate_issue"))
    assert response.status_code == 302 and response["Location"] == url(case)
    licence = CaseCertificate.objects.get(case=case).licence
    html = client.get(url(case)).content.decode()
    assert licence.number in html
    assert url(case, "certificate_issue") not in html
    download = client.get(url(case, "certificate_pdf"))
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert licence_verify_pdf(body(download)).outcome == VerificationOutcome.VALID


def test_a_window_clerk_may_not_issue(client, hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    client.force_login(hall.clerk)

    assert url(case, "certificate_issue") not in client.get(url(case)).content.decode()
    response = client.post(url(case, "certificate_issue"))

    assert response.status_code == 400
    assert "您无权为该办件签发证照。" in response.content.decode()
    assert not CaseCertificate.objects.exists()


def test_window_hands_over_then_completes(client, hall, leader):
    case = granted(hall, leader)
    client.force_login(hall.clerk)
    html = client.get(url(case)).content.decode()
    assert 'id="completion-blocker">办理结果尚未送达（窗口领取或寄出），不能办结。' in html

    refused = client.post(url(case, "hand_over"), {"recipient_name": "李四"})
    assert refused.status_code == 400
    assert "请先核验领取人的身份证件。" in refused.content.decode()

    handed = client.post(url(case, "hand_over"), {"recipient_name": "李四", "id_checked": "on"})
    assert handed.status_code == 302
    assert CaseDelivery.objects.get(case=case).state == DeliveryState.HANDED_OVER

    completed = client.post(url(case, "complete"))
    assert completed.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    html = client.get(url(case)).content.decode()
    assert url(case, "decision_pdf") in html
    assert url(case, "complete") not in html
    assert "办结 · 窗口甲" in html


def test_express_case_is_shipped_from_the_page(client, hall, leader):
    case = granted(hall, leader)
    case_delivery_arrange(
        actor=hall.enterprise,
        case=case,
        method=DeliveryMethod.EXPRESS,
        address="文昌路 6 号",
        recipient="李四",
        phone="13953600003",
    )
    client.force_login(hall.clerk)
    html = client.get(url(case)).content.decode()
    assert url(case, "ship") in html and url(case, "hand_over") not in html

    response = client.post(url(case, "ship"), {"carrier": "EMS", "tracking_number": "1187654321098"})

    assert response.status_code == 302
    assert CaseDelivery.objects.get(case=case).tracking_number == "1187654321098"


def test_decision_document_is_made_and_downloaded(client, hall, leader):
    case = denied(hall, leader)
    client.force_login(hall.handler)
    assert client.get(url(case, "decision_pdf")).status_code == 404

    response = client.post(url(case, "decision_document"))

    assert response.status_code == 302
    download = client.get(url(case, "decision_pdf"))
    assert download.status_code == 200
    result = licence_verify_pdf(body(download))
    assert (result.signature_intact, result.trusted) == (True, True)


def test_section_head_revokes_from_the_case_page(client, hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    licence = case_certificate_issue(actor=hall.handler, case=case)
    client.force_login(hall.section_head)
    assert url(case, "certificate_revoke") in client.get(url(case)).content.decode()

    empty = client.post(url(case, "certificate_revoke"), {"revocation_reason": ""})
    assert empty.status_code == 400
    response = client.post(url(case, "certificate_revoke"), {"revocation_reason": "以欺骗手段取得许可"})

    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.state == LicenceState.REVOKED
    verify = client.get(reverse("licences:verify", args=[licence.token])).content.decode()
    assert "已撤销" in verify


def test_staff_of_other_departments_see_nothing(client, hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    case_certificate_issue(actor=hall.handler, case=case)
    case_decision_document(actor=hall.handler, case=case)
    client.force_login(hall.other_clerk)
    for name in ("certificate_pdf", "decision_pdf", ""):
        assert client.get(url(case, name)).status_code == 404
    for name in ("complete", "hand_over", "certificate_revoke", "delivery"):
        assert client.post(url(case, name)).status_code == 404
