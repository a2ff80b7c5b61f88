"""Two staff issue the certificate of the same case at once: one licence, linked once; the other gets it too.

PostgreSQL only (row locks); skipped on SQLite at runtime."""

import pytest
from django.db import connection

from tests.cases.outcome import granted, leader_of, map_food
from tests.concurrency import race
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_certificate_issue, case_decision_document
from zhengwu.cases.models import Case, CaseCertificate, CaseDecisionDocument
from zhengwu.licences.models import Licence

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


def test_two_clerks_issuing_at_once_make_one_licence(hall):
    map_food(hall)
    case = granted(hall, leader_of(hall))
    issued = {}

    def issue(name, actor):
        def run():
            issued[name] = case_certificate_issue(actor=actor, case=Case.objects.get(pk=case.pk))

        return run

    results = race(issue("first", hall.handler), issue("second", hall.section_head))

    assert results["contender_waited"] is True
    assert (results["first"], results["second"]) == ("ok", "ok")
    assert issued["first"].pk == issued["second"].pk
    assert Licence.objects.count() == 1
    assert CaseCertificate.objects.get(case=case).licence_id == issued["first"].pk
    assert AuditEvent.objects.filter(action="cases.certificate_issued").count() == 1
    assert AuditEvent.objects.filter(action="licences.issued").count() == 1
    assert audit_verify() is None


def test_two_decision_documents_at_once_make_one(hall):
    case = granted(hall, leader_of(hall))

    def make(actor):
        return lambda: case_decision_document(actor=actor, case=Case.objects.get(pk=case.pk))

    results = race(make(hall.handler), make(hall.section_head))

    assert results["contender_waited"] is True
    assert (results["first"], results["second"]) == ("ok", "ok")
    assert CaseDecisionDocument.objects.count() == 1
    assert AuditEvent.objects.filter(action="cases.decision_document_issued").count() == 1
