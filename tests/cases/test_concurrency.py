"""Two staff acting at once never double-decide; numbers stay unique under concurrent intake; concurrent
sweeps deem a case accepted once (PostgreSQL only: SQLite serialises writers)."""

import contextlib
import threading
from datetime import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from tests.cases.test_acceptance import WALK_IN, online
from tests.concurrency import race
from zhengwu.audit.domain import audit_verify, audited_atomic
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    AlreadySubmitted,
    case_accept,
    case_refuse,
    case_register_at_window,
    case_submit_online,
    cases_deem_accepted,
    submission_key_new,
)
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 6
TZ = timezone.get_default_timezone()


def run_together(targets) -> tuple[list, list]:
    start = threading.Barrier(len(targets))
    results, errors = [], []

    def run(target):
        try:
            start.wait(10)
            results.append(target())
        except Exception as exc:  # collected for the assertions
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_concurrent_registrations_get_unique_consecutive_numbers(hall):
    snapshot = WALK_IN | {"id_number": hall.enterprise.enterprise.credit_code}

    def register():
        return case_register_at_window(
            clerk=hall.clerk, item_version=hall.version, applicant_snapshot=snapshot, materials=[]
        ).number

    numbers, errors = run_together([register] * THREADS)
    assert errors == []
    prefix = f"{hall.version.item.implementation_code}{timezone.localdate():%Y%m%d}"
    assert sorted(numbers) == [f"{prefix}{serial:04d}" for serial in range(1, THREADS + 1)]
    assert audit_verify() is None


@pytest.mark.parametrize("in_view_transaction", [False, True], ids=["alone", "in-the-view-s-transaction"])
def test_the_same_form_posted_several_times_at_once_files_one_case(hall, in_view_transaction):
    materials = hall.full_materials()
    key = submission_key_new()

    def submit():
        # the portal files inside its own transaction (the uploads and the case together), where the case's
        # insert may be held back to go with a later write (core.rows.rows_holding)
        with audited_atomic() if in_view_transaction else contextlib.nullcontext():
            return case_submit_online(
                applicant=hall.enterprise, item_version=hall.version, materials=materials, submission_key=key
            )

    cases, errors = run_together([submit] * THREADS)
    assert len(cases) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(error, AlreadySubmitted) for error in errors)
    assert {error.case.pk for error in errors} == {cases[0].pk}
    assert list(Case.objects.values_list("pk", flat=True)) == [cases[0].pk]
    assert AuditEvent.objects.filter(action="cases.submitted").count() == 1
    assert audit_verify() is None


def test_the_second_post_of_a_form_waits_for_the_first_and_then_answers_with_its_case(hall):
    materials = hall.full_materials()
    key = submission_key_new()
    filed = []

    def submit():
        return case_submit_online(
            applicant=hall.enterprise, item_version=hall.version, materials=materials, submission_key=key
        )

    results = race(lambda: filed.append(submit()), submit)
    assert results["first"] == "ok"
    assert results["contender_waited"] is True
    assert isinstance(results["second"], AlreadySubmitted)
    assert results["second"].case.pk == filed[0].pk
    assert list(Case.objects.values_list("pk", flat=True)) == [filed[0].pk]
    assert audit_verify() is None


def test_two_staff_deciding_at_once_never_double_decide(hall):
    case = online(hall)
    results, errors = run_together(
        [
            lambda: case_accept(actor=hall.handler, case=Case.objects.get(pk=case.pk)).state,
            lambda: case_refuse(actor=hall.section_head, case=Case.objects.get(pk=case.pk), reason="不符合条件").state,
        ]
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    final = Case.objects.get(pk=case.pk)
    assert final.state == results[0]
    decided = AuditEvent.objects.filter(object_id=str(case.pk), action__in=["cases.accepted", "cases.refused"])
    assert decided.count() == 1
    assert audit_verify() is None


def test_concurrent_sweeps_deem_each_case_once(hall):
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=TZ), tick=False):
        cases = [online(hall) for _ in range(3)]
    now = datetime(2026, 3, 10, 0, 0, tzinfo=TZ)
    with time_machine.travel(now, tick=False):
        results, errors = run_together([cases_deem_accepted] * 3)
    assert errors == []
    assert sum(results) == 3
    assert set(Case.objects.values_list("state", flat=True)) == {CaseState.ACCEPTED}
    assert AuditEvent.objects.filter(action="cases.deemed_accepted").count() == len(cases)
    assert audit_verify() is None


def test_second_decision_waits_for_the_first_and_then_sees_it(hall):
    case = online(hall)
    results = race(
        lambda: case_accept(actor=hall.handler, case=Case.objects.get(pk=case.pk)),
        lambda: case_refuse(actor=hall.section_head, case=Case.objects.get(pk=case.pk), reason="不符合条件"),
    )
    assert results["first"] == "ok"
    assert results["contender_waited"] is True
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["办件当前状态为“已受理”，不能不予受理。"]
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED
