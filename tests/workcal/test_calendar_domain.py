import random
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction

from tests.workcal.calendar_helpers import ensure_national_calendar
from zhengwu.audit.models import AuditEvent
from zhengwu.org.models import Region
from zhengwu.workcal.arith import current_index, index_from_chinesecalendar
from zhengwu.workcal.domain.calendar import (
    calendar_day_set,
    calendar_missing_years,
    calendar_year_summary,
    calendar_years_seed,
)
from zhengwu.workcal.enums import CalendarSource, DayKind
from zhengwu.workcal.models import CalendarDay, CalendarVersion, CalendarYear
from zhengwu.workcal.signals import calendar_changed

D = date.fromisoformat
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


@pytest.fixture
def changed():
    received = []

    def receiver(sender, years, **kwargs):
        received.append(years)

    calendar_changed.connect(receiver)
    yield received
    calendar_changed.disconnect(receiver)


@pytest.fixture
def county():
    county = Region.objects.create(name="示例县", code="330100000000", level="district")
    street = Region.objects.create(name="城关街道", code="330100001000", level="street", parent=county)
    return county, street


def test_seeded_calendar_equals_the_package():
    assert sorted(CalendarYear.objects.values_list("year", flat=True)) == list(range(2004, 2027))
    assert set(CalendarYear.objects.values_list("source", flat=True)) == {CalendarSource.CHINESECALENDAR}
    db_index, package = current_index(), index_from_chinesecalendar()
    rnd = random.Random(11)
    for _ in range(2000):
        start = date.fromordinal(rnd.randint(D("2004-01-01").toordinal(), D("2026-12-31").toordinal()))
        n = rnd.randint(1, 60)
        assert db_index.add_working_days(start, n) == package.add_working_days(start, n)
        assert db_index.day_info(start) == package.day_info(start)


@pytest.mark.django_db(transaction=True)
def test_index_is_cached_until_the_version_changes(django_assert_num_queries):
    first = current_index()
    with django_assert_num_queries(1):  # only the version row
        assert current_index() is first
    with transaction.atomic(), django_assert_num_queries(1):  # the version row once per transaction
        assert current_index() is first
        assert current_index(None) is first
    CalendarVersion.objects.filter(id=1).update(version=first.version_key[0] + 1)
    assert current_index() is not first


@pytest.mark.django_db(transaction=True)
def test_each_call_of_an_atomic_function_is_a_new_transaction_for_the_calendar():
    @transaction.atomic
    def index():  # one Atomic object, entered anew on every call
        return current_index()

    first = index()
    CalendarVersion.objects.filter(id=1).update(version=first.version_key[0] + 1)
    assert index() is not first


def test_a_calendar_change_in_the_same_transaction_is_seen_at_once(django_assert_num_queries):
    first = current_index()
    assert first.add_working_days(D("2026-11-05"), 1) == D("2026-11-06")
    calendar_day_set(actor="system:test", date=D("2026-11-06"), kind=DayKind.HOLIDAY, name="调整放假")
    assert current_index().add_working_days(D("2026-11-05"), 1) == D("2026-11-09")


def test_set_a_holiday_changes_the_index_audits_and_signals(django_capture_on_commit_callbacks, changed):
    assert current_index().add_working_days(D("2026-11-05"), 1) == D("2026-11-06")
    with django_capture_on_commit_callbacks(execute=True):
        row = calendar_day_set(actor="system:test", date=D("2026-11-06"), kind=DayKind.HOLIDAY, name="调整放假")
    assert (row.kind, row.name, row.region) == (DayKind.HOLIDAY, "调整放假", None)
    assert changed == [[2026]]
    assert current_index().add_working_days(D("2026-11-05"), 1) == D("2026-11-09")
    assert CalendarYear.objects.get(year=2026).source == CalendarSource.EDITED
    event = AuditEvent.objects.get(action="workcal.calendar_day.set")
    assert (event.object_id, event.before, event.after) == (
        "2026-11-06",
        {"kind": "workday", "name": ""},
        {"kind": "holiday", "name": "调整放假", "region": None},
    )


def test_setting_a_day_back_to_its_weekday_default_removes_the_row():
    assert CalendarDay.objects.filter(date=D("2025-02-08"), region__isnull=True).exists()
    assert calendar_day_set(actor="system:test", date=D("2025-02-08"), kind=DayKind.WEEKEND) is None
    assert not CalendarDay.objects.filter(date=D("2025-02-08")).exists()
    assert current_index().day_info(D("2025-02-08")).kind == DayKind.WEEKEND
    assert calendar_day_set(actor="system:test", date=D("2025-01-28"), kind=DayKind.WORKDAY) is None
    assert current_index().is_working_day(D("2025-01-28"))


def test_unchanged_day_is_a_no_op():
    events = AuditEvent.objects.count()
    version = CalendarVersion.objects.get(id=1).version
    calendar_day_set(actor="system:test", date=D("2025-01-28"), kind=DayKind.HOLIDAY, name="春节")
    calendar_day_set(actor="system:test", date=D("2025-03-03"), kind=DayKind.WORKDAY)
    assert AuditEvent.objects.count() == events
    assert CalendarVersion.objects.get(id=1).version == version


@pytest.mark.parametrize(
    ("day", "kind", "name", "error"),
    [
        ("2025-03-03", DayKind.MAKEUP_WORKDAY, "", {"kind": ["调休上班日必须是星期六或星期日。"]}),
        (
            "2025-03-03",
            DayKind.WEEKEND,
            "",
            {"kind": ["周一至周五不能设为周末休息日；放假请选择“法定节假日”并填写名称。"]},
        ),
        ("2025-03-01", DayKind.WORKDAY, "", {"kind": ["星期六、星期日上班请选择“调休上班日”。"]}),
        ("2025-03-03", DayKind.HOLIDAY, "  ", {"name": ["法定节假日须填写名称，如“春节”。"]}),
        ("2025-03-03", "nonsense", "", {"kind": ["未知的日期类型。"]}),
        ("2027-03-03", DayKind.HOLIDAY, "县庆", {"date": ["2027 年工作日历尚未导入，请先导入该年度安排。"]}),
    ],
)
def test_invalid_edits_change_nothing(day, kind, name, error):
    before = (list(CalendarDay.objects.values_list("date", "kind", "name")), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        calendar_day_set(actor="system:test", date=D(day), kind=kind, name=name)
    assert exc.value.message_dict == error
    assert (list(CalendarDay.objects.values_list("date", "kind", "name")), AuditEvent.objects.count()) == before


def test_local_override_wins_for_the_region_and_below(county):
    county, street = county
    calendar_day_set(actor="system:test", date=D("2026-11-06"), kind=DayKind.HOLIDAY, name="县庆", region=county)
    assert current_index().is_working_day(D("2026-11-06"))  # national calendar unchanged
    assert not current_index(county).is_working_day(D("2026-11-06"))
    assert not current_index(street).is_working_day(D("2026-11-06"))
    assert current_index(county).day_info(D("2026-11-06")).name == "县庆"
    # the street works that day after all: its own override beats the county's
    calendar_day_set(actor="system:test", date=D("2026-11-06"), kind=DayKind.WORKDAY, region=street)
    assert current_index(street).is_working_day(D("2026-11-06"))
    assert not current_index(county).is_working_day(D("2026-11-06"))
    # setting the street back to what it inherits removes its override
    calendar_day_set(actor="system:test", date=D("2026-11-06"), kind=DayKind.HOLIDAY, name="县庆", region=street)
    assert not CalendarDay.objects.filter(region=street).exists()
    event = AuditEvent.objects.filter(action="workcal.calendar_day.set").first()
    assert event.object_id == "2026-11-06@330100000000"
    assert CalendarYear.objects.get(year=2026).source == CalendarSource.CHINESECALENDAR  # local edits only


def test_local_override_allowed_in_an_unloaded_year(county):
    county, _ = county
    calendar_day_set(actor="system:test", date=D("2027-03-03"), kind=DayKind.HOLIDAY, name="县庆", region=county)
    info = current_index(county).day_info(D("2027-03-03"))
    assert (info.kind, info.provisional) == (DayKind.HOLIDAY, True)


def test_missing_years():
    assert calendar_missing_years(D("2026-11-23")) == [2027]
    assert calendar_missing_years(D("2025-06-01")) == []
    assert calendar_missing_years(D("2028-01-01")) == [2028, 2029]


def test_year_summary():
    summary = calendar_year_summary(2025)
    assert summary.loaded and summary.source == CalendarSource.CHINESECALENDAR
    assert [(r.name, r.first, r.last) for r in summary.holidays] == [
        ("元旦", D("2025-01-01"), D("2025-01-01")),
        ("春节", D("2025-01-28"), D("2025-02-04")),
        ("清明节", D("2025-04-04"), D("2025-04-06")),
        ("劳动节", D("2025-05-01"), D("2025-05-05")),
        ("端午节", D("2025-05-31"), D("2025-06-02")),
        ("国庆节、中秋节", D("2025-10-01"), D("2025-10-08")),
    ]
    assert [d for d, _ in summary.makeup_days] == [
        D("2025-01-26"),
        D("2025-02-08"),
        D("2025-04-27"),
        D("2025-09-28"),
        D("2025-10-11"),
    ]
    assert summary.working_days_by_month == [19, 19, 21, 22, 19, 20, 23, 21, 23, 18, 20, 23]
    assert summary.working_days == 248
    missing = calendar_year_summary(2027)
    assert (missing.loaded, missing.holidays, missing.working_days) == (False, [], 261)


def test_seed_restores_missing_years_only():
    CalendarDay.objects.filter(date__year=2025).delete()
    CalendarYear.objects.filter(year=2025).delete()
    with time_machine.travel(D("2026-11-23"), tick=False):
        assert calendar_years_seed(actor="system:test") == [2025]
    assert calendar_years_seed(actor="system:test") == []
    assert CalendarDay.objects.filter(date__year=2025).count() == 33
    assert current_index().add_working_days(D("2025-09-30"), 1) == D("2025-10-09")
