"""The clock ladder (预警 → 黄牌 → 红牌) as set-based conditions on stored clock columns.

For a running clock with `total` = limit + extensions and the local date `today` of the sweep:

* WARNING from `warn_at` (one working day before due, workcal) or once the used share of the period
  reaches `warn_ratio`: used = total − working days left in (today, due_date], so the share condition is
  `due_date < add_working_days(today, m + 1)` with m = total − ceil(ratio × total) (calendar-day clocks:
  `today + m + 1`).
* YELLOW once overdue: now > due_at.
* RED when still open `red_after_working_days` (N) working days after the yellow card: at least N working
  days in (due_date, yesterday], i.e. `due_date <= red_cutoff(today)`.

Every bound is a date computed once per (calendar, unit, total) in Python with the workcal index; the
rows are filtered in SQL by comparing stored columns to those dates. The (region, unit, total) keys of
running clocks are read once per full sweep and carried to the next runs (new or extended clocks are
changed clocks, so an incremental sweep adds their keys).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models import IntegerField as _Int

from zhengwu.org.models import Region
from zhengwu.supervision.enums import AlertLevel
from zhengwu.supervision.points import SweepContext
from zhengwu.workcal.arith import CalendarIndex, current_index
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.models.clock import Clock, due_soon_working_days, local_date, start_of_day

LadderKey = tuple[int | None, str, int]  # (region_id, unit, total)

KEYS_STATE = "ladder_keys"


def indexes(region_ids) -> dict[int | None, CalendarIndex]:
    regions = {r.pk: r for r in Region.objects.filter(pk__in=[r for r in region_ids if r is not None])}
    return {rid: current_index(regions.get(rid)) if rid is not None else current_index() for rid in region_ids}


def ratio_bound(index: CalendarIndex, unit: str, total: int, ratio: float, today: date) -> date:
    """WARNING by share iff due_date < this date."""
    used = max(1, math.ceil(ratio * total - 1e-9))
    left = max(0, total - used)
    if unit == DeadlineUnit.WORKING:
        return index.add_working_days(today, left + 1)
    return today + timedelta(days=left + 1)


def red_bound(index: CalendarIndex, today: date, days: int) -> date:
    """RED iff due_date < this date: N working days have passed after the due date, before today."""
    yesterday = today - timedelta(days=1)
    cutoff = yesterday
    while index.working_days_between(cutoff, yesterday) < days:
        cutoff -= timedelta(days=1)
    return cutoff + timedelta(days=1)


def _running_keys(clocks: QuerySet) -> set[LadderKey]:
    rows = (
        clocks.filter(status=ClockStatus.RUNNING)
        .order_by()
        .annotate(zw_total=F("limit_days") + F("extension_days"))
        .values_list("region_id", "unit", "zw_total")
        .distinct()
    )
    return {(r, u, t) for r, u, t in rows}


def ladder_keys(ctx: SweepContext, clocks: QuerySet) -> set[LadderKey]:
    """The (region, unit, total) keys of running clocks: read in full on a full sweep; on an incremental
    one, the previous run's keys plus those of clocks changed since."""
    cache_key = f"{KEYS_STATE}:{clocks.model._meta.label_lower}:{clocks.query}"
    if cache_key in ctx.cache:
        return ctx.cache[cache_key]
    previous = ctx.previous.get(KEYS_STATE)
    if ctx.since is None or previous is None:
        keys = _running_keys(clocks)
    else:
        keys = {tuple(k) for k in previous} | _running_keys(clocks.filter(updated_at__gte=ctx.since))
    stored = {tuple(k) for k in ctx.persist.get(KEYS_STATE, [])} | keys
    ctx.persist[KEYS_STATE] = sorted(stored, key=lambda k: (k[0] or 0, k[1], k[2]))
    ctx.cache[cache_key] = keys
    return keys


@dataclass
class Ladder:
    """Conditions for clocks reached through `prefix` (e.g. "handling_clock__") at one instant."""

    prefix: str
    now: datetime
    keys: set[LadderKey]
    warn_ratio: float
    red_days: int

    def __post_init__(self) -> None:
        self.today = local_date(self.now)
        self._indexes = indexes({k[0] for k in self.keys} | {None})

    def _f(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def _region_q(self, region_ids: list[int | None]) -> Q:
        q = Q(**{self._f("region_id__in"): [r for r in region_ids if r is not None]})
        if None in region_ids:
            q |= Q(**{self._f("region__isnull"): True})
        return q

    def ratio_terms(self, today: date) -> dict[tuple[date, str], list[tuple[int | None, int]]]:
        terms: dict[tuple[date, str], list[tuple[int | None, int]]] = defaultdict(list)
        for region_id, unit, total in self.keys:
            bound = ratio_bound(self._indexes[region_id], unit, total, self.warn_ratio, today)
            terms[(bound, unit)].append((region_id, total))
        return terms

    def ratio_q(self) -> Q:
        q = Q(pk__in=[])
        for (bound, unit), members in self.ratio_terms(self.today).items():
            by_total: dict[int, list[int | None]] = defaultdict(list)
            for region_id, total in members:
                by_total[total].append(region_id)
            for total, region_ids in by_total.items():
                q |= self._region_q(region_ids) & Q(
                    **{self._f("unit"): unit, "zw_total": total, self._f("due_date__lt"): bound}
                )
        return q

    def red_bounds(self, today: date) -> dict[date, list[int | None]]:
        bounds: dict[date, list[int | None]] = defaultdict(list)
        for region_id in sorted({k[0] for k in self.keys} | {None}, key=lambda r: r or 0):
            bounds[red_bound(self._indexes[region_id], today, self.red_days)].append(region_id)
        return bounds

    def red_q(self) -> Q:
        q = Q(pk__in=[])
        for bound, region_ids in self.red_bounds(self.today).items():
            q |= self._region_q(region_ids) & Q(**{self._f("due_date__lt"): bound})
        return q

    def horizon(self) -> datetime:
        """Every clock on the ladder has due_at before this instant (for the status/due_at index)."""
        soon = max(idx.add_working_days(self.today, due_soon_working_days() + 1) for idx in self._indexes.values())
        bounds = [bound for bound, _unit in self.ratio_terms(self.today)]
        return start_of_day(max([soon, *bounds]))

    def annotate(self, qs: QuerySet) -> QuerySet:
        return qs.annotate(zw_total=F(self._f("limit_days")) + F(self._f("extension_days")))

    def on_ladder(self) -> Q:
        return Q(**{self._f("status"): ClockStatus.RUNNING, self._f("due_at__lt"): self.horizon()}) & (
            Q(**{self._f("warn_at__lte"): self.now}) | self.ratio_q()
        )

    def level(self) -> Case:
        return Case(
            When(self.red_q(), then=Value(AlertLevel.RED)),
            When(Q(**{self._f("due_at__lt"): self.now}), then=Value(AlertLevel.YELLOW)),
            default=Value(AlertLevel.WARNING),
            output_field=_Int(),
        )

    def crossed_since(self, since: datetime) -> Q:
        """Running clocks (fields without prefix) whose rung may have changed by time alone in (since, now]."""
        q = Q(warn_at__gt=since, warn_at__lte=self.now) | Q(due_at__gte=since, due_at__lt=self.now)
        then = local_date(since)
        if then != self.today:
            earlier, later = self.ratio_terms(then), self.ratio_terms(self.today)
            lows = [b for b, _u in earlier] or [self.today]
            highs = [b for b, _u in later] or [self.today]
            q |= Q(due_at__gte=start_of_day(min(lows)), due_at__lt=start_of_day(max(highs)))
            lows = list(self.red_bounds(then)) or [self.today]
            highs = list(self.red_bounds(self.today)) or [self.today]
            q |= Q(due_at__gte=start_of_day(min(lows)), due_at__lt=start_of_day(max(highs)))
        return Q(status=ClockStatus.RUNNING) & q


def clock_ladder(ctx: SweepContext, *, prefix: str, clocks: QuerySet[Clock]) -> Ladder:
    return Ladder(
        prefix=prefix,
        now=ctx.now,
        keys=ladder_keys(ctx, clocks),
        warn_ratio=float(ctx.threshold("warn_ratio")),
        red_days=int(ctx.threshold("red_after_working_days")),
    )
