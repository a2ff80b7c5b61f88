"""Whole rows read by hand-written SELECTs and built into model instances as a queryset builds them
(docs/adr/0019-performance.md, sixth pass).

Reference rows read on every case (a department with its region, an item version with its item) cost 0.4–0.5 ms
of Python each through the ORM, most of it building and compiling the query; the statement itself is cheap.
`columns` gives a model's select list under a table alias; `build` turns the matching slice of a fetched row
into an instance: the backend's and the fields' converters applied (SQLite's text dates, JSON text), then
`Model.from_db`, so the instance is what the ORM would have returned. `department_read` is the one read here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model

from zhengwu.org.models import Department, Region

__all__ = ["build", "columns", "convert", "department_read", "relate"]

# Converters per connection (they are bound to its operations, as a compiler's are), per field tuple.
_CONVERTERS = "_zhengwu_row_converters"
_SQL: dict[tuple, str] = {}


def columns(connection: Any, model: type[Model], alias: str) -> str:
    """The select list of every concrete column of `model`, qualified by the table alias."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def _converters(connection: Any, fields: tuple[Field, ...]) -> list[tuple[int, list[Callable], Any]]:
    found = connection.__dict__.setdefault(_CONVERTERS, {})
    converters = found.get(fields)
    if converters is None:
        converters = []
        for position, field in enumerate(fields):
            column = field.get_col(field.model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                converters.append((position, functions, column))
        found[fields] = converters
    return converters


def convert(connection: Any, fields: tuple[Field, ...], values: Sequence[Any]) -> list[Any]:
    """`values`, read from the columns of `fields`, as the ORM hands them out (Python values)."""
    values = list(values)
    for position, functions, column in _converters(connection, fields):
        value = values[position]
        for function in functions:
            value = function(value, column, connection)
        values[position] = value
    return values


def build(connection: Any, model: type[Model], values: Sequence[Any]) -> Model:
    """An instance of `model` from the values of its concrete columns, in `columns` order."""
    meta = model._meta
    fields = tuple(meta.concrete_fields)
    return model.from_db(connection.alias, [f.attname for f in fields], convert(connection, fields, values))


def relate(instance: Model, name: str, related: Model | None) -> None:
    """Cache `related` as `instance.<name>`, as select_related does."""
    instance._meta.get_field(name).set_cached_value(instance, related)


def department_read(pk: int) -> Department | None:
    """`Department.objects.select_related("region").filter(pk=pk).first()` as one hand-written statement."""
    connection = connections[router.db_for_read(Department)]
    key = ("department", connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        sql = _SQL[key] = (
            f"SELECT {columns(connection, Department, 'd')}, {columns(connection, Region, 'r')} "
            f"FROM {quote(Department._meta.db_table)} d "
            f"INNER JOIN {quote(Region._meta.db_table)} r "
            f"ON r.{quote(Region._meta.pk.column)} = d.{quote(Department._meta.get_field('region').column)} "
            f"WHERE d.{quote(Department._meta.pk.column)} = %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(Department._meta.concrete_fields)
    department = build(connection, Department, row[:split])
    relate(department, "region", build(connection, Region, row[split:]))
    return department
