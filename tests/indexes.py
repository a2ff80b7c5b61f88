"""The indexes a table has in the database, described alike on PostgreSQL and SQLite (tests pin them: every index is
written on each insert and each non-HOT update, so one nobody reads through should not appear unnoticed)."""

import re
from typing import NamedTuple

from django.db import connection


class TableIndex(NamedTuple):
    name: str | None  # None for the index of a UNIQUE constraint (SQLite names it after the table, not the constraint)
    columns: tuple[str, ...]
    unique: bool = False
    where: str = ""  # a partial index's condition, without quotes, brackets or casts


def table_indexes(table: str) -> set[TableIndex]:
    """Every index of `table` besides its primary key's."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _postgresql(cursor, table)
        return _sqlite(cursor, table)


def _condition(sql: str | None) -> str:
    return re.sub(r"::[a-z]+( varying)?|[\"()]", "", sql or "").strip()


def _postgresql(cursor, table: str) -> set[TableIndex]:
    cursor.execute(
        "SELECT c.relname, array_agg(a.attname ORDER BY k.n), i.indisunique, pg_get_expr(i.indpred, i.indrelid),"
        " EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid AND contype = 'u')"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
        " GROUP BY c.relname, i.indexrelid, i.indrelid, i.indisunique, i.indpred",
        [table],
    )
    return {
        TableIndex(None if constraint else name, tuple(columns), unique, _condition(where))
        for name, columns, unique, where, constraint in cursor.fetchall()
    }


def _sqlite(cursor, table: str) -> set[TableIndex]:
    cursor.execute(f"PRAGMA index_list({connection.ops.quote_name(table)})")
    found = set()
    for _seq, name, unique, origin, partial in cursor.fetchall():
        if origin == "pk":
            continue
        cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(name)})")
        columns = tuple(column for _n, _cid, column in sorted(cursor.fetchall()))
        where = ""
        if partial:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
            where = cursor.fetchone()[0].split(" WHERE ", 1)[1]
        found.add(TableIndex(None if origin == "u" else name, columns, bool(unique), _condition(where)))
    return found
