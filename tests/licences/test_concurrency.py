"""Licences issued at the same moment by several processes get distinct consecutive numbers, and the first
signing keys are created once (PostgreSQL only: SQLite serialises writers with BEGIN IMMEDIATE)."""

import threading

import pytest
from django.db import connection

from tests.licences.conftest import issue_food
from zhengwu.audit.domain import audit_verify
from zhengwu.licences.enums import SigningKeyKind
from zhengwu.licences.models import Licence, SigningKey

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 6


def test_concurrent_issues_get_unique_consecutive_numbers_and_one_set_of_keys(world):
    start = threading.Barrier(THREADS)
    numbers, errors = [], []

    def issue():
        try:
            start.wait(10)
            numbers.append(issue_food(world).number)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    year = Licence.objects.first().issued_at.year
    assert sorted(numbers) == [f"SPJY{year}{n:06d}" for n in range(1, THREADS + 1)]
    assert SigningKey.objects.filter(kind=SigningKeyKind.ROOT).count() == 1
    assert SigningKey.objects.filter(kind=SigningKeyKind.DEPARTMENT).count() == 1
    assert len(set(Licence.objects.values_list("signer_fingerprint", flat=True))) == 1
    assert audit_verify() is None
