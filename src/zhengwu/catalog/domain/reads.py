"""The catalogue reads every application makes (docs/adr/0019-performance.md, sixth pass).

* `version_read`: the version with its item, the item's department and its region — one hand-written statement,
  read afresh each time: the version's state changes (published → superseded or withdrawn) and departments and
  regions are edited in the admin.
* `version_materials`: the materials of a version. A version that has been published never changes again (nor do
  its materials: only drafts are edited, a change is a new version), so a frozen version's materials are kept
  per process, keyed by the version's identity (primary key, creation and publication time: a primary key alone
  may come back for another row after a rollback on SQLite); everyone gets instances of their own.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections, router

from zhengwu.catalog.enums import FROZEN_STATES
from zhengwu.catalog.models import ItemMaterial, ItemVersion
from zhengwu.core.rows import converted, row_get, select_columns, statement_cursor

__all__ = ["catalogue_caches_clear", "version_materials", "version_read"]

_SQL: dict[tuple, str] = {}
_MATERIALS: dict[tuple, list[list[Any]]] = {}
_MATERIALS_MAX = 4096
_lock = threading.Lock()
_MATERIAL_FIELDS = tuple(ItemMaterial._meta.concrete_fields)
_MATERIAL_ATTNAMES = [f.attname for f in _MATERIAL_FIELDS]


def version_read(pk: int) -> ItemVersion:
    """`ItemVersion.objects.select_related("item__department__region").get(pk=pk)`, hand-written."""
    return row_get(ItemVersion, pk, related=("item__department__region",))


def _material_rows(connection: Any, version_id: int) -> list[list[Any]]:
    key = ("materials", connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        meta = ItemMaterial._meta
        q = connection.ops.quote_name
        sql = _SQL[key] = (
            f"SELECT {select_columns(connection, ItemMaterial, 'm')} FROM {q(meta.db_table)} m "
            f"WHERE m.{q('version_id')} = %s ORDER BY m.{q('position')}, m.{q('id')}"
        )
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, [version_id])
        return [converted(connection, _MATERIAL_FIELDS, row, key="catalog.materials") for row in cursor.fetchall()]


def version_materials(version: ItemVersion) -> list[ItemMaterial]:
    """`ItemMaterial.objects.filter(version=version).order_by("position", "pk")`, kept per process for a
    version out of the editors' hands (published, superseded, withdrawn: nothing of it changes any more)."""
    connection = connections[router.db_for_read(ItemMaterial)]
    if version.state not in FROZEN_STATES or version.published_at is None:
        rows = _material_rows(connection, version.pk)
    else:
        key = (connection.alias, version.pk, version.created_at, version.published_at)
        rows = _MATERIALS.get(key)
        if rows is None:
            rows = _material_rows(connection, version.pk)
            with _lock:
                if len(_MATERIALS) >= _MATERIALS_MAX:
                    _MATERIALS.clear()
                _MATERIALS[key] = rows
    return [ItemMaterial.from_db(connection.alias, _MATERIAL_ATTNAMES, list(values)) for values in rows]


def catalogue_caches_clear() -> None:
    """Forget what this process keeps (tests: a rolled-back SQLite database hands primary keys out again)."""
    with _lock:
        _MATERIALS.clear()
