"""The 差评整改 ladder as a monitoring point: registered here, picked up by the supervision framework."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, CharField, F, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.models import AuditEvent
from zhengwu.ratings.enums import OPEN_FOLLOW_UP_STATES, Level
from zhengwu.ratings.models import RatingFollowUp
from zhengwu.supervision.domain.ladder import clock_ladder
from zhengwu.supervision.enums import Module, Severity
from zhengwu.supervision.points import Found, PointSpec, SweepContext, register_point, register_scope
from zhengwu.workcal.models.clock import Clock

CODE = "general.rating_follow_up_overdue"
LABEL = "ratings.ratingfollowup"


def _clocks():
    return Clock.objects.filter(content_type=ContentType.objects.get_for_model(RatingFollowUp))


def _rows(ctx: SweepContext) -> Found:
    ladder = clock_ladder(ctx, prefix="clock__", clocks=_clocks())
    queryset = ladder.annotate(RatingFollowUp.objects.filter(state__in=sorted(OPEN_FOLLOW_UP_STATES))).filter(
        ladder.on_ladder()
    )
    return Found(
        queryset=queryset,
        subject=RatingFollowUp,
        subject_pk="pk",
        level=ladder.level(),
        subject_repr=Concat(
            Value("差评整改 "),
            F("rating__case__number"),
            Value(" "),
            F("rating__case__applicant_name"),
            output_field=CharField(),
        ),
        department_id=F("department_id"),
        clock_id=F("clock_id"),
        due_at=F("clock__due_at"),
        details=JSONObject(case_number=F("rating__case__number"), rating_level=F("rating__level")),
    )


def _crossed(ctx: SweepContext):
    from zhengwu.supervision.domain.sweep import point_thresholds

    sub = SweepContext(now=ctx.now, since=ctx.since, thresholds=point_thresholds(CODE), cache=ctx.cache)
    sub.previous, sub.persist = ctx.previous, ctx.persist
    ladder = clock_ladder(sub, prefix="", clocks=_clocks())
    return [RatingFollowUp.objects.filter(clock__in=_clocks().filter(ladder.crossed_since(ctx.since))).values("pk")]


def _changed(ctx: SweepContext):
    events = (
        AuditEvent.objects.filter(occurred_at__gte=ctx.since, object_type=LABEL)
        .annotate(zw=Cast("object_id", BigIntegerField()))
        .values("zw")
    )
    return [
        RatingFollowUp.objects.filter(clock__in=_clocks().filter(updated_at__gte=ctx.since).values("pk")).values("pk"),
        RatingFollowUp.objects.filter(pk__in=events).values("pk"),
    ]


def _explain(details: dict[str, Any]) -> list[str]:
    level = details.get("rating_level")
    label = Level(level).label if level in Level.values else level
    return [
        gettext("办件 %(number)s 的“%(level)s”评价，整改尚未办结。")
        % {"number": details.get("case_number"), "level": label}
    ]


register_point(
    PointSpec(
        code=CODE,
        module=Module.GENERAL,
        name=_("差评整改超时"),
        description=_("差评核实整改期限将届满预警；逾期未整改办结亮黄牌；黄牌后满规定工作日仍未办结亮红牌。"),
        legal_basis=_("《国务院办公厅关于建立政务服务“好差评”制度提高政务服务水平的意见》（国办发〔2019〕51号）"),
        severity=Severity.MEDIUM,
        thresholds={"warn_ratio": 0.8, "red_after_working_days": 2},
        position=10,
        rows=_rows,
        subject=LABEL,
        crossed=_crossed,
        explain=_explain,
    )
)
register_scope(LABEL, _changed)
