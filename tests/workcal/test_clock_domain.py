from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.workcal.calendar_helpers import ensure_national_calendar
from tests.workcal.clock_helpers import at, clock_events, frozen, state, subject, user
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus, DisplayStatus, PauseReason
from zhengwu.workcal.domain.clock import (
    clock_extend,
    clock_pause,
    clock_recompute,
    clock_restart,
    clock_resume,
    clock_start,
    clock_stop,
)
from zhengwu.workcal.models import Clock, ClockExtension, ClockPause

D = date.fromisoformat
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


@pytest.fixture
def handler(db):
    return user("handler", "李承办")


@pytest.fixture
def leader(db):
    return user("leader", "王局长")


def _start(handler, received: str, *, now: str | None = None, **kwargs) -> Clock:
    with frozen(now or received):
        return clock_start(actor=handler, subject=subject(), received_at=at(received), **kwargs)


def _decision(handler, received="2026-09-28 09:00", **kwargs) -> Clock:
    return _start(handler, received, preset="licence_decision", **kwargs)


# ---- start and exact due dates ----------------------------------------------------------------
def test_licence_decision_received_on_mid_autumn_counts_from_the_next_working_day(handler):
    clock = _decision(handler, "2026-09-25 15:00")
    assert (clock.unit, clock.limit_days) == ("working", 20)
    assert clock.start_date == D("2026-09-28")  # 9-25..27 中秋节 → 视为 9-28 (Mon) 收到
    assert clock.due_date == D("2026-10-30")  # across 国庆节 10-01..07, make-up Saturday 10-10 counted
    assert clock.due_at == at("2026-10-30 23:59:59.999999")
    assert clock.warn_at == at("2026-10-29 00:00")
    assert clock.status == ClockStatus.RUNNING
    assert clock.provisional is False
    assert clock_events(clock) == ["workcal.clock.started"]


def test_start_writes_one_audit_event_with_the_due_date(handler):
    clock = _decision(handler)
    event = AuditEvent.objects.get(object_type="workcal.clock", object_id=str(clock.pk))
    assert event.actor_repr == "李承办"
    assert event.before is None
    assert event.after["due_date"] == "2026-10-30"
    assert event.after["preset"] == "licence_decision"
    assert event.after["received_at"] == "2026-09-28T09:00:00+08:00"


@pytest.mark.parametrize(
    ("received", "start", "due"),
    [
        ("2025-09-30 09:00", "2025-09-30", "2025-11-04"),  # before closing time: that day
        ("2025-09-30 17:29", "2025-09-30", "2025-11-04"),
        ("2025-09-30 17:30", "2025-10-09", "2025-11-05"),  # after hours: next working day, past 国庆
        ("2025-09-30 23:00", "2025-10-09", "2025-11-05"),
        ("2025-10-04 10:00", "2025-10-09", "2025-11-05"),  # on a holiday
        ("2025-10-11 10:00", "2025-10-11", "2025-11-07"),  # make-up Saturday is a working day
    ],
)
def test_after_hours_and_rest_day_receipt(handler, received, start, due):
    clock = _decision(handler, received)
    assert (clock.start_date, clock.due_date) == (D(start), D(due))


@pytest.mark.parametrize(
    ("received", "preset", "due"),
    [
        ("2026-02-13 10:00", "licence_acceptance", "2026-02-27"),  # 2-14 make-up, then 春节 2-15..23
        ("2026-02-14 10:00", "licence_acceptance", "2026-02-28"),  # started on the make-up Saturday
        ("2025-01-24 10:00", "licence_acceptance", "2025-02-07"),  # 1-26 make-up Sunday, 春节 1-28..2-4
        ("2025-12-31 10:00", "disclosure_correction_notice", "2026-01-12"),  # 元旦 2026-01-01..03, 1-04 make-up
        ("2026-04-30 10:00", "penalty_service", "2026-05-13"),  # 劳动节 5-01..05, 5-09 make-up
    ],
)
def test_working_day_table_across_2025_and_2026(handler, received, preset, due):
    assert _start(handler, received, preset=preset).due_date == D(due)


def test_calendar_clock_ending_on_national_day_rolls_forward(handler):
    clock = _start(handler, "2026-07-03 18:00", preset="penalty_decision")
    assert (clock.unit, clock.start_date) == ("calendar", D("2026-07-03"))  # no after-hours rule for calendar days
    assert clock.due_date == D("2026-10-08")  # day 90 = 10-01 (国庆节) → first working day after the holiday


def test_calendar_clock_counts_holidays_inside_the_period(handler):
    clock = _start(handler, "2026-02-10 10:00", preset="penalty_fine_payment")
    assert clock.due_date == D("2026-02-25")  # 2-25 (Wed): 春节 days inside count as ordinary days


def test_period_into_a_year_not_loaded_is_provisional(handler):
    clock = _start(handler, "2026-12-15 10:00", preset="licence_decision")
    assert clock.due_date == D("2027-01-12")  # 2027 counted Mon–Fri (元旦 unknown)
    assert clock.provisional is True


def test_start_with_explicit_unit_and_limit(handler):
    clock = _start(handler, "2026-03-02 09:00", unit="calendar", limit=10)
    assert (clock.preset, clock.due_date) == (None, D("2026-03-12"))


def test_promised_limit_shorter_than_the_statutory_one(handler):
    clock = _start(handler, "2026-03-02 09:00", preset="licence_decision", limit=5)
    assert (clock.limit_days, clock.due_date) == (5, D("2026-03-09"))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"preset": "nope"}, {"preset": ["未知的法定期限：nope。"]}),
        (
            {"preset": "licence_decision", "unit": "calendar"},
            {"unit": ["“行政许可决定”按工作日计算，不能改为其他单位。"]},
        ),
        (
            {"preset": "licence_decision", "limit": 21},
            {"limit": ["期限不能超过法定期限 20 个工作日（《行政许可法》第四十二条第一款、第八十二条）。"]},
        ),
        ({"unit": "weeks", "limit": 3}, {"unit": ["请选择计算单位：工作日或自然日。"]}),
        ({"unit": "working"}, {"limit": ["期限必须为正整数。"]}),
        ({"unit": "working", "limit": 0}, {"limit": ["期限必须为正整数。"]}),
    ],
)
def test_start_refuses_bad_input_and_writes_nothing(handler, kwargs, error):
    with frozen("2026-03-02 10:00"), pytest.raises(ValidationError) as exc:
        clock_start(actor=handler, subject=subject(), received_at=at("2026-03-02 09:00"), **kwargs)
    assert exc.value.message_dict == error
    assert Clock.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_start_refuses_a_future_receipt(handler):
    with frozen("2026-03-02 10:00"), pytest.raises(ValidationError) as exc:
        clock_start(actor=handler, subject=subject(), preset="licence_decision", received_at=at("2026-03-02 11:00"))
    assert exc.value.message_dict == {"received_at": ["收到时间不能晚于当前时间。"]}


# ---- pause and resume -------------------------------------------------------------------------
def test_pause_keeps_the_due_date_until_resumed(handler):
    clock = _decision(handler)
    with frozen("2026-10-12 10:00"):
        clock_pause(
            actor=handler,
            clock=clock,
            reason=PauseReason.EXPERT_REVIEW,
            basis="组织专家评审，已书面告知申请人",
            at=at("2026-10-12 10:00"),
            expected_days=5,
        )
    assert clock.status == ClockStatus.PAUSED
    assert clock.paused_at == at("2026-10-12 10:00")
    assert clock.due_date == D("2026-10-30")  # as if resumed now
    assert clock.display_status(at("2026-11-20 10:00")) == DisplayStatus.PAUSED
    pause = ClockPause.objects.get(clock=clock)
    assert (pause.reason, pause.expected_days, pause.ended_at, pause.started_by) == (
        "expert_review",
        5,
        None,
        handler,
    )


def test_resume_moves_the_due_date_by_the_working_days_paused(handler):
    clock = _decision(handler)
    with frozen("2026-10-12 10:00"):
        clock_pause(actor=handler, clock=clock, reason="hearing", basis="听证", at=at("2026-10-12 10:00"))
    with frozen("2026-10-15 16:00"):
        clock_resume(actor=handler, clock=clock, at=at("2026-10-15 16:00"))
    # (10-12, 10-15] = Tue, Wed, Thu: 3 working days not counted; 10-12 itself still counts
    assert clock.status == ClockStatus.RUNNING
    assert clock.paused_at is None
    assert (clock.paused_days, clock.due_date) == (3, D("2026-11-04"))
    assert ClockPause.objects.get(clock=clock).days_not_counted == 3
    assert clock_events(clock) == ["workcal.clock.started", "workcal.clock.paused", "workcal.clock.resumed"]
    event = AuditEvent.objects.filter(action="workcal.clock.resumed").get()
    assert (event.before["due_date"], event.after["due_date"]) == ("2026-10-30", "2026-11-04")
    assert event.after["days_not_counted"] == 3


def test_pause_over_national_day_counts_only_working_days(handler):
    clock = _decision(handler)
    with frozen("2026-09-30 10:00"):
        clock_pause(actor=handler, clock=clock, reason="testing", basis="送检", at=at("2026-09-30 10:00"))
    with frozen("2026-10-09 10:00"):
        clock_resume(actor=handler, clock=clock, at=at("2026-10-09 10:00"))
    # (9-30, 10-09]: 10-08, 10-09 are the only working days
    assert (clock.paused_days, clock.due_date) == (2, D("2026-11-03"))


def test_pause_and_resume_on_the_same_day_costs_nothing(handler):
    clock = _decision(handler)
    with frozen("2026-10-12 17:00"):
        clock_pause(actor=handler, clock=clock, reason="inspection", basis="现场检验", at=at("2026-10-12 09:00"))
        clock_resume(actor=handler, clock=clock, at=at("2026-10-12 17:00"))
    assert (clock.paused_days, clock.due_date) == (0, D("2026-10-30"))


def test_backdated_open_pause_counts_up_to_now(handler):
    clock = _decision(handler)
    with frozen("2026-10-14 10:00"):
        clock_pause(actor=handler, clock=clock, reason="appraisal", basis="鉴定", at=at("2026-10-12 10:00"))
    assert (clock.paused_days, clock.due_date) == (2, D("2026-11-03"))


def test_calendar_clock_pause_counts_calendar_days(handler):
    clock = _start(handler, "2026-07-03 10:00", preset="penalty_decision")
    with frozen("2026-07-10 10:00"):
        clock_pause(actor=handler, clock=clock, reason="appraisal", basis="委托鉴定", at=at("2026-07-06 10:00"))
        clock_resume(actor=handler, clock=clock, at=at("2026-07-10 10:00"))
    # 4 calendar days not counted: day 94 = 10-05 (国庆节) → rolled to 10-08
    assert (clock.paused_days, clock.due_date) == (4, D("2026-10-08"))


# ---- extension --------------------------------------------------------------------------------
def test_extension_adds_exactly_n_working_days(handler, leader):
    clock = _decision(handler)
    with frozen("2026-10-26 10:00"):
        clock_extend(actor=handler, clock=clock, days=10, basis="情况复杂，经局长批准延长", approver=leader)
    assert (clock.extension_days, clock.due_date) == (10, D("2026-11-13"))
    extension = ClockExtension.objects.get(clock=clock)
    assert (extension.days, extension.approver, extension.recorded_by, extension.approved_at) == (
        10,
        leader,
        handler,
        at("2026-10-26 10:00"),
    )
    event = AuditEvent.objects.filter(action="workcal.clock.extended").get()
    assert (event.before["due_date"], event.after["due_date"], event.after["approver"]) == (
        "2026-10-30",
        "2026-11-13",
        "王局长",
    )


def test_extension_and_pause_add_up(handler, leader):
    clock = _decision(handler)
    with frozen("2026-10-12 10:00"):
        clock_pause(actor=handler, clock=clock, reason="expert_review", basis="专家评审", at=at("2026-10-12 10:00"))
    with frozen("2026-10-15 16:00"):
        clock_resume(actor=handler, clock=clock, at=at("2026-10-15 16:00"))
        clock_extend(actor=handler, clock=clock, days=10, basis="延长", approver=leader)
    assert clock.due_date == D("2026-11-18")  # 20 + 10 + 3 working days after 9-28


def test_extension_beyond_the_statutory_maximum_is_refused(handler, leader):
    clock = _decision(handler)
    with frozen("2026-10-20 10:00"):
        clock_extend(actor=handler, clock=clock, days=6, basis="第一次", approver=leader)
        before = state(clock)
        with pytest.raises(ValidationError) as exc:
            clock_extend(actor=handler, clock=clock, days=5, basis="第二次", approver=leader)
    assert exc.value.message_dict == {
        "days": [
            "超过可延长的期限：“行政许可决定”最多可延长 10 个工作日，本轮已延长 6 个工作日"
            "（《行政许可法》第四十二条第一款、第八十二条）。"
        ]
    }
    assert state(clock) == before


def test_a_period_without_extension_cannot_be_extended(handler, leader):
    clock = _start(handler, "2026-03-02 09:00", preset="licence_acceptance")
    with frozen("2026-03-03 10:00"), pytest.raises(ValidationError) as exc:
        clock_extend(actor=handler, clock=clock, days=1, basis="x", approver=leader)
    assert exc.value.message_dict == {"days": ["“行政许可申请受理（一次性告知补正）”依法不可延长。"]}


# ---- restart ----------------------------------------------------------------------------------
def test_corrected_disclosure_request_restarts_the_period(handler, leader):
    clock = _start(handler, "2026-03-02 09:00", preset="disclosure_reply")
    assert clock.due_date == D("2026-03-30")
    with frozen("2026-03-05 10:00"):
        clock_pause(actor=handler, clock=clock, reason="correction", basis="一次性告知补正", at=at("2026-03-05 10:00"))
    with frozen("2026-03-16 14:00"):
        clock_restart(actor=handler, clock=clock, at=at("2026-03-16 14:00"), basis="收到补正后的申请（条例第三十条）")
    assert clock.status == ClockStatus.RUNNING
    assert (clock.run, clock.started_at, clock.received_at) == (2, at("2026-03-16 14:00"), at("2026-03-02 09:00"))
    assert (clock.start_date, clock.due_date) == (D("2026-03-16"), D("2026-04-14"))  # 清明 4-06 not counted
    assert (clock.paused_days, clock.extension_days) == (0, 0)
    old_pause = ClockPause.objects.get(clock=clock)
    assert (old_pause.run, old_pause.ended_at) == (1, at("2026-03-16 14:00"))
    event = AuditEvent.objects.filter(action="workcal.clock.restarted").get()
    assert (event.before["due_date"], event.after["due_date"]) == ("2026-03-30", "2026-04-14")
    assert event.after["basis"] == "收到补正后的申请（条例第三十条）"


def test_pauses_and_extensions_before_a_restart_no_longer_count(handler, leader):
    clock = _start(handler, "2026-03-02 09:00", preset="disclosure_reply")
    with frozen("2026-03-06 10:00"):
        clock_pause(actor=handler, clock=clock, reason="third_party", basis="征求第三方意见", at=at("2026-03-03 10:00"))
        clock_resume(actor=handler, clock=clock, at=at("2026-03-06 10:00"))
        clock_extend(actor=handler, clock=clock, days=5, basis="延长", approver=leader)
    assert clock.due_date == D("2026-04-10")  # 20 + 5 + 3
    with frozen("2026-03-09 10:00"):
        clock_restart(actor=handler, clock=clock, at=at("2026-03-09 10:00"), basis="申请人补正")
    assert (clock.start_date, clock.due_date) == (D("2026-03-09"), D("2026-04-07"))
    # a fresh extension in the new run may again use the full 20 working days
    with frozen("2026-03-10 10:00"):
        clock_extend(actor=handler, clock=clock, days=20, basis="延长", approver=leader)
    assert clock.extension_days == 20


# ---- stop -------------------------------------------------------------------------------------
def test_stop_on_the_due_day_is_on_time(handler):
    clock = _decision(handler)
    with frozen("2026-10-30 23:00"):
        clock_stop(actor=handler, clock=clock, at=at("2026-10-30 23:00"))
    assert (clock.status, clock.outcome, clock.stopped_at) == ("stopped", ClockOutcome.ON_TIME, at("2026-10-30 23:00"))
    assert clock.display_status() == DisplayStatus.STOPPED_ON_TIME


def test_stop_after_the_due_day_is_late(handler):
    clock = _decision(handler)
    with frozen("2026-10-31 00:00"):
        clock_stop(actor=handler, clock=clock, at=at("2026-10-31 00:00"))
    assert clock.outcome == ClockOutcome.LATE
    assert clock.display_status() == DisplayStatus.STOPPED_LATE
    event = AuditEvent.objects.filter(action="workcal.clock.stopped").get()
    assert event.after["outcome"] == "late"


def test_stop_while_paused_closes_the_pause(handler):
    clock = _decision(handler)
    with frozen("2026-10-16 10:00"):
        clock_pause(actor=handler, clock=clock, reason="correction", basis="补正", at=at("2026-10-12 10:00"))
        clock_stop(actor=handler, clock=clock, at=at("2026-10-16 10:00"))
    pause = ClockPause.objects.get(clock=clock)
    assert (pause.ended_at, pause.days_not_counted) == (at("2026-10-16 10:00"), 4)
    assert (clock.due_date, clock.outcome, clock.paused_at) == (D("2026-11-05"), "on_time", None)


@pytest.mark.parametrize(
    ("stop_at", "error"),
    [
        ("2026-09-27 10:00", "停止时间不能早于本轮计时起算时间（2026-09-28 09:00）。"),
        ("2026-10-20 10:00", "停止时间不能晚于当前时间。"),
    ],
)
def test_a_refused_stop_inside_a_transaction_changes_nothing_and_leaves_it_usable(handler, stop_at, error):
    from django.db import transaction

    clock = _decision(handler)
    before = state(clock)
    with frozen("2026-10-16 10:00"), transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            clock_stop(actor=handler, clock=clock, at=at(stop_at))
        assert exc.value.messages == [error]
        assert Clock.objects.get(pk=clock.pk).status == ClockStatus.RUNNING  # the transaction carries on
    assert state(Clock.objects.get(pk=clock.pk)) == before
    assert AuditEvent.objects.filter(action="workcal.clock.stopped").count() == 0


def _fields(clock: Clock) -> dict:
    return {f.attname: getattr(clock, f.attname) for f in Clock._meta.concrete_fields}


def test_a_clock_unchanged_since_it_was_read_is_stopped_by_one_update(handler):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    clock = _decision(handler)
    with frozen("2026-10-16 10:00"), transaction.atomic():
        current_index()  # the transaction's calendar version, as a case's lock reads it along
        with CaptureQueriesContext(connection) as queries:
            clock_stop(actor=handler, clock=clock, at=at("2026-10-16 10:00"))
    on_clocks = [q["sql"].split()[0] for q in queries.captured_queries if "workcal_" in q["sql"]]
    assert on_clocks == ["UPDATE"]  # the compare-and-set on the version: no lock read, no calendar read
    stored = Clock.objects.get(pk=clock.pk)
    assert (stored.status, stored.outcome, stored.version) == (ClockStatus.STOPPED, ClockOutcome.ON_TIME, 2)
    assert _fields(clock) == _fields(stored)
    assert clock_events(clock) == ["workcal.clock.started", "workcal.clock.stopped"]


def test_a_clock_changed_since_it_was_read_is_read_again_under_its_lock_and_stopped_as_it_is_now(handler):
    clock = _decision(handler)
    stale = Clock.objects.get(pk=clock.pk)
    with frozen("2026-10-16 10:00"):
        clock_pause(actor=handler, clock=clock, reason="correction", basis="补正", at=at("2026-10-12 10:00"))
        clock_stop(actor=handler, clock=stale, at=at("2026-10-16 10:00"))  # still thinks it runs
    pause = ClockPause.objects.get(clock=clock)
    assert (pause.ended_at, pause.days_not_counted) == (at("2026-10-16 10:00"), 4)  # the pause was seen and closed
    stored = Clock.objects.get(pk=clock.pk)
    assert (stored.due_date, stored.outcome, stored.paused_at, stored.version) == (D("2026-11-05"), "on_time", None, 3)
    assert _fields(stale) == _fields(stored)  # the caller's instance has what was committed
    assert clock_events(clock) == ["workcal.clock.started", "workcal.clock.paused", "workcal.clock.stopped"]


def test_a_stale_read_of_a_stopped_clock_is_refused_and_left_as_committed(handler):
    clock = _decision(handler)
    stale = Clock.objects.get(pk=clock.pk)
    with frozen("2026-10-16 10:00"):
        clock_stop(actor=handler, clock=clock, at=at("2026-10-16 10:00"))
        with pytest.raises(ValidationError, match="计时已停止，不能重复停止。"):
            clock_stop(actor=handler, clock=stale, at=at("2026-10-16 10:00"))
    assert _fields(stale) == _fields(Clock.objects.get(pk=clock.pk))
    assert clock_events(clock) == ["workcal.clock.started", "workcal.clock.stopped"]


# ---- display status ---------------------------------------------------------------------------
def test_display_status_over_time(handler):
    clock = _decision(handler)
    assert clock.display_status(at("2026-10-28 23:59")) == DisplayStatus.RUNNING
    assert clock.display_status(at("2026-10-29 00:00")) == DisplayStatus.DUE_SOON
    assert clock.display_status(at("2026-10-30 23:59:59")) == DisplayStatus.DUE_SOON
    assert clock.display_status(at("2026-10-31 00:00")) == DisplayStatus.OVERDUE
    assert [s.label for s in DisplayStatus] == ["计时中", "已暂停", "即将到期", "已超期", "按期办结", "超期办结"]


def test_due_soon_window_is_configurable(handler, settings):
    settings.WORKCAL_DUE_SOON_WORKING_DAYS = 3
    clock = _decision(handler)
    assert clock.warn_at == at("2026-10-27 00:00")


def test_elapsed_fraction_excludes_paused_days(handler):
    clock = _decision(handler)
    with frozen("2026-10-15 16:00"):
        clock_pause(actor=handler, clock=clock, reason="hearing", basis="听证", at=at("2026-10-12 10:00"))
        clock_resume(actor=handler, clock=clock, at=at("2026-10-15 16:00"))
    # (9-28, 10-16] = 10 working days (10-10 is a make-up Saturday), 3 of them paused
    assert clock.elapsed_days(at("2026-10-16 12:00")) == 7
    assert clock.elapsed_fraction(at("2026-10-16 12:00")) == 7 / 20


# ---- illegal transitions: exact error, nothing changed, no audit event ------------------------
def _paused(handler):
    clock = _decision(handler)
    with frozen("2026-10-12 10:00"):
        clock_pause(actor=handler, clock=clock, reason="hearing", basis="听证", at=at("2026-10-12 10:00"))
    return clock


def _stopped(handler):
    clock = _decision(handler)
    with frozen("2026-10-12 10:00"):
        clock_stop(actor=handler, clock=clock, at=at("2026-10-12 10:00"))
    return clock


ILLEGAL = [
    # (make clock, call, expected messages)
    (
        _paused,
        lambda c, h, a: clock_pause(actor=h, clock=c, reason="hearing", basis="再次", at=at("2026-10-13 10:00")),
        ["计时已暂停，不能重复暂停。"],
    ),
    (
        _stopped,
        lambda c, h, a: clock_pause(actor=h, clock=c, reason="hearing", basis="x", at=at("2026-10-13 10:00")),
        ["计时已停止，不能暂停。"],
    ),
    (_decision, lambda c, h, a: clock_resume(actor=h, clock=c, at=at("2026-10-13 10:00")), ["计时未暂停，无需恢复。"]),
    (
        _stopped,
        lambda c, h, a: clock_resume(actor=h, clock=c, at=at("2026-10-13 10:00")),
        ["计时已停止，不能恢复计时。"],
    ),
    (
        _stopped,
        lambda c, h, a: clock_extend(actor=h, clock=c, days=2, basis="x", approver=a),
        ["计时已停止，不能延长。"],
    ),
    (
        _stopped,
        lambda c, h, a: clock_restart(actor=h, clock=c, at=at("2026-10-13 10:00"), basis="x"),
        ["计时已停止，不能重新起算。"],
    ),
    (_stopped, lambda c, h, a: clock_stop(actor=h, clock=c, at=at("2026-10-13 10:00")), ["计时已停止，不能重复停止。"]),
    (_stopped, lambda c, h, a: clock_recompute(clock=c), ["计时已停止，不再重新计算。"]),
]


@pytest.mark.parametrize(("make", "call", "messages"), ILLEGAL)
def test_illegal_transition_changes_nothing(handler, leader, make, call, messages):
    clock = make(handler)
    before = state(clock)
    with frozen("2026-10-14 10:00"), pytest.raises(ValidationError) as exc:
        call(clock, handler, leader)
    assert exc.value.messages == messages
    assert state(clock) == before


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda c, h, a: clock_extend(actor=h, clock=c, days=0, basis="x", approver=a),
            {"days": ["延长天数必须为正整数。"]},
        ),
        (
            lambda c, h, a: clock_extend(actor=h, clock=c, days=-3, basis="x", approver=a),
            {"days": ["延长天数必须为正整数。"]},
        ),
        (
            lambda c, h, a: clock_extend(actor=h, clock=c, days=2, basis=" ", approver=a),
            {"basis": ["请填写延长的理由与依据。"]},
        ),
        (
            lambda c, h, a: clock_extend(actor=h, clock=c, days=2, basis="x", approver=None),
            {"approver": ["请指定批准人。"]},
        ),
        (
            lambda c, h, a: clock_pause(actor=h, clock=c, reason="nap", basis="x", at=at("2026-10-13 10:00")),
            {"reason": ["未知的暂停事由。"]},
        ),
        (
            lambda c, h, a: clock_pause(actor=h, clock=c, reason="hearing", basis="", at=at("2026-10-13 10:00")),
            {"basis": ["请填写暂停的依据与说明。"]},
        ),
        (
            lambda c, h, a: clock_pause(
                actor=h, clock=c, reason="hearing", basis="x", at=at("2026-10-13 10:00"), expected_days=0
            ),
            {"expected_days": ["预计所需天数必须为正整数。"]},
        ),
        (
            lambda c, h, a: clock_pause(actor=h, clock=c, reason="hearing", basis="x", at=at("2026-10-15 10:00")),
            {"at": ["暂停时间不能晚于当前时间。"]},
        ),
        (
            lambda c, h, a: clock_pause(actor=h, clock=c, reason="hearing", basis="x", at=at("2026-09-27 10:00")),
            {"at": ["暂停时间不能早于本轮计时起算时间（2026-09-28 09:00）。"]},
        ),
        (
            lambda c, h, a: clock_restart(actor=h, clock=c, at=at("2026-10-13 10:00"), basis=""),
            {"basis": ["请填写重新起算的依据。"]},
        ),
        (
            lambda c, h, a: clock_stop(actor=h, clock=c, at=at("2026-09-28 08:00")),
            {"at": ["停止时间不能早于本轮计时起算时间（2026-09-28 09:00）。"]},
        ),
    ],
)
def test_bad_arguments_change_nothing(handler, leader, call, error):
    clock = _decision(handler)
    before = state(clock)
    with frozen("2026-10-14 10:00"), pytest.raises(ValidationError) as exc:
        call(clock, handler, leader)
    assert exc.value.message_dict == error
    assert state(clock) == before


def test_resume_before_the_pause_began_is_refused(handler):
    clock = _paused(handler)
    before = state(clock)
    with frozen("2026-10-14 10:00"), pytest.raises(ValidationError) as exc:
        clock_resume(actor=handler, clock=clock, at=at("2026-10-12 09:00"))
    assert exc.value.message_dict == {"at": ["恢复时间不能早于暂停时间（2026-10-12 10:00）。"]}
    assert state(clock) == before


def test_a_new_pause_cannot_overlap_the_previous_one(handler):
    clock = _paused(handler)
    with frozen("2026-10-14 10:00"):
        clock_resume(actor=handler, clock=clock, at=at("2026-10-14 10:00"))
        before = state(clock)
        with pytest.raises(ValidationError) as exc:
            clock_pause(actor=handler, clock=clock, reason="testing", basis="x", at=at("2026-10-13 10:00"))
    assert exc.value.message_dict == {"at": ["暂停时间不能早于上一次恢复计时的时间（2026-10-14 10:00）。"]}
    assert state(clock) == before


def test_an_expired_period_cannot_be_paused_or_extended(handler, leader):
    clock = _decision(handler)
    before = state(clock)
    with frozen("2026-11-02 10:00"):
        with pytest.raises(ValidationError) as exc:
            clock_pause(actor=handler, clock=clock, reason="hearing", basis="x", at=at("2026-11-02 10:00"))
        assert exc.value.messages == ["期限已于 2026-10-30 届满，不能再暂停计时。"]
        with pytest.raises(ValidationError) as exc:
            clock_extend(actor=handler, clock=clock, days=5, basis="x", approver=leader)
        assert exc.value.messages == ["期限已于 2026-10-30 届满，不能再延长。"]
    assert state(clock) == before


def test_start_requires_a_saved_subject(handler):
    from zhengwu.org.models import Region

    with frozen("2026-03-02 10:00"), pytest.raises(ValidationError) as exc:
        clock_start(
            actor=handler, subject=Region(name="x"), preset="licence_decision", received_at=at("2026-03-02 09:00")
        )
    assert exc.value.message_dict == {"subject": ["计时对象尚未保存。"]}


def test_version_counts_every_transition(handler, leader):
    clock = _decision(handler)
    assert clock.version == 1
    with frozen("2026-10-15 16:00"):
        clock_pause(actor=handler, clock=clock, reason="hearing", basis="听证", at=at("2026-10-12 10:00"))
        clock_resume(actor=handler, clock=clock, at=at("2026-10-15 16:00"))
        clock_extend(actor=handler, clock=clock, days=1, basis="x", approver=leader)
        clock_stop(actor=handler, clock=clock, at=at("2026-10-15 16:00"))
    assert Clock.objects.get(pk=clock.pk).version == 5


def test_system_actor_is_recorded_by_name(handler):
    clock = _decision(handler)
    with frozen("2026-10-12 10:00"):
        clock_pause(actor="system:workflow", clock=clock, reason="hearing", basis="听证", at=at("2026-10-12 10:00"))
    assert ClockPause.objects.get(clock=clock).started_by is None
    assert AuditEvent.objects.filter(action="workcal.clock.paused").get().actor_repr == "system:workflow"


# ---- set-based queries ------------------------------------------------------------------------
def test_queryset_finds_clocks_by_subject_and_derived_status(handler):
    first = _decision(handler)
    second = _start(handler, "2026-09-01 09:00", preset="licence_decision")  # due 9-28
    with frozen("2026-10-12 10:00"):
        stopped = _decision(handler)
        clock_stop(actor=handler, clock=stopped, at=at("2026-10-12 10:00"))
    now = at("2026-10-29 10:00")
    assert list(Clock.objects.for_subject(first.subject)) == [first]
    assert set(Clock.objects.open()) == {first, second}
    assert list(Clock.objects.due_soon(now)) == [first]
    assert list(Clock.objects.overdue(now)) == [second]
    assert list(Clock.objects.with_display_status("stopped_on_time", now)) == [stopped]
    for clock in Clock.objects.all():
        assert clock in Clock.objects.with_display_status(clock.display_status(now), now)
