"""差评整改: verify (核实) → rectify (整改, again after a dissatisfied callback) → callback (回访) → close (办结).

Closing needs a callback recorded after the latest rectification, and stops the follow-up's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.ratings.enums import RECTIFIABLE_STATES, FollowUpState
from zhengwu.ratings.models import CallbackRecord, RatingFollowUp
from zhengwu.ratings.rules import can_close_follow_up, can_handle_follow_up, can_record_callback
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.domain.clock import clock_stop
from zhengwu.workcal.models.clock import Clock

MAX_TEXT = 2000


def _user(actor: Any) -> AbstractBaseUser | None:
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None


def _text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return value


def _lock(follow_up: RatingFollowUp) -> RatingFollowUp:
    return (
        RatingFollowUp.objects.select_for_update(of=("self",))
        .select_related("rating__case__applicant", "department")
        .get(pk=follow_up.pk)
    )


def _sync(target: RatingFollowUp, source: RatingFollowUp) -> RatingFollowUp:
    if target is not source:
        for field in RatingFollowUp._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
        target._state.fields_cache.clear()
    return target


def _permit(allowed: bool) -> None:
    if not allowed:
        raise ValidationError(_("您无权处理该差评整改。"))


def _require_state(follow_up: RatingFollowUp, allowed, action: str) -> None:
    if follow_up.state not in allowed:
        raise ValidationError(
            _("差评整改当前状态为“%(state)s”，不能%(action)s。")
            % {"state": FollowUpState(follow_up.state).label, "action": action}
        )


def _snapshot(follow_up: RatingFollowUp) -> dict[str, Any]:
    return {
        "state": follow_up.state,
        "substantiated": follow_up.substantiated,
        "verification_finding": follow_up.verification_finding,
        "rectification": follow_up.rectification,
    }


def rating_follow_up_verify(
    *, actor: Any, follow_up: RatingFollowUp, finding: str, substantiated: bool
) -> RatingFollowUp:
    """核实: what the department found, and whether the 差评 was substantiated (open → verified)."""
    finding = _text(finding, "finding", _("请填写核实情况。"))
    if not isinstance(substantiated, bool):
        raise ValidationError({"substantiated": _("请选择差评是否属实。")})
    now = timezone.now()
    with audited_atomic():
        locked = _lock(follow_up)
        _permit(can_handle_follow_up(actor, locked))
        _require_state(locked, {FollowUpState.OPEN}, _("核实"))
        before = _snapshot(locked)
        locked.state = FollowUpState.VERIFIED
        locked.verification_finding = finding
        locked.substantiated = substantiated
        locked.verified_by = _user(actor)
        locked.verified_at = now
        locked.save(update_fields=["state", "verification_finding", "substantiated", "verified_by", "verified_at"])
        audit_record(
            actor=actor, action="ratings.follow_up_verified", obj=locked, before=before, after=_snapshot(locked)
        )
    return _sync(follow_up, locked)


def rating_follow_up_rectify(*, actor: Any, follow_up: RatingFollowUp, rectification: str) -> RatingFollowUp:
    """整改 (or, for an unsubstantiated 差评, the explanation given): verified → rectified, and the applicant is
    told (反馈). May be redone while rectified, after a callback in which the applicant was still dissatisfied."""
    rectification = _text(rectification, "rectification", _("请填写整改情况。"))
    now = timezone.now()
    with audited_atomic():
        locked = _lock(follow_up)
        _permit(can_handle_follow_up(actor, locked))
        _require_state(locked, RECTIFIABLE_STATES, _("整改"))
        before = _snapshot(locked)
        locked.state = FollowUpState.RECTIFIED
        locked.rectification = rectification
        locked.rectified_by = _user(actor)
        locked.rectified_at = now
        locked.save(update_fields=["state", "rectification", "rectified_by", "rectified_at"])
        audit_record(
            actor=actor, action="ratings.follow_up_rectified", obj=locked, before=before, after=_snapshot(locked)
        )
        case = locked.rating.case
        if case.applicant_id is not None:  # walk-in applicants hear it in the callback
            notify(
                recipients=[case.applicant],
                category=Category.RATING_FOLLOW_UP,
                subject=_("您的评价已整改反馈：%(number)s") % {"number": case.number},
                body=_("感谢您的评价。%(department)s整改情况：%(text)s\n我们将回访您，听取您对整改的意见。")
                % {"department": locked.department.name, "text": rectification},
                actor=actor,
            )
    return _sync(follow_up, locked)


def rating_callback_record(
    *,
    actor: Any,
    follow_up: RatingFollowUp,
    reached: bool,
    satisfied: bool | None,
    comment: str,
    called_at: datetime | None = None,
) -> CallbackRecord:
    """回访: record a call to the applicant after the rectification. When the applicant was reached, whether
    they are satisfied with it is required; when not, it must be left empty."""
    comment = _text(comment, "comment", _("请填写回访情况。"))
    if not isinstance(reached, bool):
        raise ValidationError({"reached": _("请选择是否联系上申请人。")})
    if reached and not isinstance(satisfied, bool):
        raise ValidationError({"satisfied": _("请选择申请人对整改是否满意。")})
    if not reached and satisfied is not None:
        raise ValidationError({"satisfied": _("未联系上申请人时，不能填写是否满意。")})
    now = timezone.now()
    called_at = called_at or now
    if called_at > now:
        raise ValidationError({"called_at": _("回访时间不能晚于当前时间。")})
    with audited_atomic():
        locked = _lock(follow_up)
        _permit(can_record_callback(actor, locked))
        _require_state(locked, {FollowUpState.RECTIFIED}, _("回访"))
        if called_at < locked.rectified_at:
            raise ValidationError({"called_at": _("回访时间不能早于整改时间。")})
        record = CallbackRecord.objects.create(
            follow_up=locked,
            called_at=called_at,
            called_by=_user(actor),
            reached=reached,
            satisfied=satisfied if reached else None,
            comment=comment,
        )
        audit_record(
            actor=actor,
            action="ratings.callback_recorded",
            obj=locked,
            after={
                "callback_id": record.pk,
                "called_at": called_at,
                "reached": reached,
                "satisfied": record.satisfied,
                "comment": comment,
            },
        )
    return record


def rating_follow_up_close(*, actor: Any, follow_up: RatingFollowUp) -> RatingFollowUp:
    """办结: needs a callback after the latest rectification; stops the follow-up's clock (on time or late)."""
    now = timezone.now()
    with audited_atomic():
        locked = _lock(follow_up)
        _permit(can_close_follow_up(actor, locked))
        _require_state(locked, {FollowUpState.RECTIFIED}, _("办结"))
        callback = (
            CallbackRecord.objects.filter(follow_up=locked, called_at__gte=locked.rectified_at)
            .order_by("-called_at", "-pk")
            .first()
        )
        if callback is None:
            raise ValidationError(_("整改后尚未回访申请人，不能办结。请先记录回访情况。"))
        before = _snapshot(locked)
        clock_outcome = ""
        if locked.clock_id is not None:
            clock = Clock.objects.get(pk=locked.clock_id)
            if clock.status != ClockStatus.STOPPED:
                clock = clock_stop(actor=actor, clock=clock, at=now)
            clock_outcome = clock.outcome
        locked.state = FollowUpState.CLOSED
        locked.closed_by = _user(actor)
        locked.closed_at = now
        locked.save(update_fields=["state", "closed_by", "closed_at"])
        audit_record(
            actor=actor,
            action="ratings.follow_up_closed",
            obj=locked,
            before=before,
            after={
                **_snapshot(locked),
                "callback_id": callback.pk,
                "applicant_satisfied": callback.satisfied,
                "clock_outcome": clock_outcome,
            },
        )
    return _sync(follow_up, locked)
