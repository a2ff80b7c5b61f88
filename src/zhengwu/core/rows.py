"""One row's read, insert and update as hand-written statements, for the hot paths (ADR 0019, sixth pass).

Through the ORM, reading one row under a lock with its related rows costs about 1 ms of Python (building and
compiling the query, then the instances) for a statement PostgreSQL runs in a tenth of that; a `save()` costs
about 0.5 ms. These functions build each statement's text once per model, related rows, vendor and field list,
and do by hand what the ORM call they replace does:

* `row_get(Model, pk, related=…, for_update=True)` is `Model.objects.select_for_update(of=("self",))
  .select_related(*related).get(pk=pk)`: the same joins (inner along non-null foreign keys, outer otherwise and
  below an outer one; reverse one-to-one relations outer), instances built with `Model.from_db`, related ones
  cached on both sides as a queryset caches them, values through the backend's and the fields' converters
  (SQLite returns datetimes as text), `Model.DoesNotExist` when there is no row, the lock refused outside a
  transaction and taken only where the backend has row locks (SQLite serialises writers instead);
* `row_insert(obj)` is `obj.save()` of a new object, `row_update(obj, fields)` is `obj.save(update_fields=…)`:
  values through `Field.pre_save` (so `auto_now` fields are set on the instance too) and `get_db_prep_save`,
  `pre_save`/`post_save` sent with the arguments `Model.save` gives them, a failed statement marking the
  transaction for rollback, the instance left saved (`_state.adding` False, `_state.db`, the new primary key).

Inside `rows_holding` (the outermost `audited_atomic` block, on PostgreSQL) a write whose result nobody reads
(`hold=True`) may be held back and sent as a WITH clause of the next write (ADR 0019, tenth pass).

Models with multi-table inheritance or database defaults are refused: nothing on the hot paths has them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DatabaseError, connections, router, transaction
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError
from django.db.utils import NotSupportedError

__all__ = [
    "Locked",
    "cache_related",
    "converted",
    "next_key_sql",
    "row_get",
    "row_get_with",
    "row_insert",
    "row_update",
    "row_update_if",
    "rows_bulk_insert",
    "rows_holding",
    "rows_lock_together",
    "rows_where",
    "rows_with_held",
    "select_columns",
    "statement_cursor",
]

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Part:
    """One model's columns in a read: its slice of the row and how it hangs from its parent part."""

    model: type[Model]
    fields: tuple  # the fields read, in column order (all concrete fields but the deferred ones)
    start: int
    end: int
    attnames: tuple[str, ...]
    pk_position: int
    parent: int  # index of the parent part; -1 for the row itself
    local_setter: Callable[[Any, Any], None] | None
    remote_setter: Callable[[Any, Any], None] | None


@dataclass(frozen=True)
class _Read:
    sql: str
    parts: tuple[_Part, ...]
    width: int  # columns of the parts (extra columns follow)
    fields: tuple  # the fields of those columns, in order
    columns: str = ""  # the parts' select list
    source: str = ""  # the table and its joins


_READS: dict[tuple, _Read] = {}
_WRITES: dict[tuple, str] = {}
_INSERTS: dict[tuple, tuple[str, list[Field], list[Field]]] = {}  # row_insert's statement, values, returned
_UPDATES: dict[tuple, tuple[str, list[Field], Field | None]] = {}  # row_update's statement, fields and guard
_CONVERTERS = "_zhengwu_row_converters"


class statement_cursor:
    """`with statement_cursor(connection) as cursor:` is `with connection.cursor() as cursor:` for the hot paths.

    Django builds a driver cursor and two wrappers around it for every statement (ADR 0019, eighth pass). Here
    the driver's cursor is made once per database connection (by the backend's `create_cursor`, as Django makes
    it) and kept, so fetch what a statement returns before running the next; the block still refuses to run in a
    broken transaction and raises Django's exceptions for the driver's. Whenever something watches the
    statements (DEBUG, `CaptureQueriesContext`/`assertNumQueries`, `execute_wrappers`), the connection is shared
    between threads, or it is not yet open or due its health check, it is Django's own cursor instead."""

    __slots__ = ("_connection", "_wrapper")

    def __init__(self, connection: Any):
        self._connection = connection
        self._wrapper = None

    def __enter__(self) -> Any:
        connection = self._connection
        raw = connection.connection
        if (
            raw is None
            or connection.queries_logged
            or connection.execute_wrappers
            or connection.allow_thread_sharing  # (a live test server's threads: one cursor each statement)
            or (connection.health_check_enabled and not connection.health_check_done)
        ):
            self._wrapper = connection.cursor()
            return self._wrapper
        kept = connection.__dict__.get(_CURSOR)
        if kept is None or kept[0] is not raw:
            connection.validate_thread_sharing()
            with connection.wrap_database_errors:
                kept = connection.__dict__[_CURSOR] = (raw, connection.create_cursor())
        connection.validate_no_broken_transaction()
        return kept[1]

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self._wrapper is not None:
            self._wrapper.close()
        elif exc_type is not None:
            self._connection.wrap_database_errors.__exit__(exc_type, exc, traceback)  # raises Django's exception


_CURSOR = "_zhengwu_statement_cursor"


def _check_model(model: type[Model]) -> None:
    meta = model._meta
    if meta.parents:
        raise NotSupportedError(f"{meta.label}: multi-table inheritance is not supported by zhengwu.core.rows")
    if any(getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED for f in meta.concrete_fields):
        raise NotSupportedError(f"{meta.label}: database defaults are not supported by zhengwu.core.rows")


def _no_setter(_obj: Any, _value: Any) -> None:
    return None


def _plan_read(
    connection: Any,
    model: type[Model],
    *,
    where: str,
    related: tuple[str, ...],
    defer: tuple[str, ...],
    for_update: bool,
    extra_columns: str,
    order_by: str,
    prefix: str = "t",
) -> _Read:
    quote = connection.ops.quote_name
    _check_model(model)
    parts: list[_Part] = []
    columns: list[str] = []
    joins: list[str] = []
    aliases: dict[tuple[str, ...], tuple[int, str, bool]] = {}  # path -> (part, alias, outer)
    deferred: dict[tuple[str, ...], set[str]] = {}
    for path in defer:
        *owner, name = path.split("__")
        deferred.setdefault(tuple(owner), set()).add(name)

    def add_part(path: tuple[str, ...], part_model: type[Model], alias: str, parent: int, local: Any, remote: Any):
        skipped = deferred.get(path, set())
        fields = tuple(f for f in part_model._meta.concrete_fields if f.name not in skipped or f.primary_key)
        if len(fields) + len(skipped) != len(part_model._meta.concrete_fields):
            raise ValueError(f"{part_model._meta.label}: cannot defer {sorted(skipped)}")
        start = len(columns)
        columns.extend(f"{alias}.{quote(f.column)}" for f in fields)
        pk_position = next(i for i, f in enumerate(fields) if f.primary_key)
        attnames = tuple(f.attname for f in fields)
        parts.append(_Part(part_model, fields, start, len(columns), attnames, pk_position, parent, local, remote))
        return len(parts) - 1

    aliases[()] = (add_part((), model, f"{prefix}0", -1, None, None), f"{prefix}0", False)
    for path in related:
        names = tuple(path.split("__"))
        for depth in range(1, len(names) + 1):
            key = names[:depth]
            if key in aliases:
                continue
            parent_index, parent_alias, parent_outer = aliases[key[:-1]]
            parent_model = parts[parent_index].model
            field = parent_model._meta.get_field(key[-1])
            alias = f"{prefix}{len(aliases)}"
            if field.concrete and (field.many_to_one or field.one_to_one):  # forward foreign key / one-to-one
                target = field.related_model
                _check_model(target)
                outer = parent_outer or field.null
                on = f"{alias}.{quote(field.target_field.column)} = {parent_alias}.{quote(field.column)}"
                local = field.set_cached_value
                remote = field.remote_field.set_cached_value if field.unique else _no_setter
            elif field.one_to_one and not field.concrete:  # reverse one-to-one
                target = field.related_model
                _check_model(target)
                outer = True
                child = field.field
                on = f"{alias}.{quote(child.column)} = {parent_alias}.{quote(child.target_field.column)}"
                local = field.set_cached_value
                remote = child.set_cached_value
            else:
                raise ValueError(f"{parent_model._meta.label}.{key[-1]}: not a single-valued relation")
            join = "LEFT OUTER JOIN" if outer else "INNER JOIN"
            joins.append(f"{join} {quote(target._meta.db_table)} {alias} ON {on}")
            aliases[key] = (add_part(key, target, alias, parent_index, local, remote), alias, outer)
    unknown = set(deferred) - set(aliases)
    if unknown:
        raise ValueError(f"defer names relations not read: {sorted(unknown)}")
    width = len(columns)
    select = ", ".join(columns) + (f", {extra_columns}" if extra_columns else "")
    source = " ".join([f"{quote(model._meta.db_table)} {prefix}0", *joins])
    sql = f"SELECT {select} FROM {source} WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    if for_update and connection.features.has_select_for_update:
        if joins and not connection.features.has_select_for_update_of:
            raise NotSupportedError("FOR UPDATE OF is not supported on this database backend.")
        sql += f" FOR UPDATE OF {prefix}0" if joins else " FOR UPDATE"
    fields = tuple(f for part in parts for f in part.fields)
    return _Read(sql, tuple(parts), width, fields, ", ".join(columns), source)


def select_columns(connection: Any, model: type[Model], alias: str) -> str:
    """The select list of every concrete column of `model`, qualified by the table alias (for a hand-written
    statement that `converted` then reads)."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def _field_converters(connection: Any, fields: tuple, key: Any = None) -> list[tuple[int, list[Callable], Any]]:
    """(position, converters, column) of each of `fields` whose value needs converting, as the ORM's compiler finds
    them (none on PostgreSQL; SQLite's dates, datetimes, decimals, booleans and JSON). Per connection: converters are
    bound to its operations. `key` stands for `fields` in the cache when the caller has a cheaper one to hash (a
    tuple of fields hashes each field)."""
    cache = connection.__dict__.setdefault(_CONVERTERS, {})
    key = fields if key is None else key
    found = cache.get(key)
    if found is None:
        found = []
        for position, field in enumerate(fields):
            column = field.get_col(field.model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                found.append((position, functions, column))
        cache[key] = found
    return found


def converted(connection: Any, fields: tuple, values: Any, *, key: Any = None) -> Any:
    """`values`, read from the columns of `fields` (and perhaps more after them, left as they are), as the ORM hands
    them out: the backend's and the fields' converters applied (`key` as `_field_converters` takes it)."""
    found = _field_converters(connection, fields, key)
    if not found:
        return values
    values = list(values)
    for position, functions, column in found:
        value = values[position]
        for function in functions:
            value = function(value, column, connection)
        values[position] = value
    return values


def cache_related(instance: Model, name: str, related: Model | None) -> None:
    """Cache `related` as `instance.<name>`, as select_related does."""
    instance._meta.get_field(name).set_cached_value(instance, related)


def _read(
    model: type[Model],
    params: list,
    *,
    where: str,
    related: tuple[str, ...],
    defer: tuple[str, ...],
    for_update: bool,
    extra_columns: str,
    order_by: str = "",
) -> list[tuple[Any, tuple]]:
    connection = connections[router.db_for_write(model) if for_update else router.db_for_read(model)]
    if for_update and connection.features.has_select_for_update and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    key = (model, where, related, defer, for_update, extra_columns, order_by, connection.vendor)
    read = _READS.get(key)
    if read is None:
        read = _READS[key] = _plan_read(
            connection,
            model,
            where=where,
            related=related,
            defer=defer,
            for_update=for_update,
            extra_columns=extra_columns,
            order_by=order_by,
        )
    with statement_cursor(connection) as cursor:
        cursor.execute(read.sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    alias = connection.alias
    found = []
    for row in rows:
        extra = tuple(row[read.width :])
        row = converted(connection, read.fields, row, key=key)
        found.append((_built(read.parts, row, alias), extra))
    return found


def _built(parts: tuple[_Part, ...], row: Any, alias: str, offset: int = 0) -> Model:
    """The row's instance and its related ones (cached on each other), from its columns at `offset`."""
    objects: list[Any] = []
    for part in parts:
        values = row[offset + part.start : offset + part.end]
        if part.parent < 0:
            objects.append(part.model.from_db(alias, part.attnames, values))
            continue
        parent = objects[part.parent]
        if parent is None:
            objects.append(None)  # below a missing related row
            continue
        obj = None if values[part.pk_position] is None else part.model.from_db(alias, part.attnames, values)
        part.local_setter(parent, obj)
        if obj is not None:
            part.remote_setter(obj, parent)
        objects.append(obj)
    return objects[0]


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def row_get_with(
    model: type[M],
    pk: Any,
    *,
    related: tuple[str, ...] = (),
    defer: tuple[str, ...] = (),
    for_update: bool = False,
    extra_columns: str = "",
) -> tuple[M, tuple]:
    """`row_get`, with `extra_columns` (SQL expressions, e.g. scalar subqueries) selected along; their values
    come back as a tuple, unconverted."""
    connection = connections[router.db_for_write(model) if for_update else router.db_for_read(model)]
    meta = model._meta
    if type(pk) is int and not _INT64_MIN <= pk <= _INT64_MAX:
        # As the ORM's get(pk=…): a key past any key column's range is no row (SQLite cannot even compare it).
        raise model.DoesNotExist(f"{meta.object_name} matching query does not exist.")
    found = _read(
        model,
        [meta.pk.get_db_prep_value(pk, connection)],
        where=f"t0.{connection.ops.quote_name(meta.pk.column)} = %s",
        related=related,
        defer=defer,
        for_update=for_update,
        extra_columns=extra_columns,
    )
    if not found:
        raise model.DoesNotExist(f"{meta.object_name} matching query does not exist.")
    return found[0]


def row_get(
    model: type[M], pk: Any, *, related: tuple[str, ...] = (), defer: tuple[str, ...] = (), for_update: bool = False
) -> M:
    """The row of `model` with primary key `pk`, with the `related` rows (select_related paths) read in the same
    statement, without the `defer` fields (paths, e.g. "definition__bpmn_xml"); `for_update` locks the row itself
    (not the related ones) until the transaction ends."""
    return row_get_with(model, pk, related=related, defer=defer, for_update=for_update)[0]


@dataclass(frozen=True)
class Locked:
    """One row for `rows_lock_together`: its model, primary key, and the related rows read along (not locked)."""

    model: type[Model]
    pk: Any
    related: tuple[str, ...] = ()
    defer: tuple[str, ...] = ()


def rows_lock_together(*rows: Locked, extra_columns: str = "") -> tuple[list[Model], tuple]:
    """Rows of different tables by primary key, each read as `row_get(…, for_update=True)` reads it, all in one
    statement that locks each row itself (`FOR UPDATE OF` each, in the order given: give them in the order
    every transaction locks them). The instances, and the values of `extra_columns` (unconverted).
    `DoesNotExist` of the first model whose row is missing."""
    connection = connections[router.db_for_write(rows[0].model)]
    if connection.features.has_select_for_update and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    key = ("together", tuple((r.model, r.related, r.defer) for r in rows), extra_columns, connection.vendor)
    plan = _READS_TOGETHER.get(key)
    if plan is None:
        plan = _READS_TOGETHER[key] = _plan_together(connection, rows, extra_columns)
    sql, reads, fields = plan
    params = [r.model._meta.pk.get_db_prep_value(r.pk, connection) for r in rows]
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if not found:
        for r in rows:  # which one is missing
            if not r.model._default_manager.using(connection.alias).filter(pk=r.pk).exists():
                raise r.model.DoesNotExist(f"{r.model._meta.object_name} matching query does not exist.")
        raise DatabaseError("rows_lock_together: no row although each exists")
    (row,) = found
    width = sum(read.width for read in reads)
    extra = tuple(row[width:])
    row = converted(connection, fields, row, key=key)
    instances, offset = [], 0
    for read in reads:
        instances.append(_built(read.parts, row, connection.alias, offset))
        offset += read.width
    return instances, extra


_READS_TOGETHER: dict[tuple, tuple[str, tuple[_Read, ...], tuple]] = {}


def _plan_together(connection: Any, rows: tuple[Locked, ...], extra_columns: str) -> tuple[str, tuple, tuple]:
    quote = connection.ops.quote_name
    prefixes = ["t", *(f"r{number}_" for number in range(1, len(rows)))]
    reads, wheres = [], []
    for prefix, r in zip(prefixes, rows, strict=True):
        where = f"{prefix}0.{quote(r.model._meta.pk.column)} = %s"
        reads.append(
            _plan_read(
                connection,
                r.model,
                where=where,
                related=r.related,
                defer=r.defer,
                for_update=False,
                extra_columns="",
                order_by="",
                prefix=prefix,
            )
        )
        wheres.append(where)
    select = ", ".join([*(read.columns for read in reads), *([extra_columns] if extra_columns else [])])
    sql = f"SELECT {select} FROM {', '.join(read.source for read in reads)} WHERE {' AND '.join(wheres)}"
    if connection.features.has_select_for_update:
        if not connection.features.has_select_for_update_of:
            raise NotSupportedError("FOR UPDATE OF is not supported on this database backend.")
        sql += " FOR UPDATE OF " + ", ".join(f"{prefix}0" for prefix in prefixes)
    return sql, tuple(reads), tuple(f for read in reads for f in read.fields)


def rows_where(
    model: type[M],
    where: str,
    params: list,
    *,
    related: tuple[str, ...] = (),
    defer: tuple[str, ...] = (),
    order_by: str = "",
    for_update: bool = False,
) -> list[M]:
    """The rows of `model` matching `where`, hand-written SQL over the model's table as `t0` (its related
    tables are t1, t2, … in the order `related` names them), with `params` already prepared for the database."""
    found = _read(
        model,
        params,
        where=where,
        related=related,
        defer=defer,
        for_update=for_update,
        extra_columns="",
        order_by=order_by,
    )
    return [obj for obj, _extra in found]


def _inserted_fields(model: type[Model], with_pk: bool) -> list:
    meta = model._meta
    return [f for f in meta.local_concrete_fields if not f.generated and (with_pk or f is not meta.auto_field)]


_UPDATABLE: dict[type[Model], frozenset[str]] = {}


def _updatable_fields(model: type[Model]) -> frozenset[str]:
    """Names and attnames `save(update_fields=…)` accepts."""
    names = _UPDATABLE.get(model)
    if names is None:
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key and not f.generated]
        names = _UPDATABLE[model] = frozenset(f.name for f in fields) | frozenset(f.attname for f in fields)
    return names


def _saving(obj: Model, connection: Any, update_fields: frozenset[str] | None) -> None:
    obj._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(sender=type(obj), instance=obj, raw=False, using=connection.alias, update_fields=update_fields)


def _saved(obj: Model, connection: Any, *, created: bool, update_fields: frozenset[str] | None) -> None:
    obj._state.db = connection.alias
    obj._state.adding = False
    post_save.send(
        sender=type(obj),
        instance=obj,
        created=created,
        update_fields=update_fields,
        raw=False,
        using=connection.alias,
    )


def row_insert(obj: M, *, draw: tuple[str, ...] = (), hold: bool = False) -> M:
    """`obj.save()` of a new object: one INSERT, an auto primary key returned and set.

    `hold`: an object whose primary key is set may have its INSERT held back and sent with the transaction's next
    write (see `rows_holding`).

    `draw`: foreign keys whose value the INSERT takes from the target table's own key sequence, set on `obj` as
    returned. The caller then inserts the target row with that key in the same transaction (the constraint is
    checked at commit), where the row it points at would otherwise have to be written first and `obj` updated
    to point at it, or the other way round. On SQLite the key is the next in `sqlite_sequence`: no other
    connection can take it (the transaction holds the database's write lock), and the caller inserts the target
    row before any other row of that table."""
    model = type(obj)
    meta = model._meta
    connection = connections[router.db_for_write(model, instance=obj)]
    _saving(obj, connection, None)
    auto = meta.auto_field
    with_pk = auto is None or getattr(obj, auto.attname) is not None
    key = (model, with_pk, draw, connection.vendor)
    cached = _INSERTS.get(key)
    if cached is None:
        _check_model(model)
        drawn = [meta.get_field(name) for name in draw]
        fields = [f for f in _inserted_fields(model, with_pk) if f not in drawn]
        returning = [*([] if with_pk else [auto]), *drawn]
        if not connection.features.can_return_columns_from_insert:
            if drawn:
                raise NotSupportedError("drawing a key needs INSERT … RETURNING")
            returning = []
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [*fields, *drawn])
        values = ", ".join(["%s"] * len(fields) + [next_key_sql(f.related_model, connection) for f in drawn])
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
        if returning:
            sql += " RETURNING " + ", ".join(quote(f.column) for f in returning)
        cached = _INSERTS[key] = (sql, fields, returning)
    sql, fields, returning = cached
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    row = (meta.db_table, obj.pk) if with_pk else None
    if hold and with_pk and not returning and _hold(connection, sql, params, row):
        _saved(obj, connection, created=True, update_fields=None)
        return obj
    sql, params = rows_with_held(connection, sql, params, row=row)
    with transaction.mark_for_rollback_on_error(connection.alias), statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        if returning:
            for field, value in zip(returning, cursor.fetchone(), strict=True):
                setattr(obj, field.attname, value)
        elif not with_pk:
            setattr(obj, auto.attname, connection.ops.last_insert_id(cursor, meta.db_table, auto.column))
    _saved(obj, connection, created=True, update_fields=None)
    return obj


def next_key_sql(model: type[Model], connection: Any) -> str:
    """SQL for the next primary key of `model`'s table, drawn from its own sequence (see `row_insert`'s `draw`)."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        return f"nextval(pg_get_serial_sequence('{table}', '{model._meta.pk.column}'))"
    if connection.vendor == "sqlite":
        return f"COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0) + 1"
    raise NotSupportedError(f"drawing a key is not implemented for {connection.vendor}")


def rows_bulk_insert(objs: list[M]) -> list[M]:
    """`Model.objects.bulk_create(objs)` of new objects of one model with auto primary keys: one INSERT, the keys
    returned and set (where the backend returns rows from a bulk insert), no signals (bulk_create sends none)."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model, instance=objs[0])]
    if meta.auto_field is None or not connection.features.can_return_rows_from_bulk_insert:
        return model._default_manager.bulk_create(objs)
    fields = _inserted_fields(model, with_pk=False)
    key = ("bulk", model, len(objs), connection.vendor)
    sql = _WRITES.get(key)
    if sql is None:
        _check_model(model)
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = _WRITES[key] = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
            f" VALUES {', '.join([row] * len(objs))} RETURNING {quote(meta.auto_field.column)}"
        )
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model or getattr(obj, meta.auto_field.attname) is not None:
            raise ValueError("rows_bulk_insert takes new objects of one model")
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    sql, params = rows_with_held(connection, sql, params)
    with transaction.mark_for_rollback_on_error(connection.alias), statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        pks = [pk for (pk,) in cursor.fetchall()]
    for obj, pk in zip(objs, pks, strict=True):
        setattr(obj, meta.auto_field.attname, pk)
        obj._state.db = connection.alias
        obj._state.adding = False
    return objs


def row_update(obj: M, fields: Iterable[str], *, hold: bool = False) -> M:
    """`obj.save(update_fields=fields)` of an object whose row exists: one UPDATE (DatabaseError when no row was
    updated, as the ORM raises).

    `hold`: the caller holds the row's lock (or one that keeps every other writer of it away), so the row is there
    and the UPDATE may be held back and sent with the transaction's next write (see `rows_holding`); the missing
    row is then not checked for."""
    _update(obj, fields, None, None, hold=hold)
    return obj


def row_update_if(obj: Model, fields: Iterable[str], *, unchanged: str, value: Any) -> bool:
    """`row_update`, applied only while the row's `unchanged` field still holds `value` (a compare-and-set in the
    same UPDATE, which waits for a concurrent writer of the row and then compares with what it committed).
    False, with nothing written and no `post_save`, when it no longer does."""
    return _update(obj, fields, unchanged, value)


def _update(obj: Model, fields: Iterable[str], unchanged: str | None, value: Any, *, hold: bool = False) -> bool:
    model = type(obj)
    meta = model._meta
    connection = connections[router.db_for_write(model, instance=obj)]
    update_fields = frozenset(fields)
    if not update_fields:
        return True  # as save(update_fields=[]): nothing saved, no signal
    key = ("update", model, connection.vendor, update_fields, unchanged)
    cached = _UPDATES.get(key)
    if cached is None:
        unknown = update_fields.difference(_updatable_fields(model))
        if unknown:
            raise ValueError(
                "The following fields do not exist in this model, are m2m fields, primary keys, or are non-concrete "
                f"fields: {', '.join(sorted(unknown))}"
            )
        _check_model(model)
        written = [f for f in meta.local_concrete_fields if f.name in update_fields or f.attname in update_fields]
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(f.column)} = %s" for f in written)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
        guard = None
        if unchanged is not None:
            guard = meta.get_field(unchanged)
            sql += f" AND {quote(guard.column)} = %s"
        cached = _UPDATES[key] = (sql, written, guard)
    sql, written, guard = cached
    _saving(obj, connection, update_fields)
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in written]
    params.append(meta.pk.get_db_prep_value(obj.pk, connection))
    if guard is not None:
        params.append(guard.get_db_prep_value(value, connection))
    row = (meta.db_table, obj.pk)
    if hold and guard is None and _hold(connection, sql, params, row):
        _saved(obj, connection, created=False, update_fields=update_fields)
        return True
    sql, params = rows_with_held(connection, sql, params, row=row)
    with transaction.mark_for_rollback_on_error(connection.alias), statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount < 1:
            if guard is None:
                raise DatabaseError("Save with update_fields did not affect any rows.")
            return False
    _saved(obj, connection, created=False, update_fields=update_fields)
    return True


# ---- writes held back for the transaction's next write (ADR 0019, tenth pass) -------------------------------
# Each statement costs about 40 µs of Python and as much of PostgreSQL's time however little it does (the round
# trip, the protocol, the executor's start); a write whose result nobody reads can instead go along with the next
# write as a data-modifying WITH clause of it, where it costs a few µs.
_HELD = "_zhengwu_held_writes"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT"


class _Held:
    __slots__ = ("params", "rows", "statements")

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.params: list[Any] = []
        self.rows: set[tuple[str, Any]] = set()  # (table, primary key) of each held write


@contextmanager
def rows_holding(connection: Any) -> Iterator[None]:
    """Inside the block (on PostgreSQL, and inside a transaction), `row_update(…, hold=True)` and
    `row_insert(…, hold=True)` hold their statement back; it goes as a WITH clause of the next write that takes
    held writes along (`row_insert`, `row_update`, `rows_bulk_insert`, and the hand-written statements that call
    `rows_with_held`), all in one statement. Any other statement on the connection (a read, a savepoint, a write
    through the ORM) first sends the held writes in a statement of their own, so everything runs in the order
    written and sees what came before; so does the end of the block, unless the transaction is to roll back.

    A WITH clause and its statement see the same snapshot: a taking statement reads only its own row, and a row
    already held is sent before another write of it. A held write's error is raised by the statement that sends
    it. A savepoint rolled back drops what was held since (it would undo it)."""
    connection = connections[connection.alias]  # the connection itself, not `django.db.connection`'s proxy
    if connection.vendor != "postgresql" or not connection.in_atomic_block or _HELD in connection.__dict__:
        yield
        return
    held = connection.__dict__[_HELD] = _Held()
    try:
        yield
        if held.statements and not connection.needs_rollback:
            _send_held(connection)
    finally:
        _release(connection)
        del connection.__dict__[_HELD]


def _hold(connection: Any, sql: str, params: list, row: tuple[str, Any] | None) -> bool:
    """Hold the write back if the connection holds writes; False (nothing done) when it does not."""
    held = connection.__dict__.get(_HELD)
    if held is None or connection.needs_rollback:
        return False
    if row in held.rows:
        _send_held(connection)  # two writes of one row in one statement: only one would take effect
    if not held.statements:
        connection.execute_wrappers.insert(0, _send_held_first)  # outermost: before anything watching statements
    held.statements.append(sql)
    held.params.extend(params)
    held.rows.add(row)
    return True


def rows_with_held(connection: Any, sql: str, params: list, *, row: tuple[str, Any] | None = None) -> tuple[str, list]:
    """`sql` and `params` with the held writes (if any) as its WITH clauses, to run in their place; the writes are
    then no longer held. Only for a write that reads no row but its own (`row`: its table and primary key; a held
    write of the same row is sent first, on its own)."""
    held = connection.__dict__.get(_HELD)
    if held is None or not held.statements:
        return sql, params
    if row is not None and row in held.rows:
        _send_held(connection)
        return sql, params
    clauses = _clauses(held.statements)
    taken = [*held.params, *params]
    _release(connection)
    for head in ("WITH RECURSIVE ", "WITH "):  # the statement's own WITH list: the held clauses go first in it
        if sql.startswith(head):
            return f"{head}{clauses}, {sql[len(head) :]}", taken
    return f"WITH {clauses} {sql}", taken


def _clauses(statements: list[str]) -> str:
    return ", ".join(f"held{number} AS ({statement})" for number, statement in enumerate(statements))


def _release(connection: Any) -> None:
    held = connection.__dict__.get(_HELD)
    if held is not None and held.statements:
        held.statements, held.params, held.rows = [], [], set()
        connection.execute_wrappers.remove(_send_held_first)


def _send_held(connection: Any) -> None:
    """The held writes, in a statement of their own (the last of them the statement, the others its WITH clauses),
    through Django's cursor: counted by whatever watches statements, failures raised as Django's errors."""
    held = connection.__dict__[_HELD]
    *clauses, sql = held.statements
    if clauses:
        sql = f"WITH {_clauses(clauses)} {sql}"
    params = held.params
    _release(connection)
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _send_held_first(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    """Django's execute wrapper while writes are held: send them before the statement (a savepoint's rollback
    drops them instead)."""
    connection = context["connection"]
    if _HELD in connection.__dict__:
        if connection.needs_rollback or (isinstance(sql, str) and sql.startswith(_ROLLBACK_TO)):
            _release(connection)
        else:
            _send_held(connection)
    return execute(sql, params, many, context)
