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


def test_a_stale_tip_waits_for_the_head_then_appends_after_it():
    _record("setup")
    stale = _record("known-tip")  # this connection's tip…
    appended = {}

    def first():
        appended["first"] = _record("moved-elsewhere")  # …moved on by another connection, which holds the head

    def second():
        appended["second"] = _record("after")  # the compare fails, the head is locked where it is now

    # `second` runs on its own thread with its own connection: give it this connection's stale tip
    from zhengwu.audit.domain import chain

    def second_with_stale_tip():
        setattr(connection, chain._TIP, (stale.seq, stale.hash))
        second()

    results = race(first, second_with_stale_tip)
    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)
    moved = AuditEvent.objects.get(action="test.moved-elsewhere")
    after = AuditEvent.objects.get(action="test.after")
    assert (moved.seq, after.seq, after.prev_hash) == (stale.seq + 1, stale.seq + 2, moved.hash)
    assert audit_verify() is None
