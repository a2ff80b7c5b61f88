"""Identity numbers and phone numbers: validation and masking (no database access)."""

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext as _

_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# GB 32100-2015: 统一社会信用代码 alphabet excludes I, O, Z, S, V.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_NOISE = re.compile(r"[\s\-]")

# Other identity documents: format only (no public check-character rule for them).
_OTHER_ID_PATTERNS = {
    "hk_macao_permit": re.compile(r"^[HM]\d{8}(\d{2})?$"),
    "taiwan_permit": re.compile(r"^\d{8}(\d{2})?$"),
    "passport": re.compile(r"^[A-Z0-9]{5,17}$"),
    "foreigner_pr": re.compile(r"^([A-Z]{3}\d{12}|9\d{16}[\dX])$"),
}


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_error(number: str, *, today: datetime.date | None = None) -> str | None:
    """Why an 18-character 居民身份证号码 is invalid (a Chinese message), or None if it is valid."""
    number = number.strip().upper()
    if not _ID18.match(number):
        return _("居民身份证号码应为18位，前17位为数字，最后一位为数字或X。")
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _("居民身份证号码中的出生日期无效。")
    if born.year < 1900 or born > (today or timezone.localdate()):
        return _("居民身份证号码中的出生日期无效。")
    if resident_id_check_char(number[:17]) != number[17]:
        return _("居民身份证号码校验位不正确，请核对后重新输入。")
    return None


def is_valid_resident_id(number: str) -> bool:
    return resident_id_error(number) is None


def id_number_normalise(number: str) -> str:
    return re.sub(r"\s", "", number).upper()


def id_number_error(id_type: str, number: str) -> str | None:
    """Why `number` is not a valid document number of `id_type`, or None. Expects a normalised number."""
    if id_type == "resident_id":
        return resident_id_error(number)
    pattern = _OTHER_ID_PATTERNS.get(id_type)
    if pattern is None:
        return _("请选择有效的证件类型。")
    if id_type == "foreigner_pr" and len(number) == 18 and pattern.match(number):
        if resident_id_check_char(number[:17]) != number[17]:
            return _("外国人永久居留身份证号码校验位不正确，请核对后重新输入。")
        return None
    if not pattern.match(number):
        return _("证件号码格式不正确，请按证件上的号码填写。")
    return None


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """Why a 统一社会信用代码 is invalid (a Chinese message), or None if it is valid."""
    code = code.strip().upper()
    if len(code) != 18:
        return _("统一社会信用代码应为18位。")
    if not _CREDIT_RE.match(code):
        return _("统一社会信用代码格式不正确：第3至8位应为数字，字母不使用I、O、Z、S、V。")
    if credit_code_check_char(code[:17]) != code[17]:
        return _("统一社会信用代码校验位不正确，请核对后重新输入。")
    return None


def is_valid_credit_code(code: str) -> bool:
    return credit_code_error(code) is None


def phone_normalise(phone: str) -> str:
    phone = _PHONE_NOISE.sub("", phone)
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def is_mobile_phone(phone: str) -> bool:
    """11-digit mainland mobile number, 1[3-9]xxxxxxxxx."""
    return bool(_MOBILE_RE.match(phone))


def mask_id_number(number: str) -> str:
    """Show the first 3 and last 4 characters: 110***********1234."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳明华 → 欧***."""
    return name[:1] + "*" * (len(name) - 1) if name else name


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; other numbers keep only their first 3 and last 4 characters."""
    if len(phone) == 11:
        return phone[:3] + "****" + phone[-4:]
    return mask_id_number(phone) if phone else phone
