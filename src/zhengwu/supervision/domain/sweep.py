"""The sweep (ADR 0020): evaluate every enabled monitoring point set-based and reconcile its alerts.

Per point, in one transaction holding the point's row lock (concurrent sweeps queue per point):

1. upsert: INSERT ... SELECT <the point's rows> ON CONFLICT (point, subject, key) DO UPDATE — a new
   situation opens an alert; a known one takes the current level, due time and details; a resolved one
   that recurs reopens; a dismissed one is never touched. Rows that did not change are not written, so a
   rerun changes nothing. The level follows the situation both ways (an extended clock lowers it); a
   lowered level lowers `notified_level` too, so crossing the rung again notifies again.
2. resolve: UPDATE the point's open/acknowledged alerts whose situation is no longer found.
3. escalate: claim the alerts whose level is above `notified_level` with one conditional UPDATE ...
   RETURNING, and notify those (domain/escalation.py) in the same transaction: exactly once per rung.

An incremental sweep evaluates only the subjects that changed since the previous run (the registered
scopes: rows updated since, plus each point's `crossed` subjects whose rung may move by time alone) —
the same result as a full sweep over those subjects, and nothing else can have changed. A point whose
configuration was edited since is swept in full.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, DateTimeField, Expression, IntegerField, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from zhengwu.supervision.enums import ACTIVE_ALERT_STATUSES, AlertStatus, SweepKind
from zhengwu.supervision.models import Alert, MonitoringPoint, SweepRun
from zhengwu.supervision.points import Found, PointSpec, SweepContext, points, scope_parts

logger = logging.getLogger("zhengwu.supervision")

SCOPE_TABLE = "zw_supervision_scope"
FOUND_TABLE = "zw_supervision_found"
ANALYZE_AFTER = 10_000  # rows upserted or resolved by one point
COLUMNS = ("content_type_id", "object_id", "key", "subject_repr", "department_id", "clock_id", "level", "due_at",
           "details")  # fmt: skip
_ACTIVE = tuple(sorted(ACTIVE_ALERT_STATUSES))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def point_thresholds(code: str, spec: PointSpec | None = None) -> dict[str, Any]:
    """The registered defaults overlaid with what the administrator set on the point."""
    from zhengwu.supervision.points import get_point

    spec = spec or get_point(code)
    stored = MonitoringPoint.objects.filter(code=code).values_list("thresholds", flat=True).first() or {}
    return {**spec.thresholds, **{k: v for k, v in stored.items() if k in spec.thresholds}}


def supervision_points_sync() -> dict[str, MonitoringPoint]:
    """Create a MonitoringPoint row for every registered point and refresh its descriptive fields; the
    administrator's `enabled`, `severity` and threshold values are kept (new threshold keys are added)."""
    existing = {p.code: p for p in MonitoringPoint.objects.all()}
    for spec in points():
        row = existing.get(spec.code)
        described = {
            "module": spec.module,
            "name": str(spec.name)[:100],
            "description": str(spec.description),
            "legal_basis": str(spec.legal_basis),
            "position": spec.position,
        }
        if row is None:
            row, _created = MonitoringPoint.objects.get_or_create(
                code=spec.code, defaults={**described, "severity": spec.severity, "thresholds": dict(spec.thresholds)}
            )
        thresholds = {**spec.thresholds, **{k: v for k, v in (row.thresholds or {}).items()}}
        changed = {k: v for k, v in described.items() if getattr(row, k) != v}
        if thresholds != row.thresholds:
            changed["thresholds"] = thresholds
        if changed:
            for name, value in changed.items():
                setattr(row, name, value)
            row.save(update_fields=[*changed, "updated_at"])
        existing[spec.code] = row
    return existing


# -- the scope of an incremental sweep ---------------------------------------------------------------------


def _scope_reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {SCOPE_TABLE} (tag varchar(100) NOT NULL, pk bigint NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {SCOPE_TABLE}")


def _scope_fill(tag: str, parts: list[QuerySet]) -> None:
    with connection.cursor() as cursor:
        for part in parts:
            sql, params = part.order_by().query.sql_with_params()
            cursor.execute(f"INSERT INTO {SCOPE_TABLE} (tag, pk) SELECT %s, s.* FROM ({sql}) s", [tag, *params])


def _scope_analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SCOPE_TABLE}")


def scope_text(tag: str) -> RawSQL:
    """The pks of an already filled scope, as text (to compare with generic object_id columns)."""
    return RawSQL(f"SELECT CAST(pk AS varchar(64)) FROM {SCOPE_TABLE} WHERE tag = %s", [tag])


def _scope_sql(tags: tuple[str, ...]) -> tuple[str, list[str]]:
    marks = ", ".join(["%s"] * len(tags))
    return f"SELECT pk FROM {SCOPE_TABLE} WHERE tag IN ({marks})", list(tags)


# -- one point ---------------------------------------------------------------------------------------------


def _null(field) -> Expression:
    return Cast(Value(None), field)


def _found_sql(found: Found, *, scope: tuple[str, ...] | None) -> tuple[str, list[Any]]:
    ct = ContentType.objects.get_for_model(found.subject)
    queryset = found.queryset
    if scope is not None:
        queryset = queryset.filter(**{f"{found.subject_pk}__in": RawSQL(*_scope_sql(scope))})
    columns = {
        "content_type_id": Value(ct.pk, output_field=IntegerField()),
        "object_id": Cast(found.subject_pk, CharField()),
        "key": found.key,
        "subject_repr": found.subject_repr,
        "department_id": found.department_id if found.department_id is not None else _null(BigIntegerField()),
        "clock_id": found.clock_id if found.clock_id is not None else _null(BigIntegerField()),
        "level": found.level,
        "due_at": found.due_at if found.due_at is not None else _null(DateTimeField()),
        "details": found.details,
    }
    values = queryset.order_by().values(**{f"zwcol_{name}": expr for name, expr in columns.items()})
    return values.query.sql_with_params()


def _materialize(sql: str, params: list[Any]) -> None:
    """The point's rows, computed once into a temporary table that the upsert and the resolve both read."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FOUND_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FOUND_TABLE} AS {sql}", params)
        # The resolve looks situations up here; an index keeps it a lookup whatever the planner estimates.
        cursor.execute(f"CREATE INDEX {FOUND_TABLE}_idx ON {FOUND_TABLE} (zwcol_object_id, zwcol_key)")


def _upsert(point: MonitoringPoint, now: datetime) -> int:
    alert = _q(Alert._meta.db_table)
    cols = ", ".join(_q(c) for c in COLUMNS)
    picked = ", ".join(f"f.zwcol_{c}" for c in COLUMNS)
    updated = ("level", "details", "due_at", "subject_repr", "department_id", "clock_id")
    differs = " OR ".join(f"{alert}.{_q(c)} IS DISTINCT FROM excluded.{_q(c)}" for c in updated)
    was_resolved = f"{alert}.status = '{AlertStatus.RESOLVED}'"
    statement = f"""
        INSERT INTO {alert} (point_id, {cols}, status, opened_at, level_changed_at, last_seen_at, handling_note)
        SELECT %s, {picked}, '{AlertStatus.OPEN}', %s, %s, %s, '' FROM {FOUND_TABLE} f
        LEFT JOIN {alert} a ON a.point_id = %s AND a.content_type_id = f.zwcol_content_type_id
            AND a.object_id = f.zwcol_object_id AND a.{_q("key")} = f.zwcol_key
        WHERE a.id IS NULL OR (a.status <> '{AlertStatus.DISMISSED}' AND (a.status = '{AlertStatus.RESOLVED}'
            OR {" OR ".join(f"a.{_q(c)} IS DISTINCT FROM f.zwcol_{c}" for c in updated)}))
        ON CONFLICT (point_id, content_type_id, object_id, {_q("key")}) DO UPDATE SET
            {", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in updated)},
            status = CASE WHEN {was_resolved} THEN '{AlertStatus.OPEN}' ELSE {alert}.status END,
            resolved_at = CASE WHEN {was_resolved} THEN NULL ELSE {alert}.resolved_at END,
            opened_at = CASE WHEN {was_resolved} THEN excluded.opened_at ELSE {alert}.opened_at END,
            level_changed_at = CASE WHEN {alert}.level <> excluded.level
                THEN excluded.level_changed_at ELSE {alert}.level_changed_at END,
            notified_level = CASE WHEN {alert}.notified_level > excluded.level
                THEN excluded.level ELSE {alert}.notified_level END,
            last_seen_at = excluded.last_seen_at
        WHERE {alert}.status <> '{AlertStatus.DISMISSED}' AND ({was_resolved} OR {differs})
    """
    stamp = _dt(now)
    with connection.cursor() as cursor:
        cursor.execute(statement, [point.pk, stamp, stamp, stamp, point.pk])
        return max(cursor.rowcount, 0)


def _resolve(point: MonitoringPoint, now: datetime, scope: tuple[str, ...] | None, subject_ct: int) -> int:
    """Resolve the point's active alerts not in the found table (on an incremental sweep, driven from the
    scope's subjects through the (content_type, object_id) index)."""
    alert = _q(Alert._meta.db_table)
    active = ", ".join(f"'{s}'" for s in _ACTIVE)
    not_found = f"""NOT EXISTS (
            SELECT 1 FROM {FOUND_TABLE} f WHERE f.zwcol_object_id = {alert}.object_id
            AND f.zwcol_key = {alert}.{_q("key")} AND f.zwcol_content_type_id = {alert}.content_type_id
        )"""
    stamp = _dt(now)
    if scope is None:
        statement = f"""
            UPDATE {alert} SET status = '{AlertStatus.RESOLVED}', resolved_at = %s, last_seen_at = %s
            WHERE point_id = %s AND status IN ({active}) AND {not_found}
        """
        params = [stamp, stamp, point.pk]
    else:
        scope_sql, scope_params = _scope_sql(scope)
        statement = f"""
            UPDATE {alert} SET status = '{AlertStatus.RESOLVED}', resolved_at = %s, last_seen_at = %s
            FROM (SELECT DISTINCT CAST(s.pk AS varchar(64)) AS oid FROM ({scope_sql}) s) changed
            WHERE {alert}.point_id = %s AND {alert}.content_type_id = %s AND {alert}.object_id = changed.oid
            AND {alert}.status IN ({active}) AND {not_found}
        """
        params = [stamp, stamp, *scope_params, point.pk, subject_ct]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _analyze_alerts() -> None:
    """After a large change the planner's row estimates for the alert table are stale: refresh them."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_q(Alert._meta.db_table)}")


def _claim(point: MonitoringPoint) -> list[int]:
    """Claim the rungs not yet notified; a concurrent claim of the same rung finds nothing to update.
    Every active alert is in the found table (the others were just resolved), so the claim is driven
    from it through the situation's unique index."""
    alert = _q(Alert._meta.db_table)
    statement = f"""
        UPDATE {alert} SET notified_level = level
        FROM {FOUND_TABLE} f
        WHERE {alert}.point_id = %s AND {alert}.content_type_id = f.zwcol_content_type_id
        AND {alert}.object_id = f.zwcol_object_id AND {alert}.{_q("key")} = f.zwcol_key
        AND {alert}.status IN ({", ".join(f"'{s}'" for s in _ACTIVE)}) AND {alert}.level >= 1
        AND ({alert}.notified_level IS NULL OR {alert}.notified_level < {alert}.level)
        RETURNING {alert}.id
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, [point.pk])
        return [row[0] for row in cursor.fetchall()]


def _sweep_point(
    spec: PointSpec, point: MonitoringPoint, ctx: SweepContext, scope: tuple[str, ...] | None, escalate: bool
) -> dict[str, int]:
    from zhengwu.supervision.domain.escalation import alerts_escalate

    began = time.perf_counter()
    with transaction.atomic():
        MonitoringPoint.objects.select_for_update().filter(pk=point.pk).first()
        if scope is not None and connection.vendor == "postgresql":
            # A small scope is best reached through primary keys; the default page cost makes PostgreSQL
            # prefer a sequential scan of the whole case table (this transaction only).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL random_page_cost = 1.1")
        found = spec.rows(ctx)
        sql, params = _found_sql(found, scope=scope)
        phases = {}
        mark = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            phases[name] = round((now - mark) * 1000)
            mark = now

        _materialize(sql, params)
        lap("find")
        upserted = _upsert(point, ctx.now)
        lap("upsert")
        subject_ct = ContentType.objects.get_for_model(found.subject).pk
        resolved = _resolve(point, ctx.now, scope, subject_ct)
        lap("resolve")
        if upserted + resolved > ANALYZE_AFTER:
            _analyze_alerts()
        notified = 0
        if escalate:
            claimed = _claim(point)
            notified = alerts_escalate(alert_ids=claimed, point=point) if claimed else 0
        lap("escalate")
    ms = round((time.perf_counter() - began) * 1000)
    return {"upserted": upserted, "resolved": resolved, "escalated": notified, "ms": ms, "phases_ms": phases}


def supervision_sweep(*, kind: str = SweepKind.FULL, now: datetime | None = None, escalate: bool = True) -> SweepRun:
    """Run every enabled point (see the module docstring). Returns the finished SweepRun with its counts."""
    now = now or timezone.now()
    configured = supervision_points_sync()
    previous = SweepRun.objects.filter(finished_at__isnull=False, started_at__lte=now).order_by("-started_at").first()
    since = previous.started_at if kind == SweepKind.INCREMENTAL and previous is not None else None
    run = SweepRun.objects.create(kind=kind if since is not None else SweepKind.FULL, started_at=now, since=since)
    base = SweepContext(now=now, since=since, previous=(previous.counts.get("state", {}) if previous else {}))
    specs = [spec for spec in points() if configured[spec.code].enabled]
    counts: dict[str, Any] = {}
    if since is not None:
        _scope_reset()
        for label in sorted({spec.subject for spec in specs}):
            for parts in scope_parts(label):
                _scope_fill(label, parts(base))
        for spec in specs:
            if spec.crossed is not None:
                _scope_fill(spec.code, spec.crossed(base))
        _scope_analyze()
    for spec in specs:
        point = configured[spec.code]
        ctx = SweepContext(
            now=now,
            since=since,
            thresholds=point_thresholds(spec.code, spec),
            cache=base.cache,
            previous=base.previous,
            persist=base.persist,
        )
        full = since is None or point.updated_at >= since
        scope = None if full else (spec.subject, spec.code)
        counts[spec.code] = _sweep_point(spec, point, ctx, scope, escalate)
    run.finished_at = timezone.now()
    run.counts = {"points": counts, "state": base.persist}
    run.save(update_fields=["finished_at", "counts"])
    logger.info("supervision sweep %s: %s", run.kind, counts)
    return run
