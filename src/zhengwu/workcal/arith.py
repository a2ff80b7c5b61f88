"""Working-day arithmetic over a precomputed index: pure functions, O(1) per call, no DB in the hot path.

Days are numbered by `date.toordinal()`. C(o) counts the working days in ordinals [1, o]; P(k) is the
ordinal of the k-th working day. Inside the indexed span both are list lookups; outside it the
calendar is Mon–Fri and both have closed forms. Then:
  add_working_days(d, n)      = P(C(d) + n)             (民法典 Art. 201: the start day is not counted)
  working_days_between(a, b)  = C(b) - C(a)
  next_working_day(d)         = P(C(d) + 1)
A year that is not loaded falls back to Mon–Fri and is reported as provisional.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from zhengwu.workcal.enums import DayKind, DeadlineUnit

__all__ = [
    "CalendarIndex",
    "DayInfo",
    "build_index",
    "chinesecalendar_exceptions",
    "current_index",
    "effective_start_date",
    "explain_deadline",
    "forget_version",
    "index_from_chinesecalendar",
    "invalidate_index",
    "remember_version",
    "version_columns_sql",
    "version_wanted",
    "weekday_label",
    "working_days_elapsed",
]

# kind codes in the per-day bytearray
_WORKDAY, _WEEKEND, _HOLIDAY, _MAKEUP = 0, 1, 2, 3
_KIND_BY_CODE = (DayKind.WORKDAY, DayKind.WEEKEND, DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY)
_CODE_BY_KIND = {kind: code for code, kind in enumerate(_KIND_BY_CODE)}
_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
DEFAULT_CLOSING_TIME = time(17, 30)


def weekday_label(d: date) -> str:
    return _WEEKDAYS[d.weekday()]


def _mf_count(o: int) -> int:
    """Mon–Fri days among ordinals [1, o] (ordinal 1 = 0001-01-01, a Monday)."""
    return 5 * (o // 7) + min(o % 7, 5)


def _mf_nth(k: int) -> int:
    """Ordinal of the k-th Mon–Fri day (k >= 1)."""
    q, r = divmod(k - 1, 5)
    return 7 * q + r + 1


def _default_code(o: int) -> int:
    return _WORKDAY if (o - 1) % 7 < 5 else _WEEKEND


@dataclass(frozen=True)
class DayInfo:
    date: date
    kind: DayKind
    name: str
    provisional: bool

    @property
    def is_working(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


class CalendarIndex:
    """Immutable index over [first, last]; Mon–Fri closed forms outside it."""

    def __init__(
        self,
        *,
        exceptions: Mapping[date, tuple[str, str]],
        loaded_years: Iterable[int],
        first: date | None = None,
        last: date | None = None,
        version_key: object = None,
    ) -> None:
        self.loaded_years: frozenset[int] = frozenset(loaded_years)
        self.version_key = version_key
        this_year = date.today().year
        years = {*self.loaded_years, *(d.year for d in exceptions), this_year - 1, this_year + 3}
        first = first or date(min(years), 1, 1)
        last = last or date(max(years), 12, 31)
        base, end = first.toordinal(), last.toordinal()
        size = end - base + 1
        codes = bytearray(_default_code(base + i) for i in range(size))
        names: dict[int, str] = {}
        for day, (kind, name) in exceptions.items():
            o = day.toordinal()
            if base <= o <= end:
                codes[o - base] = _CODE_BY_KIND[DayKind(kind)]
                if name:
                    names[o] = name
        lead = _mf_count(base - 1)
        rcum = [0] * size  # C(o) - lead - 1 for o = base + i: index into pos_dates of the next working day - 1
        pos: list[int] = []  # ordinals of the working days in the span, in order
        count = -1
        for i, code in enumerate(codes):
            if code in (_WORKDAY, _MAKEUP):
                count += 1
                pos.append(base + i)
            rcum[i] = count
        self.first, self.last = first, last
        self._base, self._end, self._size = base, end, size
        self._codes = bytes(codes)
        self._work = bytes(1 if c in (_WORKDAY, _MAKEUP) else 0 for c in codes)
        self._names = names
        self._lead = lead
        self._rcum = rcum
        self._pos = pos
        self._npos = len(pos)
        self._cend = lead + len(pos)  # C(end)
        self._mfend = _mf_count(end)
        self._dates = [date.fromordinal(base + i) for i in range(size)]
        self._pos_dates = [self._dates[o - base] for o in pos]

    # ---- the two primitives -------------------------------------------------------------------
    def _count(self, o: int) -> int:
        """C(o): working days among ordinals [1, o]."""
        if o < self._base:
            return _mf_count(o)
        if o > self._end:
            return self._cend + _mf_count(o) - self._mfend
        return self._rcum[o - self._base] + self._lead + 1

    def _nth(self, k: int) -> int:
        """P(k): ordinal of the k-th working day (k >= 1)."""
        if k <= self._lead:
            return _mf_nth(k)
        if k <= self._cend:
            return self._pos[k - self._lead - 1]
        return _mf_nth(k - self._cend + self._mfend)

    # ---- public API -------------------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        i = d.toordinal() - self._base
        if 0 <= i < self._size:
            return self._work[i] == 1
        return d.weekday() < 5

    def is_provisional(self, d: date) -> bool:
        return d.year not in self.loaded_years

    def provisional_years(self, a: date, b: date) -> list[int]:
        """Years touched by [a, b] that are not loaded (computed Mon–Fri)."""
        lo, hi = (a, b) if a <= b else (b, a)
        return [y for y in range(lo.year, hi.year + 1) if y not in self.loaded_years]

    def day_info(self, d: date) -> DayInfo:
        o = d.toordinal()
        i = o - self._base
        code = self._codes[i] if 0 <= i < self._size else _default_code(o)
        return DayInfo(d, _KIND_BY_CODE[code], self._names.get(o, ""), d.year not in self.loaded_years)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start not counted). n = 0 returns start."""
        i = start.toordinal() - self._base
        if n > 0 and 0 <= i < self._size:
            j = self._rcum[i] + n
            if j < self._npos:
                return self._pos_dates[j]
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return start
        return date.fromordinal(self._nth(self._count(start.toordinal()) + n))

    def add_working_days_ordinal(self, o: int, n: int) -> int:
        """Ordinal form of add_working_days for bulk callers (n >= 1)."""
        i = o - self._base
        if 0 <= i < self._size:
            j = self._rcum[i] + n
            if j < self._npos:
                return self._pos[j]
        return self._nth(self._count(o) + n)

    def add_calendar_days(self, start: date, n: int) -> date:
        """start + n days; a last day that is a rest day rolls forward to the next working day (Art. 203)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        o = start.toordinal() + n
        i = o - self._base
        if 0 <= i < self._size:
            if self._work[i]:
                return self._dates[i]
            j = self._rcum[i] + 1
            if j < self._npos:
                return self._pos_dates[j]
        elif (o - 1) % 7 < 5:
            return date.fromordinal(o)
        return date.fromordinal(self._nth(self._count(o) + 1))

    def next_working_day(self, d: date) -> date:
        """First working day strictly after d."""
        return self.add_working_days(d, 1)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (0 if b <= a)."""
        if b <= a:
            return 0
        return self._count(b.toordinal()) - self._count(a.toordinal())

    def days_between(self, a: date, b: date) -> list[DayInfo]:
        """Every day in (a, b] with its kind (for explanations and calendars; O(b - a))."""
        return [self.day_info(date.fromordinal(o)) for o in range(a.toordinal() + 1, b.toordinal() + 1)]

    def non_working_days_between(self, a: date, b: date) -> list[DayInfo]:
        """Rest days and holidays in (a, b]."""
        return [info for info in self.days_between(a, b) if not info.is_working]

    def makeup_days_between(self, a: date, b: date) -> list[DayInfo]:
        """Make-up working days in (a, b]."""
        return [info for info in self.days_between(a, b) if info.kind == DayKind.MAKEUP_WORKDAY]


# ---- building and caching ---------------------------------------------------------------------
def build_index(region=None, *, version_key: object = None) -> CalendarIndex:
    """Read the calendar from the database: national rows, then overrides of the region's ancestors and the region."""
    from zhengwu.workcal.models import CalendarDay, CalendarYear

    exceptions: dict[date, tuple[str, str]] = {
        d: (kind, name)
        for d, kind, name in CalendarDay.objects.filter(region__isnull=True).values_list("date", "kind", "name")
    }
    if region is not None:
        chain = []
        node = region
        while node is not None:
            chain.append(node.pk)
            node = node.parent
        depth = {pk: level for level, pk in enumerate(reversed(chain))}
        rows = CalendarDay.objects.filter(region_id__in=chain).values_list("date", "kind", "name", "region_id")
        for d, kind, name, _region_id in sorted(rows, key=lambda row: depth[row[3]]):
            exceptions[d] = (kind, name)
    years = CalendarYear.objects.values_list("year", flat=True)
    return CalendarIndex(exceptions=exceptions, loaded_years=years, version_key=version_key)


_lock = threading.Lock()
_cache: dict[object, CalendarIndex] = {}


_VERSION_MEMO = "_zhengwu_calendar_version"
_VERSION_SQL: dict[str, str] = {}  # per database vendor


def _transaction_block(connection) -> object | None:
    # The transaction: the application's outermost block (a test case's wrapping transaction stands for no
    # transaction) together with the connection's on-commit list, which Django replaces at every commit and
    # rollback (an @atomic-decorated function enters the same block object on every call).
    return next((b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)), None)


def _memo(connection, block) -> tuple | None:
    memo = getattr(connection, _VERSION_MEMO, None)
    if block is not None and memo is not None and memo[0] is block and memo[1] is connection.run_on_commit:
        return memo
    return None


def _remember(connection, block, row) -> tuple[int, str] | None:
    key = tuple(row) if row is not None and row[0] is not None else None  # (None, None): no version row
    setattr(connection, _VERSION_MEMO, (block, connection.run_on_commit, key) if block is not None else None)
    return key


def version_columns_sql(connection) -> str:
    """The calendar version as two scalar subqueries, for a statement that runs anyway to read it along (the
    clock's lock read): then `remember_version` with the two values, and the transaction does not read it again."""
    from zhengwu.workcal.models import CalendarVersion

    table = connection.ops.quote_name(CalendarVersion._meta.db_table)
    return f"(SELECT version FROM {table} WHERE id = 1), (SELECT stamp FROM {table} WHERE id = 1)"


def version_wanted(connection) -> bool:
    """Whether this transaction (an application atomic block on `connection`) has not read the calendar version."""
    block = _transaction_block(connection)
    return block is not None and _memo(connection, block) is None


def remember_version(connection, row) -> None:
    """The calendar version (version, stamp) read along by a statement of this transaction (see version_wanted)."""
    _remember(connection, _transaction_block(connection), row)


def _version_key() -> tuple[int, str] | None:
    """The calendar's version row, read once per transaction (a transaction sees one calendar; one that
    changes the calendar forgets the memo, see forget_version)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    # The connection itself, not django.db.connection: each attribute of that proxy is a context-local lookup.
    connection = connections[DEFAULT_DB_ALIAS]
    block = _transaction_block(connection)
    memo = _memo(connection, block)
    if memo is not None:
        return memo[2]
    sql = _VERSION_SQL.get(connection.vendor)
    if sql is None:
        from zhengwu.workcal.models import CalendarVersion

        table = connection.ops.quote_name(CalendarVersion._meta.db_table)
        sql = _VERSION_SQL[connection.vendor] = f"SELECT version, stamp FROM {table} WHERE id = 1"
    from zhengwu.core.rows import statement_cursor

    with statement_cursor(connection) as cursor:  # hand-written: it runs in every clock operation
        cursor.execute(sql)
        row = cursor.fetchone()
    return _remember(connection, block, row)


def forget_version() -> None:
    from django.db import DEFAULT_DB_ALIAS, connections

    setattr(connections[DEFAULT_DB_ALIAS], _VERSION_MEMO, None)


def current_index(region=None) -> CalendarIndex:
    """The process-wide index, rebuilt when the calendar's version row changes (one tiny query per
    transaction, or per call outside one). `region` is a Region, its id, or None (national).

    Call it once per request or batch and reuse the index; its methods never touch the database.
    """
    key = _version_key()
    cache_key = region if region is None or isinstance(region, int) else region.pk
    index = _cache.get(cache_key)
    if index is not None and index.version_key == key:
        return index
    with _lock:
        if isinstance(region, int):
            from zhengwu.org.models import Region

            region = Region.objects.get(pk=region)
        index = build_index(region, version_key=key)
        _cache[cache_key] = index
    return index


def invalidate_index() -> None:
    forget_version()
    with _lock:
        _cache.clear()


# ---- helpers on instants ----------------------------------------------------------------------
def _closing_time(closing_time: time | None) -> time:
    if closing_time is not None:
        return closing_time
    from django.conf import settings

    value = getattr(settings, "WORKCAL_CLOSING_TIME", None) or DEFAULT_CLOSING_TIME
    if isinstance(value, str):
        value = time.fromisoformat(value)
    return value


def _local(dt: datetime, tz: tzinfo | None = None) -> datetime:
    from django.utils import timezone

    return timezone.localtime(dt, tz) if timezone.is_aware(dt) else dt


def effective_start_date(
    received_at: datetime,
    *,
    closing_time: time | None = None,
    index: CalendarIndex | None = None,
    tz: tzinfo | None = None,
) -> date:
    """Local date of receipt; after closing time or on a non-working day: the next working day. `tz`: the current
    time zone, when the caller has it."""
    index = index or current_index()
    local = _local(received_at, tz)
    day = local.date()
    if not index.is_working_day(day) or local.time() >= _closing_time(closing_time):
        return index.next_working_day(day)
    return day


def working_days_elapsed(
    received_at: datetime, at: datetime, *, closing_time: time | None = None, index: CalendarIndex | None = None
) -> int:
    """Working days that have begun after the effective start date, up to and including the local date of `at`."""
    index = index or current_index()
    start = effective_start_date(received_at, closing_time=closing_time, index=index)
    return index.working_days_between(start, _local(at).date())


# ---- explanation ------------------------------------------------------------------------------
def _fmt(d: date) -> str:
    return f"{d.isoformat()}（{weekday_label(d)}）"


def _describe(info: DayInfo) -> str:
    if info.kind == DayKind.HOLIDAY:
        return f"法定节假日（{info.name}）" if info.name else "法定节假日"
    if info.kind == DayKind.MAKEUP_WORKDAY:
        return f"调休上班日（{info.name}调休）" if info.name else "调休上班日"
    if info.kind == DayKind.WEEKEND:
        return "周末休息日"
    return "工作日"


def _holiday_runs(days: list[DayInfo]) -> list[tuple[date, date, list[str]]]:
    """Group consecutive holiday days into runs with their names in order of appearance."""
    runs: list[tuple[date, date, list[str]]] = []
    for info in days:
        if info.kind != DayKind.HOLIDAY:
            continue
        if runs and runs[-1][1] + timedelta(days=1) == info.date:
            first, _, names = runs[-1]
            if info.name and info.name not in names:
                names.append(info.name)
            runs[-1] = (first, info.date, names)
        else:
            runs.append((info.date, info.date, [info.name] if info.name else []))
    return runs


def _met_lines(days: list[DayInfo]) -> list[str]:
    lines = []
    for first, last, names in _holiday_runs(days):
        span = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
        label = "、".join(names) or "法定节假日"
        lines.append(f"期间内遇法定节假日 {label}：{span}，共 {(last - first).days + 1} 天，不计入。")
    weekends = [info.date for info in days if info.kind == DayKind.WEEKEND]
    if weekends:
        shown = "、".join(d.strftime("%m-%d") for d in weekends[:12]) + ("等" if len(weekends) > 12 else "")
        lines.append(f"期间内遇周末休息日 {len(weekends)} 天（{shown}），不计入。")
    for info in days:
        if info.kind == DayKind.MAKEUP_WORKDAY:
            lines.append(f"{_fmt(info.date)}为{_describe(info)}，计为工作日。")
    return lines


def explain_deadline(start: date, n: int, unit: str, *, index: CalendarIndex | None = None) -> tuple[date, list[str]]:
    """Due date and its derivation in Chinese, line by line. unit: "working" | "calendar"."""
    index = index or current_index()
    unit = DeadlineUnit(unit)
    if n < 1:
        raise ValueError("n must be >= 1")
    first_day = start + timedelta(days=1)
    lines = [
        f"起算日：{_fmt(start)}，{_describe(index.day_info(start))}。",
        f"依《民法典》第二百零一条，开始的当日不计入，自次日 {_fmt(first_day)}起算。",
    ]
    if unit == DeadlineUnit.WORKING:
        due = index.add_working_days(start, n)
        lines.append(f"期限：{n} 个工作日（不含法定节假日和休息日，含调休上班日）。")
        days = index.days_between(start, due)
        lines.extend(_met_lines(days))
        lines.append(f"第 {n} 个工作日为 {_fmt(due)}，即期限届满日。")
    else:
        nominal = start + timedelta(days=n)
        due = index.add_calendar_days(start, n)
        lines.append(f"期限：{n} 日（自然日，期间内的节假日照常计入）。")
        lines.append(f"第 {n} 日为 {_fmt(nominal)}，{_describe(index.day_info(nominal))}。")
        if due != nominal:
            rest = index.days_between(nominal - timedelta(days=1), due - timedelta(days=1))
            lines.extend(_met_lines(rest))
            lines.append(
                "依《民法典》第二百零三条，期间的最后一日是法定休假日的，以休假日结束的次日为最后一日："
                f"顺延至 {_fmt(due)}。"
            )
        lines.append(f"期限届满日：{_fmt(due)}。")
    missing = index.provisional_years(start, due)
    if missing:
        years = "、".join(str(y) for y in missing)
        lines.append(f"注意：{years} 年工作日历尚未导入，该年度按周一至周五临时计算，结果为临时结果。")
    return due, lines


# ---- the chinesecalendar package as a source --------------------------------------------------
CHINESECALENDAR_YEARS = range(2004, 2027)
CHINESECALENDAR_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def chinesecalendar_exceptions(years: Iterable[int] = CHINESECALENDAR_YEARS) -> dict[date, tuple[str, str]]:
    """Holidays and make-up days of the given years from the `chinesecalendar` package."""
    import chinese_calendar

    wanted = set(years)
    result: dict[date, tuple[str, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.year in wanted:
            result[day] = (DayKind.HOLIDAY, CHINESECALENDAR_NAMES.get(name, name or ""))
    for day, name in chinese_calendar.workdays.items():
        if day.year in wanted and day.weekday() >= 5:
            result[day] = (DayKind.MAKEUP_WORKDAY, CHINESECALENDAR_NAMES.get(name, name or ""))
    return result


def index_from_chinesecalendar(years: Iterable[int] = CHINESECALENDAR_YEARS) -> CalendarIndex:
    """An index built straight from the package (benchmarks, cross-checks), without the database."""
    years = list(years)
    return CalendarIndex(exceptions=chinesecalendar_exceptions(years), loaded_years=years)
