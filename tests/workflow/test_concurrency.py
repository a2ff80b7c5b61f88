"""Two staff act on one task at once: one wins, the other is told it is done, never a double step.

PostgreSQL only (row locks); SQLite serialises writers by itself and the test is skipped there at runtime."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.concurrency import race
from tests.workflow.conftest import County
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.workflow.domain import default_process_definition, process_start, task_claim, task_complete
from zhengwu.workflow.models import ProcessInstance, WorkTask

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


@pytest.fixture
def review(county: County, subject) -> WorkTask:
    instance = process_start(
        actor=county["clerk"], definition=default_process_definition(), subject=subject, department=county.approval
    )
    task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    return instance.tasks.open().get()


def test_two_handlers_completing_at_once_one_wins_and_the_other_is_told(county, review):
    def complete(name):
        return lambda: task_complete(
            actor=county[name], task=WorkTask.objects.get(pk=review.pk), outcome="approve", comment=name
        )

    results = race(complete("handler"), complete("handler2"))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该环节已由他人办理。"]
    row = WorkTask.objects.get(pk=review.pk)
    assert (row.state, row.completed_by, row.comment) == ("completed", county["handler"], "handler")
    instance = ProcessInstance.objects.get()
    assert list(instance.tasks.order_by("id").values_list("bpmn_id", "state")) == [
        ("accept", "completed"),
        ("review", "completed"),
        ("decide", "ready"),
    ]
    assert AuditEvent.objects.filter(action="workflow.task.completed").count() == 2  # accept + one review
    assert audit_verify() is None


def test_two_handlers_claiming_at_once_one_wins(county, review):
    def claim(name):
        return lambda: task_claim(actor=county[name], task=WorkTask.objects.get(pk=review.pk))

    results = race(claim("handler2"), claim("handler"))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该环节由孙承办负责，您不能办理。"]
    row = WorkTask.objects.get(pk=review.pk)
    assert (row.state, row.assignee) == ("claimed", county["handler2"])
    assert AuditEvent.objects.filter(action="workflow.task.claimed").count() == 1
