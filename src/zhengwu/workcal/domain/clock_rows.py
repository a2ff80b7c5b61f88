"""The clock row's three statements, hand-written: lock-read, insert, update (docs/adr/0019-performance.md,
fifth pass).

Every clock transition reads its row under a lock, and writes it once; through the ORM each of those cost
0.4–0.6 ms of Python (query building and compiling) for a statement PostgreSQL runs in a fraction of that.
Each function here is one statement whose text is built once per field list, and does by hand what the ORM
call it replaces did:

* values go through `Field.pre_save` (so `updated_at`, `auto_now`, is set to now on the instance) and
  `Field.get_db_prep_save`, as `Model.save` sends them; rows read come back through the backend's and the
  fields' converters (SQLite returns datetimes as text), as a queryset's do;
* `pre_save` and `post_save` are sent with the arguments `Model.save` gives them (`created`, `update_fields`
  as a frozenset or None, `raw=False`, `using`), so their receivers (the supervision sweep request, the task
  pool versions) see no difference; a failed statement marks the transaction for rollback like a save;
* the instance ends saved (`_state.adding` False, `_state.db` set, the new primary key), a read one is built
  with `Model.from_db`, as a queryset builds it;
* `SELECT … FOR UPDATE` only where the backend has row locks (SQLite serialises writers instead), refused
  outside a transaction as `select_for_update()` refuses.

The lock read also reads the calendar version along when the transaction has not read it yet (two scalar
subqueries, not locked: FOR UPDATE locks the rows of the FROM clause only), saving the transaction's separate
version read (`workcal.arith`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import DatabaseError, connections, router, transaction
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

from zhengwu.workcal.arith import remember_version, version_columns_sql, version_wanted
from zhengwu.workcal.models import Clock

__all__ = ["clock_insert", "clock_lock", "clock_update"]

_META = Clock._meta
_FIELDS = list(_META.concrete_fields)
_ATTNAMES = [f.attname for f in _FIELDS]
_INSERTED = [f for f in _META.local_concrete_fields if not f.generated and f is not _META.auto_field]
_UPDATABLE = [f for f in _FIELDS if not f.primary_key and not f.generated]
_UPDATABLE_NAMES = frozenset(f.name for f in _UPDATABLE) | frozenset(f.attname for f in _UPDATABLE)
# SQL text per connection vendor (and per field list for updates); converters per connection (they are bound to
# its operations, as a compiler's are)
_SQL: dict[tuple, str] = {}
_CONVERTERS = "_zhengwu_clock_converters"


def _quote(connection: Any, name: str) -> str:
    return connection.ops.quote_name(name)


def _converters(connection: Any) -> list[tuple[int, list[Callable], Any]]:
    """(position, converters, column) of each field read that needs converting, as the ORM's compiler finds them
    (none on PostgreSQL; SQLite's dates, datetimes and booleans)."""
    found = getattr(connection, _CONVERTERS, None)
    if found is None:
        found = []
        for position, field in enumerate(_FIELDS):
            column = field.get_col(_META.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                found.append((position, functions, column))
        setattr(connection, _CONVERTERS, found)
    return found


def clock_lock(pk: int) -> Clock:
    """`Clock.objects.select_for_update().get(pk=pk)`: the row, locked until the transaction ends.

    A transaction that has not read the calendar version yet (every clock computation needs it, ADR 0019) reads
    it along in the same statement."""
    connection = connections[router.db_for_write(Clock)]
    locks = connection.features.has_select_for_update
    if locks and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    with_version = version_wanted(connection)
    key = ("lock", connection.vendor, with_version)
    sql = _SQL.get(key)
    if sql is None:
        columns = ", ".join(_quote(connection, f.column) for f in _FIELDS)
        if with_version:
            columns += ", " + version_columns_sql(connection)
        table, pk_column = _quote(connection, _META.db_table), _quote(connection, _META.pk.column)
        sql = _SQL[key] = f"SELECT {columns} FROM {table} WHERE {pk_column} = %s" + (" FOR UPDATE" if locks else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [_META.pk.get_db_prep_value(pk, connection)])
        row = cursor.fetchone()
    if row is None:
        raise Clock.DoesNotExist(f"{_META.object_name} matching query does not exist.")
    if with_version:
        remember_version(connection, row[-2:])
        row = row[:-2]
    converters = _converters(connection)
    if converters:
        row = list(row)
        for position, functions, column in converters:
            value = row[position]
            for function in functions:
                value = function(value, column, connection)
            row[position] = value
    return Clock.from_db(connection.alias, _ATTNAMES, row)


def _saving(clock: Clock, connection: Any, update_fields: frozenset[str] | None) -> None:
    clock._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(sender=Clock, instance=clock, raw=False, using=connection.alias, update_fields=update_fields)


def _saved(clock: Clock, connection: Any, *, created: bool, update_fields: frozenset[str] | None) -> None:
    clock._state.db = connection.alias
    clock._state.adding = False
    post_save.send(
        sender=Clock,
        instance=clock,
        created=created,
        update_fields=update_fields,
        raw=False,
        using=connection.alias,
    )


def clock_insert(clock: Clock) -> Clock:
    """`clock.save()` of a new clock: one INSERT, the primary key returned."""
    connection = connections[router.db_for_write(Clock, instance=clock)]
    _saving(clock, connection, None)
    returning = connection.features.can_return_columns_from_insert
    key = ("insert", connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        table = _quote(connection, _META.db_table)
        columns = ", ".join(_quote(connection, f.column) for f in _INSERTED)
        sql = _SQL[key] = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_INSERTED))})" + (
            f" RETURNING {_quote(connection, _META.pk.column)}" if returning else ""
        )
    params = [f.get_db_prep_save(f.pre_save(clock, True), connection) for f in _INSERTED]
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, _META.db_table, _META.pk.column)
    setattr(clock, _META.pk.attname, pk)
    _saved(clock, connection, created=True, update_fields=None)
    return clock


def clock_update(clock: Clock, fields: Iterable[str]) -> Clock:
    """`clock.save(update_fields=fields)` of a clock whose row exists: one UPDATE (DatabaseError when no row
    was updated, as the ORM raises)."""
    connection = connections[router.db_for_write(Clock, instance=clock)]
    update_fields = frozenset(fields)
    if not update_fields:
        return clock  # as save(update_fields=[]): nothing saved, no signal
    unknown = update_fields.difference(_UPDATABLE_NAMES)
    if unknown:
        raise ValueError(
            "The following fields do not exist in this model, are m2m fields, primary keys, or are non-concrete "
            f"fields: {', '.join(sorted(unknown))}"
        )
    written = [f for f in _UPDATABLE if f.name in update_fields or f.attname in update_fields]
    _saving(clock, connection, update_fields)
    key = ("update", connection.vendor, *(f.attname for f in written))
    sql = _SQL.get(key)
    if sql is None:
        sets = ", ".join(f"{_quote(connection, f.column)} = %s" for f in written)
        sql = _SQL[key] = (
            f"UPDATE {_quote(connection, _META.db_table)} SET {sets} WHERE {_quote(connection, _META.pk.column)} = %s"
        )
    params = [f.get_db_prep_save(f.pre_save(clock, False), connection) for f in written]
    params.append(_META.pk.get_db_prep_value(clock.pk, connection))
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount < 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    _saved(clock, connection, created=False, update_fields=update_fields)
    return clock
