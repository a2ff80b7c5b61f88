"""The applicant's result section: decision, downloads of the certificate and decision document, delivery."""

import pytest
from django.urls import reverse

from tests.cases import conftest as cases_conftest
from tests.cases.outcome import denied, granted, leader_of, map_food, online_case
from tests.html import assert_page_shell
from zhengwu.cases.domain import case_certificate_issue, case_decision_document
from zhengwu.cases.enums import DeliveryMethod
from zhengwu.cases.models import CaseDelivery
from zhengwu.catalog.models import ItemVersion
from zhengwu.licences.domain import licence_verify_pdf
from zhengwu.licences.enums import VerificationOutcome

pytestmark = pytest.mark.django_db
hall = cases_conftest.hall
CASES_CSS = ["/static/portal/css/cases.css"]
EXPRESS = {"method": "express", "recipient": "李四", "phone": "13953600003", "address": "青川区文昌路 6 号"}


@pytest.fixture
def leader(hall):
    return leader_of(hall)


def url(case, name: str = "case_detail") -> str:
    return reverse(f"portal:{name}", args=[case.number])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_no_result_section_before_the_decision(client, hall):
    case = online_case(hall)
    client.force_login(hall.enterprise)
    assert 'id="case-outcome"' not in client.get(url(case)).content.decode()


def test_applicant_downloads_certificate_and_decision_document(client, hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    licence = case_certificate_issue(actor=hall.handler, case=case)
    case_decision_document(actor=hall.handler, case=case)
    client.force_login(hall.enterprise)

    page = client.get(url(case))

    html = page.content.decode()
    assert_page_shell(html, stylesheets=CASES_CSS)
    assert "下载准予行政许可决定书（PDF）" in html
    assert f"食品经营许可证 {licence.number}" in html
    assert reverse("licences:verify", args=[licence.token]) in html
    certificate = client.get(url(case, "case_certificate_pdf"))
    assert certificate["Content-Type"] == "application/pdf"
    assert licence_verify_pdf(body(certificate)).outcome == VerificationOutcome.VALID
    decision = client.get(url(case, "case_decision_pdf"))
    assert licence_verify_pdf(body(decision)).signature_intact is True


def test_another_applicant_gets_nothing(client, hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    case_certificate_issue(actor=hall.handler, case=case)
    case_decision_document(actor=hall.handler, case=case)
    client.force_login(hall.other_enterprise)
    for name in ("case_certificate_pdf", "case_decision_pdf", "case_detail"):
        assert client.get(url(case, name)).status_code == 404
    assert client.post(url(case, "case_delivery"), EXPRESS).status_code == 404
    assert not CaseDelivery.objects.exists()


def test_applicant_chooses_express(client, hall, leader):
    case = granted(hall, leader)
    client.force_login(hall.enterprise)
    html = client.get(url(case)).content.decode()
    assert 'id="method-express"' in html

    response = client.post(url(case, "case_delivery"), EXPRESS, follow=True)

    delivery = CaseDelivery.objects.get(case=case)
    assert (delivery.method, delivery.address, delivery.arranged_by) == (
        DeliveryMethod.EXPRESS,
        "青川区文昌路 6 号",
        hall.enterprise,
    )
    text = response.content.decode()
    assert "送达方式已保存。" in text
    assert "邮寄送达：待送达" in text


def test_express_without_address_is_explained(client, hall, leader):
    case = granted(hall, leader)
    client.force_login(hall.enterprise)

    response = client.post(url(case, "case_delivery"), {**EXPRESS, "address": ""}, follow=True)

    assert "请填写邮寄地址。" in response.content.decode()
    assert not CaseDelivery.objects.exists()


def test_item_without_express_offers_only_pickup(client, hall, leader):
    case = granted(hall, leader)
    ItemVersion.objects.filter(pk=hall.version.pk).update(express_delivery=False)
    client.force_login(hall.enterprise)

    html = client.get(url(case)).content.decode()

    assert 'id="method-express"' not in html and 'id="method-pickup"' in html
    assert "该事项不提供邮寄送达。" in html


def test_denied_case_shows_the_decision_and_no_delivery(client, hall, leader):
    case = denied(hall, leader)
    case_decision_document(actor=hall.handler, case=case)
    client.force_login(hall.enterprise)

    html = client.get(url(case)).content.decode()

    assert "下载不予行政许可决定书（PDF）" in html
    assert "如不服本决定，可依法申请行政复议或者提起行政诉讼" in html
    assert 'action="' + url(case, "case_delivery") not in html
