"""办理超时: the ladder on the handling clock fires exactly at each boundary, follows the clock, and resolves."""

import pytest

from tests.supervision.conftest import HANDLING_DUE, MICRO, at, sweep
from zhengwu.supervision.enums import AlertLevel, AlertStatus
from zhengwu.supervision.models import Alert, MonitoringPoint

pytestmark = pytest.mark.django_db

CODE = "approval.handling_overdue"


def level_at(case, now) -> int | None:
    sweep(now)
    row = Alert.objects.filter(point__code=CODE, object_id=str(case.pk)).values_list("level", "status").first()
    return row[0] if row and row[1] != AlertStatus.RESOLVED else None


def test_handling_clock_is_due_as_the_fixture_says(accepted):
    assert accepted.handling_clock.due_at == HANDLING_DUE


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 3, 5, 23, 59, 59, 999999), None),  # Thursday: 3 of 5 days used, warn_at is Friday 00:00
        (at(2026, 3, 6), AlertLevel.WARNING),  # one working day before due (and 4/5 = 80 % used)
        (HANDLING_DUE, AlertLevel.WARNING),  # the last instant of the period
        (HANDLING_DUE + MICRO, AlertLevel.YELLOW),  # overdue
        (at(2026, 3, 11, 23, 59, 59, 999999), AlertLevel.YELLOW),  # one working day after due
        (at(2026, 3, 12), AlertLevel.RED),  # two working days (Tue, Wed) after the yellow card
    ],
)
def test_rungs_fire_exactly_at_their_boundaries(accepted, now, expected):
    assert level_at(accepted, now) == expected


def test_share_of_the_limit_is_configurable(accepted):
    point = MonitoringPoint.objects.get_or_create(code=CODE, defaults={"module": "approval", "name": "x"})[0]
    point.thresholds = {"warn_ratio": 0.5, "red_after_working_days": 2}
    point.save()
    assert level_at(accepted, at(2026, 3, 4, 23, 59, 59, 999999)) is None  # 2 of 5 used
    assert level_at(accepted, at(2026, 3, 5)) == AlertLevel.WARNING  # 3 of 5 = 60 %


def test_red_after_is_configurable(accepted):
    sweep(at(2026, 3, 6))
    MonitoringPoint.objects.filter(code=CODE).update(thresholds={"warn_ratio": 0.8, "red_after_working_days": 1})
    assert level_at(accepted, at(2026, 3, 10, 23, 59, 59, 999999)) == AlertLevel.YELLOW
    assert level_at(accepted, at(2026, 3, 11)) == AlertLevel.RED


def test_rerun_changes_nothing(accepted):
    sweep(at(2026, 3, 12))
    before = list(Alert.objects.values())
    run = sweep(at(2026, 3, 12))
    assert list(Alert.objects.values()) == before
    assert {k: v for k, v in run.counts["points"][CODE].items() if k not in ("ms", "phases_ms")} == {
        "upserted": 0,
        "resolved": 0,
        "escalated": 0,
    }
