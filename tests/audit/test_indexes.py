"""The audit table's indexes (ADR 0019, seventh pass): every event inserts into each of them, so only those a
query reads through are there — none on the hash (the chain rests on `seq` and `prev_hash`) or on `actor_id`,
and no pattern-ops copy of `action`."""

import pytest

from tests.indexes import TableIndex, table_indexes

pytestmark = pytest.mark.django_db


def test_the_audit_table_has_only_the_indexes_its_queries_read_through():
    assert table_indexes("audit_auditevent") == {
        TableIndex(None, ("seq",), unique=True),
        TableIndex("audit_auditevent_occurred_at_1f007848", ("occurred_at",)),
        TableIndex("audit_object_idx", ("object_type", "object_id", "seq")),
        TableIndex("audit_event_action_idx", ("action",)),
    }
