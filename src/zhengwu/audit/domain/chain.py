import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from zhengwu.audit.models import AuditChainHead, AuditEvent
from zhengwu.core.middleware import current_ip

GENESIS_HASH = "0" * 64


def _normalise(value: Any) -> Any:
    """JSON round-trip so the hashed form equals what the database gives back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def event_hash(
    *,
    seq: int,
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
    prev_hash: str,
) -> str:
    payload = {
        "seq": seq,
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
        "prev": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _row_hash(event: AuditEvent) -> str:
    return event_hash(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_repr=event.actor_repr,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        object_repr=event.object_repr,
        before=event.before,
        after=event.after,
        ip=event.ip,
        prev_hash=event.prev_hash,
    )


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
    """Append one event to the chain. Call inside the domain function's transaction."""
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
    values = {
        "occurred_at": at or timezone.now(),
        "actor_id": actor_id,
        "actor_repr": actor_repr[:200],
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id or ""),
        "object_repr": str(object_repr)[:300],
        "before": _normalise(before),
        "after": _normalise(after),
        "ip": ip or current_ip.get(),
    }
    # No savepoint: a failed append fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        connection = transaction.get_connection()
        tip = getattr(connection, _TIP, None)
        event = _append_after(tip, values) if tip is not None else None
        if event is None:
            head = _locked_head()
            event = _append_after((head.last_seq, head.last_hash), values, locked=True)
        setattr(connection, _TIP, (event.seq, event.hash))
    return event


# The chain tip this connection last wrote or read: (last_seq, last_hash). Only a hint — the head row is
# moved with a compare-and-set on both columns, so a tip that is stale (another process appended, or a
# rollback undid our append) simply fails the compare and the head is read again under its lock.
_TIP = "_zhengwu_audit_tip"


def _append_after(tip: tuple[int, str], values: dict[str, Any], *, locked: bool = False) -> AuditEvent | None:
    """Append after `tip`: move the head from `tip` to the new event (taking the head's row lock until the
    transaction ends), then insert the event. None when the head is no longer at `tip`."""
    last_seq, last_hash = tip
    seq = last_seq + 1
    digest = event_hash(seq=seq, prev_hash=last_hash, **values)
    event = AuditEvent(seq=seq, prev_hash=last_hash, hash=digest, **values)
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        moved = _append_in_one_statement(connection, event, last_seq, last_hash)
    else:
        moved = AuditChainHead.objects.filter(id=1, last_seq=last_seq, last_hash=last_hash).update(
            last_seq=seq, last_hash=digest
        )
        if moved:
            event.save(force_insert=True)
    if not moved:
        if locked:
            raise RuntimeError("audit chain head changed while locked")
        return None
    return event


def _cast_type(field: models.Field, connection: Any) -> str:
    db_type = field.db_type(connection)
    return "text" if db_type.startswith("varchar") else db_type


def _append_in_one_statement(connection: Any, event: AuditEvent, last_seq: int, last_hash: str) -> bool:
    """PostgreSQL: move the head and insert the event in one statement (a data-modifying CTE); the event
    is inserted only when the head was still at (last_seq, last_hash)."""
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # varchar(n) casts would truncate silently; text is checked against the column's length on insert
    casts = ", ".join(f"%s::{_cast_type(f, connection)}" for f in fields)
    sql = (
        "WITH moved AS (UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s"
        " WHERE id = 1 AND last_seq = %s AND last_hash = %s RETURNING id)"
        f" INSERT INTO audit_auditevent ({columns}) SELECT {casts} FROM moved RETURNING id"
    )
    params = [event.seq, event.hash, last_seq, last_hash]
    params += [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
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
