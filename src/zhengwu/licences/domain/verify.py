"""Checking an uploaded PDF: is it a licence we issued, untouched, and what is its state now?"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.licences.domain._sync import run_sync
from zhengwu.licences.domain.signing import trust_roots
from zhengwu.licences.enums import LicenceStatus, VerificationOutcome
from zhengwu.licences.models import Licence

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def _algorithm(certificate, digest: str) -> str:
    """The signature algorithm for people, e.g. ECDSA P-256 / SHA-256."""
    key = certificate.public_key
    if key.algorithm == "ec":
        name = f"ECDSA {_CURVES.get(key.curve[1], key.curve[1])}"
    else:
        name = f"{key.algorithm.upper()} {key.bit_size}"
    return f"{name} / {digest.upper().replace('SHA', 'SHA-')}"


@dataclass(frozen=True)
class VerificationResult:
    outcome: str  # VerificationOutcome
    sha256: str = ""
    licence: Licence | None = None
    signature_intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    signer_subject: str = ""
    signer_fingerprint: str = ""
    mechanism: str = ""  # e.g. "sha256_ecdsa"
    algorithm: str = ""  # for people: "ECDSA P-256 / SHA-256"
    signed_at: datetime | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """A genuine, untouched licence that is valid today."""
        return self.outcome == VerificationOutcome.VALID

    @property
    def genuine(self) -> bool:
        return self.outcome in (VerificationOutcome.VALID, VerificationOutcome.EXPIRED, VerificationOutcome.REVOKED)

    @property
    def label(self) -> str:
        return str(VerificationOutcome(self.outcome).label)


def licence_verify_pdf(data: bytes) -> VerificationResult:
    """Check the signature (intact, covering the whole file, chaining to our root), match the file's hash
    against the licences we issued, and report that licence's current state."""
    from pyhanko.pdf_utils.reader import PdfFileReader  # slow to import: see render.py
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not data.startswith(PDF_MAGIC):
        return VerificationResult(VerificationOutcome.NOT_PDF, problems=(_("文件不是 PDF 格式。"),))
    digest = hashlib.sha256(data).hexdigest()
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except Exception:
        logger.info("unreadable PDF uploaded for verification (sha256 %s)", digest, exc_info=True)
        return VerificationResult(
            VerificationOutcome.TAMPERED, sha256=digest, problems=(_("文件已损坏或被修改，无法读取其中的签名。"),)
        )
    if not signatures:
        return VerificationResult(VerificationOutcome.UNSIGNED, sha256=digest, problems=(_("文件中没有电子签名。"),))
    signature = signatures[0]
    roots = trust_roots()
    try:
        certificate = signature.signer_cert
        subject = certificate.subject.human_friendly
        fingerprint = certificate.sha256.hex()
        signed_at = signature.self_reported_timestamp
        if not roots:
            status = None
        else:
            context = ValidationContext(trust_roots=roots, moment=signed_at or timezone.now(), allow_fetching=False)
            status = run_sync(lambda: validate_pdf_signature(signature, context))
    except Exception:
        logger.info("signature could not be validated (sha256 %s)", digest, exc_info=True)
        return VerificationResult(
            VerificationOutcome.TAMPERED, sha256=digest, problems=(_("签名数据已损坏，无法校验。"),)
        )
    intact = bool(status and status.intact and status.valid)
    trusted = bool(status and status.trusted)
    whole = bool(status and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    details = {
        "sha256": digest,
        "signature_intact": intact,
        "trusted": trusted,
        "covers_whole_file": whole,
        "signer_subject": subject,
        "signer_fingerprint": fingerprint,
        "mechanism": status.pkcs7_signature_mechanism if status else "",
        "algorithm": _algorithm(certificate, status.md_algorithm) if status else "",
        "signed_at": signed_at,
    }
    if status is not None and not intact:
        return VerificationResult(
            VerificationOutcome.TAMPERED, **details, problems=(_("签名校验失败：文件内容在签名后被修改。"),)
        )
    if status is not None and not whole:
        return VerificationResult(
            VerificationOutcome.TAMPERED, **details, problems=(_("签名没有覆盖整个文件：签名后又被追加了内容。"),)
        )
    if not trusted:
        return VerificationResult(
            VerificationOutcome.UNTRUSTED, **details, problems=(_("签名证书不是由本平台根证书签发的。"),)
        )
    licence = Licence.objects.select_related("licence_type", "department").filter(pdf_sha256=digest).first()
    if licence is None or licence.signer_fingerprint != fingerprint:
        return VerificationResult(
            VerificationOutcome.UNKNOWN, **details, problems=(_("签名有效，但本平台没有与该文件完全一致的证照记录。"),)
        )
    status_now = licence.status()
    if status_now == LicenceStatus.REVOKED:
        return VerificationResult(
            VerificationOutcome.REVOKED, **details, licence=licence, problems=(_("该证照已被发证机关撤销。"),)
        )
    if status_now == LicenceStatus.EXPIRED:
        return VerificationResult(
            VerificationOutcome.EXPIRED, **details, licence=licence, problems=(_("该证照已超过有效期。"),)
        )
    return VerificationResult(VerificationOutcome.VALID, **details, licence=licence)
