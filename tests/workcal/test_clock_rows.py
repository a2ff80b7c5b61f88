"""The clock row's hand-written statements do what the ORM calls they replace did (ADR 0019, fifth pass)."""

from datetime import date, datetime
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from tests.signals import save_signals
from tests.workcal.calendar_helpers import ensure_national_calendar
from tests.workcal.clock_helpers import at, frozen, subject, user
from zhengwu.audit.domain import audited_atomic
from zhengwu.supervision.signals import SWEEP_DELAY_SECONDS, SWEEP_SOON_KEY
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus
from zhengwu.workcal.domain.clock import clock_pause, clock_start, clock_stop
from zhengwu.workcal.domain.clock_rows import clock_insert, clock_lock, clock_update
from zhengwu.workcal.models import Clock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


@pytest.fixture
def handler(db):
    return user("handler", "李承办")


def _fields(clock: Clock) -> dict:
    return {f.attname: getattr(clock, f.attname) for f in Clock._meta.concrete_fields}


def _typed(values: dict) -> dict:
    return {name: (type(value), value) for name, value in values.items()}


def _new_clock(**overrides) -> Clock:
    region = subject("区划")
    values = {
        "content_type": ContentType.objects.get_for_model(region),
        "object_id": str(region.pk),
        "subject_repr": "许可申请",
        "region": region,
        "preset": "licence_decision",
        "unit": "working",
        "limit_days": 20,
        "received_at": at("2026-09-25 15:00"),
        "started_at": at("2026-09-25 15:00"),
        "start_date": date(2026, 9, 28),
        "due_date": date(2026, 10, 30),
        "due_at": at("2026-10-30 23:59:59.999999"),
        "warn_at": at("2026-10-29 00:00"),
        "created_at": at("2026-09-25 15:00"),
        **overrides,
    }
    return Clock(**values)


@pytest.fixture
def clock(handler):
    with frozen("2026-09-28 09:00"):
        return clock_start(
            actor=handler, subject=subject(), preset="licence_decision", received_at=at("2026-09-28 09:00")
        )


# ---- lock read --------------------------------------------------------------------------------
def test_the_lock_read_gives_what_the_orm_gives(clock, handler):
    with frozen("2026-10-08 10:00"):
        clock_pause(actor=handler, clock=clock, reason="hearing", basis="听证", at=at("2026-10-08 10:00"))
    with transaction.atomic():
        read = clock_lock(clock.pk)
        orm = Clock.objects.select_for_update().get(pk=clock.pk)
    assert _typed(_fields(read)) == _typed(_fields(orm))  # SQLite's text dates and datetimes converted alike
    assert isinstance(read.paused_at, datetime) and read.paused_at.utcoffset() is not None
    assert (read._state.adding, read._state.db) == (False, orm._state.db)


def test_the_lock_read_of_a_missing_clock_raises_does_not_exist():
    with transaction.atomic(), pytest.raises(Clock.DoesNotExist, match=r"Clock matching query does not exist\."):
        clock_lock(10**9)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not connection.features.has_select_for_update, reason="no row locks (SQLite)")
def test_the_lock_read_is_refused_outside_a_transaction_as_select_for_update_is(clock):
    with pytest.raises(TransactionManagementError):
        clock_lock(clock.pk)


def test_the_lock_read_reads_the_calendar_version_along_once_per_transaction(clock):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        clock_lock(clock.pk)
        current_index()  # the transaction has its version: no query
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 1
    assert "workcal_clock" in statements[0] and "calendarversion" in statements[0]
    with transaction.atomic():
        current_index()  # version now known in this transaction
        with CaptureQueriesContext(connection) as queries:
            clock_lock(clock.pk)
    assert "calendarversion" not in queries.captured_queries[0]["sql"]  # not read twice


def test_a_version_read_along_is_the_one_the_index_is_built_with(clock):
    index = current_index()
    with transaction.atomic():
        clock_lock(clock.pk)
        assert current_index() is index


# ---- insert -----------------------------------------------------------------------------------
def test_the_insert_stores_what_save_stores():
    with frozen("2026-09-25 15:00"):
        saved, inserted = _new_clock(), _new_clock()
        saved.save()
        clock_insert(inserted)
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert (inserted._state.adding, inserted._state.db) == (False, saved._state.db)
    assert inserted.updated_at == at("2026-09-25 15:00")  # auto_now set on the instance, as save() sets it
    stored = Clock.objects.values()
    mine, theirs = stored.get(pk=inserted.pk), stored.get(pk=saved.pk)
    for row in (mine, theirs):
        row.pop("id"), row.pop("object_id"), row.pop("region_id"), row.pop("content_type_id")
    assert mine == theirs


def test_the_insert_sends_the_save_signals_as_save_does():
    with save_signals(Clock) as sent:
        clock_insert(_new_clock())
    assert sent == [(pre_save, None, None), (post_save, True, None)]


def test_the_insert_refuses_an_unsaved_related_object_as_save_does():
    unsaved = subject("区划")
    unsaved.pk = None
    with pytest.raises(ValueError, match="unsaved related object 'region'"):
        clock_insert(_new_clock(region=unsaved))
    assert not Clock.objects.filter(subject_repr="许可申请").exists()


# ---- update -----------------------------------------------------------------------------------
def test_the_update_writes_only_the_fields_named_and_updated_at(clock):
    clock.subject_repr = "不写入"
    clock.status = ClockStatus.STOPPED
    clock.outcome = ClockOutcome.ON_TIME
    with frozen("2026-10-09 11:00"):
        clock_update(clock, ("status", "outcome", "updated_at"))
    row = Clock.objects.get(pk=clock.pk)
    assert (row.status, row.outcome, row.subject_repr) == (ClockStatus.STOPPED, ClockOutcome.ON_TIME, "许可申请")
    assert row.updated_at == clock.updated_at == at("2026-10-09 11:00")


def test_the_update_sends_the_save_signals_with_the_fields_as_save_does(clock):
    with save_signals(Clock) as sent:
        clock_update(clock, ["version", "updated_at"])
        clock_update(clock, [])  # as save(update_fields=[]): nothing
    fields = frozenset({"version", "updated_at"})
    assert sent == [(pre_save, None, fields), (post_save, False, fields)]


def test_the_update_of_an_unknown_field_is_refused(clock):
    with pytest.raises(ValueError, match="do not exist in this model"):
        clock_update(clock, ["nonsense"])


def test_the_update_of_a_row_that_is_gone_fails_and_marks_the_transaction_for_rollback(clock):
    with transaction.atomic():
        Clock.objects.filter(pk=clock.pk).delete()
        with pytest.raises(DatabaseError, match="did not affect any rows"):
            clock_update(clock, ["version"])
        assert transaction.get_connection().needs_rollback
        transaction.set_rollback(False)  # let the test's block go on


# ---- receivers --------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stop", [False, True])
def test_a_committed_clock_start_or_stop_alone_asks_for_a_sweep(handler, settings, stop):
    settings.ZHENGWU_SWEEP_AFTER_EVENTS = False
    started = clock_start(actor=handler, subject=subject(), unit="working", limit=5, received_at=at("2026-01-05 09:00"))
    settings.ZHENGWU_SWEEP_AFTER_EVENTS = True
    cache.delete(SWEEP_SOON_KEY)
    try:
        with mock.patch("zhengwu.supervision.tasks.sweep.apply_async") as queued:
            if stop:
                with audited_atomic():
                    clock_stop(actor=handler, clock=started, at=at("2026-01-06 09:00"))
            else:
                clock_start(
                    actor=handler, subject=subject(), unit="working", limit=5, received_at=at("2026-01-05 09:00")
                )
        queued.assert_called_once_with(kwargs={"full": False}, countdown=SWEEP_DELAY_SECONDS)
    finally:
        cache.delete(SWEEP_SOON_KEY)
