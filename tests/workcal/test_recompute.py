from datetime import date

import pytest

from tests.workcal.calendar_helpers import TEXT_2027, ensure_national_calendar
from tests.workcal.clock_helpers import at, clock_events, frozen, subject, user
from zhengwu.audit.models import AuditEvent
from zhengwu.celery import app as celery_app
from zhengwu.org.models import Region
from zhengwu.workcal.domain.calendar import calendar_day_set, calendar_year_import
from zhengwu.workcal.domain.clock import (
    clock_pause,
    clock_recompute,
    clock_start,
    clock_stop,
    clocks_recompute_for_years,
)
from zhengwu.workcal.models import Clock
from zhengwu.workcal.tasks import recompute_clocks_for_years

D = date.fromisoformat
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


@pytest.fixture(autouse=True)
def _eager_tasks():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def handler(db):
    return user("handler", "李承办")


def _licence(handler, received="2026-09-28 09:00", **kwargs) -> Clock:
    with frozen("2026-10-12 10:00"):
        return clock_start(
            actor=handler, subject=subject("许可申请"), preset="licence_decision", received_at=at(received), **kwargs
        )


def _edit_day(day: str, *, name="临时放假", region=None, when="2026-10-13 10:00", capture=None):
    with frozen(when), capture(execute=True):
        calendar_day_set(actor="system:test", date=D(day), kind="holiday", name=name, region=region)


def test_editing_a_day_moves_the_open_clocks_it_touches(handler, django_capture_on_commit_callbacks):
    open_clock = _licence(handler)
    stopped = _licence(handler)
    with frozen("2026-10-12 10:00"):
        clock_stop(actor=handler, clock=stopped, at=at("2026-10-12 10:00"))
    earlier = _licence(handler, "2025-03-03 09:00")
    assert open_clock.due_date == stopped.due_date == D("2026-10-30")

    _edit_day("2026-10-20", capture=django_capture_on_commit_callbacks)

    open_clock.refresh_from_db()
    assert open_clock.due_date == D("2026-11-02")
    assert open_clock.due_at == at("2026-11-02 23:59:59.999999")
    assert open_clock.previous_due_at == at("2026-10-30 23:59:59.999999")
    assert open_clock.recomputed_at == at("2026-10-13 10:00")
    assert open_clock.version == 2
    assert clock_events(open_clock) == ["workcal.clock.started", "workcal.clock.recomputed"]
    event = AuditEvent.objects.get(action="workcal.clock.recomputed")
    assert event.actor_repr == "system:calendar"
    assert (event.before["due_date"], event.after["due_date"]) == ("2026-10-30", "2026-11-02")
    assert "2026-10-13 10:00 因工作日历调整重新计算：届满日由 2026-10-30 改为 2026-11-02。" in open_clock.explain()
    assert "期间内遇法定节假日 临时放假：2026-10-20，共 1 天，不计入。" in open_clock.explain()

    stopped.refresh_from_db()
    assert (stopped.due_date, stopped.previous_due_at, stopped.recomputed_at) == (D("2026-10-30"), None, None)
    assert clock_events(stopped) == ["workcal.clock.started", "workcal.clock.stopped"]
    earlier.refresh_from_db()
    assert (earlier.due_date, earlier.recomputed_at) == (D("2025-03-31"), None)


def test_a_day_outside_the_span_moves_nothing(handler, django_capture_on_commit_callbacks):
    clock = _licence(handler)
    _edit_day("2026-11-20", capture=django_capture_on_commit_callbacks)
    clock.refresh_from_db()
    assert (clock.due_date, clock.recomputed_at, clock.version) == (D("2026-10-30"), None, 1)
    assert not AuditEvent.objects.filter(action="workcal.clock.recomputed").exists()


def test_a_paused_clock_is_recomputed_as_if_resumed_now(handler, django_capture_on_commit_callbacks):
    clock = _licence(handler)
    with frozen("2026-10-12 10:00"):
        clock_pause(actor=handler, clock=clock, reason="hearing", basis="听证", at=at("2026-10-12 10:00"))
    _edit_day("2026-10-20", capture=django_capture_on_commit_callbacks)
    clock.refresh_from_db()
    # one working day paused so far (10-13) plus the new holiday
    assert (clock.status, clock.due_date, clock.paused_days) == ("paused", D("2026-11-03"), 1)


def test_importing_a_missing_year_settles_provisional_clocks(handler, django_capture_on_commit_callbacks):
    clock = _licence(handler, "2026-10-12 09:00", limit=20)
    with frozen("2026-12-15 10:00"):
        late = clock_start(
            actor=handler, subject=subject("年末申请"), preset="licence_decision", received_at=at("2026-12-15 10:00")
        )
    assert (late.due_date, late.provisional) == (D("2027-01-12"), True)
    with frozen("2026-12-16 10:00"), django_capture_on_commit_callbacks(execute=True):
        calendar_year_import(actor="system:test", text=TEXT_2027)
    late.refresh_from_db()
    assert (late.due_date, late.provisional) == (D("2027-01-13"), False)  # 2027-01-01 is now 元旦
    assert late.previous_due_at == at("2027-01-12 23:59:59.999999")
    clock.refresh_from_db()
    assert clock.recomputed_at is None  # its span ends in 2026


def test_a_local_rest_day_moves_only_that_regions_clocks(handler, django_capture_on_commit_callbacks):
    county = Region.objects.create(name="示例县", code="330100000000", level="district")
    national = _licence(handler)
    local = _licence(handler, region=county)
    _edit_day("2026-10-20", name="县庆", region=county, capture=django_capture_on_commit_callbacks)
    national.refresh_from_db()
    local.refresh_from_db()
    assert (national.due_date, local.due_date) == (D("2026-10-30"), D("2026-11-02"))


def test_recompute_is_idempotent(handler, django_capture_on_commit_callbacks):
    clock = _licence(handler)
    _edit_day("2026-10-20", capture=django_capture_on_commit_callbacks)
    with frozen("2026-10-13 11:00"):
        assert clocks_recompute_for_years(years=[2026]) == 0
        assert clock_recompute(clock=clock) is False
    assert AuditEvent.objects.filter(action="workcal.clock.recomputed").count() == 1


def test_set_wide_recompute_counts_the_clocks_it_changed(handler):
    clocks = [_licence(handler) for _ in range(3)]
    other = _licence(handler, "2025-03-03 09:00")
    with frozen("2026-10-13 10:00"):
        calendar_day_set(actor="system:test", date=D("2026-10-20"), kind="holiday", name="临时放假")
        # the on_commit signal has not run: the clocks are stale until recomputed
        assert Clock.objects.filter(due_date=D("2026-10-30")).count() == 3
        assert clocks_recompute_for_years(years=[2026]) == 3
        assert clocks_recompute_for_years(years=[]) == 0
    assert {c.due_date for c in Clock.objects.filter(pk__in=[c.pk for c in clocks])} == {D("2026-11-02")}
    assert Clock.objects.get(pk=other.pk).recomputed_at is None


def test_the_task_runs_the_set_wide_recompute(handler):
    _licence(handler)
    with frozen("2026-10-13 10:00"):
        calendar_day_set(actor="system:test", date=D("2026-10-20"), kind="holiday", name="临时放假")
        assert recompute_clocks_for_years.delay(years=[2026]).get() == 1
    assert recompute_clocks_for_years.name == "zhengwu.workcal.tasks.recompute_clocks_for_years"


def test_single_clock_recompute_by_an_administrator(handler):
    clock = _licence(handler)
    with frozen("2026-10-13 10:00"):
        calendar_day_set(actor="system:test", date=D("2026-10-20"), kind="holiday", name="临时放假")
        assert clock_recompute(clock=clock, actor=handler) is True
    assert clock.due_date == D("2026-11-02")
    assert AuditEvent.objects.get(action="workcal.clock.recomputed").actor_repr == "李承办"
