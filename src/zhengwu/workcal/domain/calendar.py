"""Domain functions of the working-day calendar: import a year, edit a day, and read-only summaries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.workcal.arith import (
    CHINESECALENDAR_YEARS,
    CalendarIndex,
    chinesecalendar_exceptions,
    current_index,
    forget_version,
    weekday_label,
)
from zhengwu.workcal.enums import CalendarSource, DayKind
from zhengwu.workcal.importer import CalendarFormatError, ParsedYear, parse_calendar_text
from zhengwu.workcal.models import CalendarDay, CalendarVersion, CalendarYear
from zhengwu.workcal.signals import calendar_changed

__all__ = [
    "CalendarImportResult",
    "YearSummary",
    "calendar_day_set",
    "calendar_missing_years",
    "calendar_year_import",
    "calendar_year_summary",
    "calendar_years_seed",
]


def _bump_version() -> None:
    updated = CalendarVersion.objects.filter(id=1).update(
        version=F("version") + 1, stamp=uuid.uuid4().hex, changed_at=timezone.now()
    )
    if not updated:
        CalendarVersion.objects.create(id=1, version=1, stamp=uuid.uuid4().hex)
    forget_version()


def _lock_calendar() -> None:
    """Serialise calendar writers on the version row (SQLite transactions are already exclusive)."""
    CalendarVersion.objects.select_for_update().filter(id=1).values_list("id", flat=True).first()


def _notify(years: Iterable[int]) -> None:
    years = sorted(set(years))
    transaction.on_commit(lambda: calendar_changed.send(sender=CalendarYear, years=years))


def _year_snapshot(year: int) -> dict[str, Any]:
    """Compact description of a year's national rows, for audit before/after."""
    row = CalendarYear.objects.filter(year=year).values("source", "title").first()
    days = CalendarDay.objects.filter(region__isnull=True, date__year=year).order_by("date")
    holidays: dict[str, list[str]] = {}
    makeup: list[str] = []
    for d, kind, name in days.values_list("date", "kind", "name"):
        if kind == DayKind.HOLIDAY:
            holidays.setdefault(name or "法定节假日", []).append(d.isoformat())
        elif kind == DayKind.MAKEUP_WORKDAY:
            makeup.append(d.isoformat())
        else:
            holidays.setdefault(f"[{kind}]", []).append(d.isoformat())
    return {"loaded": row is not None, **(row or {}), "holidays": holidays, "makeup_workdays": makeup}


@dataclass(frozen=True)
class CalendarImportResult:
    year: int
    holiday_days: int
    makeup_days: int
    replaced: bool
    parsed: ParsedYear = field(compare=False)


def calendar_year_import(*, actor: Any, text: str) -> CalendarImportResult:
    """Replace the national arrangement of one year by the parsed text, atomically; bad text changes nothing."""
    try:
        parsed = parse_calendar_text(text)
    except CalendarFormatError as exc:
        raise ValidationError(exc.messages) from exc
    days = parsed.days()
    with audited_atomic():
        _lock_calendar()
        existing = CalendarYear.objects.select_for_update().filter(year=parsed.year).first()
        before = _year_snapshot(parsed.year) if existing else None
        CalendarDay.objects.filter(region__isnull=True, date__year=parsed.year).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, kind=kind, name=name) for d, (kind, name) in sorted(days.items())]
        )
        values = {
            "source": CalendarSource.IMPORTED,
            "title": parsed.title[:200],
            "text": text,
            "loaded_at": timezone.now(),
            "loaded_by": actor if getattr(actor, "is_authenticated", False) else None,
        }
        row, _created = CalendarYear.objects.update_or_create(year=parsed.year, defaults=values)
        _bump_version()
        audit_record(
            actor=actor,
            action="workcal.calendar_year.imported",
            obj=row,
            before=before,
            after=_year_snapshot(parsed.year),
        )
        _notify([parsed.year])
    kinds = [kind for kind, _name in days.values()]
    return CalendarImportResult(
        year=parsed.year,
        holiday_days=kinds.count(DayKind.HOLIDAY),
        makeup_days=kinds.count(DayKind.MAKEUP_WORKDAY),
        replaced=existing is not None,
        parsed=parsed,
    )


def _implied_kind(d: date) -> DayKind:
    return DayKind.WORKDAY if d.weekday() < 5 else DayKind.WEEKEND


def _inherited(d: date, region) -> tuple[str, str]:
    """The day as it would be without `region`'s own override: ancestors' overrides, else national, else weekday."""
    chain = []
    node = region.parent if region is not None else None
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    rows = {
        region_id: (kind, name)
        for kind, name, region_id in CalendarDay.objects.filter(date=d).values_list("kind", "name", "region_id")
        if region_id is None or region_id in chain
    }
    for pk in chain:
        if pk in rows:
            return rows[pk]
    return rows.get(None, (_implied_kind(d), ""))


def calendar_day_set(*, actor: Any, date: date, kind: str, name: str = "", region=None) -> CalendarDay | None:
    """Set one day's kind (and holiday name), nationally or as a local override; returns the row or None if
    the day is back to its default. Audited; sends calendar_changed after commit."""
    day = date
    try:
        kind = DayKind(kind)
    except ValueError:
        raise ValidationError({"kind": _("未知的日期类型。")}) from None
    name = (name or "").strip()
    weekend = day.weekday() >= 5
    if kind == DayKind.MAKEUP_WORKDAY and not weekend:
        raise ValidationError({"kind": _("调休上班日必须是星期六或星期日。")})
    if kind == DayKind.WEEKEND and not weekend:
        raise ValidationError({"kind": _("周一至周五不能设为周末休息日；放假请选择“法定节假日”并填写名称。")})
    if kind == DayKind.WORKDAY and weekend:
        raise ValidationError({"kind": _("星期六、星期日上班请选择“调休上班日”。")})
    if kind == DayKind.HOLIDAY and not name:
        raise ValidationError({"name": _("法定节假日须填写名称，如“春节”。")})
    if len(name) > 60:
        raise ValidationError({"name": _("名称不能超过 60 个字。")})
    if kind in (DayKind.WORKDAY, DayKind.WEEKEND):
        name = ""
    with audited_atomic():
        _lock_calendar()
        year_row = CalendarYear.objects.select_for_update().filter(year=day.year).first()
        if region is None and year_row is None:
            raise ValidationError({"date": _("%(year)s 年工作日历尚未导入，请先导入该年度安排。") % {"year": day.year}})
        current = CalendarDay.objects.select_for_update().filter(date=day, region=region).first()
        default = (_implied_kind(day), "") if region is None else _inherited(day, region)
        before = {"kind": current.kind, "name": current.name} if current else {"kind": default[0], "name": default[1]}
        after = {"kind": str(kind), "name": name}
        if before == after:
            return current
        if (kind, name) == tuple(default):
            if current is not None:
                current.delete()
            row = None
        elif current is None:
            row = CalendarDay.objects.create(date=day, kind=kind, name=name, region=region)
        else:
            current.kind, current.name = kind, name
            current.save(update_fields=["kind", "name"])
            row = current
        if region is None:
            year_row.source = CalendarSource.EDITED
            year_row.loaded_at = timezone.now()
            year_row.loaded_by = actor if getattr(actor, "is_authenticated", False) else None
            year_row.save(update_fields=["source", "loaded_at", "loaded_by"])
        _bump_version()
        scope = f"@{region.code}" if region is not None else ""
        audit_record(
            actor=actor,
            action="workcal.calendar_day.set",
            object_type="workcal.calendarday",
            object_id=f"{day.isoformat()}{scope}",
            object_repr=f"{day.isoformat()}（{weekday_label(day)}）{region.name if region is not None else '全国'}",
            before=before,
            after={**after, "region": region.code if region is not None else None},
        )
        _notify([day.year])
    return row


def calendar_years_seed(
    *, actor: Any, years: Iterable[int] = CHINESECALENDAR_YEARS, replace: bool = False
) -> list[int]:
    """Load years from the `chinesecalendar` package (those not loaded yet, or all with replace=True)."""
    years = sorted(set(years) & set(CHINESECALENDAR_YEARS))
    with audited_atomic():
        _lock_calendar()
        present = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
        todo = years if replace else [y for y in years if y not in present]
        if not todo:
            return []
        CalendarDay.objects.filter(region__isnull=True, date__year__in=todo).delete()
        CalendarYear.objects.filter(year__in=todo).delete()
        exceptions = chinesecalendar_exceptions(todo)
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, kind=kind, name=name) for d, (kind, name) in sorted(exceptions.items())],
            batch_size=500,
        )
        now = timezone.now()
        loaded_by = actor if getattr(actor, "is_authenticated", False) else None
        CalendarYear.objects.bulk_create(
            [
                CalendarYear(
                    year=y,
                    source=CalendarSource.CHINESECALENDAR,
                    title=f"chinesecalendar {y}",
                    loaded_at=now,
                    loaded_by=loaded_by,
                )
                for y in todo
            ]
        )
        _bump_version()
        audit_record(
            actor=actor,
            action="workcal.calendar_year.seeded",
            object_type="workcal.calendaryear",
            object_id=f"{todo[0]}-{todo[-1]}" if len(todo) > 1 else str(todo[0]),
            object_repr=f"{todo[0]}–{todo[-1]} 年" if len(todo) > 1 else f"{todo[0]} 年",
            after={"years": todo, "source": CalendarSource.CHINESECALENDAR.value},
        )
        _notify(todo)
    return todo


# ---- read-only ---------------------------------------------------------------------------------
def calendar_missing_years(today: date) -> list[int]:
    """Of this year and next year, those whose arrangement is not loaded (arithmetic is provisional there)."""
    wanted = [today.year, today.year + 1]
    present = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return [y for y in wanted if y not in present]


@dataclass(frozen=True)
class HolidayRun:
    name: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class YearSummary:
    year: int
    loaded: bool
    source: str
    source_label: str
    title: str
    loaded_at: Any
    holidays: list[HolidayRun]
    makeup_days: list[tuple[date, str]]
    working_days_by_month: list[int]

    @property
    def working_days(self) -> int:
        return sum(self.working_days_by_month)


def calendar_year_summary(year: int, *, index: CalendarIndex | None = None) -> YearSummary:
    index = index or current_index()
    row = CalendarYear.objects.filter(year=year).first()
    first, last = date(year, 1, 1), date(year, 12, 31)
    days = index.days_between(first - timedelta(days=1), last)
    runs: list[HolidayRun] = []
    for info in days:
        if info.kind != DayKind.HOLIDAY:
            continue
        if runs and runs[-1].last + timedelta(days=1) == info.date:
            prev = runs[-1]
            names = prev.name.split("、")
            name = prev.name if not info.name or info.name in names else f"{prev.name}、{info.name}"
            runs[-1] = HolidayRun(name, prev.first, info.date)
        else:
            runs.append(HolidayRun(info.name, info.date, info.date))
    by_month = [
        index.working_days_between(date(year, m, 1) - timedelta(days=1), _month_last(year, m)) for m in range(1, 13)
    ]
    return YearSummary(
        year=year,
        loaded=row is not None,
        source=row.source if row else "",
        source_label=CalendarSource(row.source).label if row else "",
        title=row.title if row else "",
        loaded_at=row.loaded_at if row else None,
        holidays=runs,
        makeup_days=[(info.date, info.name) for info in days if info.kind == DayKind.MAKEUP_WORKDAY],
        working_days_by_month=by_month,
    )


def _month_last(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
