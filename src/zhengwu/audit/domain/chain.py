from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from zhengwu.audit.models import AuditChainHead, AuditEvent
from zhengwu.core.middleware import current_ip
from zhengwu.core.rows import rows_holding, rows_with_held, statement_cursor

GENESIS_HASH = "0" * 64
_IP = AuditEvent._meta.get_field("ip")


def _normalise(value: Any) -> Any:
    """The value as a JSON round trip gives it back (what the database gives back, so the hashed form equals
    it): walked in Python where that is sure to give the same (ADR 0019, eighth pass), else the round trip."""
    if value is None:
        return None
    try:
        return _walk(value)
    except _NotPlain:
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


class _NotPlain(Exception):
    """A value the walk leaves to the JSON round trip (a key that is not a string, an unknown type)."""


_ENCODER = DjangoJSONEncoder()
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _walk(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        walked = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            walked[key] = _walk(item)
        return walked
    if kind is list or kind is tuple:
        return [_walk(item) for item in value]
    if isinstance(value, str):  # a TextChoices member, a SafeString: JSON writes the text
        return str.__str__(value)
    if isinstance(value, bool | int | float | dict | list | tuple):
        raise _NotPlain  # IntEnum members and other subclasses: left to the encoder
    # datetimes, dates, times, durations, decimals, UUIDs, lazy strings: the text DjangoJSONEncoder writes
    # for them (a text JSON gives back as it is); anything else raises its TypeError in the round trip
    try:
        text = _ENCODER.default(value)
    except TypeError:
        raise _NotPlain from None
    if type(text) is not str:
        raise _NotPlain
    return text


def event_hash(*, seq: int, prev_hash: str, **fields: Any) -> str:
    """SHA-256 of the event's canonical JSON (sorted keys, no spaces, UTF-8), whose last two keys are "prev" and
    "seq": the text before them (`event_prefix` of `fields`) is the event's own, the rest is where the chain put
    it."""
    return _chained_hash(event_prefix(**fields), prev_hash, seq)


def _chained_hash(prefix: str, prev_hash: str, seq: int) -> str:
    return hashlib.sha256(f'{prefix}"prev":"{prev_hash}","seq":{seq}}}'.encode()).hexdigest()


def event_prefix(
    *,
    occurred_at: datetime,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    before: Any,
    after: Any,
    ip: str | None,
) -> str:
    """The canonical JSON up to the "prev" key: everything but the chain's part, ending with a comma."""
    payload = {
        "at": occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": actor_id,
        "actor": actor_repr,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object": object_repr,
        "before": before,
        "after": after,
        "ip": ip,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))[:-1] + ","


# The event's own fields (what `event_prefix` takes), each with its key in the canonical JSON; on PostgreSQL the
# stored column is read from there (the chain's three columns come from the chain).
_CANONICAL_KEYS = {
    "occurred_at": "at",
    "actor_id": "actor_id",
    "actor_repr": "actor",
    "action": "action",
    "object_type": "object_type",
    "object_id": "object_id",
    "object_repr": "object",
    "before": "before",
    "after": "after",
    "ip": "ip",
}


def _row_prefix(event: AuditEvent) -> str:
    return event_prefix(**{name: getattr(event, name) for name in _CANONICAL_KEYS})


def _row_hash(event: AuditEvent) -> str:
    return _chained_hash(_row_prefix(event), event.prev_hash, event.seq)


def _locked_head() -> AuditChainHead:
    """The chain's tip, locked until the surrounding transaction ends (created by migration 0002)."""
    try:
        return AuditChainHead.objects.select_for_update().get(id=1)
    except AuditChainHead.DoesNotExist:  # a flushed test database
        AuditChainHead.objects.get_or_create(id=1, defaults={"last_hash": GENESIS_HASH})
        return AuditChainHead.objects.select_for_update().get(id=1)


def audit_record(
    *,
    actor: Any = None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain. Call inside the domain function's transaction.

    Inside `audited_atomic()` the event is appended when the outermost such block ends (its `seq`, `hash`
    and `pk` are set then); elsewhere at once."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_repr = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_repr = getattr(actor, "display_name", "") or actor.get_username()
    elif isinstance(actor, str):
        actor_repr = actor  # a system actor such as "system:sweep"
    event = AuditEvent(
        occurred_at=at or timezone.now(),
        actor_id=actor_id,
        actor_repr=actor_repr[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=str(object_repr)[:300],
        before=_normalise(before),
        after=_normalise(after),
        ip=_IP.get_prep_value(ip or current_ip.get()) or None,  # as stored (IPv6 lower-cased): hashes alike
    )
    connection = transaction.get_connection()
    batch = getattr(connection, _BATCH, None)
    if batch is not None and connection.in_atomic_block:
        batch.add(connection, event)
    else:
        _append(connection, [event])
    return event


# ---- batches ----------------------------------------------------------------------------------
# The open batch of this connection (innermost `audited_atomic` block), or None.
_BATCH = "_zhengwu_audit_batch"


class _Batch:
    """The events recorded inside the outermost `audited_atomic` block, in order, not yet appended.

    An event recorded inside a savepoint nested in the outermost block (a plain `transaction.atomic()`, or a
    nested `audited_atomic`, at any depth) carries a no-op on-commit marker: Django drops a rolled-back
    savepoint's on-commit entries, so at the end an event whose marker is gone was rolled back and is not
    appended. (A nested batch also drops its events when an exception leaves it; the marker covers a plain
    savepoint around it that rolls back after it ended.)"""

    def __init__(self, *, block: Any, parent: _Batch | None) -> None:
        self.block = block  # the atomic block this batch entered
        self.parent = parent
        self.root: _Batch = parent.root if parent is not None else self
        self.events: list[AuditEvent] = parent.events if parent is not None else []
        self.markers: dict[int, Any] = parent.markers if parent is not None else {}

    def add(self, connection: Any, event: AuditEvent) -> None:
        blocks = connection.atomic_blocks
        root = self.root.block
        if blocks[-1] is not root:
            inner = blocks[blocks.index(root) + 1 :] if root in blocks else blocks
            if any(block.savepoint for block in inner):

                def marker() -> None:  # runs, doing nothing, only if it was not removed at the end
                    return None

                transaction.on_commit(marker)
                self.markers[id(event)] = marker
        self.events.append(event)

    def discard_from(self, mark: int) -> None:
        for event in self.events[mark:]:
            self.markers.pop(id(event), None)
        del self.events[mark:]

    def take(self, connection: Any) -> list[AuditEvent]:
        """The events to append (those of rolled-back savepoints left out); the markers are removed."""
        events = self.events
        if self.markers:
            markers = {id(marker) for marker in self.markers.values()}
            alive = {id(entry[1]) for entry in connection.run_on_commit if id(entry[1]) in markers}
            events = [e for e in events if id(e) not in self.markers or id(self.markers[id(e)]) in alive]
            connection.run_on_commit[:] = [e for e in connection.run_on_commit if id(e[1]) not in markers]
        return events


@contextmanager
def audited_atomic(*, savepoint: bool = True) -> Iterator[None]:
    """`transaction.atomic()` whose audit events are appended to the chain together, in one statement on
    PostgreSQL, when the outermost such block ends — still inside its transaction, so the chain and the
    change commit or roll back together, as with `audit_record` alone (ADR 0022). Events recorded in a
    block that rolls back (this one, or a savepoint inside it) are not appended."""
    connection = transaction.get_connection()
    if not savepoint and connection.in_atomic_block and getattr(connection, _BATCH, None) is not None:
        # inside a batch already, without a savepoint: what the nested block would do is mark the transaction
        # for rollback if it fails (its events go to the enclosing batch anyway)
        with transaction.mark_for_rollback_on_error(connection.alias):
            yield
        return
    with transaction.atomic(savepoint=savepoint):
        parent = getattr(connection, _BATCH, None)
        batch = _Batch(block=connection.atomic_blocks[-1], parent=parent)
        mark = len(batch.events)
        setattr(connection, _BATCH, batch)
        # writes may be held back to go with the next write, at the latest the events (the outermost block holds)
        with rows_holding(connection):
            try:
                yield
            except BaseException:
                batch.discard_from(mark)
                raise
            finally:
                setattr(connection, _BATCH, parent)
            if parent is None:
                events = batch.take(connection)
                if events and not connection.needs_rollback:
                    _append(connection, events)


# ---- appending --------------------------------------------------------------------------------
# SQLite: the chain tip this connection last wrote or read, (last_seq, last_hash). Only a hint — the head row is
# moved with a compare-and-set on both columns, so a tip that is stale (a rollback undid our append) simply
# fails the compare and the head is read again. (PostgreSQL chains on the server, under the head's lock.)
_TIP = "_zhengwu_audit_tip"


def _append(connection: Any, events: list[AuditEvent]) -> None:
    """Append `events`, in order, after the chain's tip, in the caller's transaction (or, outside one, in a
    transaction of its own). No savepoint: a failed append fails the caller's transaction anyway."""
    if not connection.in_atomic_block:
        with transaction.atomic(using=connection.alias):
            _append(connection, events)
        return
    with transaction.mark_for_rollback_on_error(connection.alias):
        if connection.vendor == "postgresql":
            _append_chained_by_server(connection, events)
            return
        tip = getattr(connection, _TIP, None)
        if tip is None:
            head = _locked_head()
            tip = (head.last_seq, head.last_hash)
        moved_from = _append_after(connection, tip, events)
        if moved_from is not None and _append_after(connection, moved_from, events) is not None:
            raise RuntimeError("audit chain head changed while locked")
    last = events[-1]
    setattr(connection, _TIP, (last.seq, last.hash))


def _append_after(connection: Any, tip: tuple[int, str], events: list[AuditEvent]) -> tuple[int, str] | None:
    """SQLite: chain `events` after `tip`, move the head from `tip` to the last of them and insert them: None.
    When the head is no longer at `tip`, nothing is written: where it is, to append after instead."""
    last_seq, last_hash = tip
    prev_hash = last_hash
    for seq, event in enumerate(events, start=last_seq + 1):
        event.seq = seq
        event.prev_hash = prev_hash
        event.hash = prev_hash = _row_hash(event)
    moved = AuditChainHead.objects.filter(id=1, last_seq=last_seq, last_hash=last_hash).update(
        last_seq=events[-1].seq, last_hash=events[-1].hash
    )
    if not moved:
        head = _locked_head()
        return head.last_seq, head.last_hash
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(events)
    return None


_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
_CHAIN_FIELDS = frozenset({"seq", "prev_hash", "hash"})


# Events per statement: a longer batch is appended in several, each moving the head on.
_ROWS_PER_STATEMENT = 100
_SQL: dict[str, str] = {}


def _append_chained_by_server(connection: Any, events: list[AuditEvent]) -> None:
    """PostgreSQL: each event goes with the canonical JSON of its own part (`event_prefix`); one statement locks
    the head, chains the events after it (seq, prev_hash and the SHA-256 of prefix + chain part, computed by
    the server), inserts them and moves the head. Whoever holds the head, the statement waits for it and chains
    after where it is then: no tip to be stale, no second statement (ADR 0022)."""
    for start in range(0, len(events), _ROWS_PER_STATEMENT):
        chunk = events[start : start + _ROWS_PER_STATEMENT]
        prefixes = [_row_prefix(event) for event in chunk]
        if not _append_in_one_statement(connection, chunk, prefixes):
            if start:
                raise RuntimeError("audit chain head vanished while locked")
            _locked_head()  # no head row at all (a flushed test database): made, then appended after
            if not _append_in_one_statement(connection, chunk, prefixes):
                raise RuntimeError("audit chain head missing")


def _insert_sql(connection: Any) -> str:
    """Lock the head, chain the events after it (a recursive CTE folding the hash over them), move the head and
    insert the events — one statement. The parameter is one JSON array of the events' prefixes (`event_prefix`):
    each is completed to a JSON document the columns are read from, before the head is locked, so the lock
    waits only for the chaining and the inserts; the statement's text is the same for any number of events, so
    psycopg converts it once and PostgreSQL prepares it once. The head's row lock is held until the transaction
    ends; with no head row, nothing is written and nothing returned."""
    sql = _SQL.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        unmapped = {f.name for f in _FIELDS} - _CHAIN_FIELDS - set(_CANONICAL_KEYS)
        if unmapped:
            raise RuntimeError(f"audit event fields missing from the canonical JSON: {sorted(unmapped)}")
        columns = ", ".join(quote(f.column) for f in _FIELDS)
        chained = {"seq": "c.seq", "prev_hash": "c.prev", "hash": "c.hash"}
        values = ", ".join(chained.get(f.name) or _canonical_value(f, connection) for f in _FIELDS)
        sql = _SQL[connection.vendor] = (
            "WITH RECURSIVE"
            ' e AS MATERIALIZED (SELECT a.n::int AS n, a.prefix, (a.prefix || \'"prev":"","seq":0}\')::jsonb AS d'
            " FROM jsonb_array_elements_text(%s::jsonb) WITH ORDINALITY AS a(prefix, n)),"
            # every event read before the lock is taken (count(*) reads the CTE to its end)
            " head AS (SELECT last_seq, last_hash FROM audit_auditchainhead"
            " WHERE id = 1 AND (SELECT count(*) FROM e) > 0 FOR UPDATE),"
            " chain (n, seq, prev, hash, d) AS (SELECT 0, last_seq, NULL::text, last_hash::text, NULL::jsonb FROM head"
            " UNION ALL SELECT e.n, c.seq + 1, c.hash, encode(sha256(convert_to("
            """e.prefix || '"prev":"' || c.hash || '","seq":' || (c.seq + 1) || '}', 'UTF8')), 'hex'), e.d"""
            " FROM chain c JOIN e ON e.n = c.n + 1),"
            " moved AS (UPDATE audit_auditchainhead h SET last_seq = c.seq, last_hash = c.hash"
            " FROM chain c WHERE h.id = 1 AND c.n = (SELECT count(*) FROM e)),"
            f" inserted AS (INSERT INTO audit_auditevent ({columns}) SELECT {values} FROM chain c WHERE c.n > 0"
            " RETURNING id, seq, prev_hash, hash)"
            " SELECT id, seq, prev_hash, hash FROM inserted"
        )
    return sql


def _canonical_value(field: models.Field, connection: Any) -> str:
    key = _CANONICAL_KEYS[field.name]
    db_type = field.db_type(connection)
    if db_type == "jsonb":
        return f"NULLIF(c.d -> '{key}', 'null'::jsonb)"  # a JSON null is no value
    if db_type.startswith("varchar") or db_type == "text":
        return f"c.d ->> '{key}'"  # checked against the column's length on insert, never truncated
    return f"(c.d ->> '{key}')::{db_type}"


def _append_in_one_statement(connection: Any, events: list[AuditEvent], prefixes: list[str]) -> bool:
    """Append `events` (see `_insert_sql`): True, or False when there is no head row (nothing written)."""
    sql, params = rows_with_held(connection, _insert_sql(connection), [json.dumps(prefixes, ensure_ascii=False)])
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return False
    chained = {seq: (pk, prev_hash, hash_) for pk, seq, prev_hash, hash_ in rows}
    first = min(chained)
    for seq, event in enumerate(events, start=first):
        event.pk, event.prev_hash, event.hash = chained[seq]
        event.seq = seq
        event._state.adding = False
        event._state.db = connection.alias
    return True


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    kind: str  # edited | deleted | inserted | truncated
    message: str


def audit_verify(*, batch_size: int = 5000) -> ChainProblem | None:
    """Walk the chain in order; return the first problem found, or None if it is intact."""
    prev_hash, expected_seq = GENESIS_HASH, 1
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last_id).order_by("seq")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                if event.seq > expected_seq:
                    return ChainProblem(
                        expected_seq,
                        "deleted",
                        f"第 {expected_seq} 至 {event.seq - 1} 号事件缺失（被删除）",
                    )
                return ChainProblem(event.seq, "inserted", f"第 {event.seq} 号事件序号异常（被插入）")
            if _row_hash(event) != event.hash:
                return ChainProblem(event.seq, "edited", f"第 {event.seq} 号事件内容与哈希不符（被篡改）")
            if event.prev_hash != prev_hash:
                return ChainProblem(event.seq, "inserted", f"第 {event.seq} 号事件的前序哈希不符（链被插入或重写）")
            prev_hash, expected_seq, last_id = event.hash, expected_seq + 1, event.seq
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        return ChainProblem(
            expected_seq,
            "truncated",
            f"链尾与记录不符：应有 {head.last_seq} 条，实有 {expected_seq - 1} 条（末尾被删除）",
        )
    return None
