"""Rate limits of the departmental systems API (ADR 0018 "Rate limits").

Fixed windows counted in the database (`ApiRateWindow`), one atomic UPSERT per counted request, so every web
process sees the same count with or without a shared cache, on SQLite and on PostgreSQL alike:

* a system's requests, counted once the request is correctly signed, its key active and its nonce unused;
  over the system's limit (its own `rate_limit`, else ZHENGWU_EXTERNAL_API_RATE) the request is refused;
* a client address's failed authentications; once they reach ZHENGWU_EXTERNAL_API_FAILED_AUTH_RATE, every
  request from that address is refused before its signature is looked at, until the window ends;
* a client address's failed progress lookups (办件查询, case number + query code), LOOKUP_FAILURE_RATE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from zhengwu.cases.enums import FAILURE_RATE_SCOPES, ApiRateScope
from zhengwu.cases.models import ApiRateWindow, ExternalSystem
from zhengwu.core.rates import Rate, parse_rate

__all__ = [
    "LOOKUP_FAILURE_RATE",
    "SYSTEM_WINDOW_RETENTION",
    "RateUsage",
    "api_rate_count",
    "api_rate_usage",
    "api_rate_windows_purge",
    "external_failed_auth_rate",
    "external_system_rate",
    "external_system_throttling",
    "external_systems_last_throttled",
]

# A system's windows are kept this long, for the admin's throttling summary; failure windows only until they end.
SYSTEM_WINDOW_RETENTION = timedelta(hours=24)
SUBJECT_MAX = 64


@dataclass(frozen=True)
class RateUsage:
    """Where a subject stands in the current window."""

    rate: Rate
    hits: int
    window_start: datetime
    window_end: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.rate.limit - self.hits)

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1), for Retry-After."""
        return max(1, math.ceil((self.window_end - now).total_seconds()))


def external_system_rate(system: ExternalSystem) -> Rate:
    return parse_rate(system.rate_limit or settings.ZHENGWU_EXTERNAL_API_RATE)


def external_failed_auth_rate() -> Rate:
    return parse_rate(settings.ZHENGWU_EXTERNAL_API_FAILED_AUTH_RATE)


# The public progress lookup: 10 wrong number/query-code pairs per address in 10 minutes. A query code has a
# million values, so guessing one takes ~50,000 windows (about a year) from one address.
LOOKUP_FAILURE_RATE = Rate(limit=10, seconds=600)


def _window(rate: Rate, now: datetime) -> tuple[datetime, datetime]:
    start = int(now.timestamp()) // rate.seconds * rate.seconds
    begins = datetime.fromtimestamp(start, tz=UTC)
    return begins, begins + timedelta(seconds=rate.seconds)


def api_rate_count(*, scope: str, subject: str, rate: Rate, now: datetime) -> RateUsage:
    """Count one request in the subject's current window and return the count including it: one
    INSERT … ON CONFLICT DO UPDATE … RETURNING, so concurrent requests each see a different count."""
    start, end = _window(rate, now)
    table = connection.ops.quote_name(ApiRateWindow._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, subject, window_start, window_end, hits, allowed) "
            "VALUES (%s, %s, %s, %s, 1, %s) "
            "ON CONFLICT (scope, subject, window_start) "
            f"DO UPDATE SET hits = {table}.hits + 1, allowed = excluded.allowed "
            "RETURNING hits",
            [scope, subject[:SUBJECT_MAX], adapt(start), adapt(end), rate.limit],
        )
        (hits,) = cursor.fetchone()
    return RateUsage(rate=rate, hits=hits, window_start=start, window_end=end)


def api_rate_usage(*, scope: str, subject: str, rate: Rate, now: datetime) -> RateUsage:
    """The subject's count in the current window, without counting anything."""
    start, end = _window(rate, now)
    hits = (
        ApiRateWindow.objects.filter(scope=scope, subject=subject[:SUBJECT_MAX], window_start=start)
        .values_list("hits", flat=True)
        .first()
    )
    return RateUsage(rate=rate, hits=hits or 0, window_start=start, window_end=end)


def api_rate_windows_purge(*, now: datetime | None = None) -> int:
    """Delete ended failure windows and system windows older than SYSTEM_WINDOW_RETENTION; returns the count."""
    now = now or timezone.now()
    deleted, _detail = ApiRateWindow.objects.filter(
        Q(scope__in=FAILURE_RATE_SCOPES, window_end__lte=now)
        | Q(scope=ApiRateScope.SYSTEM, window_end__lte=now - SYSTEM_WINDOW_RETENTION)
    ).delete()
    return deleted


def _throttled(subject):
    """A system's windows in which requests were refused."""
    return ApiRateWindow.objects.filter(scope=ApiRateScope.SYSTEM, subject=subject, hits__gt=F("allowed"))


def external_system_throttling(system: ExternalSystem) -> dict[str, Any]:
    """The system's throttled windows still kept (the last SYSTEM_WINDOW_RETENTION): how many, how many
    requests were refused in them, and when the latest began."""
    summary = _throttled(system.key_id).aggregate(
        windows=Count("pk"), refused=Sum(F("hits") - F("allowed")), latest=Max("window_start")
    )
    return {"windows": summary["windows"], "refused": summary["refused"] or 0, "latest": summary["latest"]}


def external_systems_last_throttled(queryset):
    """Annotate `last_throttled_at` (start of the latest throttled window still kept, else None)."""
    latest = _throttled(OuterRef("key_id")).order_by("-window_start").values("window_start")[:1]
    return queryset.annotate(last_throttled_at=Subquery(latest))
