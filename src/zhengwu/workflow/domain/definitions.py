"""Process definitions: upload (validated), versioned per key, and the definitions shipped with the platform."""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router
from django.db.models import Q
from django.utils import timezone
from lxml import etree

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.core.rows import converted
from zhengwu.org.models import Department
from zhengwu.workflow import engine
from zhengwu.workflow.engine import ParsedDefinition
from zhengwu.workflow.models import ProcessDefinition
from zhengwu.workflow.rules import is_system_actor

__all__ = [
    "SHIPPED_DEFINITIONS",
    "default_process_definition",
    "department_lookup",
    "process_definition_create",
    "process_definition_validate",
    "shipped_process_definition",
]

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
SHIPPED_DEFINITIONS = ("default_licensing", "parallel_approval", "countersign_review")
DEFAULT_DEFINITION = "default_licensing"  # what items without a process of their own run
SYSTEM_ACTOR = "system:workflow"
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def department_lookup(reference: str) -> Department | None:
    """A lane's department reference: a code first, then a full or short name."""
    reference = (reference or "").strip()
    if not reference:
        return None
    found = Department.objects.filter(code=reference).first()
    if found is None:
        found = Department.objects.filter(Q(name=reference) | Q(short_name=reference)).order_by("pk").first()
    return found


def _user(actor: Any):
    return None if is_system_actor(actor) or not getattr(actor, "pk", None) else actor


def process_definition_validate(*, key: str, name: str = "", bpmn_xml: bytes | str) -> ParsedDefinition:
    """Check everything process_definition_create checks, without saving. Raises ValidationError."""
    errors: dict[str, list[str]] = {}
    if not _KEY.match(key or ""):
        errors["key"] = ["流程标识只能包含小写字母、数字、下划线和连字符，以字母开头，最长 64 个字符。"]
    if len(name or "") > 200:
        errors["name"] = ["名称最长 200 个字符。"]
    try:
        parsed = engine.bpmn_parse(bpmn_xml)
    except ValidationError as exc:
        exc.update_error_dict(errors)
        raise ValidationError(errors) from None
    lane_errors = [
        f"泳道“{lane.name}”指定的部门“{lane.department}”不存在（可写部门编码、全称或简称）。"
        for lane in parsed.lanes
        if lane.department and department_lookup(lane.department) is None
    ]
    if lane_errors:
        errors["bpmn_xml"] = lane_errors
    if "key" not in errors:
        latest = ProcessDefinition.objects.filter(key=key).order_by("-version").only("version", "bpmn_sha256").first()
        if latest is not None and latest.bpmn_sha256 == parsed.bpmn_sha256:
            errors.setdefault("bpmn_xml", []).append(f"内容与现有版本 v{latest.version} 相同，无需重复上传。")
    if errors:
        raise ValidationError(errors)
    return parsed


def _text(bpmn_xml: bytes | str) -> str:
    if isinstance(bpmn_xml, str):
        return bpmn_xml
    try:
        return bpmn_xml.decode("utf-8")
    except UnicodeDecodeError:
        # Declared in another encoding (GBK and the like): keep an equivalent UTF-8 text.
        root = engine.parse_xml(bpmn_xml)
        return etree.tostring(root, encoding="unicode")


def process_definition_create(*, actor: Any, key: str, name: str = "", bpmn_xml: bytes | str) -> ProcessDefinition:
    """Validate a BPMN file and store it as the next version of `key`, with its parsed spec stored once."""
    parsed = process_definition_validate(key=key, name=name, bpmn_xml=bpmn_xml)
    text = _text(bpmn_xml)
    now = timezone.now()
    try:
        with audited_atomic():
            latest = ProcessDefinition.objects.select_for_update().filter(key=key).order_by("-version").first()
            if latest is not None and latest.bpmn_sha256 == parsed.bpmn_sha256:
                raise ValidationError({"bpmn_xml": [f"内容与现有版本 v{latest.version} 相同，无需重复上传。"]})
            definition = ProcessDefinition.objects.create(
                key=key,
                version=(latest.version + 1) if latest is not None else 1,
                name=(name or "").strip() or parsed.process_name[:200],
                process_id=parsed.process_id,
                bpmn_xml=text,
                bpmn_sha256=parsed.bpmn_sha256,
                spec_json=parsed.spec_json,
                spec_sha256=parsed.spec_sha256,
                lanes=[lane.as_dict() for lane in parsed.lanes],
                user_tasks=parsed.user_tasks,
                created_by=_user(actor),
                created_at=now,
            )
            audit_record(
                actor=actor,
                action="workflow.definition.created",
                obj=definition,
                after={
                    "key": definition.key,
                    "version": definition.version,
                    "name": definition.name,
                    "process_id": definition.process_id,
                    "bpmn_sha256": definition.bpmn_sha256,
                    "spec_sha256": definition.spec_sha256,
                    "lanes": [lane["name"] for lane in definition.lanes],
                    "user_tasks": {task["id"]: task["step_limit_days"] for task in definition.user_tasks},
                },
            )
    except IntegrityError:
        raise ValidationError({"key": ["该流程正被同时上传新版本，请稍后重试。"]}) from None
    return definition


# A stored definition never changes (a new upload is a new version), so each process keeps the rows it has read,
# keyed by the identity columns the caller reads along (ADR 0019, sixth pass): the primary key alone is not enough,
# a rolled-back SQLite database hands it out again.
DEFINITION_IDENTITY = ("id", "key", "version", "name", "bpmn_sha256", "spec_sha256", "created_at")
_IDENTITY_FIELDS = tuple(ProcessDefinition._meta.get_field(name) for name in DEFINITION_IDENTITY)
_DEFINITIONS: dict[tuple, ProcessDefinition] = {}
_DEFINITIONS_MAX = 1024
_SHIPPED_DIGESTS: dict[str, str] = {}
_SQL: dict[str, str] = {}


def definition_identity_columns(connection: Any, alias: str) -> str:
    """The select list of the identity columns `definition_stored` takes."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(column)}" for column in DEFINITION_IDENTITY)


def _remember(alias: str, definition: ProcessDefinition) -> None:
    if len(_DEFINITIONS) >= _DEFINITIONS_MAX:
        _DEFINITIONS.clear()
    _DEFINITIONS[(alias, *(getattr(definition, name) for name in DEFINITION_IDENTITY))] = definition


def definition_stored(connection: Any, identity: tuple) -> ProcessDefinition:
    """The stored definition whose identity columns (DEFINITION_IDENTITY, as fetched) were just read in this
    transaction: read whole once per process, then copied."""
    key = (connection.alias, *converted(connection, _IDENTITY_FIELDS, identity, key="workflow.definition_identity"))
    found = _DEFINITIONS.get(key)
    if found is None:
        found = ProcessDefinition.objects.using(connection.alias).get(pk=identity[0])
        _remember(connection.alias, found)
    return copy.copy(found)


def definition_caches_clear() -> None:
    """Forget the definitions this process keeps (tests: rolled-back SQLite databases reuse primary keys)."""
    _DEFINITIONS.clear()


def _shipped_digest(name: str) -> str:
    # The shipped files change only with the code, i.e. with a restart.
    digest = _SHIPPED_DIGESTS.get(name)
    if digest is None:
        digest = _SHIPPED_DIGESTS[name] = hashlib.sha256((BPMN_DIR / f"{name}.bpmn").read_bytes()).hexdigest()
    return digest


def shipped_id_sql(connection: Any, name: str) -> tuple[str, list[str]]:
    """A scalar subquery giving the primary key of the stored definition of the shipped file `name` (newest
    version with the file's digest; NULL before its first use), and its parameters."""
    q = connection.ops.quote_name
    sql = (
        f"SELECT s.{q('id')} FROM {q(ProcessDefinition._meta.db_table)} s "
        f"WHERE s.{q('key')} = %s AND s.{q('bpmn_sha256')} = %s ORDER BY s.{q('version')} DESC LIMIT 1"
    )
    return sql, [name, _shipped_digest(name)]


def _shipped_stored(name: str) -> ProcessDefinition | None:
    """`ProcessDefinition.objects.filter(key=name, bpmn_sha256=<the file's digest>).order_by("-version").first()`,
    the identity read by one hand-written statement."""
    connection = connections[router.db_for_read(ProcessDefinition)]
    shipped, params = shipped_id_sql(connection, name)
    sql = _SQL.get(connection.vendor)
    if sql is None:
        q = connection.ops.quote_name
        sql = _SQL[connection.vendor] = (
            f"SELECT {definition_identity_columns(connection, 'p')} FROM {q(ProcessDefinition._meta.db_table)} p "
            f"WHERE p.{q('id')} = ({shipped})"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else definition_stored(connection, tuple(row))


def shipped_process_definition(name: str) -> ProcessDefinition:
    """A definition shipped in workflow/bpmn/, stored on first use (and again as a new version when the
    shipped file changes)."""
    if name not in SHIPPED_DEFINITIONS:
        raise ValueError(f"unknown shipped definition {name!r}")
    existing = _shipped_stored(name)
    if existing is not None:
        return existing
    data = (BPMN_DIR / f"{name}.bpmn").read_bytes()
    digest = _SHIPPED_DIGESTS[name] = hashlib.sha256(data).hexdigest()
    try:
        created = process_definition_create(actor=SYSTEM_ACTOR, key=name, bpmn_xml=data)
    except ValidationError:
        # Someone stored it at the same moment.
        existing = ProcessDefinition.objects.filter(key=name, bpmn_sha256=digest).order_by("-version").first()
        if existing is None:
            raise
        return existing
    _remember(created._state.db, copy.copy(created))
    return created


def default_process_definition() -> ProcessDefinition:
    """The built-in 受理 → 审查 → 决定 flow for items without their own BPMN definition."""
    return shipped_process_definition(DEFAULT_DEFINITION)
