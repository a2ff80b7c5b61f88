"""Request rates written as "<count>/<unit>" — 120/min, 20/s, 5000/h — in settings and admin fields.

Pure parsing (no models), so settings.py can check its values at startup."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_CANONICAL = {1: "s", 60: "min", 3600: "h"}
_PATTERN = re.compile(r"\s*(\d{1,7})\s*/\s*([a-z]+)\s*")


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests in each fixed window of `seconds`."""

    limit: int
    seconds: int

    def __str__(self) -> str:
        unit = _CANONICAL.get(self.seconds)
        return f"{self.limit}/{unit}" if unit else f"{self.limit} per {self.seconds} s"

    def describe(self) -> str:
        """每分钟 120 次; 每 10 分钟 10 次."""
        per = {1: _("每秒"), 60: _("每分钟"), 3600: _("每小时")}.get(self.seconds)
        if per is None:
            minutes, seconds = divmod(self.seconds, 60)
            per = _("每 %(n)d 分钟") % {"n": minutes} if not seconds else _("每 %(n)d 秒") % {"n": self.seconds}
        return _("%(per)s %(limit)d 次") % {"per": per, "limit": self.limit}


def parse_rate(value: str) -> Rate:
    """The rate a "<count>/<unit>" string names (count at least 1); ValueError if it is not one."""
    match = _PATTERN.fullmatch((value or "").lower())
    if match is None or match.group(2) not in _UNITS or int(match.group(1)) < 1:
        raise ValueError(f"not a rate such as 120/min: {value!r}")
    return Rate(limit=int(match.group(1)), seconds=_UNITS[match.group(2)])


def validate_rate(value: str) -> None:
    """Model-field validator; an empty value is left to `blank`."""
    if value:
        try:
            parse_rate(value)
        except ValueError:
            raise ValidationError(
                _("格式应为“次数/时间单位”，次数至少为 1，时间单位为 s（秒）、min（分钟）或 h（小时），如 120/min。"),
                code="invalid_rate",
            ) from None
