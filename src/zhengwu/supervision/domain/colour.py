"""Colour status of supervised objects (红/黄/预警/暂停/正常), from the open ladder alerts and the clock.

The colour of an object is its highest active alert of a point that `colours_subject` (the clock
ladders); without one, PAUSED when its clock is paused, else ON_TRACK. The CSS colour of each status is
configurable: settings.ZHENGWU_SUPERVISION_COLOURS (status → colour name), defaults below (seed 004:
红、橙、绿、蓝牌).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Q

from zhengwu.cases.enums import OPEN_STATES, CaseState
from zhengwu.cases.models import Case
from zhengwu.supervision.enums import ACTIVE_ALERT_STATUSES, AlertLevel, ColourStatus
from zhengwu.supervision.models import Alert
from zhengwu.supervision.points import points
from zhengwu.workcal.clock_enums import ClockStatus

DEFAULT_COLOURS = {
    ColourStatus.RED: "red",
    ColourStatus.YELLOW: "orange",
    ColourStatus.WARNING: "yellow",
    ColourStatus.PAUSED: "blue",
    ColourStatus.ON_TRACK: "green",
}
LEVEL_COLOUR = {AlertLevel.RED: ColourStatus.RED, AlertLevel.YELLOW: ColourStatus.YELLOW,
                AlertLevel.WARNING: ColourStatus.WARNING}  # fmt: skip


def colour_of(status: str) -> str:
    """The display colour of a status (ZHENGWU_SUPERVISION_COLOURS overrides the defaults)."""
    mapping = {**DEFAULT_COLOURS, **getattr(settings, "ZHENGWU_SUPERVISION_COLOURS", {})}
    return mapping[ColourStatus(status)]


def _colour_points() -> list[str]:
    return [spec.code for spec in points() if spec.colours_subject]


def _ladder_alerts():
    return Alert.objects.filter(
        point__code__in=_colour_points(),
        status__in=sorted(ACTIVE_ALERT_STATUSES),
        level__gte=AlertLevel.WARNING,
    )


def object_colour(content_type: ContentType | int, object_id) -> ColourStatus:
    ct_id = getattr(content_type, "pk", content_type)
    top = _ladder_alerts().filter(content_type_id=ct_id, object_id=str(object_id)).aggregate(m=Max("level"))["m"]
    if top is not None:
        return LEVEL_COLOUR[AlertLevel(top)]
    if ct_id == ContentType.objects.get_for_model(Case).pk:
        paused = Case.objects.filter(pk=object_id).filter(_paused_q()).exists()
        return ColourStatus.PAUSED if paused else ColourStatus.ON_TRACK
    return ColourStatus.ON_TRACK


def _paused_q() -> Q:
    return (
        Q(state=CaseState.SUSPENDED)
        | Q(handling_clock__status=ClockStatus.PAUSED, state__in=sorted(OPEN_STATES))
        | Q(state=CaseState.CORRECTION_REQUESTED)
    )


def colour_status_counts(department=None) -> dict[str, int]:
    """Open cases per colour status (every status present, zero included). Three queries."""
    case_ct = ContentType.objects.get_for_model(Case)
    cases = Case.objects.filter(state__in=sorted(OPEN_STATES))
    alerts = _ladder_alerts().filter(content_type=case_ct, object_id__in=_as_text(cases))
    if department is not None:
        dept = getattr(department, "pk", department)
        cases = cases.filter(department_id=dept)
        alerts = alerts.filter(content_type=case_ct, object_id__in=_as_text(cases))
    counts = {status: 0 for status in ColourStatus.values}
    per_object = alerts.order_by().values("object_id").annotate(top=Max("level"))
    alerted: dict[int, int] = {}
    for row in per_object.values_list("top", flat=True):
        alerted[row] = alerted.get(row, 0) + 1
    for level, n in alerted.items():
        counts[LEVEL_COLOUR[AlertLevel(level)]] += n
    coloured = sum(alerted.values())
    paused = cases.filter(_paused_q()).exclude(pk__in=_alerted_pks(alerts)).count()
    counts[ColourStatus.PAUSED] = paused
    counts[ColourStatus.ON_TRACK] = max(0, cases.count() - coloured - paused)
    return counts


def _as_text(cases):
    from django.db.models import CharField
    from django.db.models.functions import Cast

    return cases.annotate(zw_id=Cast("pk", CharField())).values("zw_id")


def _alerted_pks(alerts):
    from django.db.models import BigIntegerField
    from django.db.models.functions import Cast

    return alerts.annotate(zw_pk=Cast("object_id", BigIntegerField())).values("zw_pk")
