"""Certificates of granted cases: issued once to the holder from the item's mapping, revocable from the case."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.accounts.factories import credit_code
from tests.cases.outcome import (
    FORM,
    SOURCES,
    decide,
    denied,
    food_type,
    granted,
    leader_of,
    map_food,
    online_case,
    walk_in_case,
)
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_certificate_issue, case_certificate_revoke, case_complete
from zhengwu.cases.domain.certificates import item_certificate_map
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case, CaseCertificate, ItemCertificate
from zhengwu.licences.domain import licence_verify_pdf
from zhengwu.licences.enums import LicenceState, VerificationOutcome
from zhengwu.licences.models import Licence
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.ZHENGWU_PUBLIC_URL = "https://zwfw.qingchuan.example.gov.cn"


@pytest.fixture
def leader(hall):
    return leader_of(hall)


def case_actions(case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def pdf_of(licence) -> bytes:
    with licence.pdf.open("rb") as handle:
        return handle.read()


def test_issue_fills_the_licence_from_the_case_and_puts_it_in_the_holders_library(hall, leader):
    map_food(hall)
    case = granted(hall, leader)

    licence = case_certificate_issue(actor=hall.handler, case=case)

    assert licence.holder == hall.enterprise
    assert licence.licence_type.code == "SPJY"
    assert licence.department == hall.department
    assert licence.data == {
        "legal_representative": "李四",
        "premises": "青川区青河大道 18 号",
        "business_form": "食品销售经营者",
        "scope": "预包装食品销售",
        "remarks": case.number,
    }
    assert licence.source == case
    assert CaseCertificate.objects.get(case=case).licence == licence
    assert case_actions(case)[-1] == "cases.certificate_issued"
    event = AuditEvent.objects.filter(action="cases.certificate_issued").get()
    assert event.after["licence_number"] == licence.number
    message = Message.objects.get(recipient=hall.enterprise, category=Category.CASE_CERTIFICATE_ISSUED)
    assert licence.number in message.subject
    result = licence_verify_pdf(pdf_of(licence))
    assert (result.outcome, result.licence, result.trusted, result.covers_whole_file) == (
        VerificationOutcome.VALID,
        licence,
        True,
        True,
    )


def test_issuing_again_returns_the_same_licence(hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    first = case_certificate_issue(actor=hall.handler, case=case)

    second = case_certificate_issue(actor=hall.section_head, case=case)

    assert second == first
    assert Licence.objects.count() == 1
    assert case_actions(case).count("cases.certificate_issued") == 1


def test_denied_case_gets_no_certificate(hall, leader):
    map_food(hall)
    case = denied(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=hall.handler, case=case)

    assert error.value.messages == ["办件决定不予许可，不能签发证照。"]
    assert not Licence.objects.exists() and not CaseCertificate.objects.exists()


def test_case_not_yet_decided_gets_no_certificate(hall):
    map_food(hall)
    case = online_case(hall)

    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=hall.handler, case=case)

    assert error.value.messages == ["办件当前状态为“待受理”，不能签发证照。"]
    assert not Licence.objects.exists()


def test_item_without_a_mapping_has_nothing_to_issue(hall, leader):
    case = granted(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=hall.handler, case=case)

    assert error.value.messages == ["该事项没有配置办理结果证照，无需签发。"]


def test_unsettled_fees_block_the_certificate(hall, leader, monkeypatch):
    map_food(hall)
    case = granted(hall, leader)
    monkeypatch.setattr("zhengwu.cases.domain.certificates.case_fees_settled", lambda *, case: False)

    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=hall.handler, case=case)

    assert error.value.messages == ["办件尚有未缴清的费用，缴清后才能签发证照。"]
    assert not Licence.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "outsider", "enterprise"])
def test_only_issuing_staff_of_the_department_issue(hall, leader, who):
    map_food(hall)
    case = granted(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=getattr(hall, who), case=case)

    assert error.value.messages == ["您无权为该办件签发证照。"]
    assert not Licence.objects.exists()


def test_walk_in_applicant_gets_the_licence_in_the_account_registered_under_the_credit_code(hall, leader):
    map_food(hall)
    case = decide(hall, walk_in_case(hall, hall.enterprise.enterprise.credit_code), leader)
    assert case.applicant_id is None

    licence = case_certificate_issue(actor=hall.handler, case=case)

    assert licence.holder == hall.enterprise


def test_the_application_form_asks_for_what_the_certificate_needs(hall):
    map_food(hall)

    with pytest.raises(ValidationError) as error:
        online_case(hall, form_data={"legal_representative": "李四", "scope": "  "})

    assert error.value.message_dict == {"premises": ["请填写经营场所。"], "scope": ["请填写经营项目。"]}
    assert not Case.objects.exists()
    case = online_case(
        hall, form_data={"legal_representative": " 李四 ", "premises": "青河大道 18 号", "scope": "预包装食品销售"}
    )
    assert case.form_data == {"legal_representative": "李四", "premises": "青河大道 18 号", "scope": "预包装食品销售"}


def test_walk_in_applicant_without_an_account_is_told_to_register(hall, leader):
    map_food(hall)
    case = decide(hall, walk_in_case(hall, credit_code("91370799MA3D4E5F7"), name="青川无账户公司"), leader)

    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=hall.handler, case=case)

    assert error.value.messages == ["申请人尚未在本平台实名注册，电子证照无法归入其证照库。请申请人注册后再签发。"]
    assert not Licence.objects.exists()


def test_missing_form_value_is_reported_with_the_licence_field(hall, leader):
    case = granted(hall, leader, form_data={"legal_representative": "李四", "scope": "预包装食品销售"})
    map_food(hall)  # mapped after the application was filed: its form never asked for the premises

    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=hall.handler, case=case)

    assert error.value.messages == ["请填写经营场所。"]
    assert not CaseCertificate.objects.exists()


def test_revoking_from_the_case_revokes_the_licence_and_the_verification_page_says_so(client, hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    licence = case_certificate_issue(actor=hall.handler, case=case)

    case_certificate_revoke(actor=hall.section_head, case=case, reason="以欺骗手段取得许可")

    licence.refresh_from_db()
    assert licence.state == LicenceState.REVOKED
    assert licence.revocation_reason == "以欺骗手段取得许可"
    assert case_actions(case)[-1] == "cases.certificate_revoked"
    page = client.get(reverse("licences:verify", args=[licence.token]))
    assert page.status_code == 200
    assert "已撤销" in page.content.decode()
    assert licence_verify_pdf(pdf_of(licence)).outcome == VerificationOutcome.REVOKED
    with pytest.raises(ValidationError) as error:
        case_certificate_issue(actor=hall.handler, case=case)
    assert error.value.messages == ["该办件的证照已撤销，不能重复签发。"]


def test_a_handler_alone_may_not_revoke(hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    licence = case_certificate_issue(actor=hall.handler, case=case)

    with pytest.raises(ValidationError) as error:
        case_certificate_revoke(actor=hall.handler, case=case, reason="撤销")

    assert error.value.messages == ["您无权撤销该证照。"]
    licence.refresh_from_db()
    assert licence.state == LicenceState.VALID


def test_revoking_needs_a_certificate(hall, leader):
    case = granted(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_certificate_revoke(actor=hall.section_head, case=case, reason="撤销")

    assert error.value.messages == ["该办件没有签发证照。"]


def test_revoked_certificate_blocks_completion(hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    case_certificate_issue(actor=hall.handler, case=case)
    case_certificate_revoke(actor=hall.section_head, case=case, reason="撤销")

    with pytest.raises(ValidationError) as error:
        case_complete(actor=hall.handler, case=case)

    assert error.value.messages == ["该办件的证照已撤销，不能办结。"]
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ({**SOURCES, "colour": "fixed:红"}, "证照类型“食品经营许可证”没有这些信息项：colour。"),
        (
            {**SOURCES, "premises": "premises"},
            "信息项“premises”的取值规则应为 form:键名、applicant:属性、case:属性 或 fixed:文字。",
        ),
        ({**SOURCES, "premises": "applicant:address"}, "applicant: 只能取 name、id_number、phone。"),
        ({**SOURCES, "premises": "case:secret"}, "case: 只能取 number、item_name、department。"),
        ({k: v for k, v in SOURCES.items() if k != "scope"}, "必填信息项没有取值规则：经营项目。"),
    ],
)
def test_mapping_rules_must_fit_the_licence_type(hall, sources, message):
    licence_type = food_type(hall)
    with pytest.raises(ValidationError) as error:
        item_certificate_map(item=hall.version.item, licence_type=licence_type, field_sources=sources)
    assert error.value.messages == [message]
    mapping = ItemCertificate(item=hall.version.item, licence_type=licence_type, field_sources=sources)
    with pytest.raises(ValidationError):
        mapping.full_clean()
    assert not ItemCertificate.objects.exists()


def test_mapping_again_updates_the_one_row(hall):
    first = map_food(hall)
    second = item_certificate_map(
        item=hall.version.item, licence_type=first.licence_type, field_sources={**SOURCES, "premises": "fixed:某地"}
    )
    assert second.pk == first.pk
    assert ItemCertificate.objects.get().field_sources["premises"] == "fixed:某地"


def test_applicant_sources_fill_from_the_case_snapshot(hall, leader):
    other = hall.other_enterprise
    item_certificate_map(
        item=hall.version.item,
        licence_type=food_type(hall),
        field_sources={**SOURCES, "legal_representative": "applicant:name"},
    )
    case = granted(hall, leader, applicant=other, form_data=FORM)

    licence = case_certificate_issue(actor=hall.handler, case=case)

    assert licence.data["legal_representative"] == "青川百货有限公司"
    assert licence.holder == other
