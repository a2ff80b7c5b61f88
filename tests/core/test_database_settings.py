"""How DATABASE_URL and DATABASE_PREPARED_STATEMENTS configure the connection (ADR 0019)."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

SHOW_OPTIONS = (
    "from django.conf import settings; import json; print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)


def _options(**env: str) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhengwu.settings", "SECRET_KEY": "test", **env}
    environment.pop("DATABASE_PREPARED_STATEMENTS", None)
    environment.update(env)
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW_OPTIONS}"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_postgresql_binds_parameters_on_the_server_and_prepares_repeated_statements():
    options = _options(DATABASE_URL="postgres://postgres@127.0.0.1:5432/zhengwu")
    assert options == {"server_side_binding": True, "prepare_threshold": 2}


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    options = _options(DATABASE_URL="postgres://postgres@127.0.0.1:5432/zhengwu", DATABASE_PREPARED_STATEMENTS="0")
    assert options == {}


def test_sqlite_keeps_its_own_options():
    options = _options(DATABASE_URL="sqlite:////tmp/zhengwu-settings-test.sqlite3")
    assert "server_side_binding" not in options and options["transaction_mode"] == "IMMEDIATE"


def test_the_suite_s_connection_prepares_a_statement_run_twice():
    """On PostgreSQL the second run of a statement is prepared; SQLite has nothing to prepare."""
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT CAST(%s AS integer) + 1", [41])
            assert cursor.fetchone() == (42,)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT CAST($1 AS integer) + 1%%'"
            )
            assert cursor.fetchone() == (1,)
        else:
            assert connection.vendor == "sqlite"
