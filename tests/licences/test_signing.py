"""Signing identities: one platform root, one ECDSA P-256 key per department, encrypted at rest; PAdES signatures."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tests.licences.conftest import issue_food, issue_shop, pdf_bytes
from tests.licences.helpers import foreign_root
from zhengwu.audit.models import AuditEvent
from zhengwu.licences.domain import department_key_ensure, licence_verify_pdf, root_key_ensure
from zhengwu.licences.domain.signing import asn1_certificate, load_certificate, signing_passphrase
from zhengwu.licences.enums import SigningKeyKind, VerificationOutcome
from zhengwu.licences.models import SigningKey

pytestmark = pytest.mark.django_db


def test_first_issue_creates_one_root_and_one_department_key_then_reuses_them(world):
    assert not SigningKey.objects.exists()
    issue_food(world)
    issue_shop(world)
    root = SigningKey.objects.get(kind=SigningKeyKind.ROOT)
    key = SigningKey.objects.get(kind=SigningKeyKind.DEPARTMENT)
    assert (root.department, root.issuer, key.department, key.issuer) == (None, None, world.department, root)
    assert AuditEvent.objects.filter(action="licences.signing_key_created").count() == 2


def test_root_is_a_20_year_self_signed_p256_ca(world):
    root = root_key_ensure()
    certificate = load_certificate(root)
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    assert certificate.public_key().curve.name == "secp256r1"
    assert certificate.issuer == certificate.subject
    assert (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days == 365 * 20
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert root_key_ensure() == root


def test_department_certificate_names_the_department_and_chains_to_the_root(world):
    key = department_key_ensure(world.department)
    certificate = load_certificate(key)
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "区市场监督管理局"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == world.department.credit_code
    assert certificate.issuer == load_certificate(key.issuer).subject
    certificate.verify_directly_issued_by(load_certificate(key.issuer))
    assert certificate.public_key().curve.name == "secp256r1"
    assert key.fingerprint == certificate.fingerprint(certificate.signature_hash_algorithm).hex()


def test_private_keys_are_stored_encrypted_with_the_passphrase(world, settings):
    key = department_key_ensure(world.department)
    assert key.encrypted_key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key.encrypted_key_pem.encode(), None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(key.encrypted_key_pem.encode(), b"wrong")
    private = serialization.load_pem_private_key(key.encrypted_key_pem.encode(), signing_passphrase())
    assert private.public_key() == load_certificate(key).public_key()


def test_passphrase_comes_from_settings_or_is_derived_from_the_secret_key(settings):
    settings.ZHENGWU_SIGNING_PASSPHRASE = "长而随机的口令"
    assert signing_passphrase() == "长而随机的口令".encode()
    settings.ZHENGWU_SIGNING_PASSPHRASE = ""
    derived = signing_passphrase()
    assert len(derived) == 44 and derived != settings.SECRET_KEY.encode()
    settings.SECRET_KEY = "another-secret-key"
    assert signing_passphrase() != derived


def test_pyhanko_validates_the_signature_against_our_root_as_ecdsa_pades(world):
    data = pdf_bytes(issue_food(world))
    root = SigningKey.objects.get(kind=SigningKeyKind.ROOT)
    [signature] = PdfFileReader(BytesIO(data)).embedded_signatures
    assert signature.field_name == "Signature1"
    assert str(signature.sig_object["/SubFilter"]) == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[asn1_certificate(root)]))
    assert (status.intact, status.valid, status.trusted, status.bottom_line) == (True, True, True, True)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    assert status.pkcs7_signature_mechanism == "sha256_ecdsa"
    assert status.signing_cert.public_key.curve[1] == "secp256r1"


def test_an_unrelated_root_does_not_trust_the_signature(world):
    data = pdf_bytes(issue_food(world))
    [signature] = PdfFileReader(BytesIO(data)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[foreign_root()[0]]))
    assert (status.intact, status.valid, status.trusted, status.bottom_line) == (True, True, False, False)


def test_a_renamed_department_gets_a_new_key_and_old_licences_still_verify(world):
    old = issue_food(world)
    world.department.name = "区市场监管局"
    world.department.save()
    new = issue_food(world)
    assert new.signer_fingerprint != old.signer_fingerprint
    keys = SigningKey.objects.filter(kind=SigningKeyKind.DEPARTMENT).order_by("pk")
    assert [k.is_current for k in keys] == [False, True]
    assert licence_verify_pdf(pdf_bytes(old)).outcome == VerificationOutcome.VALID
    assert licence_verify_pdf(pdf_bytes(new)).outcome == VerificationOutcome.VALID


def test_a_key_close_to_expiry_is_replaced_before_signing(world):
    key = department_key_ensure(world.department)
    with time_machine.travel(key.not_after - timedelta(days=29)):
        fresh = department_key_ensure(world.department)
        assert fresh != key and fresh.not_after > timezone.now() + timedelta(days=365 * 4)
    key.refresh_from_db()
    assert not key.is_current
