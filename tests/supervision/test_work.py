"""Supervisors' work (ADR 0021): alerts, supervision orders and rectification, spot checks, callbacks, violations."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.supervision.factories import at, day, give_handling_clock, make_alert, make_case
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.enums import CaseState
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message
from zhengwu.supervision.domain.work import (
    alert_acknowledge,
    alert_dismiss,
    callback_record,
    spot_check_draw,
    spot_check_record_finding,
    supervision_order_close,
    supervision_order_issue,
    supervision_order_report,
    supervision_order_return,
    violation_confirm,
    violation_publish,
)
from zhengwu.supervision.enums import ACTIVE_ALERT_STATUSES, AlertLevel, AlertStatus, Finding, OrderState
from zhengwu.supervision.models import Callback, SpotCheck, SupervisionOrder, Violation
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus

pytestmark = pytest.mark.django_db

MONDAY = at(2026, 11, 2, 10)


def actions(obj_type: str) -> list[str]:
    return list(AuditEvent.objects.filter(object_type=obj_type).order_by("seq").values_list("action", flat=True))


def messages_of(user, category) -> list[str]:
    return list(Message.objects.filter(recipient=user, category=category).values_list("subject", flat=True))


@pytest.fixture
def case(office):
    case = make_case(office.hall.version, office.hall.department, received_at=MONDAY - timedelta(days=14))
    give_handling_clock(case)
    return case


@pytest.fixture
def alert(case):
    return make_alert(subject=case, level=AlertLevel.YELLOW)


# ---- alerts -----------------------------------------------------------------------------------


def test_supervisor_acknowledges_an_open_alert(office, alert):
    alert_acknowledge(actor=office.supervisor, alert=alert, note="已电话提醒承办科室")

    alert.refresh_from_db()
    assert (alert.status, alert.handled_by, alert.handling_note) == (
        AlertStatus.ACKNOWLEDGED,
        office.supervisor,
        "已电话提醒承办科室",
    )
    event = AuditEvent.objects.get(action="supervision.alert_acknowledged")
    assert (event.before["status"], event.after["status"]) == ("open", "acknowledged")


def test_acknowledging_twice_is_refused(office, alert):
    alert_acknowledge(actor=office.supervisor, alert=alert)

    with pytest.raises(ValidationError, match="告警当前状态为“已确认”，不能确认。"):
        alert_acknowledge(actor=office.supervisor, alert=alert)
    assert actions("supervision.alert") == ["supervision.alert_acknowledged"]


@pytest.mark.parametrize("status", [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
def test_dismissing_needs_a_reason_and_keeps_it(office, alert, status):
    alert.status = status
    alert.save(update_fields=["status"])
    with pytest.raises(ValidationError) as error:
        alert_dismiss(actor=office.supervisor, alert=alert, reason="  ")
    assert error.value.message_dict == {"reason": ["请填写排除该告警的理由。"]}

    alert_dismiss(actor=office.supervisor, alert=alert, reason="申请人要求暂缓，已书面说明")

    alert.refresh_from_db()
    assert (alert.status, alert.handling_note) == (AlertStatus.DISMISSED, "申请人要求暂缓，已书面说明")


def test_a_dismissed_alert_stays_dismissed(office, alert):
    alert_dismiss(actor=office.supervisor, alert=alert, reason="误报")

    with pytest.raises(ValidationError, match="“已排除”，不能确认"):
        alert_acknowledge(actor=office.supervisor, alert=alert)
    with pytest.raises(ValidationError, match="“已排除”，不能排除"):
        alert_dismiss(actor=office.supervisor, alert=alert, reason="再次排除")
    alert.refresh_from_db()
    assert (alert.status, alert.handling_note) == (AlertStatus.DISMISSED, "误报")
    # The sweep only updates and resolves alerts in the active statuses.
    assert AlertStatus.DISMISSED not in ACTIVE_ALERT_STATUSES


def test_a_resolved_alert_cannot_be_dismissed(office, alert):
    alert.status = AlertStatus.RESOLVED
    alert.save(update_fields=["status"])

    with pytest.raises(ValidationError, match="“已消除”，不能排除"):
        alert_dismiss(actor=office.supervisor, alert=alert, reason="x")


@pytest.mark.parametrize("who", ["unit_head", "other_leader"])
def test_leaders_cannot_handle_alerts(office, alert, who):
    with pytest.raises(ValidationError, match="您无权进行该监察操作。"):
        alert_dismiss(actor=getattr(office, who), alert=alert, reason="本部门认为无问题")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert not AuditEvent.objects.filter(action__startswith="supervision.").exists()


# ---- supervision orders -------------------------------------------------------------------------


def issue(office, alert, days=3):
    return supervision_order_issue(
        actor=office.supervisor,
        department=office.hall.department,
        alerts=[alert],
        case=None,
        requirement="请于期限内办结该办件并说明超期原因。",
        due_working_days=days,
    )


@time_machine.travel(MONDAY, tick=False)
def test_issuing_an_order_starts_its_working_day_clock_and_tells_the_leaders(office, alert):
    order = issue(office, alert)

    order.refresh_from_db()
    assert order.number == f"DB20261102-{order.pk:05d}"
    assert order.state == OrderState.ISSUED
    assert list(order.alerts.all()) == [alert]
    assert (order.clock.unit, order.clock.limit_days, order.clock.due_date) == ("working", 3, day(2026, 11, 5))
    assert messages_of(office.unit_head, Category.SUPERVISION_ORDER) == [f"督办通知：{order.number}"]
    assert messages_of(office.leader_in_charge, Category.SUPERVISION_ORDER) == [f"督办通知：{order.number}"]
    assert messages_of(office.other_leader, Category.SUPERVISION_ORDER) == []
    assert messages_of(office.hall.handler, Category.SUPERVISION_ORDER) == []
    assert actions("supervision.supervisionorder") == ["supervision.order_issued"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"requirement": ""}, "请填写督办要求。"),
        ({"due_working_days": 0}, "整改期限须为 1 至 60 个工作日。"),
        ({"due_working_days": "x"}, "整改期限须为 1 至 60 个工作日。"),
        ({"alerts": []}, "督办须针对告警或办件。"),
    ],
)
def test_invalid_orders_are_refused(office, alert, overrides, message):
    values = {
        "actor": office.supervisor,
        "department": office.hall.department,
        "alerts": [alert],
        "requirement": "整改",
        "due_working_days": 3,
    } | overrides
    with pytest.raises(ValidationError, match=message):
        supervision_order_issue(**values)
    assert not SupervisionOrder.objects.exists()


def test_an_order_cannot_mix_departments_or_come_from_a_leader(office, alert):
    with pytest.raises(ValidationError, match="所选告警不属于该责任部门。"):
        supervision_order_issue(
            actor=office.supervisor,
            department=office.hall.other_department,
            alerts=[alert],
            requirement="整改",
            due_working_days=3,
        )
    with pytest.raises(ValidationError, match="您无权进行该监察操作。"):
        supervision_order_issue(
            actor=office.unit_head,
            department=office.hall.department,
            alerts=[alert],
            requirement="整改",
            due_working_days=3,
        )
    assert not SupervisionOrder.objects.exists()


def test_the_order_cycle_report_return_report_close(office, alert):
    with time_machine.travel(MONDAY, tick=False):
        order = issue(office, alert)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        report = supervision_order_report(actor=office.unit_head, order=order, text="已办结，并对承办人批评教育。")
    order.refresh_from_db()
    assert (order.state, report.sequence, order.clock.status) == (OrderState.REPORTED, 1, ClockStatus.PAUSED)
    assert messages_of(office.supervisor, Category.SUPERVISION_RECTIFICATION) == [f"整改报告待核查：{order.number}"]

    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        with pytest.raises(ValidationError) as error:
            supervision_order_return(actor=office.supervisor, order=order, reason="")
        assert error.value.message_dict == {"reason": ["请填写退回整改的理由。"]}
        supervision_order_return(actor=office.supervisor, order=order, reason="未说明超期原因。")
    order.refresh_from_db()
    assert (order.state, order.clock.status) == (OrderState.RETURNED, ClockStatus.RUNNING)
    assert messages_of(office.unit_head, Category.SUPERVISION_ORDER)[-1] == f"整改被退回：{order.number}"

    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        second = supervision_order_report(actor=office.leader_in_charge, order=order, text="超期原因：专家评审延误。")
        supervision_order_close(actor=office.supervisor, order=order, note="整改到位。")
    order.refresh_from_db()
    assert second.sequence == 2
    assert (order.state, order.closed_by, order.closing_note) == (OrderState.CLOSED, office.supervisor, "整改到位。")
    assert (order.clock.status, order.clock.outcome) == (ClockStatus.STOPPED, ClockOutcome.ON_TIME)
    assert [(r.sequence, r.verdict) for r in order.reports.all()] == [(1, "returned"), (2, "accepted")]
    assert actions("supervision.supervisionorder") == [
        "supervision.order_issued",
        "supervision.order_reported",
        "supervision.order_returned",
        "supervision.order_reported",
        "supervision.order_closed",
    ]
    assert messages_of(office.unit_head, Category.SUPERVISION_RECTIFICATION) == [f"整改已核查通过：{order.number}"]


def test_illegal_order_transitions_change_nothing(office, alert):
    order = issue(office, alert)

    with pytest.raises(ValidationError, match="督办单当前状态为“待整改”，不能核查办结。"):
        supervision_order_close(actor=office.supervisor, order=order)
    with pytest.raises(ValidationError, match="督办单当前状态为“待整改”，不能退回整改。"):
        supervision_order_return(actor=office.supervisor, order=order, reason="x")
    with pytest.raises(ValidationError, match="只有责任部门的负责人可以报送整改情况。"):
        supervision_order_report(actor=office.other_leader, order=order, text="代报")
    with pytest.raises(ValidationError, match="只有责任部门的负责人可以报送整改情况。"):
        supervision_order_report(actor=office.supervisor, order=order, text="代报")
    supervision_order_report(actor=office.unit_head, order=order, text="已整改")
    with pytest.raises(ValidationError, match="督办单当前状态为“待核查”，不能报送整改。"):
        supervision_order_report(actor=office.unit_head, order=order, text="再报")
    with pytest.raises(ValidationError, match="您无权进行该监察操作。"):
        supervision_order_close(actor=office.unit_head, order=order)
    supervision_order_close(actor=office.supervisor, order=order)
    with pytest.raises(ValidationError, match="督办单当前状态为“已办结”，不能报送整改。"):
        supervision_order_report(actor=office.unit_head, order=order, text="再报")
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED
    assert order.reports.count() == 1


# ---- spot checks ------------------------------------------------------------------------------


@pytest.fixture
def completed(office):
    """Six decided cases of the market regulator in November, one in October, one of the other department."""
    hall = office.hall
    cases = []
    for i in range(6):
        case = make_case(hall.version, hall.department, received_at=at(2026, 11, 2 + i % 3))
        give_handling_clock(case, stopped_at=at(2026, 11, 9 + i))
        cases.append(case)
    october = make_case(hall.version, hall.department, received_at=at(2026, 10, 12))
    give_handling_clock(october, stopped_at=at(2026, 10, 14))
    other = make_case(hall.version, hall.other_department, received_at=at(2026, 11, 2))
    give_handling_clock(other, stopped_at=at(2026, 11, 4))
    open_case = make_case(hall.version, hall.department, received_at=at(2026, 11, 2))
    give_handling_clock(open_case)
    return cases


@time_machine.travel(at(2026, 12, 1), tick=False)
def test_a_spot_check_draws_completed_cases_at_random_reproducibly(office, completed):
    check = spot_check_draw(
        actor=office.supervisor,
        department=office.hall.department,
        period_start=day(2026, 11, 1),
        period_end=day(2026, 11, 30),
        sample_size=3,
        seed=20261201,
    )
    again = spot_check_draw(
        actor=office.supervisor,
        department=office.hall.department,
        period_start=day(2026, 11, 1),
        period_end=day(2026, 11, 30),
        sample_size=3,
        seed=20261201,
    )

    drawn = [item.case_id for item in check.items.all()]
    assert (check.population, check.sample_size, check.seed) == (6, 3, 20261201)
    assert len(set(drawn)) == 3 and set(drawn) <= {c.pk for c in completed}
    assert [item.case_id for item in again.items.all()] == drawn
    event = AuditEvent.objects.filter(action="supervision.spot_check_drawn").first()
    assert (event.after["seed"], event.after["case_ids"]) == (20261201, drawn)


@time_machine.travel(at(2026, 12, 1), tick=False)
def test_a_spot_check_takes_everything_when_fewer_exist_and_refuses_an_empty_period(office, completed):
    check = spot_check_draw(
        actor=office.supervisor, period_start=day(2026, 11, 1), period_end=day(2026, 11, 30), sample_size=50
    )
    assert (check.population, check.sample_size) == (7, 7)  # both departments

    with pytest.raises(ValidationError, match="该期间没有可抽查的已办结办件。"):
        spot_check_draw(
            actor=office.supervisor, period_start=day(2026, 9, 1), period_end=day(2026, 9, 30), sample_size=5
        )
    with pytest.raises(ValidationError, match="您无权进行该监察操作。"):
        spot_check_draw(
            actor=office.unit_head, period_start=day(2026, 11, 1), period_end=day(2026, 11, 30), sample_size=5
        )
    assert SpotCheck.objects.count() == 1


@time_machine.travel(at(2026, 12, 1), tick=False)
def test_spot_check_findings_are_recorded_once(office, completed):
    check = spot_check_draw(
        actor=office.supervisor, period_start=day(2026, 11, 1), period_end=day(2026, 11, 30), sample_size=2, seed=1
    )
    first, second = check.items.all()

    with pytest.raises(ValidationError) as error:
        spot_check_record_finding(actor=office.supervisor, item=first, finding=Finding.PROBLEM, text="")
    assert error.value.message_dict == {"text": ["发现问题时须填写具体情况。"]}
    spot_check_record_finding(actor=office.supervisor, item=first, finding=Finding.PROBLEM, text="决定书未载明救济途径")
    spot_check_record_finding(actor=office.supervisor, item=second, finding=Finding.OK)
    with pytest.raises(ValidationError, match="该办件的抽查结果已记录，不能重复记录。"):
        spot_check_record_finding(actor=office.supervisor, item=first, finding=Finding.OK)

    first.refresh_from_db()
    assert (first.finding, first.finding_text, first.recorded_by) == (
        Finding.PROBLEM,
        "决定书未载明救济途径",
        office.supervisor,
    )


# ---- callbacks --------------------------------------------------------------------------------


def test_callback_records_the_applicants_answers(office, case):
    callback = callback_record(actor=office.supervisor, case=case, reached=True, satisfied=False, comment="等待时间长")

    assert (callback.reached, callback.satisfied, callback.comment) == (True, False, "等待时间长")
    assert AuditEvent.objects.get(action="supervision.callback_recorded").after["satisfied"] is False


@pytest.mark.parametrize(
    ("reached", "satisfied", "message"),
    [(False, True, "未联系上申请人时不能记录满意度。"), (True, None, "请记录申请人是否满意。")],
)
def test_callback_answers_must_fit_whether_the_applicant_was_reached(office, case, reached, satisfied, message):
    with pytest.raises(ValidationError, match=message):
        callback_record(actor=office.supervisor, case=case, reached=reached, satisfied=satisfied)
    assert not Callback.objects.exists()


def test_callbacks_need_an_accepted_case_and_a_supervisor(office, case):
    callback_record(actor=office.supervisor, case=case, reached=False, comment="电话无人接听")
    case.state = CaseState.SUBMITTED
    case.save(update_fields=["state"])

    with pytest.raises(ValidationError, match="办件尚未受理，不能回访。"):
        callback_record(actor=office.supervisor, case=case, reached=False)
    with pytest.raises(ValidationError, match="您无权进行该监察操作。"):
        callback_record(actor=office.unit_head, case=case, reached=False)
    assert Callback.objects.count() == 1


# ---- violations -------------------------------------------------------------------------------


def test_a_violation_is_confirmed_then_published_only_with_a_text(office, alert):
    violation = violation_confirm(actor=office.supervisor, alert=alert, summary="承办人卢帆超期 3 个工作日未办结")
    assert (violation.department, violation.state) == (office.hall.department, "confirmed")

    with pytest.raises(ValidationError) as error:
        violation_publish(actor=office.supervisor, violation=violation, published_text=" ")
    assert error.value.message_dict == {"published_text": ["请填写公开内容。"]}
    with pytest.raises(ValidationError, match="您无权进行该监察操作。"):
        violation_publish(actor=office.unit_head, violation=violation, published_text="通报")
    violation.refresh_from_db()
    assert violation.state == "confirmed"

    violation_publish(
        actor=office.supervisor, violation=violation, published_text="区市场监督管理局一件办件超期办结，已责令整改。"
    )
    violation.refresh_from_db()
    assert (violation.state, violation.published_by) == ("published", office.supervisor)
    with pytest.raises(ValidationError, match="该违规已公开，不能重复公开。"):
        violation_publish(actor=office.supervisor, violation=violation, published_text="再次")
    assert actions("supervision.violation") == ["supervision.violation_confirmed", "supervision.violation_published"]


def test_a_dismissed_alert_cannot_become_a_violation(office, alert):
    alert_dismiss(actor=office.supervisor, alert=alert, reason="误报")

    with pytest.raises(ValidationError, match="已排除的告警不能认定为违规。"):
        violation_confirm(actor=office.supervisor, alert=alert, summary="x")
    with pytest.raises(ValidationError, match="违规认定须来源于告警或督办单。"):
        violation_confirm(actor=office.supervisor, summary="x")
    assert not Violation.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_issuing_an_order_appends_its_clock_and_order_events_together_at_the_end(office, alert):
    from tests.audit.appends import assert_one_append, audit_appends

    with audit_appends() as appends:
        issue(office, alert)
    assert_one_append(appends)
    assert appends.actions() == ["workcal.clock.started", "supervision.order_issued"]


@time_machine.travel(MONDAY, tick=False)
def test_an_order_failing_after_its_clock_started_appends_nothing_and_leaves_nothing(office, alert, monkeypatch):
    from tests.audit.appends import audit_appends
    from zhengwu.audit.domain import audit_verify
    from zhengwu.supervision.domain import work
    from zhengwu.workcal.models.clock import Clock

    def fail(*args, **kwargs):
        raise RuntimeError("notification failed")

    monkeypatch.setattr(work, "_tell_department", fail)
    clocks = Clock.objects.count()
    with audit_appends() as appends, pytest.raises(RuntimeError):
        issue(office, alert)
    assert (appends.head_statements, appends.actions()) == (0, [])
    assert not SupervisionOrder.objects.exists()
    assert Clock.objects.count() == clocks
    assert audit_verify() is None
