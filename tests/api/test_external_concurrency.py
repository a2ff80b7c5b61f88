"""The same nonce sent twice at once: exactly one request is accepted (PostgreSQL only; skipped on SQLite)."""

import pytest
from django.db import connection
from django.utils import timezone

from tests.concurrency import race
from zhengwu.cases.domain.external import (
    ExternalApiError,
    case_register_external,
    external_request_verify,
    external_signature,
    external_system_create,
)
from zhengwu.cases.models import ApiNonce, Case, ExternalCaseLink

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


def test_a_nonce_sent_twice_at_once_is_accepted_exactly_once(hall):
    system, secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    timestamp, nonce, body = str(int(timezone.now().timestamp())), "r" * 24, b"{}"
    signature = external_signature(
        secret, method="GET", path="/api/external/cases/X", timestamp=timestamp, nonce=nonce, body=body
    )

    def verify():
        return external_request_verify(
            key_id=system.key_id,
            timestamp=timestamp,
            nonce=nonce,
            signature=signature,
            method="GET",
            path="/api/external/cases/X",
            body=body,
        )

    results = race(verify, verify)

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ExternalApiError)
    assert results["second"].code == "nonce_reused"
    assert ApiNonce.objects.filter(system=system, nonce=nonce).count() == 1


def test_the_same_external_id_registered_twice_at_once_gives_one_case(hall):
    system, _secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    outcomes = []

    def register():
        outcomes.append(
            case_register_external(
                system=system,
                external_id="SCJG-1",
                implementation_code=hall.version.item.implementation_code,
                applicant_snapshot={
                    "kind": "legal",
                    "name": "青川绿源农业科技有限公司",
                    "id_number": hall.enterprise.enterprise.credit_code,
                },
                received_at=timezone.now(),
                channel="window",
            )
        )

    results = race(register, register)

    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)
    assert sorted(created for _case, created in outcomes) == [False, True]
    assert {case.pk for case, _created in outcomes} == {Case.objects.get().pk}
    assert ExternalCaseLink.objects.count() == 1
