"""Performance assessment (ADR 0021): every figure computed from case rows, clocks, notices and alerts —
checked against a small fixture computed by hand."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.accounts.factories import make_department
from tests.supervision.factories import at, give_handling_clock, make_alert, make_case, make_notice, make_point
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.enums import Channel
from zhengwu.supervision.domain.assessment import (
    assessment_compute,
    assessment_measure,
    grade_for,
    period_bounds,
    rank,
)
from zhengwu.supervision.enums import AlertLevel, AlertStatus, Grade, PeriodKind
from zhengwu.supervision.models import AssessmentResult, AssessmentScheme

pytestmark = pytest.mark.django_db

NOV = (date(2026, 11, 1), date(2026, 12, 1))


@pytest.fixture
def fixture(office):
    """November 2026 (no holidays; 11-02 is a Monday).

    区市场监督管理局 (A), received in November: a1 online 11-02, 5 days, stopped 11-06 (4 used, on time);
    a2 window 11-02, 5 days, stopped 11-11 (7 used, due 11-09: late); a3 online 11-03, 10 days, stopped 11-05
    (2 used); a4 online 11-16, open. Notices: a1 one, a3 two. Alerts: a2 yellow (counts), a4 red dismissed
    and an October warning (neither counts).
    区民政局 (B): b1 online 11-04, 3 days, stopped 11-06 (2 used); b2 window received 10-20, 10 days, stopped
    11-03 (10 used, on time; counts for the clocks but not as received). No notices, no alerts.
    区教育局 (C): nothing."""
    hall = office.hall
    a, b = hall.department, hall.other_department
    c = make_department("区教育局", "JY03")
    v = hall.version
    a1 = make_case(v, a, received_at=at(2026, 11, 2), channel=Channel.ONLINE)
    give_handling_clock(a1, limit=5, stopped_at=at(2026, 11, 6))
    a2 = make_case(v, a, received_at=at(2026, 11, 2), channel=Channel.WINDOW)
    give_handling_clock(a2, limit=5, stopped_at=at(2026, 11, 11))
    a3 = make_case(v, a, received_at=at(2026, 11, 3), channel=Channel.ONLINE)
    give_handling_clock(a3, limit=10, stopped_at=at(2026, 11, 5))
    a4 = make_case(v, a, received_at=at(2026, 11, 16), channel=Channel.ONLINE)
    give_handling_clock(a4, limit=5)
    make_notice(a1, 1)
    make_notice(a3, 1)
    make_notice(a3, 2)
    overdue = make_point()
    make_alert(subject=a2, point=overdue, level=AlertLevel.YELLOW, opened_at=at(2026, 11, 10))
    make_alert(
        subject=a4,
        point=make_point("approval.suspension", "流程挂起"),
        level=AlertLevel.RED,
        status=AlertStatus.DISMISSED,
        handling_note="误报",
        opened_at=at(2026, 11, 20),
    )
    make_alert(subject=a4, point=overdue, level=AlertLevel.WARNING, key="oct", opened_at=at(2026, 10, 30))
    b1 = make_case(v, b, received_at=at(2026, 11, 4), channel=Channel.ONLINE)
    give_handling_clock(b1, limit=3, stopped_at=at(2026, 11, 6))
    b2 = make_case(v, b, received_at=at(2026, 10, 20), channel=Channel.WINDOW)
    give_handling_clock(b2, limit=10, stopped_at=at(2026, 11, 3))
    return a, b, c


def scores(metrics) -> dict[str, float | None]:
    return {code: m["score"] for code, m in metrics.items()}


def test_each_metric_is_computed_from_the_rows(fixture):
    a, b, c = fixture

    measured = assessment_measure(department_ids=[a.pk, b.pk, c.pk], period_start=NOV[0], period_end=NOV[1])

    ma, mb, mc = measured[a.pk], measured[b.pk], measured[c.pk]
    assert ma["on_time"]["detail"] == {"stopped": 3, "on_time": 2}
    assert ma["time_ratio"]["detail"] == {"used_days": 13, "promised_days": 20}
    assert ma["time_ratio"]["value"] == 0.65
    assert ma["alerts"]["detail"] == {
        "cases": 4,
        "counts": {"1": 0, "2": 1, "3": 0},
        "per100": {"1": 0.0, "2": 25.0, "3": 0.0},
    }
    assert ma["one_time_correction"]["detail"] == {"any": 2, "one": 1}
    assert ma["online_share"]["detail"] == {"online": 3, "cases": 4}
    assert ma["bad_ratings"] == {
        "value": None,
        "score": None,
        "weight": 15.0,
        "detail": {"total": 0, "bad": 0, "rectified": 0},
    }
    assert scores(ma) == {
        "on_time": 66.67,
        "time_ratio": 85.0,
        "alerts": 25.0,  # 100 − 3 points × 25 yellow cards per 100 cases
        "one_time_correction": 50.0,
        "bad_ratings": None,
        "online_share": 75.0,
    }
    assert mb["time_ratio"]["detail"] == {"used_days": 12, "promised_days": 13}
    assert scores(mb) == {
        "on_time": 100.0,
        "time_ratio": 57.69,  # 100 × (1.5 − 12/13)
        "alerts": 100.0,
        "one_time_correction": None,
        "bad_ratings": None,
        "online_share": 100.0,
    }
    assert set(scores(mc).values()) == {None}


@time_machine.travel(at(2026, 12, 2), tick=False)
def test_totals_grades_and_ranking_are_stored_and_audited(fixture, office):
    a, b, c = fixture

    results = assessment_compute(actor=office.supervisor, period_kind=PeriodKind.MONTH, day=date(2026, 11, 15))

    # A: (30×66.67 + 15×85 + 20×25 + 10×50 + 10×75) / 85 = 59.12;  B: (30×100 + 15×57.69 + 20×100 + 10×100) / 75
    assert [(r.department, r.score, r.grade, r.rank) for r in results] == [
        (b, Decimal("91.54"), Grade.EXCELLENT, 1),
        (a, Decimal("59.12"), Grade.FAIL, 2),
        (c, None, Grade.NO_DATA, None),
    ]
    assert {(r.period_start, r.period_end) for r in results} == {NOV}
    event = AuditEvent.objects.get(action="supervision.assessment_computed")
    assert event.after["scores"] == {str(a.pk): "59.12", str(b.pk): "91.54", str(c.pk): None}


@time_machine.travel(at(2026, 12, 2), tick=False)
def test_recomputing_replaces_the_snapshot_and_follows_the_scheme(fixture, office):
    a, _b, _c = fixture
    assessment_compute(actor=office.supervisor, period_kind=PeriodKind.MONTH, day=date(2026, 11, 1))
    AssessmentScheme.objects.update(active=False)
    AssessmentScheme.objects.create(
        name="宽松方案",
        weights={"on_time": 50, "time_ratio": 0, "alerts": 0, "one_time_correction": 0, "online_share": 50},
        thresholds={"excellent": 95, "good": 85, "pass": 70},
    )

    assessment_compute(actor=office.supervisor, period_kind=PeriodKind.MONTH, day=date(2026, 11, 30))

    result = AssessmentResult.objects.get(department=a)
    assert (result.score, result.grade, result.scheme.name) == (
        Decimal("70.84"),
        Grade.PASS,
        "宽松方案",
    )  # (66.67+75)/2
    assert AssessmentResult.objects.count() == 3


@time_machine.travel(at(2026, 12, 2), tick=False)
def test_only_supervisors_compute_and_only_periods_that_began(fixture, office):
    with pytest.raises(ValidationError, match="您无权进行绩效考核。"):
        assessment_compute(actor=office.unit_head, period_kind=PeriodKind.MONTH, day=date(2026, 11, 1))
    with pytest.raises(ValidationError, match="考核期间尚未开始。"):
        assessment_compute(actor=office.supervisor, period_kind=PeriodKind.MONTH, day=date(2027, 1, 1))
    with pytest.raises(ValidationError, match="请选择考核周期"):
        assessment_compute(actor=office.supervisor, period_kind="week", day=date(2026, 11, 1))
    assert not AssessmentResult.objects.exists()


@pytest.mark.parametrize(
    ("kind", "day", "bounds"),
    [
        (PeriodKind.MONTH, date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1))),
        (PeriodKind.QUARTER, date(2026, 8, 15), (date(2026, 7, 1), date(2026, 10, 1))),
        (PeriodKind.QUARTER, date(2026, 12, 1), (date(2026, 10, 1), date(2027, 1, 1))),
        (PeriodKind.YEAR, date(2026, 2, 28), (date(2026, 1, 1), date(2027, 1, 1))),
    ],
)
def test_period_bounds(kind, day, bounds):
    assert period_bounds(kind, day) == bounds


def test_grades_and_competition_ranking():
    thresholds = {"excellent": 90, "good": 80, "pass": 60}
    assert [grade_for(Decimal(s), thresholds) for s in ("90.00", "89.99", "80", "60", "59.99")] == [
        Grade.EXCELLENT,
        Grade.GOOD,
        Grade.GOOD,
        Grade.PASS,
        Grade.FAIL,
    ]
    assert grade_for(None, thresholds) == Grade.NO_DATA
    assert rank({1: Decimal("80"), 2: Decimal("90"), 3: Decimal("80"), 4: None, 5: Decimal("70")}) == {
        1: 2,
        2: 1,
        3: 2,
        4: None,
        5: 4,
    }


def test_bad_ratings_and_their_rectification_score_the_department(fixture):
    from zhengwu.ratings.enums import FollowUpState
    from zhengwu.ratings.models import Rating, RatingFollowUp

    a, _b, _c = fixture
    cases = list(a.cases.order_by("received_at", "pk"))
    Rating.objects.create(case=cases[0], department=a, level=5, channel="online")
    Rating.objects.create(case=cases[1], department=a, level=4, channel="online")
    fixed = Rating.objects.create(case=cases[2], department=a, level=1, comment="等了很久", channel="online")
    RatingFollowUp.objects.create(
        rating=fixed,
        department=a,
        state=FollowUpState.CLOSED,
        verification_finding="属实",
        substantiated=True,
        rectification="已约谈承办人并压缩办理时限。",
    )
    Rating.objects.create(case=cases[3], department=a, level=2, comment="态度差", channel="window")

    measured = assessment_measure(department_ids=[a.pk], period_start=NOV[0], period_end=NOV[1])

    bad = measured[a.pk]["bad_ratings"]
    assert bad["detail"] == {"total": 4, "bad": 2, "rectified": 1}
    assert bad["value"] == 0.5
    assert bad["score"] == 50.0  # 70 × (1 − 0.5) + 30 × 0.5
