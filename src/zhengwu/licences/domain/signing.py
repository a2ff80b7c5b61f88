"""Signing identities: a platform root CA and one ECDSA P-256 signing certificate per department.

Both are generated on first use. Private keys are stored encrypted (PKCS#8, BestAvailableEncryption)
with a passphrase from settings ZHENGWU_SIGNING_PASSPHRASE, or derived from SECRET_KEY when that is
unset (see docs/adr/0011-signed-licences.md: rotating SECRET_KEY then needs the passphrase set).
"""

import base64
import hashlib
from datetime import datetime, timedelta
from functools import lru_cache
from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.licences.domain._sync import run_sync
from zhengwu.licences.enums import SigningKeyKind
from zhengwu.licences.models import SigningKey
from zhengwu.org.models import Department

ROOT_VALIDITY = timedelta(days=365 * 20)
DEPARTMENT_VALIDITY = timedelta(days=365 * 5)
RENEW_BEFORE = timedelta(days=30)  # a certificate this close to expiry is replaced before signing
BACKDATE = timedelta(hours=1)  # tolerate clock skew between machines checking the signature
SIGNATURE_FIELD = "Signature1"
_HKDF_INFO = b"zhengwu.licences.signing-key-passphrase.v1"
SYSTEM_ACTOR = "system:licences"


def signing_passphrase() -> bytes:
    explicit = getattr(settings, "ZHENGWU_SIGNING_PASSPHRASE", "")
    if explicit:
        return explicit.encode("utf-8")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        settings.SECRET_KEY.encode("utf-8")
    )
    return base64.urlsafe_b64encode(derived)


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def platform_owner() -> str:
    return getattr(settings, "ZHENGWU_SITE_OWNER", "") or getattr(settings, "ZHENGWU_SITE_NAME", "") or "政务服务平台"


def _name(*, common_name: str, organisation: str, organisation_id: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
    ]
    if organisation_id:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organisation_id))
    return x509.Name(attributes)


def _subject_text(name: x509.Name) -> str:
    return ", ".join(f"{attr.rfc4514_attribute_name}={attr.value}" for attr in name)[:300]


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def _encrypt(private_key: ec.EllipticCurvePrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(signing_passphrase()),
    ).decode("ascii")


def _row(
    *,
    kind: str,
    department: Department | None,
    certificate: x509.Certificate,
    private_key: ec.EllipticCurvePrivateKey,
    issuer: SigningKey | None,
    now: datetime,
) -> SigningKey:
    return SigningKey(
        kind=kind,
        department=department,
        issuer=issuer,
        subject=_subject_text(certificate.subject),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        encrypted_key_pem=_encrypt(private_key),
        fingerprint=certificate_fingerprint(certificate),
        created_at=now,
        not_after=certificate.not_valid_after_utc,
        is_current=True,
    )


def _build_root(now: datetime) -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    owner = platform_owner()
    name = _name(common_name=f"{owner}电子证照根证书", organisation=owner)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    return _row(
        kind=SigningKeyKind.ROOT,
        department=None,
        certificate=certificate,
        private_key=private_key,
        issuer=None,
        now=now,
    )


def _build_department(department: Department, root: SigningKey, now: datetime) -> SigningKey:
    root_certificate = load_certificate(root)
    root_private = serialization.load_pem_private_key(root.encrypted_key_pem.encode("ascii"), signing_passphrase())
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name=department.name, organisation=department.name, organisation_id=department.credit_code)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root_certificate.subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + DEPARTMENT_VALIDITY, root_certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_certificate.public_key()), critical=False
        )
        .sign(root_private, hashes.SHA256())
    )
    return _row(
        kind=SigningKeyKind.DEPARTMENT,
        department=department,
        certificate=certificate,
        private_key=private_key,
        issuer=root,
        now=now,
    )


def _current(kind: str, department: Department | None) -> SigningKey | None:
    return SigningKey.objects.select_related("issuer").filter(kind=kind, department=department, is_current=True).first()


def _replace(old: SigningKey | None, build, *, kind: str, department: Department | None) -> SigningKey:
    """Retire `old` and store a freshly built key; if another process got there first, use its key."""
    try:
        with audited_atomic():
            if old is not None:
                SigningKey.objects.filter(pk=old.pk, is_current=True).update(is_current=False)
            key = build()
            key.save()
            audit_record(
                actor=SYSTEM_ACTOR,
                action="licences.signing_key_created",
                obj=key,
                before={"replaced": old.fingerprint} if old is not None else None,
                after={
                    "kind": key.kind,
                    "subject": key.subject,
                    "fingerprint": key.fingerprint,
                    "not_after": key.not_after,
                },
            )
        return key
    except IntegrityError:
        key = _current(kind, department)
        if key is None:
            raise
        return key


def _fresh(key: SigningKey | None, now: datetime) -> bool:
    return key is not None and key.not_after > now + RENEW_BEFORE


def root_key_ensure() -> SigningKey:
    """The current platform root CA, generated on first use (and again shortly before it expires)."""
    now = timezone.now()
    key = _current(SigningKeyKind.ROOT, None)
    if _fresh(key, now):
        return key
    return _replace(key, lambda: _build_root(now), kind=SigningKeyKind.ROOT, department=None)


def department_key_ensure(department: Department) -> SigningKey:
    """The department's current signing key, (re)issued when missing, near expiry, issued by a retired
    root, or no longer naming the department as it is now called."""
    now = timezone.now()
    root = root_key_ensure()
    key = _current(SigningKeyKind.DEPARTMENT, department)
    if _fresh(key, now) and key.issuer_id == root.pk and _names_department(key, department):
        return key
    return _replace(
        key, lambda: _build_department(department, root, now), kind=SigningKeyKind.DEPARTMENT, department=department
    )


def _names_department(key: SigningKey, department: Department) -> bool:
    subject = load_certificate(key).subject
    names = [a.value for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    ids = [a.value for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)]
    return names == [department.name[:64]] and ids == [department.credit_code]


def load_certificate(key: SigningKey) -> x509.Certificate:
    return _parse_certificate(key.certificate_pem)


@lru_cache(maxsize=256)
def _parse_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def asn1_certificate(key: SigningKey) -> asn1_x509.Certificate:
    return _asn1_certificate(key.certificate_pem)


@lru_cache(maxsize=256)
def _asn1_certificate(pem: str) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(load_certificate_der(pem))


def load_certificate_der(pem: str) -> bytes:
    return _parse_certificate(pem).public_bytes(serialization.Encoding.DER)


def trust_roots() -> list[asn1_x509.Certificate]:
    """Every root this platform has used: licences signed under a retired root still verify."""
    return [asn1_certificate(key) for key in SigningKey.objects.filter(kind=SigningKeyKind.ROOT).order_by("pk")]


@lru_cache(maxsize=64)
def _signer(fingerprint: str, certificate_pem: str, root_pem: str, encrypted_key_pem: str, passphrase: bytes):
    from pyhanko.sign import signers  # slow to import: see render.py
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    private_key = serialization.load_pem_private_key(encrypted_key_pem.encode("ascii"), passphrase)
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=_asn1_certificate(certificate_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(root_pem)]),
    )


def pdf_sign(pdf: bytes, *, department: Department, reason: str, location: str = "") -> tuple[bytes, SigningKey]:
    """Sign `pdf` (PAdES B-B, SHA-256, ECDSA P-256) with the department's key; returns the signed bytes and key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key = department_key_ensure(department)
    signer = _signer(
        key.fingerprint, key.certificate_pem, key.issuer.certificate_pem, key.encrypted_key_pem, signing_passphrase()
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name=department.name,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    output = run_sync(lambda: signers.sign_pdf(writer, metadata, signer=signer))
    return output.getvalue(), key
