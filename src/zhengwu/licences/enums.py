from django.db import models
from django.utils.translation import gettext_lazy as _


class LicenceState(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")


# States in which a licence may still be relied on (expiry is derived from valid_until, not stored).
USABLE_STATES = frozenset({LicenceState.VALID})
FINAL_STATES = frozenset({LicenceState.REVOKED})


class LicenceStatus(models.TextChoices):
    """What the verification page shows: the stored state, with expiry derived from the date."""

    VALID = "valid", _("有效")
    EXPIRED = "expired", _("已过期")
    REVOKED = "revoked", _("已撤销")


class SigningKeyKind(models.TextChoices):
    ROOT = "root", _("平台根证书")
    DEPARTMENT = "department", _("部门签名证书")


class VerificationOutcome(models.TextChoices):
    """The verdict on an uploaded PDF, best first."""

    VALID = "valid", _("有效")
    EXPIRED = "expired", _("已过期")
    REVOKED = "revoked", _("已撤销")
    UNKNOWN = "unknown", _("签名有效，但不是本平台登记的证照文件")
    UNTRUSTED = "untrusted", _("签名证书不是本平台签发")
    TAMPERED = "tampered", _("签名无效，文件已被修改")
    UNSIGNED = "unsigned", _("文件没有电子签名")
    NOT_PDF = "not_pdf", _("不是有效的 PDF 文件")


# Verdicts that confirm the file is a genuine licence of ours, whatever its current state.
GENUINE_OUTCOMES = frozenset({VerificationOutcome.VALID, VerificationOutcome.EXPIRED, VerificationOutcome.REVOKED})


class LicenceTemplate(models.TextChoices):
    """Certificate layouts: templates/licences/pdf/<value>.html."""

    STANDARD = "standard", _("竖版（A4 纵向）")
    LANDSCAPE = "landscape", _("横版（A4 横向，营业执照式）")
