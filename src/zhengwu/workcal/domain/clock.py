"""Domain functions of the statutory clock: start, pause, resume, extend, restart, stop, recompute, explain.

Each transition locks the clock row (SELECT … FOR UPDATE), validates against the locked state, saves,
and writes exactly one audit event with the due date before and after. Bad input changes nothing.
The due-date rules are documented in workcal/models/clock.py and docs/adr/0007-statutory-clock.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.workcal.arith import DEFAULT_CLOSING_TIME, CalendarIndex, current_index, weekday_label
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus, PauseReason, pause_reason_basis
from zhengwu.workcal.domain.clock_rows import clock_insert, clock_lock, clock_update, clock_update_if_version
from zhengwu.workcal.enums import DayKind, DeadlineUnit
from zhengwu.workcal.models.clock import Clock, ClockExtension, ClockPause, DueComputation, compute_due, local_date
from zhengwu.workcal.presets import get_preset

if TYPE_CHECKING:
    from zhengwu.org.models import Region

__all__ = [
    "clock_explain",
    "clock_extend",
    "clock_lock",
    "clock_pause",
    "clock_recompute",
    "clock_restart",
    "clock_resume",
    "clock_start",
    "clock_stop",
    "clocks_explain",
    "clocks_recompute_for_years",
]

SYSTEM_CALENDAR = "system:calendar"
_UNITS = frozenset(DeadlineUnit.values)


# ---- helpers ----------------------------------------------------------------------------------
def _user(actor: Any) -> AbstractBaseUser | None:
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None


def _aware(dt: datetime) -> datetime:
    return dt if timezone.is_aware(dt) else timezone.make_aware(dt)


def _fmt_dt(dt: datetime) -> str:
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}"


def _fmt_d(d: date) -> str:
    return f"{d.isoformat()}（{weekday_label(d)}）"


def _closing_label() -> str:
    value = getattr(settings, "WORKCAL_CLOSING_TIME", None) or DEFAULT_CLOSING_TIME
    return str(value)[:5] if isinstance(value, str) else value.strftime("%H:%M")


def _lock(clock: Clock) -> Clock:
    return clock_lock(clock.pk)


def _run_pauses(clock: Clock) -> list[ClockPause]:
    # A clock at its first version was never changed since it started, so never paused (clock_pause, the only
    # writer of pause rows, saves the clock with its version raised): no query.
    if clock.version == 1:
        return []
    return list(ClockPause.objects.filter(clock=clock, run=clock.run).order_by("started_at", "pk"))


def _open_pause(pauses: list[ClockPause]) -> ClockPause | None:
    return next((p for p in pauses if p.ended_at is None), None)


def _compute(
    clock: Clock, pauses: list[ClockPause], *, now: datetime, index: CalendarIndex | None = None
) -> DueComputation:
    return compute_due(
        index=index or current_index(clock.region_id),
        unit=clock.unit,
        limit_days=clock.limit_days,
        started_at=clock.started_at,
        extension_days=clock.extension_days,
        pauses=[(p.started_at, p.ended_at) for p in pauses],
        now=now,
    )


def _apply(clock: Clock, pauses: list[ClockPause], comp: DueComputation) -> None:
    """Copy a computation onto the clock and its pause rows (pause rows saved here when changed)."""
    clock.start_date = comp.start_date
    clock.due_date = comp.due_date
    clock.due_at = comp.due_at
    clock.warn_at = comp.warn_at
    clock.provisional = comp.provisional
    clock.paused_days = comp.paused_days
    for pause, days in zip(pauses, comp.paused, strict=True):
        if pause.pk and pause.days_not_counted != days:
            pause.days_not_counted = days
            ClockPause.objects.filter(pk=pause.pk).update(days_not_counted=days)
        pause.days_not_counted = days


def _snapshot(clock: Clock) -> dict[str, Any]:
    return {
        "status": clock.status,
        "start_date": clock.start_date,
        "due_date": clock.due_date,
        "due_at": clock.due_at,
        "extension_days": clock.extension_days,
        "paused_days": clock.paused_days,
        "provisional": clock.provisional,
        "run": clock.run,
    }


def _local_values(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Datetimes in local time, so audit payloads read the same whatever tzinfo the caller passed."""
    if data is None:
        return None
    tz = timezone.get_current_timezone()
    return {k: timezone.localtime(v, tz) if isinstance(v, datetime) else v for k, v in data.items()}


def _audit(*, actor: Any, action: str, clock: Clock, before: dict | None = None, after: dict) -> None:
    audit_record(
        actor=actor,
        action=f"workcal.clock.{action}",
        obj=clock,
        before=_local_values(before),
        after=_local_values(after),
    )


# What _apply sets.
_DERIVED_FIELDS = ("start_date", "due_date", "due_at", "warn_at", "provisional", "paused_days")


def _save(clock: Clock, fields: tuple[str, ...] | None = None, *, if_version: int | None = None) -> bool:
    """Save with the version raised: every field, or only `fields` (which the caller changed). `if_version`:
    only while the row is still at that version (False when it is not, nothing written)."""
    clock.version += 1
    if fields is None:
        clock.save()
    elif if_version is None:
        clock_update(clock, (*fields, "version", "updated_at"))
    else:
        return clock_update_if_version(clock, (*fields, "version", "updated_at"), version=if_version)
    return True


def _sync(target: Clock, source: Clock) -> Clock:
    """Give the caller's instance the committed state without another query."""
    if target is not source:
        for field in Clock._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
        getattr(target, "_prefetched_objects_cache", {}).clear()
    return target


# `message` may be lazy (gettext_lazy): translated only when the check fails.
def _check_time(at: datetime, *, now: datetime, message: str, field: str = "at") -> None:
    if at > now:
        raise ValidationError({field: str(message)})


def _require_text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _positive_int(value: Any, field: str, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError({field: str(message)})
    return value


def _open_or_raise(clock: Clock, message: str) -> None:
    if clock.status == ClockStatus.STOPPED:
        raise ValidationError(message)


# ---- transitions ------------------------------------------------------------------------------
def clock_start(
    *,
    actor: Any,
    subject: models.Model,
    preset: str | None = None,
    unit: str | None = None,
    limit: int | None = None,
    received_at: datetime,
    region: Region | None = None,
    pk: int | None = None,
) -> Clock:
    """Start a clock for `subject`: a preset's period, or an explicit unit and limit (a promised limit
    may be shorter than the preset's statutory one, never longer). `pk`: the key the subject's row already
    points at (drawn with `row_insert(…, draw=…)`)."""
    now = timezone.now()
    chosen = None
    if preset:
        try:
            chosen = get_preset(preset)
        except KeyError:
            raise ValidationError({"preset": _("未知的法定期限：%(code)s。") % {"code": preset}}) from None
        if unit is not None and unit != chosen.unit:
            raise ValidationError(
                {
                    "unit": _("“%(name)s”按%(unit)s计算，不能改为其他单位。")
                    % {"name": chosen.name, "unit": chosen.unit.label}
                }
            )
        unit = chosen.unit
        limit = chosen.days if limit is None else limit
    if unit not in _UNITS:
        raise ValidationError({"unit": _("请选择计算单位：工作日或自然日。")})
    limit = _positive_int(limit, "limit", gettext_lazy("期限必须为正整数。"))
    if chosen is not None and limit > chosen.days:
        raise ValidationError(
            {
                "limit": _("期限不能超过法定期限 %(days)s %(unit)s（%(basis)s）。")
                % {"days": chosen.days, "unit": chosen.unit_label, "basis": chosen.legal_basis}
            }
        )
    if subject is None or subject.pk is None:
        raise ValidationError({"subject": _("计时对象尚未保存。")})
    if received_at is None:
        raise ValidationError({"received_at": _("请填写收到时间。")})
    received_at = _aware(received_at)
    _check_time(received_at, now=now, field="received_at", message=gettext_lazy("收到时间不能晚于当前时间。"))

    clock = Clock(
        pk=pk,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        subject_repr=str(subject)[:300],
        region=region,
        preset=preset or None,
        unit=unit,
        limit_days=limit,
        received_at=received_at,
        started_at=received_at,
        created_at=now,
    )
    _apply(clock, [], _compute(clock, [], now=now))
    with audited_atomic(savepoint=False):  # nothing below raises a ValidationError
        clock_insert(clock)
        _audit(
            actor=actor,
            action="started",
            clock=clock,
            after={
                **_snapshot(clock),
                "preset": clock.preset,
                "unit": clock.unit,
                "limit_days": clock.limit_days,
                "received_at": clock.received_at,
                "subject": f"{clock.content_type.app_label}.{clock.content_type.model}:{clock.object_id}",
            },
        )
    return clock


def clock_pause(
    *,
    actor: Any,
    clock: Clock,
    reason: str,
    basis: str,
    at: datetime,
    expected_days: int | None = None,
) -> Clock:
    """Suspend the clock from `at` for a statutory reason; the suspended time is not counted."""
    if reason not in PauseReason.values:
        raise ValidationError({"reason": _("未知的暂停事由。")})
    basis = _require_text(basis, "basis", _("请填写暂停的依据与说明。"))
    if expected_days is not None:
        _positive_int(expected_days, "expected_days", _("预计所需天数必须为正整数。"))
    at = _aware(at)
    now = timezone.now()
    with audited_atomic():
        locked = _lock(clock)
        _open_or_raise(locked, _("计时已停止，不能暂停。"))
        if locked.status == ClockStatus.PAUSED:
            raise ValidationError(_("计时已暂停，不能重复暂停。"))
        _check_time(at, now=now, message=_("暂停时间不能晚于当前时间。"))
        if at < locked.started_at:
            raise ValidationError(
                {"at": _("暂停时间不能早于本轮计时起算时间（%(at)s）。") % {"at": _fmt_dt(locked.started_at)}}
            )
        pauses = _run_pauses(locked)
        last_end = max((p.ended_at for p in pauses), default=None)
        if last_end is not None and at < last_end:
            raise ValidationError(
                {"at": _("暂停时间不能早于上一次恢复计时的时间（%(at)s）。") % {"at": _fmt_dt(last_end)}}
            )
        if at > locked.due_at:
            raise ValidationError(_("期限已于 %(date)s 届满，不能再暂停计时。") % {"date": locked.due_date.isoformat()})
        before = _snapshot(locked)
        pause = ClockPause.objects.create(
            clock=locked,
            run=locked.run,
            reason=reason,
            basis=basis,
            started_at=at,
            expected_days=expected_days,
            started_by=_user(actor),
        )
        pauses.append(pause)
        locked.status = ClockStatus.PAUSED
        locked.paused_at = at
        _apply(locked, pauses, _compute(locked, pauses, now=now))
        _save(locked)
        _audit(
            actor=actor,
            action="paused",
            clock=locked,
            before=before,
            after={
                **_snapshot(locked),
                "reason": reason,
                "basis": basis,
                "at": at,
                "expected_days": expected_days,
                "pause_id": pause.pk,
            },
        )
    return _sync(clock, locked)


def clock_resume(*, actor: Any, clock: Clock, at: datetime) -> Clock:
    """End the open pause at `at`; the due date moves by the days the pause was not counted."""
    at = _aware(at)
    now = timezone.now()
    with audited_atomic():
        locked = _lock(clock)
        _open_or_raise(locked, _("计时已停止，不能恢复计时。"))
        if locked.status != ClockStatus.PAUSED:
            raise ValidationError(_("计时未暂停，无需恢复。"))
        _check_time(at, now=now, message=_("恢复时间不能晚于当前时间。"))
        pauses = _run_pauses(locked)
        pause = _open_pause(pauses)
        if at < pause.started_at:
            raise ValidationError({"at": _("恢复时间不能早于暂停时间（%(at)s）。") % {"at": _fmt_dt(pause.started_at)}})
        before = _snapshot(locked)
        pause.ended_at = at
        pause.ended_by = _user(actor)
        comp = _compute(locked, pauses, now=now)
        pause.days_not_counted = comp.paused[pauses.index(pause)]
        pause.save(update_fields=["ended_at", "ended_by", "days_not_counted"])
        locked.status = ClockStatus.RUNNING
        locked.paused_at = None
        _apply(locked, pauses, comp)
        _save(locked)
        _audit(
            actor=actor,
            action="resumed",
            clock=locked,
            before=before,
            after={
                **_snapshot(locked),
                "at": at,
                "pause_id": pause.pk,
                "reason": pause.reason,
                "days_not_counted": pause.days_not_counted,
            },
        )
    return _sync(clock, locked)


def clock_extend(
    *,
    actor: Any,
    clock: Clock,
    days: int,
    basis: str,
    approver: Any,
    at: datetime | None = None,
) -> Clock:
    """Add an approved extension of +days (in the clock's unit); `at` is the approval time (default now)."""
    days = _positive_int(days, "days", _("延长天数必须为正整数。"))
    basis = _require_text(basis, "basis", _("请填写延长的理由与依据。"))
    if _user(approver) is None:
        raise ValidationError({"approver": _("请指定批准人。")})
    now = timezone.now()
    at = _aware(at) if at is not None else now
    with audited_atomic():
        locked = _lock(clock)
        _open_or_raise(locked, _("计时已停止，不能延长。"))
        _check_time(at, now=now, message=_("批准时间不能晚于当前时间。"))
        if at < locked.started_at:
            raise ValidationError(
                {"at": _("批准时间不能早于本轮计时起算时间（%(at)s）。") % {"at": _fmt_dt(locked.started_at)}}
            )
        if at > locked.due_at:
            raise ValidationError(_("期限已于 %(date)s 届满，不能再延长。") % {"date": locked.due_date.isoformat()})
        if locked.preset:
            preset = get_preset(locked.preset)
            if not preset.max_extension_days:
                raise ValidationError({"days": _("“%(name)s”依法不可延长。") % {"name": preset.name}})
            if locked.extension_days + days > preset.max_extension_days:
                raise ValidationError(
                    {
                        "days": _(
                            "超过可延长的期限：“%(name)s”最多可延长 %(max)s %(unit)s，本轮已延长 %(used)s %(unit)s"
                            "（%(basis)s）。"
                        )
                        % {
                            "name": preset.name,
                            "max": preset.max_extension_days,
                            "unit": preset.unit_label,
                            "used": locked.extension_days,
                            "basis": preset.legal_basis,
                        }
                    }
                )
        before = _snapshot(locked)
        extension = ClockExtension.objects.create(
            clock=locked,
            run=locked.run,
            days=days,
            basis=basis,
            approver=approver,
            approved_at=at,
            recorded_by=_user(actor),
        )
        locked.extension_days += days
        pauses = _run_pauses(locked)
        _apply(locked, pauses, _compute(locked, pauses, now=now))
        _save(locked)
        _audit(
            actor=actor,
            action="extended",
            clock=locked,
            before=before,
            after={
                **_snapshot(locked),
                "days": days,
                "basis": basis,
                "approver": str(approver),
                "approver_id": approver.pk,
                "approved_at": at,
                "extension_id": extension.pk,
            },
        )
    return _sync(clock, locked)


def clock_restart(*, actor: Any, clock: Clock, at: datetime, basis: str) -> Clock:
    """Count the period anew from `at` (e.g. receipt of a corrected disclosure request, 条例第三十条).

    An open pause ends at `at`; pauses and extensions of earlier runs no longer count."""
    basis = _require_text(basis, "basis", _("请填写重新起算的依据。"))
    at = _aware(at)
    now = timezone.now()
    with audited_atomic():
        locked = _lock(clock)
        _open_or_raise(locked, _("计时已停止，不能重新起算。"))
        _check_time(at, now=now, message=_("重新起算时间不能晚于当前时间。"))
        if at < locked.started_at:
            raise ValidationError(
                {"at": _("重新起算时间不能早于本轮计时起算时间（%(at)s）。") % {"at": _fmt_dt(locked.started_at)}}
            )
        pauses = _run_pauses(locked)
        pause = _open_pause(pauses)
        if pause is not None and at < pause.started_at:
            raise ValidationError(
                {"at": _("重新起算时间不能早于暂停时间（%(at)s）。") % {"at": _fmt_dt(pause.started_at)}}
            )
        before = {**_snapshot(locked), "started_at": locked.started_at}
        if pause is not None:
            pause.ended_at = at
            pause.ended_by = _user(actor)
            comp = _compute(locked, pauses, now=now)
            pause.days_not_counted = comp.paused[pauses.index(pause)]
            pause.save(update_fields=["ended_at", "ended_by", "days_not_counted"])
        locked.run += 1
        locked.started_at = at
        locked.restarted_at = at
        locked.restart_basis = basis
        locked.extension_days = 0
        locked.status = ClockStatus.RUNNING
        locked.paused_at = None
        _apply(locked, [], _compute(locked, [], now=now))
        _save(locked)
        _audit(
            actor=actor,
            action="restarted",
            clock=locked,
            before=before,
            after={**_snapshot(locked), "started_at": at, "basis": basis},
        )
    return _sync(clock, locked)


def clock_stop(*, actor: Any, clock: Clock, at: datetime, locked: bool = False) -> Clock:
    """Stop the clock at `at`: on time if at <= due_at, else late. An open pause ends at `at`.

    `locked`: the caller read `clock` with select_for_update() in this transaction, so it is current and
    not read again. Otherwise a running clock is stopped as the caller read it, by one UPDATE that applies only
    while the row is still at the version read (every write of a clock raises it); when another transaction
    has changed it since, it is read again under its lock and the stop computed afresh."""
    at = _aware(at)
    now = timezone.now()
    # Checks raise after the block, which has then changed nothing: no savepoint needed.
    with audited_atomic(savepoint=False):
        if not locked and _stop_as_read(actor, clock, at=at, now=now):
            return clock
        row = clock if locked else _lock(clock)
        pauses = _run_pauses(row)
        pause = _open_pause(pauses)
        refusal = _stop_refusal(row, pause, at, now)
        if refusal is None:
            _stop_locked(actor, row, pauses, pause, at=at, now=now)
    _sync(clock, row)  # (also undoes a compare-and-set's changes that did not apply)
    if refusal is not None:
        raise refusal
    return clock


def _stop_as_read(actor: Any, clock: Clock, *, at: datetime, now: datetime) -> bool:
    """Stop a running clock as read if its row has not changed since. False, with nothing written, when it is
    not running, the stop would be refused, or the row has changed (all decided again under the lock)."""
    if clock.status != ClockStatus.RUNNING or _stop_refusal(clock, None, at, now) is not None:
        return False
    return _stop_locked(actor, clock, _run_pauses(clock), None, at=at, now=now, if_version=clock.version)


def _stop_refusal(locked: Clock, pause: ClockPause | None, at: datetime, now: datetime) -> ValidationError | None:
    if locked.status == ClockStatus.STOPPED:
        return ValidationError(_("计时已停止，不能重复停止。"))
    if at > now:
        return ValidationError({"at": _("停止时间不能晚于当前时间。")})
    if at < locked.started_at:
        return ValidationError(
            {"at": _("停止时间不能早于本轮计时起算时间（%(at)s）。") % {"at": _fmt_dt(locked.started_at)}}
        )
    if pause is not None and at < pause.started_at:
        return ValidationError({"at": _("停止时间不能早于暂停时间（%(at)s）。") % {"at": _fmt_dt(pause.started_at)}})
    return None


def _stop_locked(
    actor: Any,
    locked: Clock,
    pauses: list[ClockPause],
    pause: ClockPause | None,
    *,
    at: datetime,
    now: datetime,
    if_version: int | None = None,
) -> bool:
    """Stop the clock (`if_version`: only while its row is at that version; False when it is not, and then
    nothing was written or audited, but `locked` was changed: read it again)."""
    if pause is not None:
        pause.ended_at = at
        pause.ended_by = _user(actor)
    before = _snapshot(locked)
    comp = _compute(locked, pauses, now=now)
    if pause is not None:
        pause.days_not_counted = comp.paused[pauses.index(pause)]
        pause.save(update_fields=["ended_at", "ended_by", "days_not_counted"])
    _apply(locked, pauses, comp)
    locked.status = ClockStatus.STOPPED
    locked.paused_at = None
    locked.stopped_at = at
    locked.outcome = ClockOutcome.ON_TIME if at <= locked.due_at else ClockOutcome.LATE
    if not _save(locked, (*_DERIVED_FIELDS, "status", "paused_at", "stopped_at", "outcome"), if_version=if_version):
        return False
    _audit(
        actor=actor,
        action="stopped",
        clock=locked,
        before=before,
        after={**_snapshot(locked), "stopped_at": at, "outcome": locked.outcome},
    )
    return True


# ---- recompute --------------------------------------------------------------------------------
def _derived(obj: Clock | DueComputation) -> tuple:
    return (obj.start_date, obj.due_date, obj.due_at, obj.warn_at, obj.provisional, obj.paused_days)


def _recompute_locked(locked: Clock, *, actor: Any, now: datetime, index: CalendarIndex | None = None) -> bool:
    pauses = _run_pauses(locked)
    comp = _compute(locked, pauses, now=now, index=index)
    old = _derived(locked)
    before = _snapshot(locked)
    old_due_at = locked.due_at
    _apply(locked, pauses, comp)
    if _derived(locked) == old:
        return False
    if locked.due_at != old_due_at:
        locked.previous_due_at = old_due_at
        locked.recomputed_at = now
    _save(locked)
    _audit(actor=actor, action="recomputed", clock=locked, before=before, after=_snapshot(locked))
    return True


def clock_recompute(*, clock: Clock, actor: Any = SYSTEM_CALENDAR) -> bool:
    """Recompute the due date with the current calendar. Returns whether anything changed (then audited;
    a moved due date is kept in previous_due_at/recomputed_at). Stopped clocks are final."""
    now = timezone.now()
    with audited_atomic():
        locked = _lock(clock)
        if locked.status == ClockStatus.STOPPED:
            raise ValidationError(_("计时已停止，不再重新计算。"))
        changed = _recompute_locked(locked, actor=actor, now=now)
    _sync(clock, locked)
    return changed


def _touching_years(years: Iterable[int]) -> Q:
    query = Q(pk__in=[])
    for year in sorted(set(years)):
        first = timezone.make_aware(datetime(year, 1, 1))
        after = timezone.make_aware(datetime(year + 1, 1, 1))
        query |= Q(started_at__lt=after) & (Q(due_at__gte=first) | Q(status=ClockStatus.PAUSED))
    return query


def clocks_recompute_for_years(*, years: Iterable[int], actor: Any = SYSTEM_CALENDAR) -> int:
    """Recompute every open clock whose span [receipt, due] touches one of `years` (paused clocks: up to now).

    Clocks are first evaluated without locks; only those whose derived fields change are locked,
    recomputed and audited one by one. Returns the number of clocks changed."""
    years = list(years)
    if not years:
        return 0
    now = timezone.now()
    indexes: dict[int | None, CalendarIndex] = {}
    changed = 0
    candidates = (
        Clock.objects.filter(status__in=[ClockStatus.RUNNING, ClockStatus.PAUSED])
        .filter(_touching_years(years))
        .select_related("region")
        .prefetch_related("pauses")
        .order_by("pk")
    )
    stale: list[int] = []
    for clock in candidates.iterator(chunk_size=500):
        if clock.region_id not in indexes:
            indexes[clock.region_id] = current_index(clock.region)
        pauses = sorted((p for p in clock.pauses.all() if p.run == clock.run), key=lambda p: (p.started_at, p.pk))
        comp = _compute(clock, pauses, now=now, index=indexes[clock.region_id])
        if _derived(comp) != _derived(clock):
            stale.append(clock.pk)
    for pk in stale:
        with audited_atomic():
            locked = Clock.objects.select_for_update().filter(pk=pk).first()
            if locked is None or locked.status == ClockStatus.STOPPED:
                continue
            if _recompute_locked(locked, actor=actor, now=now, index=indexes.get(locked.region_id)):
                changed += 1
    return changed


# ---- explanation ------------------------------------------------------------------------------
def _describe(info) -> str:
    if info.kind == DayKind.HOLIDAY:
        return f"法定节假日（{info.name}）" if info.name else "法定节假日"
    if info.kind == DayKind.MAKEUP_WORKDAY:
        return f"调休上班日（{info.name}调休）" if info.name else "调休上班日"
    if info.kind == DayKind.WEEKEND:
        return "周末休息日"
    return "工作日"


def _met_lines(index: CalendarIndex, a: date, b: date) -> list[str]:
    """Holidays, weekends and make-up days in (a, b]."""
    lines: list[str] = []
    runs: list[list] = []  # [first, last, names]
    weekends: list[date] = []
    for info in index.non_working_days_between(a, b):
        if info.kind == DayKind.HOLIDAY:
            if runs and runs[-1][1] + timedelta(days=1) == info.date:
                runs[-1][1] = info.date
                if info.name and info.name not in runs[-1][2]:
                    runs[-1][2].append(info.name)
            else:
                runs.append([info.date, info.date, [info.name] if info.name else []])
        else:
            weekends.append(info.date)
    for first, last, names in runs:
        span = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
        lines.append(
            f"期间内遇法定节假日 {'、'.join(names) or '法定节假日'}：{span}，共 {(last - first).days + 1} 天，不计入。"
        )
    if weekends:
        shown = "、".join(d.strftime("%m-%d") for d in weekends[:12]) + ("等" if len(weekends) > 12 else "")
        lines.append(f"期间内遇周末休息日 {len(weekends)} 天（{shown}），不计入。")
    for info in index.makeup_days_between(a, b):
        lines.append(f"{_fmt_d(info.date)}为{_describe(info)}，计为工作日。")
    return lines


def _run_extensions(clock: Clock) -> list[ClockExtension]:
    # clock_extend, the only writer of extension rows, adds their days to extension_days, which a restart (a new
    # run) sets back to 0: a clock with none has no extension in this run, and needs no query.
    if not clock.extension_days:
        return []
    return list(clock.extensions.filter(run=clock.run).select_related("approver").order_by("approved_at", "pk"))


def clock_explain(clock: Clock, *, now: datetime | None = None, index: CalendarIndex | None = None) -> list[str]:
    """The derivation of the clock's due date, line by line, in Chinese. `index`: the working-day index of the
    clock's region when the caller has it (see clocks_explain)."""
    now = now or timezone.now()
    if index is None:
        index = current_index(clock.region_id)
    working = clock.unit == DeadlineUnit.WORKING
    unit = "个工作日" if working else "日"
    pauses = _run_pauses(clock)
    extensions = _run_extensions(clock)
    comp = _compute(clock, pauses, now=now, index=index)
    lines: list[str] = []
    if clock.subject_repr:
        lines.append(f"计时对象：{clock.subject_repr}。")
    if clock.preset:
        preset = get_preset(clock.preset)
        lines.append(f"法定期限：{preset.name}，{preset.days} {preset.unit_label}（{preset.legal_basis}）。")
        if preset.max_extension_days:
            lines.append(f"经{preset.extension_approver}批准，可延长 {preset.max_extension_days} {preset.unit_label}。")
        if preset.configurable:
            lines.append("注：该期限依据地方规定或实践，为可配置的默认值。")
        if clock.limit_days != preset.days:
            lines.append(f"本计时采用承诺期限 {clock.limit_days} {unit}。")
    else:
        lines.append(f"期限：{clock.limit_days} {unit}（{'工作日' if working else '自然日'}，未选用法定期限预设）。")
    lines.append(f"收到时间：{_fmt_dt(clock.received_at)}（{weekday_label(local_date(clock.received_at))}）。")
    if clock.run > 1:
        lines.append(
            f"于 {_fmt_dt(clock.started_at)} 重新起算（第 {clock.run - 1} 次），依据：{clock.restart_basis}；"
            "此前的暂停和延长不再计入。"
        )
    received = local_date(clock.started_at)
    start = comp.start_date
    if working and start != received:
        info = index.day_info(received)
        if not info.is_working:
            lines.append(f"{_fmt_d(received)}为{_describe(info)}，视为下一个工作日 {_fmt_d(start)}收到。")
        else:
            lines.append(f"收到时间晚于办公截止时间 {_closing_label()}，视为下一个工作日 {_fmt_d(start)}收到。")
    lines.append(
        f"起算日：{_fmt_d(start)}；依《民法典》第二百零一条，开始的当日不计入，"
        f"自次日 {(start + timedelta(days=1)).isoformat()} 起算。"
    )
    if working:
        lines.append("按工作日计算：不含法定节假日和休息日，含调休上班日。")
    else:
        lines.append("按自然日计算，期间内的节假日照常计入。")
    for pause, days in zip(pauses, comp.paused, strict=True):
        reason = PauseReason(pause.reason).label
        law = pause_reason_basis(pause.reason)
        law_text = f"（{law}）" if law else ""
        if pause.ended_at is not None:
            lines.append(
                f"暂停（{reason}）{law_text}：{_fmt_dt(pause.started_at)} 至 {_fmt_dt(pause.ended_at)}，"
                f"依据：{pause.basis}；{days} {unit}不计入期限。"
            )
        else:
            expected = f"，预计 {pause.expected_days} {unit}" if pause.expected_days else ""
            lines.append(
                f"暂停中（{reason}）{law_text}：自 {_fmt_dt(pause.started_at)} 起{expected}，依据：{pause.basis}；"
                f"暂停期间不计入期限，届满日待恢复计时后确定，以下按截至 {_fmt_dt(now)} 计算（{days} {unit}不计入）。"
            )
    for extension in extensions:
        lines.append(
            f"延长 {extension.days} {unit}：{_fmt_dt(extension.approved_at)} 经 {extension.approver} 批准，"
            f"依据：{extension.basis}。"
        )
    if clock.extension_days or comp.paused_days:
        lines.append(
            f"应计 {comp.total} {unit} = 期限 {clock.limit_days} + 延长 {clock.extension_days}"
            f" + 暂停不计 {comp.paused_days}。"
        )
    if working:
        lines.extend(_met_lines(index, start, comp.due_date))
        lines.append(f"第 {comp.total} 个工作日为 {_fmt_d(comp.due_date)}，即期限届满日。")
    else:
        nominal = start + timedelta(days=comp.total)
        lines.append(f"第 {comp.total} 日为 {_fmt_d(nominal)}，{_describe(index.day_info(nominal))}。")
        if nominal != comp.due_date:
            last_rest = comp.due_date - timedelta(days=1)
            span = nominal.isoformat() if nominal == last_rest else f"{nominal.isoformat()} 至 {last_rest.isoformat()}"
            names = []
            for info in index.non_working_days_between(nominal - timedelta(days=1), last_rest):
                if info.name and info.name not in names:
                    names.append(info.name)
            rest = f"（{'、'.join(names)}）" if names else ""
            lines.append(
                f"依《民法典》第二百零三条，期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日："
                f"{span} 休息{rest}，顺延至 {_fmt_d(comp.due_date)}。"
            )
        lines.append(f"期限届满日：{_fmt_d(comp.due_date)}。")
    lines.append(f"届满时间：{comp.due_date.isoformat()} 24 时（记为 {timezone.localtime(comp.due_at):%H:%M:%S}）。")
    if comp.provisional_years:
        years = "、".join(str(y) for y in comp.provisional_years)
        lines.append(f"注意：{years} 年工作日历尚未导入，该年度按周一至周五临时计算，届满日为临时结果。")
    if clock.recomputed_at and clock.previous_due_at:
        lines.append(
            f"{_fmt_dt(clock.recomputed_at)} 因工作日历调整重新计算：届满日由 "
            f"{local_date(clock.previous_due_at).isoformat()} 改为 {clock.due_date.isoformat()}。"
        )
    if comp.due_at != clock.due_at and clock.status == ClockStatus.STOPPED:
        lines.append(
            f"注意：停止计时时按当时的工作日历确定的届满日为 {clock.due_date.isoformat()}，"
            "此后的日历调整不影响已停止的计时。"
        )
    elif comp.due_at != clock.due_at and clock.status == ClockStatus.RUNNING:
        lines.append(f"注意：记录的届满日 {clock.due_date.isoformat()} 与按当前日历计算的结果不一致，待重新计算。")
    if clock.status == ClockStatus.STOPPED and clock.stopped_at:
        if clock.outcome == ClockOutcome.LATE:
            late = local_date(clock.stopped_at)
            over = index.working_days_between(clock.due_date, late) if working else (late - clock.due_date).days
            lines.append(f"已于 {_fmt_dt(clock.stopped_at)} 停止计时：超期办结（超过届满日 {over} {unit}）。")
        else:
            lines.append(f"已于 {_fmt_dt(clock.stopped_at)} 停止计时：按期办结。")
    return lines


def clocks_explain(clocks: Iterable[Clock], *, now: datetime | None = None) -> list[list[str]]:
    """clock_explain for each of several clocks (a page showing two), reading each region's index once."""
    now = now or timezone.now()
    indexes: dict[int | None, CalendarIndex] = {}
    explained = []
    for clock in clocks:
        if clock.region_id not in indexes:
            indexes[clock.region_id] = current_index(clock.region_id)
        explained.append(clock_explain(clock, now=now, index=indexes[clock.region_id]))
    return explained
