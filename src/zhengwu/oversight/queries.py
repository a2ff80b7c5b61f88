"""Read-side queries of the supervision centre, every one scoped by supervision/rules.py.

The colour status here is computed from the highest active ladder alert on each open case plus its handling
clock (overdue → yellow, due soon → warning, paused → paused). It may be replaced by the supervision app's
colour helper when that lands (ADR 0021)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case as CaseWhen
from django.db.models import CharField, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from zhengwu.cases.enums import OPEN_STATES
from zhengwu.cases.models import Case
from zhengwu.supervision import rules
from zhengwu.supervision.enums import ACTIVE_ALERT_STATUSES, LADDER_LEVELS, AlertLevel, ColourStatus
from zhengwu.supervision.models import Alert
from zhengwu.workcal.clock_enums import ClockStatus

TREND_DAYS = 30
COLOUR_ORDER = [ColourStatus.RED, ColourStatus.YELLOW, ColourStatus.WARNING, ColourStatus.PAUSED, ColourStatus.ON_TRACK]


def active_alerts(user: Any) -> QuerySet:
    return rules.alerts_visible_to(user).filter(status__in=sorted(ACTIVE_ALERT_STATUSES))


def supervised_cases(user: Any, now: datetime | None = None) -> QuerySet:
    """Open cases with a handling clock, each annotated with `top_level` and `colour`."""
    now = now or timezone.now()
    top = (
        Alert.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id=Cast(OuterRef("pk"), CharField()),
            status__in=sorted(ACTIVE_ALERT_STATUSES),
            level__in=sorted(int(level) for level in LADDER_LEVELS),
        )
        .order_by("-level")
        .values("level")[:1]
    )
    running = Q(handling_clock__status=ClockStatus.RUNNING)
    queryset = rules.scope_for(
        user, Case.objects.filter(state__in=sorted(OPEN_STATES), handling_clock__isnull=False)
    ).annotate(top_level=Subquery(top, output_field=IntegerField()))
    return queryset.annotate(
        colour=CaseWhen(
            When(top_level=AlertLevel.RED, then=Value(ColourStatus.RED.value)),
            When(
                Q(top_level=AlertLevel.YELLOW) | running & Q(handling_clock__due_at__lt=now),
                then=Value(ColourStatus.YELLOW.value),
            ),
            When(
                Q(top_level=AlertLevel.WARNING) | running & Q(handling_clock__warn_at__lte=now),
                then=Value(ColourStatus.WARNING.value),
            ),
            When(handling_clock__status=ClockStatus.PAUSED, then=Value(ColourStatus.PAUSED.value)),
            default=Value(ColourStatus.ON_TRACK.value),
            output_field=CharField(),
        )
    )


def colour_counts(user: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    counts = dict(supervised_cases(user, now).order_by().values_list("colour").annotate(n=Count("pk")))
    return [{"colour": colour, "label": colour.label, "count": counts.get(colour.value, 0)} for colour in COLOUR_ORDER]


def alerts_by_point(user: Any) -> list[dict[str, Any]]:
    return list(
        active_alerts(user)
        .order_by()
        .values("point_id", "point__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "point__name")
    )


def alerts_by_department(user: Any) -> list[dict[str, Any]]:
    rows = (
        active_alerts(user)
        .order_by()
        .values("department_id", "department__name")
        .annotate(
            n=Count("pk"),
            warning=Count("pk", filter=Q(level=AlertLevel.WARNING)),
            yellow=Count("pk", filter=Q(level=AlertLevel.YELLOW)),
            red=Count("pk", filter=Q(level=AlertLevel.RED)),
        )
        .order_by("-n", "department__name")
    )
    return list(rows)


def alert_trend(user: Any, today: date | None = None) -> list[dict[str, Any]]:
    """Alerts opened per local day over the last TREND_DAYS days (today included), zeros filled in."""
    today = today or timezone.localdate()
    first = today - timedelta(days=TREND_DAYS - 1)
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()), tz)
    counts = dict(
        rules.alerts_visible_to(user)
        .filter(opened_at__gte=since)
        .annotate(day=TruncDate("opened_at", tzinfo=tz))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    return [{"day": d, "count": counts.get(d, 0)} for d in (first + timedelta(days=i) for i in range(TREND_DAYS))]


def case_numbers(alerts) -> dict[int, str]:
    """alert id → case number for alerts about cases, in one query."""
    case_type = ContentType.objects.get_for_model(Case)
    ids = {a.pk: int(a.object_id) for a in alerts if a.content_type_id == case_type.pk and a.object_id.isdigit()}
    numbers = dict(Case.objects.filter(pk__in=set(ids.values())).values_list("pk", "number"))
    return {alert_id: numbers[case_id] for alert_id, case_id in ids.items() if case_id in numbers}
