"""Appends by several connections at once (PostgreSQL only: SQLite serialises writers with BEGIN IMMEDIATE)."""

import pytest
from django.db import connection

from tests.concurrency import race
from zhengwu.audit.domain import audit_record, audit_verify
from zhengwu.audit.models import AuditEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _record(name: str) -> AuditEvent:
    return audit_record(actor="system:test", action=f"test.{name}", object_type="x", object_id=name)


def test_an_append_waiting_for_another_appends_after_it_once_that_commits_and_the_chain_verifies():
    _record("setup")  # this thread's connection knows the tip; both threads' connections start without one
    appended = {}

    def first():
        _record("first-warm")  # the connection learns the tip…
        appended["first"] = _record("first")  # …and holds the head until the transaction ends

    def second():
        appended["second"] = _record("second")

    results = race(first, second)
    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)
    events = list(AuditEvent.objects.order_by("seq").values_list("action", "seq", "prev_hash", "hash"))
    assert [action for action, *_ in events][-3:] == ["test.first-warm", "test.first", "test.second"]
    (_, first_seq, _, first_hash), (_, second_seq, second_prev, _) = events[-2], events[-1]
    assert (second_seq, second_prev) == (first_seq + 1, first_hash)
    assert audit_verify() is None


def test_a_batch_waiting_for_the_head_is_chained_by_the_server_after_what_the_holder_appended():
    from zhengwu.audit.domain import audited_atomic

    _record("setup")
    appended = {}

    def first():
        appended["first"] = _record("holder")  # holds the head until its transaction ends

    def second():
        with audited_atomic():  # three events, chained in one statement after wherever the head is then
            appended["second"] = [_record(f"batch-{n}") for n in range(3)]

    results = race(first, second)
    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)
    holder = appended["first"]
    batch = appended["second"]
    assert [(e.seq, e.prev_hash) for e in batch] == [
        (holder.seq + 1, holder.hash),
        (holder.seq + 2, batch[0].hash),
        (holder.seq + 3, batch[1].hash),
    ]
    stored = list(AuditEvent.objects.filter(seq__gt=holder.seq).order_by("seq").values_list("action", "hash"))
    assert stored == [(f"test.batch-{n}", batch[n].hash) for n in range(3)]
    assert audit_verify() is None
