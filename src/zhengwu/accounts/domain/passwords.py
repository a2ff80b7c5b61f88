"""Password checks with messages in Chinese whatever Django's own catalogue lacks."""

from django.contrib.auth.password_validation import get_default_password_validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _message(error: ValidationError) -> str:
    params = error.params or {}
    if error.code == "password_too_short":
        return _("密码长度太短，至少需要%(min_length)d个字符。") % {"min_length": params.get("min_length", 8)}
    if error.code == "password_too_similar":
        return _("密码与用户名、手机号码或姓名太相似。")
    if error.code == "password_too_common":
        return _("这个密码太常见，容易被猜中，请换一个。")
    if error.code == "password_entirely_numeric":
        return _("密码不能全部是数字。")
    return error.messages[0]


def password_problems(password: str, *, user) -> list[str]:
    """Every reason `password` is refused for `user` (an unsaved User is fine), in Chinese."""
    problems = []
    for validator in get_default_password_validators():
        try:
            validator.validate(password, user)
        except ValidationError as exc:
            problems.extend(_message(error) for error in exc.error_list)
    similar = _("密码与用户名、手机号码或姓名太相似。")
    phone = getattr(user, "phone", "")
    if phone and phone in password and similar not in problems:
        problems.append(similar)
    return problems


def password_help_text() -> str:
    return _("至少8个字符；不能全部是数字，不能是常见密码，也不能与手机号码、姓名太相似。")
