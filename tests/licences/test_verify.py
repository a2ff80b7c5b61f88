"""licence_verify_pdf: genuine and untouched, issued by us, and in which state today."""

from io import BytesIO

import pytest
import time_machine
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tests.licences.conftest import issue_food, pdf_bytes
from tests.licences.helpers import sign_with_foreign_key
from zhengwu.licences.domain import licence_revoke, licence_verify_pdf
from zhengwu.licences.domain.render import html_to_pdf
from zhengwu.licences.domain.signing import pdf_sign
from zhengwu.licences.enums import VerificationOutcome

pytestmark = pytest.mark.django_db


def plain_pdf() -> bytes:
    return html_to_pdf("<p style='font-family: \"Noto Serif CJK SC\"'>伪造的食品经营许可证</p>")


def test_an_untouched_licence_is_valid(world):
    licence = issue_food(world)
    result = licence_verify_pdf(pdf_bytes(licence))
    assert result.outcome == VerificationOutcome.VALID and result.ok and result.genuine
    assert result.licence == licence
    assert (result.signature_intact, result.trusted, result.covers_whole_file) == (True, True, True)
    assert (result.mechanism, result.algorithm) == ("sha256_ecdsa", "ECDSA P-256 / SHA-256")
    assert result.sha256 == licence.pdf_sha256
    assert result.signer_fingerprint == licence.signer_fingerprint
    assert "区市场监督管理局" in result.signer_subject
    assert result.problems == ()
    assert result.label == "有效"


@pytest.mark.parametrize("where", [0.1, 0.3, 0.5, 0.7])
def test_changing_one_byte_makes_it_invalid(world, where):
    data = bytearray(pdf_bytes(issue_food(world)))
    position = int(len(data) * where)
    data[position] ^= 0x01
    result = licence_verify_pdf(bytes(data))
    assert result.outcome == VerificationOutcome.TAMPERED
    assert not result.ok and not result.genuine and result.licence is None
    assert result.problems


def test_anything_appended_after_signing_is_detected(world):
    data = pdf_bytes(issue_food(world))
    result = licence_verify_pdf(data + b"\n% appended\n")
    assert result.outcome == VerificationOutcome.TAMPERED
    assert result.signature_intact and not result.covers_whole_file
    assert result.problems == ("签名没有覆盖整个文件：签名后又被追加了内容。",)


def test_an_incremental_update_after_signing_is_detected(world):
    data = pdf_bytes(issue_food(world))
    writer = IncrementalPdfFileWriter(BytesIO(data))
    writer.root[NameObject("/Lang")] = TextStringObject("en")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    result = licence_verify_pdf(out.getvalue())
    assert result.outcome == VerificationOutcome.TAMPERED and not result.covers_whole_file


def test_a_revoked_licence_is_reported_as_revoked(world):
    licence = issue_food(world)
    licence_revoke(actor=world.chief, licence=licence, reason="经营场所已灭失")
    result = licence_verify_pdf(pdf_bytes(licence))
    assert result.outcome == VerificationOutcome.REVOKED and result.genuine and not result.ok
    assert result.licence.revocation_reason == "经营场所已灭失"
    assert result.problems == ("该证照已被发证机关撤销。",)


def test_an_expired_licence_is_reported_as_expired(world):
    licence = issue_food(world)
    with time_machine.travel(licence.issued_at.replace(year=licence.issued_at.year + 6)):
        result = licence_verify_pdf(pdf_bytes(licence))
    assert result.outcome == VerificationOutcome.EXPIRED and result.genuine and not result.ok


def test_not_a_pdf_and_unsigned_pdf(world):
    assert licence_verify_pdf(b"GIF89a....").outcome == VerificationOutcome.NOT_PDF
    assert licence_verify_pdf(b"%PDF-1.7 garbage").outcome == VerificationOutcome.TAMPERED
    result = licence_verify_pdf(plain_pdf())
    assert result.outcome == VerificationOutcome.UNSIGNED and result.problems == ("文件中没有电子签名。",)


def test_a_signature_by_someone_else_is_not_trusted(world):
    issue_food(world)  # our root exists
    result = licence_verify_pdf(sign_with_foreign_key(plain_pdf()))
    assert result.outcome == VerificationOutcome.UNTRUSTED
    assert result.signature_intact and not result.trusted and result.licence is None


def test_our_signature_on_a_document_we_never_registered_is_unknown(world):
    signed, _key = pdf_sign(plain_pdf(), department=world.department, reason="测试")
    result = licence_verify_pdf(signed)
    assert result.outcome == VerificationOutcome.UNKNOWN
    assert result.trusted and result.signature_intact and result.licence is None
