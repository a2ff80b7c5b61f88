"""Invariants of the clock's due date (hypothesis).

The pure derivation (compute_due) is checked against an index built straight from `chinesecalendar`;
the domain functions are checked on the database with fewer examples.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workcal.calendar_helpers import ensure_national_calendar
from tests.workcal.clock_helpers import TZ, subject, user
from zhengwu.accounts.models import User
from zhengwu.workcal.arith import index_from_chinesecalendar
from zhengwu.workcal.domain.clock import clock_extend, clock_pause, clock_resume, clock_start
from zhengwu.workcal.models import compute_due, local_date

INDEX = index_from_chinesecalendar(range(2023, 2027))

starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 6, 30)).map(
    lambda dt: dt.replace(tzinfo=TZ)
)
# each pause: (hours after the previous pause or the start, duration in hours)
pause_specs = st.lists(st.tuples(st.integers(0, 24 * 20), st.integers(0, 24 * 15)), max_size=4)
units = st.sampled_from(["working", "calendar"])


def _pauses(start: datetime, specs) -> list[tuple[datetime, datetime]]:
    pauses, cursor = [], start
    for gap, length in specs:
        begin = cursor + timedelta(hours=gap)
        end = begin + timedelta(hours=length)
        pauses.append((begin, end))
        cursor = end
    return pauses


def _due(start, *, unit="working", limit=20, extension=0, pauses=(), now=None):
    now = now or start + timedelta(days=400)
    return compute_due(
        index=INDEX,
        unit=unit,
        limit_days=limit,
        started_at=start,
        extension_days=extension,
        pauses=list(pauses),
        now=now,
    )


@settings(deadline=None)
@given(start=starts, limit=st.integers(1, 60), extension=st.integers(0, 30), specs=pause_specs, unit=units)
def test_due_is_a_working_day(start, limit, extension, specs, unit):
    comp = _due(start, unit=unit, limit=limit, extension=extension, pauses=_pauses(start, specs))
    assert INDEX.is_working_day(comp.due_date)
    assert comp.total == limit + extension + comp.paused_days


@settings(deadline=None)
@given(start=starts, limit=st.integers(1, 60), extension=st.integers(0, 30), specs=pause_specs)
def test_exactly_total_working_days_lie_in_start_to_due(start, limit, extension, specs):
    comp = _due(start, limit=limit, extension=extension, pauses=_pauses(start, specs))
    assert INDEX.working_days_between(comp.start_date, comp.due_date) == comp.total
    assert comp.start_date >= local_date(start)


@settings(deadline=None)
@given(
    start=starts,
    limit=st.integers(1, 60),
    specs=pause_specs,
    extra=st.tuples(st.integers(0, 500), st.integers(0, 500)),
    unit=units,
)
def test_a_pause_never_makes_due_earlier(start, limit, specs, extra, unit):
    pauses = _pauses(start, specs)
    without = _due(start, unit=unit, limit=limit, pauses=pauses)
    cursor = pauses[-1][1] if pauses else start
    added = (cursor + timedelta(hours=extra[0]), cursor + timedelta(hours=extra[0] + extra[1]))
    with_pause = _due(start, unit=unit, limit=limit, pauses=[*pauses, added])
    assert with_pause.due_date >= without.due_date


@settings(deadline=None)
@given(start=starts, limit=st.integers(1, 60), specs=pause_specs, longer=st.integers(0, 24 * 30))
def test_a_longer_pause_never_makes_due_earlier(start, limit, specs, longer):
    pauses = _pauses(start, specs) or [(start, start)]
    *head, (begin, end) = pauses
    short = _due(start, limit=limit, pauses=[*head, (begin, end)])
    long = _due(start, limit=limit, pauses=[*head, (begin, end + timedelta(hours=longer))])
    assert long.due_date >= short.due_date


@settings(deadline=None)
@given(start=starts, limit=st.integers(1, 60), n=st.integers(1, 30), specs=pause_specs)
def test_an_extension_of_n_moves_due_by_exactly_n_working_days(start, limit, n, specs):
    pauses = _pauses(start, specs)
    before = _due(start, limit=limit, pauses=pauses)
    after = _due(start, limit=limit, extension=n, pauses=pauses)
    assert INDEX.working_days_between(before.due_date, after.due_date) == n
    assert after.due_date == INDEX.add_working_days(before.due_date, n)


@settings(deadline=None)
@given(start=starts, limit=st.integers(1, 120), n=st.integers(1, 30))
def test_calendar_extension_never_makes_due_earlier(start, limit, n):
    before = _due(start, unit="calendar", limit=limit)
    after = _due(start, unit="calendar", limit=limit, extension=n)
    assert after.due_date >= before.due_date
    assert (after.due_date - local_date(start)).days >= limit + n


@settings(deadline=None)
@given(start=starts, limit=st.integers(1, 59))
def test_due_is_monotonic_in_the_limit(start, limit):
    for unit in ("working", "calendar"):
        assert _due(start, unit=unit, limit=limit).due_date <= _due(start, unit=unit, limit=limit + 1).due_date


@settings(deadline=None)
@given(start=starts, limit=st.integers(1, 40))
def test_due_at_is_the_last_instant_of_the_due_day_and_warning_precedes_it(start, limit):
    comp = _due(start, limit=limit)
    assert comp.due_at.astimezone(TZ).date() == comp.due_date
    assert (comp.due_at + timedelta(microseconds=1)).astimezone(TZ).time() == datetime.min.time()
    assert comp.warn_at < comp.due_at
    assert INDEX.working_days_between(local_date(comp.warn_at), comp.due_date) == 1


# ---- the same invariants through the domain functions ---------------------------------------
@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    received=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 3, 31)),
    pause_after=st.integers(0, 24 * 15),
    pause_hours=st.integers(0, 24 * 20),
    n=st.integers(1, 10),
)
def test_domain_pause_and_extension_invariants(received, pause_after, pause_hours, n):
    ensure_national_calendar()
    handler = User.objects.filter(username="prop").first() or user("prop", "承办人")
    received = received.replace(tzinfo=TZ)
    paused_at = received + timedelta(hours=pause_after)
    resumed_at = paused_at + timedelta(hours=pause_hours)
    with time_machine.travel(resumed_at, tick=False):
        clock = clock_start(actor=handler, subject=subject(), unit="working", limit=20, received_at=received)
        due_before_pause = clock.due_date
        clock_pause(actor=handler, clock=clock, reason="hearing", basis="听证", at=paused_at)
        assert clock.due_date >= due_before_pause
        clock_resume(actor=handler, clock=clock, at=resumed_at)
        assert clock.due_date >= due_before_pause
        due_before_extension = clock.due_date
        clock_extend(actor=handler, clock=clock, days=n, basis="延长", approver=handler, at=resumed_at)
    index = INDEX
    assert index.working_days_between(due_before_extension, clock.due_date) == n
    assert index.working_days_between(clock.start_date, clock.due_date) == 20 + n + clock.paused_days


@given(
    warn=starts,
    span=st.integers(0, 3600 * 24 * 10),
    offset=st.integers(-3600 * 24 * 12, 3600 * 24 * 12),
    status=st.sampled_from(["running", "paused", "stopped"]),
)
def test_display_status_changes_exactly_when_display_status_changes_at_says(warn, span, offset, status):
    from zhengwu.workcal.models import Clock

    clock = Clock(status=status, warn_at=warn, due_at=warn + timedelta(seconds=span), outcome="")
    now = warn + timedelta(seconds=offset)
    moment = clock.display_status_changes_at(now)
    if moment is None:
        assert clock.display_status(now) == clock.display_status(now + timedelta(days=400))
    else:
        assert moment > now
        assert clock.display_status(moment - timedelta(microseconds=1)) == clock.display_status(now)
        assert clock.display_status(moment) != clock.display_status(now)
