"""Helpers shared by the supervision centre's views."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest

PER_PAGE = 50


def error_list(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [message for messages in error.message_dict.values() for message in messages]
    return list(error.messages)


def page_of(request, queryset, per_page: int = PER_PAGE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def int_param(value: str | None) -> int | None:
    """A key typed in a query string or form, else None: decimal digits only (not "²", which int() refuses) and
    within a 64-bit column (a longer one matches nothing anyway, and SQLite cannot even compare it)."""
    return int(value) if value and value.isdecimal() and len(value) <= 18 else None


# Days a query string or form may name: four-digit years, short of the last one, so that the day's local midnight,
# the next day and the end of its year can still be computed (at 0001-01-01 or 9999-12-31 they cannot).
EARLIEST_DAY = date(1000, 1, 1)
LATEST_DAY = date(9998, 12, 31)


def date_param(value: str | None) -> date | None:
    """A day typed in a query string or form, else None: an ISO date between EARLIEST_DAY and LATEST_DAY."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and EARLIEST_DAY <= day <= LATEST_DAY else None


def bad_request(message: str):
    return HttpResponseBadRequest(message)
