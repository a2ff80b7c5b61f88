"""Timestamps read from PostgreSQL by the driver's C loader give what Django's own loader gives (ADR 0019)."""

import datetime

import pytest
from django.db import connection

from zhengwu.core.timestamps import connection_created_receiver

pytestmark = pytest.mark.django_db

SAMPLES = (
    "SELECT '2026-12-05 10:20:30.123456+08'::timestamptz, '2026-01-01 00:00:00+00'::timestamptz,"
    " '1999-02-28 23:59:59.5-05'::timestamptz, NULL::timestamptz"
)


def _read() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(SAMPLES)
        return cursor.fetchone()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's timestamptz loader")
def test_timestamps_are_read_by_the_c_loader_as_django_s_loader_reads_them():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader.__name__ == "UtcTimestamptzLoader" and loader.timezone is datetime.UTC
    ours = _read()
    register_tzloader(datetime.UTC, connection.connection)  # Django's own, for this connection
    try:
        theirs = _read()
    finally:
        connection_created_receiver(sender=None, connection=connection)
    assert ours == theirs
    assert [None if value is None else value.tzinfo for value in ours] == [datetime.UTC] * 3 + [None]
    assert ours[0] == datetime.datetime(2026, 12, 5, 2, 20, 30, 123456, tzinfo=datetime.UTC)
