"""Demo cases: histories replayed through the domain functions, loaded once for this module."""

from collections import Counter
from datetime import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.demo import cases_demo_load
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case, CaseDecision, CorrectionNotice
from zhengwu.core.demo.loader import demo_load
from zhengwu.workcal.models.clock import Clock
from zhengwu.workflow.enums import OPEN_TASK_STATES
from zhengwu.workflow.models import WorkTask

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TODAY = datetime(2026, 11, 20, 16, 0, tzinfo=timezone.get_default_timezone())  # a Friday
COUNT = 90


@pytest.fixture(scope="module")
def demo_cases(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media),
        time_machine.travel(TODAY, tick=False),
        transaction.atomic(),
    ):
        demo_load()
        stages = cases_demo_load(count=COUNT)
        yield stages
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_every_planned_case_is_replayed(demo_cases):
    assert sum(demo_cases.values()) == COUNT
    assert Case.objects.count() == COUNT


def test_cases_stand_in_every_early_and_late_state(demo_cases):
    states = Counter(Case.objects.values_list("state", flat=True))
    for state in (
        CaseState.SUBMITTED,
        CaseState.CORRECTION_REQUESTED,
        CaseState.REFUSED,
        CaseState.IN_PROGRESS,
        CaseState.DECIDED,
        CaseState.COMPLETED,
    ):
        assert states[state] > 0, state


def test_histories_lie_in_the_past_and_clocks_tell_overdue_from_on_track(demo_cases):
    assert not Case.objects.filter(received_at__gt=TODAY).exists()
    handling = Clock.objects.filter(pk__in=Case.objects.filter(state=CaseState.IN_PROGRESS).values("handling_clock"))
    assert handling.overdue(TODAY).exists()
    assert handling.exclude(due_at__lt=TODAY).exists()


def test_parallel_cases_wait_in_two_departments(demo_cases):
    open_tasks = WorkTask.objects.filter(
        state__in=sorted(OPEN_TASK_STATES), instance__definition__key="parallel_approval"
    )
    assert open_tasks.exists()
    departments_per_case = Counter(open_tasks.values_list("instance_id", "department_id").distinct())
    assert len({department for (_instance, department) in departments_per_case}) >= 2


def test_decisions_and_correction_notices_are_real_rows(demo_cases):
    assert CaseDecision.objects.filter(negative=True).exists()
    assert CaseDecision.objects.filter(negative=False).exists()
    assert CorrectionNotice.objects.exists()


def test_the_audit_chain_still_verifies(demo_cases):
    assert AuditEvent.objects.filter(action="cases.submitted").count() == COUNT
    assert audit_verify() is None


def test_a_second_load_replays_nothing(demo_cases):
    assert cases_demo_load(count=COUNT) == Counter()
    assert Case.objects.count() == COUNT
    out = StringIO()
    call_command("demo", "--cases=5", stdout=out)
    assert Case.objects.count() == COUNT
