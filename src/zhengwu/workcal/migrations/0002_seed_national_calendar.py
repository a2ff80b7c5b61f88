"""Seed the national calendar 2004–2026 from the `chinesecalendar` package (exceptional days only)."""

import uuid

from django.db import migrations
from django.utils import timezone

FIRST_YEAR, LAST_YEAR = 2004, 2026

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("workcal", "CalendarYear")
    CalendarDay = apps.get_model("workcal", "CalendarDay")
    CalendarVersion = apps.get_model("workcal", "CalendarVersion")
    now = timezone.now()
    rows = []
    for day, name in chinese_calendar.holidays.items():
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            rows.append(CalendarDay(date=day, kind="holiday", name=NAMES.get(name, name or "")))
    for day, name in chinese_calendar.workdays.items():
        # make-up working days are always Saturdays or Sundays; a weekday entry would be implied anyway
        if FIRST_YEAR <= day.year <= LAST_YEAR and day.weekday() >= 5:
            rows.append(CalendarDay(date=day, kind="makeup_workday", name=NAMES.get(name, name or "")))
    rows.sort(key=lambda row: row.date)
    CalendarDay.objects.bulk_create(rows, batch_size=500)
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(year=year, source="chinesecalendar", title=f"chinesecalendar {year}", loaded_at=now)
            for year in range(FIRST_YEAR, LAST_YEAR + 1)
        ]
    )
    CalendarVersion.objects.update_or_create(id=1, defaults={"version": 1, "stamp": uuid.uuid4().hex})


def unseed(apps, schema_editor):
    apps.get_model("workcal", "CalendarDay").objects.filter(
        region__isnull=True, date__year__gte=FIRST_YEAR, date__year__lte=LAST_YEAR
    ).delete()
    apps.get_model("workcal", "CalendarYear").objects.filter(
        year__gte=FIRST_YEAR, year__lte=LAST_YEAR, source="chinesecalendar"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workcal", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
