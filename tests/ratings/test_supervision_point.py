"""差评整改超时: a point the ratings app registers itself; the framework sweeps it like any other."""

from datetime import timedelta

import pytest
import time_machine

from tests.ratings.conftest import MONDAY, case_in
from tests.supervision.conftest import MICRO, sweep
from zhengwu.ratings.domain import (
    rating_callback_record,
    rating_follow_up_close,
    rating_follow_up_rectify,
    rating_follow_up_verify,
    rating_submit,
)
from zhengwu.ratings.enums import Level
from zhengwu.ratings.models import RatingFollowUp
from zhengwu.supervision.enums import AlertLevel, AlertStatus, SweepKind
from zhengwu.supervision.models import Alert
from zhengwu.supervision.points import point_explain

pytestmark = pytest.mark.django_db

CODE = "general.rating_follow_up_overdue"


def rows() -> list[tuple]:
    return list(Alert.objects.filter(point__code=CODE).values_list("object_id", "level", "status"))


def test_an_overdue_follow_up_gets_a_yellow_card_and_closing_it_resolves_the_alert(hall):
    with time_machine.travel(MONDAY, tick=False):
        rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.VERY_DISSATISFIED, comment="态度恶劣")
    follow_up = RatingFollowUp.objects.select_related("clock").get()
    due = follow_up.clock.due_at

    sweep(MONDAY + timedelta(hours=1))
    assert rows() == []
    sweep(due)
    assert rows() == [(str(follow_up.pk), AlertLevel.WARNING, AlertStatus.OPEN)]
    sweep(due + MICRO)
    assert rows() == [(str(follow_up.pk), AlertLevel.YELLOW, AlertStatus.OPEN)]
    alert = Alert.objects.get(point__code=CODE)
    assert (alert.department_id, alert.subject_repr.startswith("差评整改 ")) == (hall.department.pk, True)
    number = follow_up.rating.case.number
    assert point_explain(CODE, alert.details) == [f"办件 {number} 的“非常不满意”评价，整改尚未办结。"]

    with time_machine.travel(due + timedelta(hours=2), tick=False):
        rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True)
        rating_follow_up_rectify(actor=hall.handler, follow_up=follow_up, rectification="已约谈窗口人员")
        rating_callback_record(actor=hall.handler, follow_up=follow_up, reached=True, satisfied=True, comment="满意")
        rating_follow_up_close(actor=hall.section_head, follow_up=follow_up)
    sweep(due + timedelta(hours=3), kind=SweepKind.INCREMENTAL)
    assert rows() == [(str(follow_up.pk), AlertLevel.YELLOW, AlertStatus.RESOLVED)]
