"""The signed 准予 / 不予行政许可决定书: made once per case, signed with the department key naming the decider."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.cases.outcome import denied, granted, leader_of, map_food, online_case
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_decision_document
from zhengwu.cases.domain.certificates import decision_document_html
from zhengwu.cases.models import CaseDecision, CaseDecisionDocument
from zhengwu.licences.domain import licence_verify_pdf
from zhengwu.licences.domain.render import pdf_font_names
from zhengwu.licences.enums import VerificationOutcome
from zhengwu.licences.models import SigningKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader(hall):
    return leader_of(hall)


def pdf_of(document) -> bytes:
    with document.pdf.open("rb") as handle:
        return handle.read()


def signature_reason(pdf: bytes) -> str:
    signature = PdfFileReader(BytesIO(pdf), strict=False).embedded_regular_signatures[0]
    return str(signature.sig_object["/Reason"])


def test_grant_document_is_signed_by_the_department_naming_the_decider(hall, leader):
    map_food(hall)
    case = granted(hall, leader)

    document = case_decision_document(actor=hall.handler, case=case)

    pdf = pdf_of(document)
    result = licence_verify_pdf(pdf)
    # Genuine and untouched, signed under our root; not a licence, so not in the licence register.
    assert (result.signature_intact, result.trusted, result.covers_whole_file) == (True, True, True)
    assert result.outcome == VerificationOutcome.UNKNOWN
    assert result.algorithm == "ECDSA P-256 / SHA-256"
    key = SigningKey.objects.get(department=hall.department, is_current=True)
    assert document.signer_fingerprint == key.fingerprint == result.signer_fingerprint
    assert document.signature_reason == "准予许可，决定人：高建国"
    assert signature_reason(pdf) == "准予许可，决定人：高建国"
    assert any("CJK" in name for name in pdf_font_names(pdf))
    assert document.decision == CaseDecision.objects.get(case=case)
    event = AuditEvent.objects.get(action="cases.decision_document_issued")
    assert event.after["pdf_sha256"] == document.pdf_sha256


def test_document_is_made_once(hall, leader):
    case = granted(hall, leader)
    first = case_decision_document(actor=hall.handler, case=case)

    second = case_decision_document(actor=leader, case=case)

    assert second.pk == first.pk
    assert CaseDecisionDocument.objects.count() == 1
    assert AuditEvent.objects.filter(action="cases.decision_document_issued").count() == 1


def test_grant_text_names_the_certificate(hall, leader):
    mapping = map_food(hall)
    case = granted(hall, leader)

    html = decision_document_html(case, CaseDecision.objects.get(case=case), mapping=mapping)

    assert "准予行政许可决定书" in html
    assert "准予行政许可。" in html
    assert "颁发《食品经营许可证》电子证照" in html
    assert "材料齐全，符合法定条件。" in html
    assert "《食品经营许可和备案管理办法》第十四条" in html
    assert "行政复议" not in html


def test_denial_text_gives_reasons_basis_and_remedies(hall, leader):
    map_food(hall)
    case = denied(hall, leader)

    document = case_decision_document(actor=hall.handler, case=case)
    html = decision_document_html(case, CaseDecision.objects.get(case=case), mapping=None)

    assert document.signature_reason == "不予许可，决定人：高建国"
    assert "不予行政许可决定书" in html
    assert "经营场所与有毒有害场所距离不足。" in html
    assert "如不服本决定，可以自收到本决定书之日起 60 日内向" in html
    assert "6 个月内依法向人民法院提起行政诉讼" in html
    assert "颁发" not in html
    assert licence_verify_pdf(pdf_of(document)).signature_intact is True


def test_no_document_before_the_decision(hall):
    case = online_case(hall)

    with pytest.raises(ValidationError) as error:
        case_decision_document(actor=hall.handler, case=case)

    assert error.value.messages == ["办件尚未作出决定，不能出具决定书。"]
    assert not CaseDecisionDocument.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "enterprise", "other_clerk"])
def test_only_staff_handling_the_case_make_the_document(hall, leader, who):
    case = granted(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_decision_document(actor=getattr(hall, who), case=case)

    assert error.value.messages == ["您无权出具该办件的决定书。"]
    assert not CaseDecisionDocument.objects.exists()
