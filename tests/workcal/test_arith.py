import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workcal.calendar_helpers import naive_add_calendar_days, naive_add_working_days
from zhengwu.workcal.arith import (
    CalendarIndex,
    chinesecalendar_exceptions,
    effective_start_date,
    explain_deadline,
    index_from_chinesecalendar,
    working_days_elapsed,
)
from zhengwu.workcal.enums import DayKind

INDEX = index_from_chinesecalendar()
D = date.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")


# ---- tables: the 2025 arrangement (State Council notice) and 2026 (chinesecalendar data) -----------
@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # 2025 元旦 1/1
        ("2024-12-31", 1, "2025-01-02"),
        # 2025 春节 1/28–2/4, make-up Sun 1/26 and Sat 2/8
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-24", 2, "2025-01-27"),
        ("2025-01-27", 1, "2025-02-05"),
        ("2025-01-29", 1, "2025-02-05"),  # start on a holiday
        ("2025-01-29", 3, "2025-02-07"),
        ("2025-01-29", 4, "2025-02-08"),  # lands on the make-up Saturday
        ("2025-02-08", 1, "2025-02-10"),  # start on the make-up Saturday
        ("2025-02-01", 1, "2025-02-05"),  # start on a weekend inside the holiday
        # 清明 4/4–4/6; 劳动节 5/1–5/5 with make-up Sun 4/27
        ("2025-04-03", 1, "2025-04-07"),
        ("2025-04-25", 1, "2025-04-27"),
        ("2025-04-30", 1, "2025-05-06"),
        # 端午 5/31–6/2
        ("2025-05-30", 1, "2025-06-03"),
        # 国庆+中秋 10/1–10/8 with make-up Sun 9/28 and Sat 10/11
        ("2025-09-26", 1, "2025-09-28"),
        ("2025-09-26", 2, "2025-09-29"),
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-09-30", 3, "2025-10-11"),
        ("2025-09-30", 4, "2025-10-13"),
        ("2025-10-03", 2, "2025-10-10"),
        # 2026: 元旦 1/1–1/3 make-up Sun 1/4; 春节 2/15–2/23 make-up Sat 2/14 and Sat 2/28
        ("2025-12-31", 1, "2026-01-04"),
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-02-14", 5, "2026-02-28"),
        # 2026 劳动节 5/1–5/5 make-up Sat 5/9; 端午 6/19–6/21; 中秋 9/25–9/27
        ("2026-04-30", 1, "2026-05-06"),
        ("2026-05-08", 1, "2026-05-09"),
        ("2026-06-18", 1, "2026-06-22"),
        ("2026-09-24", 1, "2026-09-28"),
        # 2026 国庆 10/1–10/7 with make-up Sun 9/20 and Sat 10/10
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-30", 5, "2026-10-13"),
        ("2026-10-01", 3, "2026-10-10"),
        ("2026-09-30", 20, "2026-11-03"),
    ],
)
def test_add_working_days_table(start, n, due):
    assert INDEX.add_working_days(D(start), n) == D(due)
    assert naive_add_working_days(D(start), n) == D(due)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2025-09-23", 8, "2025-10-09"),  # lands on 10/1: rolls past the whole holiday
        ("2025-01-20", 15, "2025-02-05"),  # lands on 2/4, the last day of 春节
        ("2025-10-01", 10, "2025-10-11"),  # lands on the make-up Saturday: a working day, no roll
        ("2025-03-01", 14, "2025-03-17"),  # ordinary Saturday → Monday
        ("2026-02-07", 15, "2026-02-24"),
        ("2026-06-05", 15, "2026-06-22"),
        ("2026-09-01", 30, "2026-10-08"),
        ("2026-09-05", 15, "2026-09-20"),  # the make-up Sunday is a working day
        ("2026-01-01", 90, "2026-04-01"),
    ],
)
def test_add_calendar_days_table(start, n, due):
    assert INDEX.add_calendar_days(D(start), n) == D(due)
    assert naive_add_calendar_days(D(start), n) == D(due)


def test_day_info_reports_kind_and_name():
    assert INDEX.day_info(D("2025-01-28")) == INDEX.day_info(D("2025-01-28"))
    info = INDEX.day_info(D("2025-01-28"))
    assert (info.kind, info.name, info.provisional) == (DayKind.HOLIDAY, "春节", False)
    assert INDEX.day_info(D("2025-02-08")).kind == DayKind.MAKEUP_WORKDAY
    assert INDEX.day_info(D("2025-02-08")).name == "春节"
    assert INDEX.day_info(D("2025-03-01")).kind == DayKind.WEEKEND
    assert INDEX.day_info(D("2025-03-03")).kind == DayKind.WORKDAY


def test_between_helpers_list_the_days_met():
    rest = INDEX.non_working_days_between(D("2025-09-30"), D("2025-10-13"))
    assert [i.date for i in rest] == [D(f"2025-10-{d:02d}") for d in (1, 2, 3, 4, 5, 6, 7, 8, 12)]
    assert [i.date for i in INDEX.makeup_days_between(D("2025-09-01"), D("2025-10-31"))] == [
        D("2025-09-28"),
        D("2025-10-11"),
    ]
    assert INDEX.working_days_between(D("2025-09-30"), D("2025-10-13")) == 4
    assert INDEX.working_days_between(D("2025-10-13"), D("2025-09-30")) == 0
    assert INDEX.working_days_between(D("2025-10-13"), D("2025-10-13")) == 0
    assert INDEX.next_working_day(D("2025-09-30")) == D("2025-10-09")
    assert INDEX.next_working_day(D("2025-02-07")) == D("2025-02-08")


def test_add_working_days_zero_is_the_start_and_negative_is_refused():
    assert INDEX.add_working_days(D("2025-02-01"), 0) == D("2025-02-01")
    with pytest.raises(ValueError):
        INDEX.add_working_days(D("2025-02-01"), -1)
    with pytest.raises(ValueError):
        INDEX.add_calendar_days(D("2025-02-01"), -1)


def test_working_days_per_year_match_the_package():
    for year in (2024, 2025, 2026):
        first, last = date(year, 1, 1), date(year, 12, 31)
        expected = sum(chinese_calendar.is_workday(first + timedelta(days=k)) for k in range((last - first).days + 1))
        assert INDEX.working_days_between(first - timedelta(days=1), last) == expected
    assert INDEX.working_days_between(D("2024-12-31"), D("2025-12-31")) == 248


# ---- the naive loop over chinesecalendar agrees on thousands of random cases ---------------------
def test_add_working_days_agrees_with_a_naive_loop_on_random_cases():
    rnd = random.Random(20251001)
    lo, hi = D("2025-01-01").toordinal(), D("2026-12-31").toordinal()
    mismatches = []
    for _ in range(3000):
        start = date.fromordinal(rnd.randint(lo, hi))
        n = rnd.randint(1, 60)
        due = INDEX.add_working_days(start, n)
        if due.year > 2026:
            continue  # the package knows nothing after 2026
        if due != naive_add_working_days(start, n):
            mismatches.append((start, n))
    assert mismatches == []


def test_calendar_days_and_between_agree_with_a_naive_loop_on_random_cases():
    rnd = random.Random(7)
    lo, hi = D("2004-01-01").toordinal(), D("2026-09-30").toordinal()
    for _ in range(2000):
        start = date.fromordinal(rnd.randint(lo, hi))
        n = rnd.randint(1, 60)
        assert INDEX.add_calendar_days(start, n) == naive_add_calendar_days(start, n)
        end = start + timedelta(days=n)
        expected = sum(chinese_calendar.is_workday(start + timedelta(days=k)) for k in range(1, n + 1))
        assert INDEX.working_days_between(start, end) == expected


# ---- invariants (hypothesis) ------------------------------------------------------------------
# Dates from 2002 to 2030: before, inside and after the loaded span, across the fallback boundary.
dates = st.dates(min_value=date(2002, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=1, max_value=400)


@settings(max_examples=300, deadline=None)
@given(start=dates, n1=counts, n2=counts)
def test_due_is_strictly_monotonic_in_n(start, n1, n2):
    if n1 == n2:
        return
    lo, hi = sorted((n1, n2))
    assert INDEX.add_working_days(start, lo) < INDEX.add_working_days(start, hi)
    assert INDEX.add_calendar_days(start, lo) <= INDEX.add_calendar_days(start, hi)


@settings(max_examples=300, deadline=None)
@given(start=dates, n=counts)
def test_working_period_ends_on_a_working_day_with_exactly_n_working_days(start, n):
    due = INDEX.add_working_days(start, n)
    assert INDEX.is_working_day(due)
    assert INDEX.working_days_between(start, due) == n
    assert INDEX.working_days_between(start, due - timedelta(days=1)) == n - 1
    assert date.fromordinal(INDEX.add_working_days_ordinal(start.toordinal(), n)) == due


@settings(max_examples=300, deadline=None)
@given(start=dates, n=counts)
def test_calendar_period_rolls_forward_only_over_rest_days(start, n):
    due = INDEX.add_calendar_days(start, n)
    nominal = start + timedelta(days=n)
    assert due >= nominal
    assert INDEX.is_working_day(due)
    assert all(not INDEX.is_working_day(nominal + timedelta(days=k)) for k in range((due - nominal).days))


@settings(max_examples=200, deadline=None)
@given(day=dates)
def test_next_working_day_is_the_first_working_day_after(day):
    nxt = INDEX.next_working_day(day)
    assert nxt > day and INDEX.is_working_day(nxt)
    assert INDEX.working_days_between(day, nxt) == 1


@settings(max_examples=200, deadline=None)
@given(a=dates, b=dates, c=dates)
def test_working_days_between_is_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    assert INDEX.working_days_between(a, c) == INDEX.working_days_between(a, b) + INDEX.working_days_between(b, c)


# ---- fallback outside the loaded years ---------------------------------------------------------
def test_unloaded_year_falls_back_to_monday_to_friday_and_is_provisional():
    assert INDEX.is_provisional(D("2027-01-01"))
    assert not INDEX.is_provisional(D("2026-12-31"))
    info = INDEX.day_info(D("2027-01-01"))  # a Friday; surely a holiday in reality, but unknown here
    assert (info.kind, info.provisional) == (DayKind.WORKDAY, True)
    assert INDEX.add_working_days(D("2026-12-30"), 5) == D("2027-01-06")
    assert INDEX.provisional_years(D("2026-12-30"), D("2027-01-06")) == [2027]
    assert INDEX.add_working_days(D("2040-06-01"), 10) == D("2040-06-15")  # far beyond any array
    assert INDEX.add_working_days(D("1999-12-31"), 1) == D("2000-01-03")
    assert INDEX.working_days_between(D("1999-12-31"), D("2040-12-31")) > 0


def test_empty_index_never_crashes():
    index = CalendarIndex(exceptions={}, loaded_years=[])
    assert index.add_working_days(D("2025-01-24"), 1) == D("2025-01-27")
    assert index.add_calendar_days(D("2025-01-24"), 1) == D("2025-01-27")
    assert index.loaded_years == frozenset()


def test_index_over_a_narrow_span_matches_the_wide_one():
    narrow = CalendarIndex(
        exceptions=chinesecalendar_exceptions(range(2004, 2027)),
        loaded_years=range(2004, 2027),
        first=D("2025-01-01"),
        last=D("2026-12-31"),
    )
    rnd = random.Random(3)
    for _ in range(500):
        start = date.fromordinal(rnd.randint(D("2003-06-01").toordinal(), D("2028-06-01").toordinal()))
        n = rnd.randint(1, 300)
        if not (D("2025-01-01") <= start and INDEX.add_working_days(start, n) <= D("2026-12-31")):
            continue
        assert narrow.add_working_days(start, n) == INDEX.add_working_days(start, n)


# ---- instants and closing time -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2025-09-30 10:00", "2025-09-30"),
        ("2025-09-30 17:29", "2025-09-30"),
        ("2025-09-30 17:30", "2025-10-09"),  # after hours on the eve of National Day
        ("2025-10-03 09:00", "2025-10-09"),  # on a holiday
        ("2025-10-11 09:00", "2025-10-11"),  # make-up Saturday is a working day
        ("2025-10-12 09:00", "2025-10-13"),
    ],
)
def test_effective_start_date(received, expected):
    at = datetime.fromisoformat(received).replace(tzinfo=SHANGHAI)
    assert effective_start_date(at, index=INDEX) == D(expected)


def test_effective_start_date_uses_local_time_and_a_custom_closing_time(settings):
    at = datetime(2025, 9, 30, 8, 0, tzinfo=ZoneInfo("UTC"))  # 16:00 in Shanghai
    assert effective_start_date(at, index=INDEX) == D("2025-09-30")
    assert effective_start_date(at, closing_time=time(16, 0), index=INDEX) == D("2025-10-09")
    settings.WORKCAL_CLOSING_TIME = "15:00"
    assert effective_start_date(at, index=INDEX) == D("2025-10-09")


def test_working_days_elapsed_counts_from_the_effective_start():
    received = datetime(2025, 9, 30, 18, 0, tzinfo=SHANGHAI)  # counts from 10/9
    assert working_days_elapsed(received, datetime(2025, 10, 9, 12, 0, tzinfo=SHANGHAI), index=INDEX) == 0
    assert working_days_elapsed(received, datetime(2025, 10, 13, 9, 0, tzinfo=SHANGHAI), index=INDEX) == 3


# ---- explanation -------------------------------------------------------------------------------
def test_explain_working_period_across_national_day():
    due, lines = explain_deadline(D("2026-09-30"), 5, "working", index=INDEX)
    assert due == D("2026-10-13")
    assert lines == [
        "起算日：2026-09-30（星期三），工作日。",
        "依《民法典》第二百零一条，开始的当日不计入，自次日 2026-10-01（星期四）起算。",
        "期限：5 个工作日（不含法定节假日和休息日，含调休上班日）。",
        "期间内遇法定节假日 国庆节：2026-10-01 至 2026-10-07，共 7 天，不计入。",
        "期间内遇周末休息日 1 天（10-11），不计入。",
        "2026-10-10（星期六）为调休上班日（国庆节调休），计为工作日。",
        "第 5 个工作日为 2026-10-13（星期二），即期限届满日。",
    ]


def test_explain_calendar_period_with_roll_forward():
    due, lines = explain_deadline(D("2025-09-23"), 8, "calendar", index=INDEX)
    assert due == D("2025-10-09")
    assert lines[2:] == [
        "期限：8 日（自然日，期间内的节假日照常计入）。",
        "第 8 日为 2025-10-01（星期三），法定节假日（国庆节）。",
        "期间内遇法定节假日 国庆节、中秋节：2025-10-01 至 2025-10-08，共 8 天，不计入。",
        "依《民法典》第二百零三条，期间的最后一日是法定休假日的，以休假日结束的次日为最后一日："
        "顺延至 2025-10-09（星期四）。",
        "期限届满日：2025-10-09（星期四）。",
    ]


def test_explain_marks_provisional_years():
    due, lines = explain_deadline(D("2026-12-30"), 5, "working", index=INDEX)
    assert due == D("2027-01-06")
    assert lines[-1] == "注意：2027 年工作日历尚未导入，该年度按周一至周五临时计算，结果为临时结果。"
    assert lines[0] == "起算日：2026-12-30（星期三），工作日。"
