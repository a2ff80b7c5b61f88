"""差评整改: verify → rectify → callback → close; closing needs a callback after the rectification and stops
the clock; illegal transitions say why and change nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.ratings.conftest import MONDAY, case_in
from zhengwu.audit.models import AuditEvent
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message
from zhengwu.ratings.domain import (
    rating_callback_record,
    rating_follow_up_close,
    rating_follow_up_rectify,
    rating_follow_up_verify,
    rating_submit,
)
from zhengwu.ratings.enums import FollowUpState, Level, RatingChannel
from zhengwu.ratings.models import CallbackRecord, RatingFollowUp
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(hall) -> RatingFollowUp:
    with time_machine.travel(MONDAY, tick=False):
        rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.DISSATISFIED, comment="等了很久")
    return RatingFollowUp.objects.get()


def actions(follow_up) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="ratings.ratingfollowup", object_id=str(follow_up.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def state_of(follow_up) -> tuple:
    row = RatingFollowUp.objects.get(pk=follow_up.pk)
    return (row.state, row.verification_finding, row.substantiated, row.rectification, row.closed_at)


def refused(call, message) -> None:
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.messages == [message]


def test_the_whole_loop_closes_on_time_and_stops_the_clock(hall, follow_up):
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        rating_follow_up_verify(
            actor=hall.handler, follow_up=follow_up, finding="窗口排队超过一小时", substantiated=True
        )
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="增设午间窗口")
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        record = rating_callback_record(
            actor=hall.handler, follow_up=follow_up, reached=True, satisfied=True, comment="申请人认可整改"
        )
        rating_follow_up_close(actor=hall.section_head, follow_up=follow_up)

    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.CLOSED
    assert (follow_up.verification_finding, follow_up.substantiated) == ("窗口排队超过一小时", True)
    assert (follow_up.verified_by, follow_up.rectified_by, follow_up.closed_by) == (
        hall.handler,
        hall.handler,
        hall.section_head,
    )
    assert follow_up.closed_at == MONDAY + timedelta(days=3)
    assert (record.reached, record.satisfied, record.called_by) == (True, True, hall.handler)
    clock = follow_up.clock
    clock.refresh_from_db()
    assert (clock.status, clock.outcome, clock.stopped_at) == (
        ClockStatus.STOPPED,
        ClockOutcome.ON_TIME,
        MONDAY + timedelta(days=3),
    )
    assert actions(follow_up) == [
        "ratings.follow_up_opened",
        "ratings.follow_up_verified",
        "ratings.follow_up_rectified",
        "ratings.callback_recorded",
        "ratings.follow_up_closed",
    ]
    closed = AuditEvent.objects.get(action="ratings.follow_up_closed")
    assert (closed.after["applicant_satisfied"], closed.after["clock_outcome"]) == (True, "on_time")


@time_machine.travel(MONDAY + timedelta(days=30), tick=False)
def test_closing_after_the_period_is_late(hall, follow_up):
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="不属实", substantiated=False)
    rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="已向申请人说明办理时限")
    rating_callback_record(actor=hall.handler, follow_up=follow_up, reached=False, satisfied=None, comment="无人接听")
    rating_follow_up_close(actor=hall.section_head, follow_up=follow_up)
    follow_up.clock.refresh_from_db()
    assert follow_up.clock.outcome == ClockOutcome.LATE


def test_closing_without_a_callback_after_the_rectification_is_refused_and_changes_nothing(hall, follow_up):
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="第一次整改")
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        rating_callback_record(
            actor=hall.handler, follow_up=follow_up, reached=True, satisfied=False, comment="仍不满意"
        )
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="第二次整改")
    before = state_of(follow_up)
    events = actions(follow_up)

    refused(
        lambda: rating_follow_up_close(actor=hall.section_head, follow_up=follow_up),
        "整改后尚未回访申请人，不能办结。请先记录回访情况。",
    )

    assert state_of(follow_up) == before
    assert actions(follow_up) == events
    follow_up.clock.refresh_from_db()
    assert follow_up.clock.status == ClockStatus.RUNNING


def test_steps_out_of_order_are_refused_and_change_nothing(hall, follow_up):
    before = state_of(follow_up)
    refused(
        lambda: rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="整改"),
        "差评整改当前状态为“待核实”，不能整改。",
    )
    refused(
        lambda: rating_callback_record(
            actor=hall.handler, follow_up=follow_up, reached=True, satisfied=True, comment="满意"
        ),
        "差评整改当前状态为“待核实”，不能回访。",
    )
    refused(
        lambda: rating_follow_up_close(actor=hall.section_head, follow_up=follow_up),
        "差评整改当前状态为“待核实”，不能办结。",
    )
    assert state_of(follow_up) == before
    assert CallbackRecord.objects.count() == 0

    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    refused(
        lambda: rating_follow_up_verify(
            actor=hall.handler, follow_up=follow_up, finding="再次核实", substantiated=False
        ),
        "差评整改当前状态为“已核实”，不能核实。",
    )
    assert state_of(follow_up)[:3] == (FollowUpState.VERIFIED, "属实", True)
    assert actions(follow_up) == ["ratings.follow_up_opened", "ratings.follow_up_verified"]


def test_a_closed_follow_up_cannot_be_reopened(hall, follow_up):
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="整改")
    rating_callback_record(actor=hall.handler, follow_up=follow_up, reached=True, satisfied=True, comment="满意")
    rating_follow_up_close(actor=hall.section_head, follow_up=follow_up)
    before = state_of(follow_up)

    refused(
        lambda: rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="再整改"),
        "差评整改当前状态为“已办结”，不能整改。",
    )
    refused(
        lambda: rating_follow_up_close(actor=hall.section_head, follow_up=follow_up),
        "差评整改当前状态为“已办结”，不能办结。",
    )
    assert state_of(follow_up) == before


def test_only_the_department_handles_and_only_its_heads_or_supervision_close(hall, follow_up):
    for outsider in (hall.outsider, hall.clerk, hall.citizen):
        refused(
            lambda actor=outsider: rating_follow_up_verify(
                actor=actor, follow_up=follow_up, finding="属实", substantiated=True
            ),
            "您无权处理该差评整改。",
        )
    assert state_of(follow_up)[0] == FollowUpState.OPEN
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="整改")
    # County-wide supervision may call the applicant back independently.
    rating_callback_record(actor=hall.administrator, follow_up=follow_up, reached=True, satisfied=True, comment="满意")
    refused(lambda: rating_follow_up_close(actor=hall.handler, follow_up=follow_up), "您无权处理该差评整改。")
    assert state_of(follow_up)[0] == FollowUpState.RECTIFIED
    rating_follow_up_close(actor=hall.administrator, follow_up=follow_up)
    assert state_of(follow_up)[0] == FollowUpState.CLOSED


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"finding": " ", "substantiated": True}, {"finding": ["请填写核实情况。"]}),
        ({"finding": "属实", "substantiated": None}, {"substantiated": ["请选择差评是否属实。"]}),
    ],
)
def test_verification_needs_a_finding_and_a_verdict(hall, follow_up, kwargs, errors):
    with pytest.raises(ValidationError) as error:
        rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, **kwargs)
    assert error.value.message_dict == errors
    assert state_of(follow_up)[0] == FollowUpState.OPEN


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"reached": True, "satisfied": None, "comment": "接通"}, {"satisfied": ["请选择申请人对整改是否满意。"]}),
        (
            {"reached": False, "satisfied": True, "comment": "无人接听"},
            {"satisfied": ["未联系上申请人时，不能填写是否满意。"]},
        ),
        ({"reached": None, "satisfied": None, "comment": "无人接听"}, {"reached": ["请选择是否联系上申请人。"]}),
        ({"reached": True, "satisfied": True, "comment": ""}, {"comment": ["请填写回访情况。"]}),
    ],
)
def test_a_callback_records_whether_the_applicant_was_reached_and_satisfied(hall, follow_up, kwargs, errors):
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="整改")
    with pytest.raises(ValidationError) as error:
        rating_callback_record(actor=hall.handler, follow_up=follow_up, **kwargs)
    assert error.value.message_dict == errors
    assert CallbackRecord.objects.count() == 0


def test_the_rectification_is_reported_back_to_the_applicant(hall, follow_up):
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="增设午间窗口")

    message = Message.objects.get(recipient=hall.citizen, category=Category.RATING_FOLLOW_UP)
    assert message.subject == f"您的评价已整改反馈：{follow_up.rating.case.number}"
    assert message.body == "感谢您的评价。区市场监督管理局整改情况：增设午间窗口\n我们将回访您，听取您对整改的意见。"


def test_a_walk_in_applicant_without_an_account_hears_of_the_rectification_in_the_callback(hall):
    case = case_in(hall, walk_in=True)
    rating_submit(actor=hall.clerk, case=case, level=Level.DISSATISFIED, comment="慢", channel=RatingChannel.WINDOW)
    follow_up = RatingFollowUp.objects.get()
    rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
    sent = Message.objects.count()

    rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="增设窗口")

    assert Message.objects.count() == sent
    assert RatingFollowUp.objects.get().state == FollowUpState.RECTIFIED
