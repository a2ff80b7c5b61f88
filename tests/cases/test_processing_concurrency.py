"""Two decision makers decide the same case at once: one wins, the other is told, never a double decision.

PostgreSQL only (row locks); skipped on SQLite at runtime."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.accounts.factories import make_staff
from tests.concurrency import race
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.cases.domain import case_submit_online
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case, CaseDecision
from zhengwu.workflow.models import WorkTask

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


def test_two_leaders_deciding_at_once_one_wins_and_the_other_is_told(hall):
    leaders = [
        make_staff(name, department=hall.department, display_name=name, roles=(Role.LEADER_IN_CHARGE,))
        for name in ("lingdao1", "lingdao2")
    ]
    case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    case_accept_and_start(actor=hall.handler, case=case)
    review = WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="review")
    case_task_complete(actor=hall.handler, task=review, outcome="approve")
    decision = WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="decide")

    def decide(leader, outcome):
        return lambda: case_task_complete(
            actor=leader,
            task=WorkTask.objects.get(pk=decision.pk),
            outcome=outcome,
            reasons="理由",
            legal_basis="《行政许可法》第三十八条",
        )

    results = race(decide(leaders[0], "grant"), decide(leaders[1], "deny"))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该环节已由他人办理。"]
    assert Case.objects.get(pk=case.pk).state == CaseState.DECIDED
    assert list(CaseDecision.objects.values_list("outcome", "decided_by")) == [("grant", leaders[0].pk)]
    assert audit_verify() is None
