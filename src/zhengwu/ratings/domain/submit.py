"""rating_submit: one rating per case once its outcome is known; a 差评 opens a follow-up with its own clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.enums import Role, UserKind
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.ratings.enums import NEGATIVE_LEVELS, RECTIFICATION_PRESET, FollowUpState, Level, RatingChannel
from zhengwu.ratings.models import Rating, RatingFollowUp
from zhengwu.ratings.rules import RATEABLE_STATES, can_rate_case
from zhengwu.workcal.domain.clock import clock_start
from zhengwu.workflow.rules import is_system_actor

MAX_COMMENT = 1000
# Told of every new 差评 of their department; the unit head only when neither post is filled.
NOTIFIED_ROLES = (Role.SECTION_HEAD, Role.LEADER_IN_CHARGE)


def _user(actor: Any) -> AbstractBaseUser | None:
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None


def _level(value: Any) -> Level:
    try:
        return Level(int(value))
    except (TypeError, ValueError):
        raise ValidationError({"level": _("请选择评价等级。")}) from None


def _comment(value: str | None, level: Level) -> str:
    comment = (value or "").strip()
    if level in NEGATIVE_LEVELS and not comment:
        raise ValidationError({"comment": _("评价为不满意时，请说明不满意的原因，以便整改。")})
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": _("评价意见不能超过 %(max)d 个字符。") % {"max": MAX_COMMENT}})
    return comment


def _permit(actor: Any, case: Case, channel: str) -> None:
    allowed = is_system_actor(actor) if channel == RatingChannel.SMS else can_rate_case(actor, case, channel)
    if not allowed:
        raise ValidationError(_("您无权评价该办件。"))


def follow_up_recipients(department_id: int) -> list:
    """The department's section heads and leaders in charge; its unit heads when it has neither."""
    staff = get_user_model().objects.filter(kind=UserKind.STAFF, is_active=True, staff__department_id=department_id)
    for roles in (NOTIFIED_ROLES, (Role.UNIT_HEAD,)):
        users = list(staff.filter(role_assignments__role__in=roles).distinct().order_by("pk"))
        if users:
            return users
    return []


def _open_follow_up(*, actor: Any, rating: Rating, case: Case, now: datetime) -> RatingFollowUp:
    follow_up = RatingFollowUp.objects.create(
        rating=rating, department_id=case.department_id, state=FollowUpState.OPEN, created_at=now
    )
    follow_up.clock = clock_start(
        actor=actor, subject=follow_up, preset=RECTIFICATION_PRESET, received_at=now, region=case.department.region
    )
    follow_up.save(update_fields=["clock"])
    audit_record(
        actor=actor,
        action="ratings.follow_up_opened",
        obj=follow_up,
        after={
            "state": follow_up.state,
            "rating_id": rating.pk,
            "case_id": case.pk,
            "department_id": case.department_id,
            "clock_id": follow_up.clock_id,
            "due_at": follow_up.clock.due_at,
        },
    )
    notify(
        recipients=follow_up_recipients(case.department_id),
        category=Category.RATING_FOLLOW_UP,
        subject=_("收到差评，请核实整改：%(number)s") % {"number": case.number},
        body=_("事项：%(item)s\n评价：%(level)s\n评价意见：%(comment)s\n请于 %(due)s 前完成核实、整改和回访。")
        % {
            "item": case.item_version.name,
            "level": Level(rating.level).label,
            "comment": rating.comment,
            "due": follow_up.clock.due_date.isoformat(),
        },
        link=reverse("workbench:rating_follow_up", args=[follow_up.pk]),
        actor=actor,
    )
    return follow_up


def rating_submit(
    *, actor: Any, case: Case, level: int, comment: str = "", channel: str = RatingChannel.ONLINE
) -> Rating:
    """Rate a decided or completed case (好差评), once. Online by its applicant; at the window by a clerk on the
    applicant's behalf; by SMS through the gateway (a system actor). A 差评 (不满意, 非常不满意) opens a
    follow-up for the case's department with its own clock, and tells the department's heads."""
    level = _level(level)
    if channel not in RatingChannel.values:
        raise ValidationError({"channel": _("未知的评价渠道。")})
    comment = _comment(comment, level)
    now = timezone.now()
    with audited_atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("department__region", "item_version")
            .get(pk=case.pk)
        )
        _permit(actor, locked, channel)
        if locked.state not in RATEABLE_STATES:
            raise ValidationError(
                _("办件当前状态为“%(state)s”，作出办理决定或办结后才能评价。")
                % {"state": CaseState(locked.state).label}
            )
        if Rating.objects.filter(case=locked).exists():
            raise ValidationError(_("该办件已经评价过，每个办件只能评价一次。"))
        user = _user(actor)
        rating = Rating.objects.create(
            case=locked,
            department_id=locked.department_id,
            level=level,
            comment=comment,
            channel=channel,
            rated_by=user if channel == RatingChannel.ONLINE else None,
            recorded_by=user if channel == RatingChannel.WINDOW else None,
            created_at=now,
        )
        negative = level in NEGATIVE_LEVELS
        audit_record(
            actor=actor,
            action="ratings.submitted",
            obj=locked,
            after={
                "rating_id": rating.pk,
                "level": int(level),
                "level_label": str(level.label),
                "channel": channel,
                "negative": negative,
                "comment": comment,
            },
        )
        if negative:
            _open_follow_up(actor=actor, rating=rating, case=locked, now=now)
    return rating
