"""An item's configuration as cases read it on every case: its certificate mapping (the application form) and its
process (docs/adr/0019-performance.md, sixth pass).

Both are edited in the admin (and by `item_certificate_map`), so each is read afresh, by one hand-written
statement each, in the transaction that uses it; only the process definition's row, which never changes, is kept
per process (`workflow.domain.definitions.definition_stored`).
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router

from zhengwu.cases.models import ItemCertificate, ItemProcess
from zhengwu.core.rows import cache_related, converted, statement_cursor
from zhengwu.licences.models import LicenceType
from zhengwu.workflow.domain.definitions import (
    DEFAULT_DEFINITION,
    definition_identity_columns,
    definition_stored,
    shipped_id_sql,
)
from zhengwu.workflow.models import ProcessDefinition

__all__ = ["certificate_sources_read", "item_process_read"]

_SQL: dict[tuple, str] = {}


def certificate_sources_read(item_id: int) -> tuple[Any, Any] | None:
    """(the mapping's `field_sources`, its licence type's `fields`) of the item's ItemCertificate, or None."""
    connection = connections[router.db_for_read(ItemCertificate)]
    key = ("certificate", connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        q = connection.ops.quote_name
        sql = _SQL[key] = (
            f"SELECT c.{q('field_sources')}, t.{q('fields')} FROM {q(ItemCertificate._meta.db_table)} c "
            f"INNER JOIN {q(LicenceType._meta.db_table)} t ON t.{q('id')} = c.{q('licence_type_id')} "
            f"WHERE c.{q('item_id')} = %s"
        )
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, [item_id])
        row = cursor.fetchone()
    if row is None:
        return None
    fields = (ItemCertificate._meta.get_field("field_sources"), LicenceType._meta.get_field("fields"))
    sources, licence_fields = converted(connection, fields, row)
    return sources, licence_fields


def item_process_read(item_id: int) -> tuple[ItemProcess | None, ProcessDefinition | None]:
    """The item's ItemProcess (its primary key, item and definition ids set) and its definition; for an item
    without one, (None, workflow's stored default definition — None before its first use). One statement."""
    connection = connections[router.db_for_read(ItemProcess)]
    key = ("process", connection.vendor)
    sql = _SQL.get(key)
    default_sql, default_params = shipped_id_sql(connection, DEFAULT_DEFINITION)
    if sql is None:
        q = connection.ops.quote_name
        definitions = q(ProcessDefinition._meta.db_table)
        identity = definition_identity_columns(connection, "p")
        sql = _SQL[key] = (
            f"SELECT 0, m.{q('id')}, {identity} FROM {q(ItemProcess._meta.db_table)} m "
            f"INNER JOIN {definitions} p ON p.{q('id')} = m.{q('definition_id')} WHERE m.{q('item_id')} = %s "
            f"UNION ALL SELECT 1, NULL, {identity} FROM {definitions} p WHERE p.{q('id')} = ({default_sql}) "
            "ORDER BY 1"
        )
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, [item_id, *default_params])
        row = cursor.fetchone()
    if row is None:
        return None, None
    definition = definition_stored(connection, tuple(row[2:]))
    if row[1] is None:
        return None, definition
    mapping = ItemProcess.from_db(
        connection.alias, ["id", "item_id", "definition_id"], [row[1], item_id, definition.pk]
    )
    cache_related(mapping, "definition", definition)
    return mapping, definition
