"""好差评: one rating per decided or completed case, by its applicant (or at the window); a 差评 opens a follow-up."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.accounts.factories import make_citizen, make_staff, resident_id
from tests.ratings.conftest import MONDAY, case_in
from zhengwu.accounts.enums import Role
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_submit_online, case_timeline
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
from zhengwu.cases.enums import CaseState
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message
from zhengwu.ratings.domain import follow_up_recipients, rating_submit
from zhengwu.ratings.enums import FollowUpState, Level, RatingChannel
from zhengwu.ratings.models import Rating, RatingFollowUp
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.models.clock import end_of_day
from zhengwu.workflow.models import WorkTask

pytestmark = pytest.mark.django_db


def actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_applicant_rates_a_decided_case_online_and_the_timeline_shows_it(hall):
    case = case_in(hall, CaseState.DECIDED)

    rating = rating_submit(actor=hall.citizen, case=case, level=Level.SATISFIED, comment=" 办事很快 ")

    assert (rating.case, rating.department, rating.level, rating.comment) == (case, hall.department, 4, "办事很快")
    assert (rating.channel, rating.rated_by, rating.recorded_by) == (RatingChannel.ONLINE, hall.citizen, None)
    assert actions(case) == ["ratings.submitted"]
    assert RatingFollowUp.objects.count() == 0
    assert [(entry.label, entry.detail) for entry in case_timeline(case)] == [("服务评价", "满意")]


def test_a_completed_case_may_be_rated(hall):
    case = case_in(hall, CaseState.COMPLETED)
    assert rating_submit(actor=hall.citizen, case=case, level=Level.VERY_SATISFIED).level == 5


def test_a_second_rating_of_the_same_case_is_refused_and_the_first_stays(hall):
    case = case_in(hall)
    rating_submit(actor=hall.citizen, case=case, level=Level.VERY_SATISFIED)

    with pytest.raises(ValidationError) as error:
        rating_submit(actor=hall.citizen, case=case, level=Level.VERY_DISSATISFIED, comment="改主意了")

    assert error.value.messages == ["该办件已经评价过，每个办件只能评价一次。"]
    assert list(Rating.objects.values_list("case", "level")) == [(case.pk, 5)]
    assert RatingFollowUp.objects.count() == 0
    assert actions(case) == ["ratings.submitted"]


@pytest.mark.parametrize(
    ("state", "label"),
    [
        (CaseState.SUBMITTED, "待受理"),
        (CaseState.CORRECTION_REQUESTED, "待补正"),
        (CaseState.ACCEPTED, "已受理"),
        (CaseState.IN_PROGRESS, "办理中"),
        (CaseState.SUSPENDED, "挂起"),
        (CaseState.REFUSED, "不予受理"),
        (CaseState.WITHDRAWN, "已撤回"),
    ],
)
def test_a_case_without_an_outcome_cannot_be_rated(hall, state, label):
    case = case_in(hall, state)

    with pytest.raises(ValidationError) as error:
        rating_submit(actor=hall.citizen, case=case, level=Level.SATISFIED)

    assert error.value.messages == [f"办件当前状态为“{label}”，作出办理决定或办结后才能评价。"]
    assert Rating.objects.count() == 0
    assert actions(case) == []


def test_only_the_applicant_may_rate_online(hall):
    case = case_in(hall)
    someone_else = make_citizen(phone="13953600099", real_name="王五", id_number=resident_id("33010219850101002"))
    for actor in (someone_else, hall.enterprise, hall.handler, hall.clerk, hall.administrator, None):
        with pytest.raises(ValidationError) as error:
            rating_submit(actor=actor, case=case, level=Level.SATISFIED)
        assert error.value.messages == ["您无权评价该办件。"]
    assert Rating.objects.count() == 0


def test_a_clerk_at_a_window_serving_the_department_records_the_rating_of_a_walk_in_applicant(hall):
    case = case_in(hall, walk_in=True)

    with pytest.raises(ValidationError) as error:
        rating_submit(actor=hall.other_clerk, case=case, level=Level.SATISFIED, channel=RatingChannel.WINDOW)
    assert error.value.messages == ["您无权评价该办件。"]

    rating = rating_submit(actor=hall.clerk, case=case, level=Level.SATISFIED, channel=RatingChannel.WINDOW)

    assert (rating.channel, rating.rated_by, rating.recorded_by) == (RatingChannel.WINDOW, None, hall.clerk)


def test_an_sms_rating_comes_from_the_gateway_not_from_a_user(hall):
    case = case_in(hall)
    with pytest.raises(ValidationError) as error:
        rating_submit(actor=hall.citizen, case=case, level=Level.SATISFIED, channel=RatingChannel.SMS)
    assert error.value.messages == ["您无权评价该办件。"]

    rating = rating_submit(actor="system:sms", case=case, level=Level.BASICALLY_SATISFIED, channel=RatingChannel.SMS)

    assert (rating.level, rating.rated_by, rating.recorded_by) == (3, None, None)


@pytest.mark.parametrize("level", [0, 6, "", "很好", None])
def test_an_unknown_level_is_refused(hall, level):
    with pytest.raises(ValidationError) as error:
        rating_submit(actor=hall.citizen, case=case_in(hall), level=level)
    assert error.value.message_dict == {"level": ["请选择评价等级。"]}
    assert Rating.objects.count() == 0


def test_a_bad_rating_needs_a_reason(hall):
    case = case_in(hall)
    with pytest.raises(ValidationError) as error:
        rating_submit(actor=hall.citizen, case=case, level=Level.DISSATISFIED, comment="  ")
    assert error.value.message_dict == {"comment": ["评价为不满意时，请说明不满意的原因，以便整改。"]}
    assert (Rating.objects.count(), RatingFollowUp.objects.count()) == (0, 0)


@time_machine.travel(MONDAY, tick=False)
def test_a_bad_rating_opens_a_follow_up_due_fifteen_working_days_later_and_tells_the_heads(hall, leader):
    case = case_in(hall)

    rating = rating_submit(actor=hall.citizen, case=case, level=Level.VERY_DISSATISFIED, comment="窗口态度差")

    follow_up = RatingFollowUp.objects.select_related("clock").get()
    assert (follow_up.rating, follow_up.department, follow_up.state) == (rating, hall.department, FollowUpState.OPEN)
    clock = follow_up.clock
    assert (clock.preset, clock.limit_days, clock.status) == ("rating_bad_rectification", 15, ClockStatus.RUNNING)
    assert clock.due_at == end_of_day(date(2026, 3, 23))
    assert clock.object_id == str(follow_up.pk)
    assert actions(case) == ["ratings.submitted"]
    assert actions(follow_up) == ["ratings.follow_up_opened"]
    messages = Message.objects.filter(category=Category.RATING_FOLLOW_UP).order_by("recipient_id")
    assert [m.recipient for m in messages] == [hall.section_head, leader]
    assert {m.link for m in messages} == {f"/workbench/ratings/follow-ups/{follow_up.pk}/"}
    assert messages[0].subject == f"收到差评，请核实整改：{case.number}"
    assert "请于 2026-03-23 前完成核实、整改和回访。" in messages[0].body


@time_machine.travel(MONDAY, tick=False)
def test_the_rectification_period_is_configurable(hall, settings):
    settings.WORKCAL_PRESET_OVERRIDES = {"rating_bad_rectification": {"days": 5}}

    rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.DISSATISFIED, comment="材料被退回两次")

    assert RatingFollowUp.objects.get().clock.due_at == end_of_day(date(2026, 3, 9))


def test_the_unit_head_is_told_when_the_department_has_no_section_head_or_leader(hall):
    hall.section_head.role_assignments.all().delete()
    head = make_staff("juzhang", department=hall.department, display_name="局长", roles=(Role.UNIT_HEAD,))
    assert follow_up_recipients(hall.department.pk) == [head]


def test_a_case_decided_through_its_process_is_rated_by_its_enterprise_applicant(hall, leader):
    case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    case_accept_and_start(actor=hall.handler, case=case)
    review = WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="review")
    case_task_complete(actor=hall.handler, task=review, outcome="approve")
    decide = WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="decide")
    case_task_complete(
        actor=leader, task=decide, outcome="grant", reasons="符合条件", legal_basis="《行政许可法》第三十八条"
    )
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED

    rating_submit(actor=hall.enterprise, case=case, level=Level.VERY_SATISFIED)

    assert [entry.label for entry in case_timeline(case)][-1] == "服务评价"


@time_machine.travel(MONDAY, tick=False)
def test_a_bad_rating_appends_its_rating_clock_and_follow_up_events_together_at_the_end(hall, leader):
    from tests.audit.appends import assert_one_append, audit_appends

    case = case_in(hall)
    with audit_appends() as appends:
        rating_submit(actor=hall.citizen, case=case, level=Level.VERY_DISSATISFIED, comment="窗口态度差")
    assert_one_append(appends)
    assert appends.actions() == ["ratings.submitted", "workcal.clock.started", "ratings.follow_up_opened"]
