"""Row locks keep supervisors' work consistent under concurrent requests (PostgreSQL only)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.concurrency import race
from tests.supervision.factories import at, give_handling_clock, make_alert, make_case
from zhengwu.supervision.domain.work import (
    alert_acknowledge,
    alert_dismiss,
    supervision_order_close,
    supervision_order_issue,
    supervision_order_report,
    supervision_order_return,
)
from zhengwu.supervision.enums import AlertLevel, AlertStatus, OrderState
from zhengwu.supervision.models import Alert, RectificationReport, SupervisionOrder

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def alert(office):
    case = make_case(office.hall.version, office.hall.department, received_at=at(2026, 11, 2))
    give_handling_clock(case)
    return make_alert(subject=case, level=AlertLevel.RED)


def test_two_reports_on_one_order_leave_one_report(office, alert):
    order = supervision_order_issue(
        actor=office.supervisor,
        department=office.hall.department,
        alerts=[alert],
        requirement="整改",
        due_working_days=3,
    )

    results = race(
        lambda: supervision_order_report(actor=office.unit_head, order=SupervisionOrder(pk=order.pk), text="甲"),
        lambda: supervision_order_report(actor=office.leader_in_charge, order=SupervisionOrder(pk=order.pk), text="乙"),
    )

    assert results["first"] == "ok" and results["contender_waited"]
    assert isinstance(results["second"], ValidationError)
    assert "督办单当前状态为“待核查”，不能报送整改。" in results["second"].messages
    assert list(RectificationReport.objects.values_list("text", flat=True)) == ["甲"]


def test_close_and_return_at_once_apply_only_one(office, alert):
    order = supervision_order_issue(
        actor=office.supervisor,
        department=office.hall.department,
        alerts=[alert],
        requirement="整改",
        due_working_days=3,
    )
    supervision_order_report(actor=office.unit_head, order=order, text="已整改")

    results = race(
        lambda: supervision_order_close(actor=office.supervisor, order=SupervisionOrder(pk=order.pk)),
        lambda: supervision_order_return(actor=office.supervisor, order=SupervisionOrder(pk=order.pk), reason="不到位"),
    )

    assert results["first"] == "ok" and results["contender_waited"]
    assert "督办单当前状态为“已办结”，不能退回整改。" in results["second"].messages
    assert SupervisionOrder.objects.get(pk=order.pk).state == OrderState.CLOSED


def test_a_dismissal_waits_for_an_acknowledgement_and_then_wins(office, alert):
    results = race(
        lambda: alert_acknowledge(actor=office.supervisor, alert=Alert(pk=alert.pk), note="已提醒"),
        lambda: alert_dismiss(actor=office.supervisor, alert=Alert(pk=alert.pk), reason="误报"),
    )

    assert results == {"first": "ok", "second": "ok", "contender_waited": True}
    alert.refresh_from_db()
    assert (alert.status, alert.handling_note) == (AlertStatus.DISMISSED, "误报")
