"""Shared helpers for the calendar tests (not a test module)."""

from datetime import date, timedelta

import chinese_calendar

from zhengwu.workcal.models import CalendarYear

# A plausible 2027 arrangement in the import format (weekdays checked: 1/1 Fri, 2/14 Sun, 2/20 Sat, 4/25 Sun).
TEXT_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知（测试用）
year: 2027
元旦: 2027-01-01 ~ 2027-01-03
春节: 2027-02-05 ~ 2027-02-12; 调休上班: 2027-02-14, 2027-02-20
清明节: 2027-04-03 ~ 2027-04-05
劳动节: 5月1日至5日; 调休上班: 4月25日（星期日）
"""


def ensure_national_calendar() -> None:
    """Transactional tests elsewhere may flush the seeded rows; put them back if so."""
    if CalendarYear.objects.count() < 23:
        from zhengwu.workcal.domain.calendar import calendar_years_seed

        calendar_years_seed(actor="system:test")


def naive_add_working_days(start: date, n: int) -> date:
    """The statutes' meaning, day by day over the package (not its off-by-one find_workday)."""
    day = start
    while n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def naive_add_calendar_days(start: date, n: int) -> date:
    day = start + timedelta(days=n)
    while not chinese_calendar.is_workday(day):
        day += timedelta(days=1)
    return day
