"""The clock row's three statements, hand-written: lock-read, insert, update (docs/adr/0019-performance.md,
fifth pass).

Every clock transition reads its row under a lock, and writes it once; through the ORM each of those cost
0.4–0.6 ms of Python (query building and compiling) for a statement PostgreSQL runs in a fraction of that.
The statements are `zhengwu.core.rows`' (sixth pass), which keep what the ORM calls did: `updated_at` and the
other `pre_save` values, the `pre_save`/`post_save` signals their receivers (the supervision sweep request,
the task pool versions) rely on, converters, rollback marking, the lock refused outside a transaction.

The lock read also reads the calendar version along when the transaction has not read it yet (two scalar
subqueries, not locked: FOR UPDATE locks the rows of the FROM clause only), saving the transaction's separate
version read (`workcal.arith`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router

from zhengwu.core.rows import row_get, row_get_with, row_insert, row_update, row_update_if
from zhengwu.workcal.arith import remember_version, version_columns_sql, version_wanted
from zhengwu.workcal.models import Clock

__all__ = ["clock_insert", "clock_lock", "clock_update", "clock_update_if_version"]


def clock_lock(pk: int) -> Clock:
    """`Clock.objects.select_for_update().get(pk=pk)`: the row, locked until the transaction ends.

    A transaction that has not read the calendar version yet (every clock computation needs it, ADR 0019) reads
    it along in the same statement."""
    connection = connections[router.db_for_write(Clock)]
    if not version_wanted(connection):
        return row_get(Clock, pk, for_update=True)
    clock, version = row_get_with(Clock, pk, for_update=True, extra_columns=version_columns_sql(connection))
    remember_version(connection, version)
    return clock


def clock_insert(clock: Clock) -> Clock:
    """`clock.save()` of a new clock: one INSERT, the primary key returned. A clock whose key was drawn already
    (the subject's row points at it) may go with the transaction's next write (`row_insert`'s `hold`)."""
    return row_insert(clock, hold=clock.pk is not None)


def clock_update(clock: Clock, fields: Iterable[str]) -> Clock:
    """`clock.save(update_fields=fields)` of a clock whose row exists: one UPDATE (DatabaseError when no row
    was updated, as the ORM raises)."""
    return row_update(clock, fields)


def clock_update_if_version(clock: Clock, fields: Iterable[str], *, version: int) -> bool:
    """`clock_update`, applied only while the row is still at `version` (every write of a clock raises it): one
    UPDATE. False, with nothing written, when another transaction has changed the clock since it was read."""
    return row_update_if(clock, fields, unchanged="version", value=version)
