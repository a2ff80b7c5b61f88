"""The sweep's reconciliation: dismissed stays dismissed, put right resolves, recurrence reopens, levels follow
extensions, incremental equals full, and the entry points (task, command)."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from tests.cases.test_acceptance import online
from tests.supervision.conftest import HANDLING_DUE, MICRO, MONDAY, alerts, at, sweep
from zhengwu.cases.domain.processing import case_accept_and_start
from zhengwu.cases.models import Case
from zhengwu.notifications.models import Message
from zhengwu.supervision.enums import AlertLevel, AlertStatus, SweepKind
from zhengwu.supervision.models import Alert, MonitoringPoint, SweepRun
from zhengwu.supervision.tasks import sweep as sweep_task
from zhengwu.workcal.domain.clock import clock_extend, clock_pause, clock_resume

pytestmark = pytest.mark.django_db

CODE = "approval.handling_overdue"


def handling_alert(case) -> Alert:
    return Alert.objects.get(point__code=CODE, object_id=str(case.pk))


def test_a_dismissed_alert_stays_dismissed_on_every_rung(accepted, hall):
    sweep(at(2026, 3, 6))
    Alert.objects.filter(point__code=CODE).update(status=AlertStatus.DISMISSED, handling_note="已核实：系统外延期")
    for now in (HANDLING_DUE + MICRO, at(2026, 3, 12), at(2026, 3, 20)):
        sweep(now)
    alert = handling_alert(accepted)
    assert (alert.status, alert.level, alert.handling_note) == (
        AlertStatus.DISMISSED,
        AlertLevel.WARNING,
        "已核实：系统外延期",
    )


def messages(category: str) -> int:
    return Message.objects.filter(category=category).count()


def test_an_extension_resolves_and_the_new_deadline_climbs_the_same_alert(accepted, hall):
    sweep(at(2026, 3, 6))
    warned = messages("supervision.warning")
    assert warned > 0
    with time_machine.travel(at(2026, 3, 6, 10), tick=False):
        clock_extend(
            actor=hall.handler, clock=accepted.handling_clock, days=5, basis="依法延长", approver=hall.section_head
        )
    sweep(at(2026, 3, 6, 11))
    alert = handling_alert(accepted)
    assert alert.status == AlertStatus.RESOLVED  # due 2026-03-16 now: not on the ladder
    sweep(at(2026, 3, 12))  # 8 of 10 days used: the same row reopens; this rung was notified already
    alert.refresh_from_db()
    assert (alert.status, alert.level, alert.notified_level) == (AlertStatus.OPEN, AlertLevel.WARNING, 1)
    assert messages("supervision.warning") == warned
    sweep(at(2026, 3, 17))
    alert.refresh_from_db()
    assert (alert.level, alert.notified_level) == (AlertLevel.YELLOW, AlertLevel.YELLOW)
    assert Alert.objects.filter(point__code=CODE).count() == 1


def test_a_lowered_level_is_notified_again_when_crossed_again(accepted):
    sweep(at(2026, 3, 12))
    red = messages("supervision.red_card")
    assert (handling_alert(accepted).level, red > 0) == (AlertLevel.RED, True)
    MonitoringPoint.objects.filter(code=CODE).update(thresholds={"warn_ratio": 0.8, "red_after_working_days": 5})
    sweep(at(2026, 3, 12, 1))
    alert = handling_alert(accepted)
    assert (alert.level, alert.notified_level) == (AlertLevel.YELLOW, AlertLevel.YELLOW)
    sweep(at(2026, 3, 16, 23, 59, 59, 999999))
    assert handling_alert(accepted).level == AlertLevel.YELLOW
    sweep(at(2026, 3, 17))  # five working days (10th–16th) after the due date
    assert handling_alert(accepted).level == AlertLevel.RED
    assert messages("supervision.red_card") == 2 * red


def test_a_pause_resolves_the_ladder_and_resuming_reopens_the_same_alert(accepted, hall):
    sweep(at(2026, 3, 6, 9))
    with time_machine.travel(at(2026, 3, 6, 10), tick=False):
        clock_pause(
            actor=hall.handler, clock=accepted.handling_clock, reason="inspection", basis="检验", at=at(2026, 3, 6, 10)
        )
    sweep(at(2026, 3, 6, 11))
    assert alerts(CODE) == [(CODE, str(accepted.pk), "", AlertLevel.WARNING, AlertStatus.RESOLVED)]
    with time_machine.travel(at(2026, 3, 6, 12), tick=False):
        clock_resume(actor=hall.handler, clock=Case.objects.get(pk=accepted.pk).handling_clock, at=at(2026, 3, 6, 12))
    sweep(at(2026, 3, 6, 13))
    assert alerts(CODE) == [(CODE, str(accepted.pk), "", AlertLevel.WARNING, AlertStatus.OPEN)]


def _scenario(hall) -> list[Case]:
    """Cases accepted on different days, one of them later extended, one decided."""
    cases = []
    for day in (2, 3, 4, 5):
        with time_machine.travel(at(2026, 3, day, 10), tick=False):
            case = online(hall)
            case_accept_and_start(actor=hall.handler, case=case)
            cases.append(Case.objects.get(pk=case.pk))
    return cases


def snapshot() -> list[tuple]:
    return sorted(
        Alert.objects.values_list(
            "point__code", "object_id", "key", "level", "status", "due_at", "notified_level", "details"
        )
    )


@pytest.mark.parametrize("with_escalation", [True, False])
def test_incremental_sweeps_give_the_same_alerts_as_a_full_sweep(hall, with_escalation):
    cases = _scenario(hall)
    instants = [at(2026, 3, 6), at(2026, 3, 9, 12), at(2026, 3, 10), at(2026, 3, 10, 0, 5), at(2026, 3, 12),
                at(2026, 3, 13, 8)]  # fmt: skip
    sweep(at(2026, 3, 5, 12), escalate=with_escalation)
    incremental = []
    for i, now in enumerate(instants):
        if i == 2:
            with time_machine.travel(now - timedelta(minutes=1), tick=False):
                clock_extend(
                    actor=hall.handler, clock=cases[3].handling_clock, days=3, basis="延长", approver=hall.section_head
                )
        run = sweep(now, kind=SweepKind.INCREMENTAL, escalate=with_escalation)
        assert run.kind == SweepKind.INCREMENTAL
        incremental.append(snapshot())
        full = sweep(now, kind=SweepKind.FULL, escalate=with_escalation)
        assert snapshot() == incremental[-1], now
        assert all(c["upserted"] == 0 and c["resolved"] == 0 for c in full.counts["points"].values())
    assert {row[3] for row in incremental[-1] if row[0] == CODE} == {AlertLevel.YELLOW, AlertLevel.RED}


def test_first_incremental_sweep_without_a_previous_run_is_full(accepted):
    run = sweep(at(2026, 3, 6), kind=SweepKind.INCREMENTAL)
    assert (run.kind, run.since) == (SweepKind.FULL, None)
    assert alerts(CODE) == [(CODE, str(accepted.pk), "", AlertLevel.WARNING, AlertStatus.OPEN)]


def test_an_edited_threshold_is_applied_by_the_next_incremental_sweep(accepted):
    sweep(at(2026, 3, 5, 12))
    assert alerts(CODE) == []
    point = MonitoringPoint.objects.get(code=CODE)
    with time_machine.travel(at(2026, 3, 5, 12, 1), tick=False):
        point.thresholds = {"warn_ratio": 0.5, "red_after_working_days": 2}
        point.save()
    sweep(at(2026, 3, 5, 12, 2), kind=SweepKind.INCREMENTAL)
    assert alerts(CODE) == [(CODE, str(accepted.pk), "", AlertLevel.WARNING, AlertStatus.OPEN)]


def test_points_are_synced_and_a_disabled_point_is_not_swept(accepted):
    sweep(MONDAY)
    codes = set(MonitoringPoint.objects.values_list("code", flat=True))
    assert {CODE, "approval.acceptance_overdue", "approval.step_overdue", "approval.one_time_notice",
            "approval.suspension", "approval.denial", "approval.negative_filing", "approval.fees",
            "approval.refusal_despite_complete"} <= codes  # fmt: skip
    assert MonitoringPoint.objects.get(code=CODE).thresholds == {"warn_ratio": 0.8, "red_after_working_days": 2}
    MonitoringPoint.objects.filter(code=CODE).update(enabled=False)
    run = sweep(at(2026, 3, 12))
    assert CODE not in run.counts["points"] and alerts(CODE) == []


def test_task_and_command_run_the_sweep(accepted):
    with time_machine.travel(at(2026, 3, 12), tick=False):
        result = sweep_task.apply(kwargs={"full": True}).get()
        assert result["kind"] == SweepKind.FULL
        out = StringIO()
        call_command("supervision_sweep", stdout=out)
    assert "增量扫描完成" in out.getvalue() and CODE in out.getvalue()
    assert list(SweepRun.objects.order_by("started_at").values_list("kind", flat=True)) == ["full", "incremental"]
    assert alerts(CODE) == [(CODE, str(accepted.pk), "", AlertLevel.RED, AlertStatus.OPEN)]
