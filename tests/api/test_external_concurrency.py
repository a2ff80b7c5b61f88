"""Races of the departmental systems API: the same nonce sent twice at once is accepted exactly once, and two
requests at the edge of a system's rate limit are never both served (PostgreSQL only; skipped on SQLite)."""

from datetime import datetime

import pytest
import time_machine
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
from zhengwu.cases.enums import ApiRateScope
from zhengwu.cases.models import ApiNonce, ApiRateWindow, Case, ExternalCaseLink

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


def signed_verify(system, secret, nonce: str):
    """A correctly signed GET with its own nonce, verified as the API does."""

    def verify():
        timestamp = str(int(timezone.now().timestamp()))
        signature = external_signature(
            secret, method="GET", path="/api/external/cases/X", timestamp=timestamp, nonce=nonce, body=b""
        )
        return external_request_verify(
            key_id=system.key_id,
            timestamp=timestamp,
            nonce=nonce,
            signature=signature,
            method="GET",
            path="/api/external/cases/X",
            body=b"",
            ip="10.0.0.1",
        )

    return verify


@pytest.mark.parametrize("already_served", [0, 1], ids=["new window", "existing window"])
def test_two_requests_at_the_edge_of_the_rate_limit_are_never_both_served(hall, settings, already_served):
    settings.ZHENGWU_EXTERNAL_API_RATE = f"{already_served + 1}/min"
    system, secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    # Ticking from 10:00:10 (the race helper waits on real time): the race ends well inside the minute.
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 10, tzinfo=timezone.get_default_timezone())):
        for index in range(already_served):
            signed_verify(system, secret, f"served-before-{index:08d}")()

        results = race(
            signed_verify(system, secret, "edge-request-first"), signed_verify(system, secret, "edge-request-second")
        )

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ExternalApiError)
    assert (results["second"].code, results["second"].status) == ("rate_limited", 429)
    assert ApiRateWindow.objects.get(scope=ApiRateScope.SYSTEM).hits == already_served + 2
    assert set(ApiNonce.objects.values_list("nonce", flat=True)) == {
        *(f"served-before-{index:08d}" for index in range(already_served)),
        "edge-request-first",
    }
