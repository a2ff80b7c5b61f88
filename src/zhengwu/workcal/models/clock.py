"""The statutory clock: one deadline attached to anything supervised.

Due-date semantics (ADR 0007), with S the effective start date and idx the working-day index:

* S: for a working-day clock, `arith.effective_start_date(started_at)` — the local date of receipt, or
  the next working day when received after closing time or on a non-working day; for a calendar-day
  clock, the local date of `started_at`. The start day itself is never counted (民法典 Art. 201).
* A closed pause from instant p to instant q suspends the days in (max(date(p), S), date(q)]: the
  day the pause begins still counts, the day it ends does not (counting resumes the next day, as
  Art. 201 does for a start). In the clock's unit: working days for a working clock, calendar days
  for a calendar clock. An open pause is counted as if it ended at the time of computation, so
  `due_at` of a paused clock is "the due date if the clock resumed now"; it is recomputed on resume.
* total = limit_days + extension_days + paused days (current run only).
* working: due_date = idx.add_working_days(S, total) — the total-th working day after S.
  calendar: due_date = idx.add_calendar_days(S, total) — S + total, a rest day rolled forward to the
  next working day (民法典 Art. 203).
* due_at = due_date at 23:59:59.999999 local time: the period ends at the end of its last day
  (民法典 Art. 203 第二款, 二十四时). A clock stopped at or before due_at is on time.
* warn_at = 00:00 local time of the working day that leaves WORKCAL_DUE_SOON_WORKING_DAYS (default 1)
  working days before due_date: from then on a running clock shows "due soon".
* provisional: some year in [received date, due_date] has no loaded calendar (Mon–Fri fallback).

Invariants: a pause never makes due earlier; an extension of +N moves a working clock's due by exactly
N working days; a restart discards the pauses and extensions of the previous run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.workcal.arith import CalendarIndex, current_index, effective_start_date
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus, DisplayStatus, PauseReason
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.presets import preset_choices, preset_name

__all__ = [
    "Clock",
    "ClockExtension",
    "ClockPause",
    "ClockQuerySet",
    "DueComputation",
    "compute_due",
    "display_status_next_change",
    "display_status_of",
    "display_status_q",
    "end_of_day",
    "local_date",
]

DEFAULT_DUE_SOON_WORKING_DAYS = 1


# `tz`: the current time zone when the caller already has it (timezone.get_current_timezone() is a context-local
# lookup; compute_due converts five times).
def local_date(dt: datetime, tz: tzinfo | None = None) -> date:
    return timezone.localtime(dt, tz).date() if timezone.is_aware(dt) else dt.date()


def end_of_day(d: date, tz: tzinfo | None = None) -> datetime:
    """23:59:59.999999 local time of d: the last instant of a period ending on d."""
    return timezone.make_aware(datetime.combine(d, time.max), tz)


def start_of_day(d: date, tz: tzinfo | None = None) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min), tz)


def due_soon_working_days() -> int:
    return int(getattr(settings, "WORKCAL_DUE_SOON_WORKING_DAYS", DEFAULT_DUE_SOON_WORKING_DAYS))


@dataclass(frozen=True)
class DueComputation:
    start_date: date
    paused: tuple[int, ...]  # days not counted, per pause, in the clock's unit
    total: int  # limit + extensions + paused
    due_date: date
    due_at: datetime
    warn_at: datetime
    provisional_years: tuple[int, ...]

    @property
    def paused_days(self) -> int:
        return sum(self.paused)

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)


def compute_due(
    *,
    index: CalendarIndex,
    unit: str,
    limit_days: int,
    started_at: datetime,
    extension_days: int,
    pauses: Sequence[tuple[datetime, datetime | None]],
    now: datetime,
) -> DueComputation:
    """Pure derivation of the due date (see the module docstring). `pauses`: (start, end or None) of the run."""
    tz = timezone.get_current_timezone()
    working = unit == DeadlineUnit.WORKING
    received = local_date(started_at, tz)
    start = effective_start_date(started_at, index=index, tz=tz) if working else received
    paused = []
    for p_start, p_end in pauses:
        end = p_end if p_end is not None else max(now, p_start)
        a, b = max(local_date(p_start, tz), start), local_date(end, tz)
        if working:
            paused.append(index.working_days_between(a, b))
        else:
            paused.append(max(0, (b - a).days))
    total = limit_days + extension_days + sum(paused)
    due = index.add_working_days(start, total) if working else index.add_calendar_days(start, total)
    warn = due
    remaining = due_soon_working_days()
    while remaining > 0:
        warn -= timedelta(days=1)
        if index.is_working_day(warn):
            remaining -= 1
    return DueComputation(
        start_date=start,
        paused=tuple(paused),
        total=total,
        due_date=due,
        due_at=end_of_day(due, tz),
        warn_at=start_of_day(warn, tz),
        provisional_years=tuple(index.provisional_years(received, due)),
    )


def display_status_of(
    *, status: str, outcome: str, due_at: datetime, warn_at: datetime, now: datetime
) -> DisplayStatus:
    """`Clock.display_status` from a clock's columns, for lists that read them without building the clock."""
    if status == ClockStatus.STOPPED:
        return DisplayStatus.STOPPED_LATE if outcome == ClockOutcome.LATE else DisplayStatus.STOPPED_ON_TIME
    if status == ClockStatus.PAUSED:
        return DisplayStatus.PAUSED
    if now > due_at:
        return DisplayStatus.OVERDUE
    if now >= warn_at:
        return DisplayStatus.DUE_SOON
    return DisplayStatus.RUNNING


def display_status_next_change(*, status: str, due_at: datetime, warn_at: datetime, now: datetime) -> datetime | None:
    """When `display_status_of` these columns next changes by the passing of time alone (None: only a change to the
    clock can change it)."""
    if status in (ClockStatus.STOPPED, ClockStatus.PAUSED):
        return None
    if now < warn_at:
        return warn_at
    if now <= due_at:
        return due_at + timedelta(microseconds=1)
    return None


def display_status_q(status: str, now: datetime, *, prefix: str = "") -> models.Q:
    """The rows whose clock shows `status` at `now`, as a filter: `Clock.display_status` in SQL. `prefix` reaches
    the clock through a relation (e.g. "clock__" from a task), for filters and conditional aggregates."""
    running = models.Q(**{f"{prefix}status": ClockStatus.RUNNING})
    stopped = {f"{prefix}status": ClockStatus.STOPPED}
    conditions = {
        DisplayStatus.RUNNING: running & models.Q(**{f"{prefix}warn_at__gt": now, f"{prefix}due_at__gte": now}),
        DisplayStatus.DUE_SOON: running & models.Q(**{f"{prefix}warn_at__lte": now, f"{prefix}due_at__gte": now}),
        DisplayStatus.OVERDUE: running & models.Q(**{f"{prefix}due_at__lt": now}),
        DisplayStatus.PAUSED: models.Q(**{f"{prefix}status": ClockStatus.PAUSED}),
        # As display_status: a stopped clock is late only when its outcome says so.
        DisplayStatus.STOPPED_ON_TIME: models.Q(**stopped) & ~models.Q(**{f"{prefix}outcome": ClockOutcome.LATE}),
        DisplayStatus.STOPPED_LATE: models.Q(**stopped, **{f"{prefix}outcome": ClockOutcome.LATE}),
    }
    return conditions[DisplayStatus(status)]


class ClockQuerySet(models.QuerySet):
    """Set-based views of the derived statuses, for lists and supervision (no per-row Python)."""

    def for_subject(self, subject: models.Model) -> ClockQuerySet:
        return self.filter(content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk))

    def open(self) -> ClockQuerySet:
        return self.exclude(status=ClockStatus.STOPPED)

    def with_display_status(self, status: str, now: datetime | None = None) -> ClockQuerySet:
        return self.filter(display_status_q(status, now or timezone.now()))

    def overdue(self, now: datetime | None = None) -> ClockQuerySet:
        return self.with_display_status(DisplayStatus.OVERDUE, now)

    def due_soon(self, now: datetime | None = None) -> ClockQuerySet:
        return self.with_display_status(DisplayStatus.DUE_SOON, now)


class Clock(models.Model):
    """A statutory period running for one subject. Change it only through workcal.domain.clock."""

    content_type = models.ForeignKey(  # indexed by workcal_clock_subject_idx
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    object_id = models.CharField(_("对象ID"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    subject_repr = models.CharField(_("计时对象"), max_length=300, blank=True)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("适用日历区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clocks",
        help_text=_("为空则按全国工作日历计算；填写则适用该区划的本地调整。"),
    )
    preset = models.CharField(_("法定期限"), max_length=60, choices=preset_choices, null=True, blank=True)
    unit = models.CharField(_("计算单位"), max_length=10, choices=DeadlineUnit.choices)
    limit_days = models.PositiveIntegerField(_("期限（日）"))
    received_at = models.DateTimeField(_("收到时间"))
    started_at = models.DateTimeField(_("本轮起算时间"), help_text=_("重新起算后为新的收到时间。"))
    start_date = models.DateField(_("起算日"), help_text=_("有效起算日；该日不计入期限。"))
    extension_days = models.PositiveIntegerField(_("已延长（日）"), default=0)
    paused_days = models.PositiveIntegerField(_("暂停不计（日）"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=ClockStatus.choices, default=ClockStatus.RUNNING)
    outcome = models.CharField(_("结果"), max_length=10, choices=ClockOutcome.choices, blank=True, default="")
    due_date = models.DateField(_("届满日"))
    due_at = models.DateTimeField(_("届满时间"), db_index=True, help_text=_("届满日当天 23:59:59（本地时间）。"))
    warn_at = models.DateTimeField(_("预警时间"), help_text=_("自此时起显示为“即将到期”。"))
    provisional = models.BooleanField(_("临时结果"), default=False, help_text=_("期间涉及尚未导入工作日历的年度。"))
    paused_at = models.DateTimeField(_("暂停开始"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)
    run = models.PositiveIntegerField(_("计时轮次"), default=1, help_text=_("每重新起算一次加一。"))
    restarted_at = models.DateTimeField(_("重新起算时间"), null=True, blank=True)
    restart_basis = models.TextField(_("重新起算依据"), blank=True)
    previous_due_at = models.DateTimeField(_("重算前届满时间"), null=True, blank=True)
    recomputed_at = models.DateTimeField(_("重算时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("法定计时")
        verbose_name_plural = _("法定计时")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="workcal_clock_subject_idx"),
            models.Index(fields=["status", "due_at"], name="workcal_clock_status_due_idx"),
        ]

    def __str__(self) -> str:
        # The preset's name as get_preset_display() gives it, without building every preset's choice (the audit
        # of every clock transition names the clock).
        label = preset_name(self.preset) if self.preset else f"{self.limit_days} {self.unit_label}"
        return f"{self.subject_repr or self.object_id} · {label}"

    @property
    def unit_label(self) -> str:
        return "个工作日" if self.unit == DeadlineUnit.WORKING else "日"

    @property
    def is_open(self) -> bool:
        return self.status != ClockStatus.STOPPED

    def display_status(self, now: datetime | None = None) -> DisplayStatus:
        return display_status_of(
            status=self.status,
            outcome=self.outcome,
            due_at=self.due_at,
            warn_at=self.warn_at,
            now=now or timezone.now(),
        )

    def display_status_changes_at(self, now: datetime | None = None) -> datetime | None:
        """When `display_status` next changes by the passing of time alone (None: only a change to the clock can
        change it)."""
        return display_status_next_change(
            status=self.status, due_at=self.due_at, warn_at=self.warn_at, now=now or timezone.now()
        )

    def elapsed_days(self, now: datetime | None = None, *, index: CalendarIndex | None = None) -> int:
        """Days of the period used up to the local date of `now` (stopped: of stopped_at), pauses excluded."""
        index = index or current_index(self.region)
        end = local_date(self.stopped_at or now or timezone.now())
        if self.unit == DeadlineUnit.WORKING:
            used = index.working_days_between(self.start_date, end)
            counted = index.working_days_between
        else:
            used = max(0, (end - self.start_date).days)

            def counted(a: date, b: date) -> int:
                return max(0, (b - a).days)

        for pause in self.pauses.filter(run=self.run):
            p_end = min(local_date(pause.ended_at), end) if pause.ended_at else end
            used -= counted(max(local_date(pause.started_at), self.start_date), p_end)
        return max(0, used)

    def elapsed_fraction(self, now: datetime | None = None, *, index: CalendarIndex | None = None) -> float:
        """Share of the period (limit + extensions) used; above 1.0 when overdue."""
        total = self.limit_days + self.extension_days
        return self.elapsed_days(now, index=index) / total if total else 0.0

    def explain(self, now: datetime | None = None) -> list[str]:
        from zhengwu.workcal.domain.clock import clock_explain

        return clock_explain(self, now=now)


class ClockPause(models.Model):
    """A suspension: the time it lasts is not counted (e.g. 《行政许可法》第四十五条)."""

    clock = models.ForeignKey(Clock, verbose_name=_("计时"), on_delete=models.CASCADE, related_name="pauses")
    run = models.PositiveIntegerField(_("计时轮次"))
    reason = models.CharField(_("暂停事由"), max_length=20, choices=PauseReason.choices)
    basis = models.TextField(_("依据与说明"))
    started_at = models.DateTimeField(_("暂停时间"))
    ended_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    expected_days = models.PositiveIntegerField(_("预计所需（日）"), null=True, blank=True)
    days_not_counted = models.PositiveIntegerField(_("不计入（日）"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("暂停操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("恢复操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("计时暂停")
        verbose_name_plural = _("计时暂停")
        ordering = ["clock", "started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock"], condition=models.Q(ended_at__isnull=True), name="workcal_clock_one_open_pause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class ClockExtension(models.Model):
    """An approved extension of +days (e.g. 《行政许可法》第四十二条)."""

    clock = models.ForeignKey(Clock, verbose_name=_("计时"), on_delete=models.CASCADE, related_name="extensions")
    run = models.PositiveIntegerField(_("计时轮次"))
    days = models.PositiveIntegerField(_("延长（日）"))
    basis = models.TextField(_("延长理由与依据"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("计时延长")
        verbose_name_plural = _("计时延长")
        ordering = ["clock", "approved_at", "pk"]

    def __str__(self) -> str:
        return f"+{self.days} {timezone.localtime(self.approved_at):%Y-%m-%d}"
