from .issue import licence_issue, licence_revoke, verification_url
from .render import pdf_font_names
from .signing import department_key_ensure, root_key_ensure, trust_roots
from .verify import VerificationResult, licence_verify_pdf

__all__ = [
    "VerificationResult",
    "department_key_ensure",
    "licence_issue",
    "licence_revoke",
    "licence_verify_pdf",
    "pdf_font_names",
    "root_key_ensure",
    "trust_roots",
    "verification_url",
]
