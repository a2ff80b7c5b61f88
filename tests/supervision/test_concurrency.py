"""Two sweeps at once on PostgreSQL: no duplicate alert, each rung notified once."""

import threading

import pytest
import time_machine
from django.db import connection

from tests.concurrency import race
from tests.supervision.conftest import MONDAY, at
from zhengwu.cases.domain.processing import case_accept_and_start
from zhengwu.notifications.models import Message
from zhengwu.supervision.domain import supervision_sweep
from zhengwu.supervision.enums import AlertLevel, SweepKind
from zhengwu.supervision.models import Alert

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cases(hall):
    from tests.cases.test_acceptance import online

    made = []
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(3):
            case = online(hall)
            case_accept_and_start(actor=hall.handler, case=case)
            made.append(case)
    return made


def test_two_sweeps_at_once_leave_one_alert_per_situation_and_one_notification(cases):
    now = at(2026, 3, 12)
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def run(kind):
        try:
            barrier.wait(10)
            supervision_sweep(kind=kind, now=now)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(kind,)) for kind in (SweepKind.FULL, SweepKind.FULL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    rows = list(Alert.objects.filter(point__code="approval.handling_overdue").values_list("object_id", "level"))
    assert sorted(rows) == sorted((str(c.pk), AlertLevel.RED) for c in cases)
    per_recipient = Message.objects.filter(category="supervision.red_card").values_list("recipient_id", "subject")
    # the handler and the section head (the role fallback of a line without posts), once per case
    assert len(per_recipient) == len(set(per_recipient)) == 6


def test_a_sweep_waits_for_the_other_and_then_changes_nothing(cases):
    now = at(2026, 3, 12)
    result = race(lambda: supervision_sweep(now=now), lambda: supervision_sweep(now=now))
    assert (result["first"], result["second"], result["contender_waited"]) == ("ok", "ok", True)
    assert Alert.objects.filter(point__code="approval.handling_overdue").count() == 3
    assert Message.objects.filter(category="supervision.red_card").count() == 6
