"""The monitoring-point registry (ADR 0020).

A point is code, not data: its rule is a set-based query yielding one row per situation found. Its
configurable side (enabled, thresholds) is a MonitoringPoint row synced from the registry. Modules add
points by calling `register_point()` from a `supervision_points` module of their app (autodiscovered at
start-up); they may add a `register_scope()` for their subject model so the incremental sweep knows which
subjects changed. The framework (domain/sweep.py) never names a point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Expression, Model, QuerySet, Value
from django.db.models.functions import JSONObject

from zhengwu.supervision.enums import Severity

__all__ = [
    "Found",
    "PointSpec",
    "SweepContext",
    "get_point",
    "point_explain",
    "points",
    "register_point",
    "register_scope",
    "scope_parts",
]


@dataclass
class SweepContext:
    """What a rule sees: the instant of the sweep, the previous sweep's (incremental only) and its
    point's thresholds (the registered defaults overlaid with the admin's edits)."""

    now: datetime
    since: datetime | None
    thresholds: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # shared by the points of one sweep
    previous: dict[str, Any] = field(default_factory=dict)  # `persist` of the previous finished run
    persist: dict[str, Any] = field(default_factory=dict)  # saved with this run (SweepRun.counts["state"])

    @property
    def incremental(self) -> bool:
        return self.since is not None

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]


@dataclass(frozen=True)
class Found:
    """The rows of one point: `queryset` filtered to the situations found, and one expression per column.

    `subject` is the model of the alert's object; `subject_pk` names the field of `queryset` holding its
    primary key (the incremental sweep filters on it). `key` tells apart several situations of one point on
    one object (e.g. each suspension)."""

    queryset: QuerySet
    subject: type[Model]
    subject_pk: str
    level: Expression | Value
    subject_repr: Expression | Value
    key: Expression | Value = field(default_factory=lambda: Value(""))
    department_id: Expression | Value | None = None
    clock_id: Expression | Value | None = None
    due_at: Expression | Value | None = None
    details: Expression = field(default_factory=JSONObject)


@dataclass(frozen=True)
class PointSpec:
    code: str
    module: str
    name: str
    description: str
    legal_basis: str
    rows: Callable[[SweepContext], Found]
    subject: str  # label ("app_label.model") of the Found's subject model
    severity: str = Severity.MEDIUM
    thresholds: dict[str, Any] = field(default_factory=dict)
    position: int = 0
    # Points whose alerts make the colour of their subject (the clock ladders).
    colours_subject: bool = False
    # Subjects (pks of the Found's subject model) whose situation may change by time alone in
    # (ctx.since, ctx.now]: the incremental sweep adds them to the subjects changed since.
    crossed: Callable[[SweepContext], list[QuerySet]] | None = None
    # What was found, in words, from an alert's `details` (its Found.details as stored): shown on the alert.
    explain: Callable[[dict[str, Any]], list[str]] | None = None


_POINTS: dict[str, PointSpec] = {}
_SCOPES: dict[str, list[Callable[[SweepContext], list[QuerySet]]]] = {}


def register_point(spec: PointSpec) -> PointSpec:
    if spec.code in _POINTS and _POINTS[spec.code] != spec:
        raise ValueError(f"monitoring point {spec.code!r} registered twice")
    _POINTS[spec.code] = spec
    return spec


def register_scope(model_label: str, parts: Callable[[SweepContext], list[QuerySet]]) -> None:
    """`parts(ctx)` returns querysets of `values("pk")`-like rows (one integer column): the subjects of
    `model_label` ("app_label.model") whose situation may have changed since `ctx.since`."""
    registered = _SCOPES.setdefault(model_label.lower(), [])
    if parts not in registered:
        registered.append(parts)


def scope_parts(model_label: str) -> list[Callable[[SweepContext], list[QuerySet]]]:
    return list(_SCOPES.get(model_label.lower(), []))


def points() -> list[PointSpec]:
    return sorted(_POINTS.values(), key=lambda spec: (spec.module, spec.position, spec.code))


def get_point(code: str) -> PointSpec:
    return _POINTS[code]


def point_explain(code: str, details: dict[str, Any] | None) -> list[str]:
    """The lines saying what an alert of point `code` found (none for an unknown point or one without words)."""
    spec = _POINTS.get(code)
    if spec is None or spec.explain is None:
        return []
    return [str(line) for line in spec.explain(details or {}) if line]
