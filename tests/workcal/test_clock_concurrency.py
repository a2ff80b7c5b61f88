"""Concurrent transitions on one clock serialise on its row lock (PostgreSQL only: SQLite has no row locks,
its writers are serialised by BEGIN IMMEDIATE instead)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from tests.concurrency import race
from tests.workcal.clock_helpers import subject, user
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.domain.clock import clock_pause, clock_resume, clock_start
from zhengwu.workcal.models import CalendarYear, Clock, ClockPause

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _national_calendar(transactional_db):
    """Overrides the suite-wide reseeding: these tests need no holidays (dates near today, Mon–Fri suffices)."""


@pytest.fixture(scope="module", autouse=True)
def _reseed_calendar_after_flush(django_db_blocker):
    """Transactional tests end with a flush, which empties the seeded calendar; put it back for later modules."""
    yield
    with django_db_blocker.unblock():
        if CalendarYear.objects.count() < 23:
            seed = importlib.import_module("zhengwu.workcal.migrations.0002_seed_national_calendar").seed
            seed(django_apps, None)


@pytest.fixture
def clock():
    handler = user("handler", "李承办")
    return clock_start(
        actor=handler,
        subject=subject(),
        unit="working",
        limit=20,
        received_at=timezone.now() - timedelta(days=2),
    )


def test_concurrent_pauses_one_wins_the_other_is_refused(clock):
    first, second = user("first", "张承办"), user("second", "赵承办")
    at = timezone.now()

    def pause(actor):
        return lambda: clock_pause(
            actor=actor, clock=Clock.objects.get(pk=clock.pk), reason="hearing", basis="听证", at=at
        )

    results = race(pause(first), pause(second))
    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["计时已暂停，不能重复暂停。"]
    assert ClockPause.objects.filter(clock_id=clock.pk).count() == 1
    assert Clock.objects.get(pk=clock.pk).status == "paused"
    assert AuditEvent.objects.filter(action="workcal.clock.paused").count() == 1
    assert audit_verify() is None


def test_concurrent_resumes_one_wins_the_other_is_refused(clock):
    handler = user("other", "张承办")
    clock_pause(actor=handler, clock=clock, reason="testing", basis="送检", at=timezone.now())
    at = timezone.now()

    def resume():
        return clock_resume(actor=handler, clock=Clock.objects.get(pk=clock.pk), at=at)

    results = race(resume, resume)
    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["计时未暂停，无需恢复。"]
    pause = ClockPause.objects.get(clock_id=clock.pk)
    assert pause.ended_at == at
    assert Clock.objects.get(pk=clock.pk).status == "running"
    assert AuditEvent.objects.filter(action="workcal.clock.resumed").count() == 1
