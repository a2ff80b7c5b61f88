import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhengwu.audit.domain import GENESIS_HASH, audit_record, audit_verify
from zhengwu.audit.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def _three_events():
    return [
        audit_record(
            actor="system:test",
            action="test.created",
            object_type="x",
            object_id=i,
            object_repr=f"对象{i}",
            after={"n": i, "名称": "政务"},
        )
        for i in range(1, 4)
    ]


def test_events_link_to_their_predecessor():
    before = AuditChainHead.objects.filter(id=1).values_list("last_hash", flat=True).first()
    first, second, third = _three_events()
    assert [e.seq - first.seq for e in (first, second, third)] == [0, 1, 2]
    assert first.prev_hash == (before or GENESIS_HASH)
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert AuditChainHead.objects.get().last_hash == third.hash


def test_the_hash_the_database_computes_equals_the_canonical_json_hash_for_any_text():
    from zhengwu.audit.domain import audited_atomic, event_hash

    texts = ['引号"与\\反斜杠', "控制\x01字符\n换行", "😀𠀀 四字节", "}", "\u2028行分隔", ""]
    with audited_atomic():
        events = [
            audit_record(
                actor="system:test",
                action="test.text",
                object_type="x",
                object_id=n,
                object_repr=text,
                before={"文本": text, "n": 1.5, "list": [None, True]},
                after={text: text} if text else None,
                ip="::1",
            )
            for n, text in enumerate(texts)
        ]
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (stored.seq, stored.prev_hash, stored.hash) == (event.seq, event.prev_hash, event.hash)
        expected = event_hash(
            seq=stored.seq,
            occurred_at=stored.occurred_at,
            actor_id=stored.actor_id,
            actor_repr=stored.actor_repr,
            action=stored.action,
            object_type=stored.object_type,
            object_id=stored.object_id,
            object_repr=stored.object_repr,
            before=stored.before,
            after=stored.after,
            ip=stored.ip,
            prev_hash=stored.prev_hash,
        )
        assert stored.hash == expected
    # an absent value is stored as no value (SQL NULL), not as a JSON null
    empty = events[texts.index("")]
    assert AuditEvent.objects.filter(pk=empty.pk, after__isnull=True).exists()
    assert audit_verify() is None


def test_intact_chain_verifies(capsys):
    _three_events()
    assert audit_verify() is None
    call_command("audit", "verify")
    assert f"共 {AuditEvent.objects.count()} 条事件，校验通过" in capsys.readouterr().out


def test_verify_catches_an_edited_row():
    _, second, _ = _three_events()
    # Tamper behind the ORM's back, as an intruder with database access would.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_repr = %s WHERE seq = %s", ["篡改", second.seq])
    problem = audit_verify()
    assert (problem.kind, problem.seq) == ("edited", second.seq)
    with pytest.raises(CommandError, match=f"第 {second.seq} 号事件内容与哈希不符"):
        call_command("audit", "verify")


def test_verify_catches_a_deleted_row():
    _, second, _ = _three_events()
    AuditEvent.objects.filter(seq=second.seq).delete()
    problem = audit_verify()
    assert (problem.kind, problem.seq) == ("deleted", second.seq)


def test_verify_catches_a_deleted_tail():
    *_, third = _three_events()
    AuditEvent.objects.filter(seq=third.seq).delete()
    problem = audit_verify()
    assert (problem.kind, problem.seq) == ("truncated", third.seq)


def test_verify_catches_a_rewritten_link():
    *_, third = _three_events()
    AuditEvent.objects.filter(seq=third.seq).update(prev_hash="f" * 64)
    problem = audit_verify()
    assert (problem.kind, problem.seq) == ("edited", third.seq)


def test_empty_chain_verifies():
    assert audit_verify() is None


def _append(n: int) -> AuditEvent:
    return audit_record(actor="system:test", action="test.appended", object_type="x", object_id=n, after={"n": n})


def test_an_append_costs_one_statement_on_postgresql_and_two_elsewhere(django_assert_num_queries):
    _append(1)  # the connection now knows the chain's tip
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        _append(2)
    assert audit_verify() is None


def test_a_rolled_back_append_leaves_a_stale_tip_that_is_detected_and_the_chain_stays_valid():
    from django.db import transaction

    first = _append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        _append(2)  # the connection's tip moves to this event…
        raise RuntimeError("rolled back")  # …which never commits
    third = _append(3)
    assert (third.seq, third.prev_hash) == (first.seq + 1, first.hash)
    assert audit_verify() is None


def test_an_append_by_another_connection_is_detected(django_assert_num_queries):
    first = _append(1)
    # another process appends behind this connection's back (the chain head moves)
    AuditChainHead.objects.filter(id=1).update(last_seq=first.seq, last_hash="f" * 64)
    # PostgreSQL: the server chains after the head where it is, in the one statement;
    # elsewhere: the failed compare-and-set, the head read under its lock, then the update and the insert
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 4):
        event = _append(2)
    assert (event.seq, event.prev_hash) == (first.seq + 1, "f" * 64)
    assert AuditChainHead.objects.get().last_hash == event.hash


def test_an_overlong_value_fails_instead_of_being_truncated():
    from django.db import DataError, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce varchar lengths")
    with pytest.raises(DataError), transaction.atomic():
        audit_record(actor="system:test", action="x" * 101)


# ---- batches (ADR 0022) ---------------------------------------------------------------------------
def _events_after(seq: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("action", "object_id"))


def _tip() -> int:
    return AuditChainHead.objects.filter(id=1).values_list("last_seq", flat=True).first() or 0


def _record(action: str, n: int) -> AuditEvent:
    return audit_record(actor="system:test", action=action, object_type="x", object_id=n)


def test_a_batch_appends_its_events_in_order_when_it_ends_in_one_statement_on_postgresql(
    django_assert_num_queries,
):
    from zhengwu.audit.domain import audited_atomic

    _append(0)  # the connection knows the tip
    start = _tip()
    # the blocks' savepoints (the test runs in a transaction), then one append (on SQLite: head, then events)
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 6), audited_atomic():
        first = _record("test.first", 1)
        with audited_atomic():
            second = _record("test.second", 2)
        third = _record("test.third", 3)
        assert first.pk is None
    assert [e.seq for e in (first, second, third)] == [start + 1, start + 2, start + 3]
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert first.pk is not None
    assert _events_after(start) == [("test.first", "1"), ("test.second", "2"), ("test.third", "3")]
    assert audit_verify() is None


def test_a_batch_leaves_out_the_events_of_blocks_that_rolled_back():
    from django.db import transaction

    from zhengwu.audit.domain import audited_atomic

    start = _tip()
    with audited_atomic():
        _record("test.kept", 1)
        with pytest.raises(RuntimeError), audited_atomic():
            _record("test.inner_batch_rolled_back", 2)
            raise RuntimeError
        with pytest.raises(RuntimeError), transaction.atomic():
            _record("test.savepoint_rolled_back", 3)
            raise RuntimeError
        with transaction.atomic():
            _record("test.savepoint_released", 4)
        with transaction.atomic(), pytest.raises(RuntimeError), transaction.atomic():
            with transaction.atomic():
                _record("test.nested_savepoint_rolled_back", 5)
            raise RuntimeError
        _record("test.last", 6)
    assert _events_after(start) == [("test.kept", "1"), ("test.savepoint_released", "4"), ("test.last", "6")]
    assert audit_verify() is None


def test_a_rolled_back_batch_appends_nothing_and_leaves_no_on_commit_callbacks(django_capture_on_commit_callbacks):
    from django.db import transaction

    from zhengwu.audit.domain import audited_atomic

    start = _tip()
    with pytest.raises(RuntimeError), audited_atomic():
        _record("test.rolled_back", 1)
        raise RuntimeError
    assert _events_after(start) == []
    with django_capture_on_commit_callbacks() as callbacks, audited_atomic(), transaction.atomic():
        _record("test.in_a_savepoint", 2)
    assert callbacks == []
    assert _events_after(start) == [("test.in_a_savepoint", "2")]
    assert audit_verify() is None


def test_a_long_batch_is_appended_in_several_statements_and_verifies():
    from zhengwu.audit.domain import audited_atomic

    start = _tip()
    with audited_atomic():
        for n in range(1, 251):
            _record("test.many", n)
    assert [int(object_id) for _, object_id in _events_after(start)] == list(range(1, 251))
    assert audit_verify() is None


def test_a_batch_finds_the_head_moved_by_another_connection():
    from zhengwu.audit.domain import audited_atomic

    first = _append(1)
    AuditChainHead.objects.filter(id=1).update(last_seq=first.seq, last_hash="f" * 64)
    with audited_atomic():
        second = _record("test.second", 2)
        third = _record("test.third", 3)
    assert (second.seq, second.prev_hash, third.prev_hash) == (first.seq + 1, "f" * 64, second.hash)


def test_a_batch_leaves_out_a_nested_batch_whose_enclosing_savepoint_rolled_back_after_it_ended():
    from django.db import transaction

    from zhengwu.audit.domain import audited_atomic

    start = _tip()
    with audited_atomic():
        _record("test.kept", 1)
        with pytest.raises(RuntimeError), transaction.atomic():
            with audited_atomic():  # a domain function called inside a savepoint…
                _record("test.nested_batch_ended", 2)
            raise RuntimeError  # …which rolls back after it returned
        with transaction.atomic(), audited_atomic(savepoint=False):
            _record("test.released", 3)
    assert _events_after(start) == [("test.kept", "1"), ("test.released", "3")]
    assert audit_verify() is None


def test_a_batch_stores_every_kind_of_value_as_recorded_and_verifies():
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    from zhengwu.audit.domain import audited_atomic

    at = datetime(2026, 12, 5, 9, 30, 1, 123456, tzinfo=timezone(timedelta(hours=8)))
    awkward = "quote \" backslash \\ slash / 换行\n制表\t emoji 🏛 <tag> 'single'"
    with audited_atomic():
        recorded = [
            audit_record(
                actor="system:test",
                action="test.values",
                object_type="x",
                object_id=1,
                object_repr=awkward,
                before=None,
                after={"text": awkward, "none": None, "list": [1, 2.5, True, None], "nested": {"空": {}}},
                ip="203.0.113.9",
                at=at,
            ),
            audit_record(
                actor="system:test",
                action="test.values",
                object_type="x",
                object_id=2,
                before={},
                after={"amount": Decimal("12.30"), "when": at, "tuple": (1, "二")},
                ip="2001:DB8::1",
            ),
            audit_record(actor="system:test", action="test.values", object_type="x", object_id=3, ip=""),
        ]
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=[e.pk for e in recorded])}
    first, second, third = (stored[e.pk] for e in recorded)
    assert (first.occurred_at, first.object_repr, first.before, first.ip) == (at, awkward, None, "203.0.113.9")
    assert first.after == {"text": awkward, "none": None, "list": [1, 2.5, True, None], "nested": {"空": {}}}
    assert (second.before, second.ip) == ({}, "2001:db8::1")
    assert second.after == {"amount": "12.30", "when": "2026-12-05T09:30:01.123+08:00", "tuple": [1, "二"]}
    assert (third.before, third.after, third.ip) == (None, None, None)
    assert [e.hash for e in (first, second, third)] == [e.hash for e in recorded]
    assert audit_verify() is None


def test_a_payload_is_kept_as_a_json_round_trip_gives_it_back():
    import enum
    import json
    import uuid
    from datetime import UTC, date, datetime, time, timedelta
    from decimal import Decimal

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils.functional import lazy
    from django.utils.safestring import mark_safe

    from zhengwu.audit.domain.chain import _normalise
    from zhengwu.cases.enums import CaseState

    class Level(enum.IntEnum):
        HIGH = 3

    lazy_text = lazy(lambda: "办件", str)()
    payloads = [
        {"state": CaseState.DECIDED, "n": 1, "x": 2.5, "nan": float("inf"), "ok": True, "none": None},
        {"at": datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC), "naive": datetime(2026, 12, 5, 1, 2, 3)},
        {"day": date(2026, 12, 5), "time": time(9, 30, 0, 120000), "span": timedelta(days=2, seconds=5)},
        {"amount": Decimal("12.30"), "id": uuid.UUID(int=7), "lazy": lazy_text, "safe": mark_safe("<b>")},
        {"nested": {"list": [1, (2, "二"), {"k": [datetime(2026, 1, 1, tzinfo=UTC)]}]}, "empty": {}},
        {1: "an int key", "text": "x"},
        {"level": Level.HIGH, "flag": 1},
        ["a", CaseState.SUBMITTED, None],
    ]
    for payload in payloads:
        expected = json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))
        kept = _normalise(payload)
        assert kept == expected
        assert json.dumps(kept, sort_keys=True) == json.dumps(expected, sort_keys=True)
        assert {type(value) for value in (kept.values() if isinstance(kept, dict) else kept)} == {
            type(value) for value in (expected.values() if isinstance(expected, dict) else expected)
        }


def _held_section_rename(name: str):
    """A section renamed with its write held back (zhengwu.core.rows, ADR 0019 tenth pass)."""
    from tests.accounts.factories import make_department
    from zhengwu.core.rows import row_update
    from zhengwu.org.models import Section

    section = Section.objects.create(department=make_department(), name="综合科")
    section.name = name
    return section, lambda: row_update(section, ["name"], hold=True)


def test_a_batch_sends_the_writes_held_in_it_with_its_events_in_one_statement_on_postgresql():
    from django.test.utils import CaptureQueriesContext

    from zhengwu.audit.domain import audited_atomic
    from zhengwu.org.models import Section

    section, rename = _held_section_rename("综合一科")
    _append(0)  # the connection knows the tip
    with CaptureQueriesContext(connection) as queries, audited_atomic():
        rename()
        event = _record("test.renamed", section.pk)
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        (statement,) = statements
        assert statement.startswith('WITH RECURSIVE held0 AS (UPDATE "org_section"') and "moved AS (UPDATE" in statement
    else:
        assert statements[0].startswith('UPDATE "org_section"')  # written at once
    assert Section.objects.get(pk=section.pk).name == "综合一科"
    assert event.pk is not None and audit_verify() is None


def test_a_batch_whose_append_finds_the_head_moved_applies_its_held_writes_once():
    from zhengwu.audit.domain import audited_atomic
    from zhengwu.org.models import Section

    section, rename = _held_section_rename("综合一科")
    first = _append(1)
    AuditChainHead.objects.filter(id=1).update(last_seq=first.seq, last_hash="f" * 64)
    with audited_atomic():
        rename()
        event = _record("test.renamed", section.pk)
    assert (event.seq, event.prev_hash) == (first.seq + 1, "f" * 64)
    assert Section.objects.get(pk=section.pk).name == "综合一科"
    assert connection.execute_wrappers == []


def test_a_batch_that_fails_drops_its_held_writes_and_appends_nothing():
    from zhengwu.audit.domain import audited_atomic
    from zhengwu.org.models import Section

    section, rename = _held_section_rename("综合一科")
    start = _tip()
    with pytest.raises(RuntimeError), audited_atomic():
        rename()
        _record("test.renamed", section.pk)
        raise RuntimeError("refused")
    assert Section.objects.get(pk=section.pk).name == "综合科"
    assert _events_after(start) == []
    assert connection.execute_wrappers == []
