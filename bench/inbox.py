"""Benchmark: the staff task inbox (/workbench/tasks/) with 1,000,000 cases in PostgreSQL.

Run: .venv/bin/python bench/inbox.py [--cases 1000000] [--db zhengwu_bench_inbox] [--reuse]
                                     [--connections 50] [--seconds 15] [--workers N]

1. Recreates its own database (--db; --reuse keeps one already generated with the same --cases), migrates
   it and seeds through the domain functions: 20 departments, a handler and a leader in each, a published
   item and an enterprise applicant.
2. Generates the cases set-based in one transaction (INSERT … SELECT FROM generate_series): 90% decided,
   5% in progress (an open review or decision step with its step clock, some overdue), 5% awaiting
   acceptance; every accepted case has its handling clock, process instance and task rows (accept, review,
   decide), spread over the departments. Foreign keys are not re-checked row by row
   (session_replication_role = replica): the generator writes consistent ids by construction.
3. Prints EXPLAIN ANALYZE of the inbox query for the logged-in handler (the indexes it uses).
4. Serves the project's WSGI app with gunicorn as `zhengwu serve` runs it (sync workers, 2 per core + 1; the
   shared cache of CACHE_URL = --cache) and drives it with wrk (--connections connections, no think time),
   logged in as a department handler with a browser's session and CSRF cookies: a one-SELECT page
   (bench/inbox_urls.py: one SELECT by primary key rendered through a template) as the baseline, the same
   SELECT in the staff layout, and the inbox, in turn, each --seconds, two rounds, the server left to drain
   for a few seconds after each run.

Targets (issue 5 item 15): inbox throughput >= 60% of the one-SELECT page; p99 < 100 ms at 50 connections.
With 50 connections and no think time, p99 < 100 ms needs well over 500 requests/s (Little's law:
latency ≈ connections / throughput), so on a small machine the p99 figure mostly measures its cores.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(1, str(ROOT))
sys.path.insert(2, str(BENCH))

from case_lifecycle import SERVER, configure, recreate_database  # noqa: E402

DEPARTMENTS = 20
TARGET_RATIO = 0.60
TARGET_P99_MS = 100.0


def seed() -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.contenttypes.models import ContentType

    from tests.accounts.factories import make_department, make_enterprise, make_staff
    from tests.catalog.factories import Curation
    from zhengwu.accounts.enums import Role
    from zhengwu.cases.models import Case
    from zhengwu.workflow.domain import default_process_definition
    from zhengwu.workflow.models import WorkTask

    curation = Curation()
    version = curation.published()
    departments = [curation.department] + [
        make_department(f"县第{i}部门", f"BM{i + 10:02d}") for i in range(1, DEPARTMENTS)
    ]
    handlers, leaders = [], []
    for i, department in enumerate(departments):
        handlers.append(
            make_staff(f"handler{i}", department=department, display_name=f"承办{i}", roles=(Role.HANDLER,))
        )
        leaders.append(
            make_staff(f"leader{i}", department=department, display_name=f"领导{i}", roles=(Role.LEADER_IN_CHARGE,))
        )
    applicant = make_enterprise(name="青川绿源农业科技有限公司", phone="13953600003")
    return {
        "version": version.pk,
        "departments": [d.pk for d in departments],
        "handlers": [u.pk for u in handlers],
        "leaders": [u.pk for u in leaders],
        "applicant": applicant.pk,
        "region": departments[0].region_id,
        "definition": default_process_definition().pk,
        "ct_case": ContentType.objects.get_for_model(Case).pk,
        "ct_task": ContentType.objects.get_for_model(WorkTask).pk,
    }


GENERATE = """
CREATE TEMP TABLE g AS
SELECT g,
       g %% 100 AS bucket,
       1 + (g / 100) %% %(d)s AS d,
       CASE WHEN g %% 100 < 90 THEN 'decided' WHEN g %% 100 < 95 THEN 'in_progress' ELSE 'submitted' END AS state,
       CASE WHEN g %% 100 < 90 THEN now() - ((g %% 700) + 30) * interval '1 day' - (g %% 600) * interval '1 minute'
            ELSE now() - (g %% 20) * interval '1 day' - (g %% 480) * interval '1 minute' END AS recv
FROM generate_series(1, %(n)s) AS g;

INSERT INTO cases_case (id, number, query_code, applicant_kind, applicant_name, applicant_id_type,
    applicant_id_number, applicant_phone, channel, consent_text, form_data, state, received_at, accepted_at,
    deemed_accepted, refusal_reason, outcome_note, created_at, updated_at, applicant_id, department_id,
    handling_clock_id, item_version_id)
SELECT %(cb)s + g, 'BENCH' || lpad(g::text, 10, '0'), lpad(((g::bigint * 7919) %% 1000000)::text, 6, '0'), 'legal',
    '申请人' || g, 'credit_code', '91330102MA2H3K4L5W', '13953600003', 'online', '', '{}', state, recv,
    CASE WHEN state <> 'submitted' THEN recv + interval '1 hour' END, false, '', '', recv, recv,
    %(applicant)s, (%(departments)s::bigint[])[d], CASE WHEN state <> 'submitted' THEN %(hb)s + g END,
    %(version)s
FROM g;

INSERT INTO workcal_clock (id, content_type_id, object_id, subject_repr, region_id, preset, unit, limit_days,
    received_at, started_at, start_date, extension_days, paused_days, status, outcome, due_date, due_at, warn_at,
    provisional, stopped_at, run, restart_basis, version, created_at, updated_at)
SELECT %(hb)s + g, %(ct_case)s, (%(cb)s + g)::text, 'BENCH' || lpad(g::text, 10, '0') || ' 申请人' || g,
    %(region)s, 'licence_decision', 'working', 5, recv + interval '1 hour', recv + interval '1 hour',
    (recv + interval '1 hour')::date, 0, 0,
    CASE WHEN state = 'decided' THEN 'stopped' ELSE 'running' END,
    CASE WHEN state = 'decided' THEN 'on_time' ELSE '' END,
    (recv + interval '7 days')::date, date_trunc('day', recv + interval '7 days') + interval '16 hours',
    date_trunc('day', recv + interval '5 days') + interval '16 hours', false,
    CASE WHEN state = 'decided' THEN recv + interval '3 days' END, 1, '', 1, recv, recv
FROM g WHERE state <> 'submitted';

CREATE TEMP TABLE lanes AS
SELECT d, jsonb_build_object(
        '受理:window_clerk', jsonb_build_object('role', 'window_clerk', 'label', '受理', 'department', dep),
        '审查:handler', jsonb_build_object('role', 'handler', 'label', '审查', 'department', dep),
        '决定:leader_in_charge', jsonb_build_object('role', 'leader_in_charge', 'label', '决定', 'department', dep)
    ) AS lane_map
FROM (SELECT d, (%(departments)s::bigint[])[d] AS dep FROM generate_series(1, %(d)s) AS d) AS x;

INSERT INTO workflow_processinstance (id, definition_id, content_type_id, object_id, subject_repr, lane_map,
    state, status, end_event, version, started_by_id, created_at, updated_at, ended_at)
SELECT %(ib)s + g, %(definition)s, %(ct_case)s, (%(cb)s + g)::text,
    'BENCH' || lpad(g::text, 10, '0') || ' 申请人' || g, lanes.lane_map,
    '{}', CASE WHEN state = 'decided' THEN 'completed' ELSE 'running' END,
    CASE WHEN state = 'decided' THEN 'end' ELSE '' END, 3, (%(handlers)s::bigint[])[g.d], recv, recv,
    CASE WHEN state = 'decided' THEN recv + interval '3 days' END
FROM g JOIN lanes ON lanes.d = g.d WHERE state <> 'submitted';

-- steps: 0 accept, 1 review, 2 decide; in-progress buckets 90-92 wait at review, 93-94 at decide
INSERT INTO workflow_worktask (id, instance_id, bpmn_id, name, spiff_task_id, lane, role, department_id,
    assignee_id, is_countersign, state, step_limit_days, clock_id, created_at, completed_at, completed_by_id,
    outcome, comment)
SELECT %(tb)s + 3 * g + k, %(ib)s + g, (ARRAY['accept', 'review', 'decide'])[k + 1],
    (ARRAY['受理', '审查', '决定'])[k + 1], gen_random_uuid(),
    (ARRAY['受理:window_clerk', '审查:handler', '决定:leader_in_charge'])[k + 1],
    (ARRAY['window_clerk', 'handler', 'leader_in_charge'])[k + 1], (%(departments)s::bigint[])[d], NULL, false,
    CASE WHEN open THEN 'ready' ELSE 'completed' END, (ARRAY[5, 10, 3])[k + 1],
    CASE WHEN open THEN %(sb)s + g END, recv + k * interval '1 day',
    CASE WHEN NOT open THEN recv + (k + 1) * interval '1 day' END,
    CASE WHEN open OR k = 0 THEN NULL WHEN k = 1 THEN (%(handlers)s::bigint[])[d] ELSE (%(leaders)s::bigint[])[d] END,
    CASE WHEN open THEN '' ELSE (ARRAY['accept', 'approve', 'grant'])[k + 1] END, ''
FROM (
    SELECT g.*, k, (state = 'in_progress' AND ((bucket < 93 AND k = 1) OR (bucket >= 93 AND k = 2))) AS open
    FROM g CROSS JOIN generate_series(0, 2) AS k
    WHERE state = 'decided' OR (state = 'in_progress' AND (k < 2 OR bucket >= 93))
) AS t;

-- step clocks of the open steps: due dates from 5 working days overdue to 20 ahead
INSERT INTO workcal_clock (id, content_type_id, object_id, subject_repr, region_id, preset, unit, limit_days,
    received_at, started_at, start_date, extension_days, paused_days, status, outcome, due_date, due_at, warn_at,
    provisional, run, restart_basis, version, created_at, updated_at)
SELECT %(sb)s + g, %(ct_task)s, (%(tb)s + 3 * g + CASE WHEN bucket < 93 THEN 1 ELSE 2 END)::text,
    CASE WHEN bucket < 93 THEN '审查' ELSE '决定' END || ' · BENCH' || lpad(g::text, 10, '0'), %(region)s, NULL,
    'working', CASE WHEN bucket < 93 THEN 10 ELSE 3 END, recv, recv, recv::date, 0, 0, 'running', '',
    (now() + ((g %% 26) - 5) * interval '1 day')::date,
    date_trunc('day', now() + ((g %% 26) - 5) * interval '1 day') + interval '16 hours',
    date_trunc('day', now() + ((g %% 26) - 7) * interval '1 day') + interval '16 hours', false, 1, '', 1, recv, recv
FROM g WHERE state = 'in_progress';
"""


def generate(ids: dict, count: int) -> dict:
    """Insert `count` cases with their clocks, instances and tasks; returns the row counts."""
    import psycopg
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        bases = {}
        for key, table in (("cb", "cases_case"), ("ib", "workflow_processinstance"), ("tb", "workflow_worktask")):
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            bases[key] = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM workcal_clock")
        clock_base = cursor.fetchone()[0] + 1
        bases["hb"] = clock_base
        bases["sb"] = clock_base + count + 1
        params = {
            "n": count,
            "d": len(ids["departments"]),
            **bases,
            **{k: ids[k] for k in ("applicant", "version", "region", "definition", "ct_case", "ct_task")},
            **{k: ids[k] for k in ("departments", "handlers", "leaders")},
        }
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL synchronous_commit = off")
            # A script of several statements: bound on the client (the project's connections bind on the server,
            # which takes one statement at a time; ADR 0019).
            with psycopg.ClientCursor(connection.connection) as script:
                script.execute(GENERATE, params)
            cursor.execute("DROP TABLE g")
            cursor.execute("DROP TABLE lanes")
        for table in ("cases_case", "workcal_clock", "workflow_processinstance", "workflow_worktask"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        counts = {}
        for table in ("cases_case", "workcal_clock", "workflow_processinstance", "workflow_worktask"):
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def explain_inbox(user_id: int) -> list[str]:
    """EXPLAIN ANALYZE of exactly the queryset the inbox view runs for this user."""
    from django.db import connection

    from zhengwu.accounts.models import User

    user = User.objects.get(pk=user_id)
    try:
        from zhengwu.workbench.views.tasks import PAGE_SIZE, todo_tasks
    except ImportError:  # the code before ADR 0019, to compare
        from django.db.models import F

        from zhengwu.workbench.views.tasks import PAGE_SIZE
        from zhengwu.workflow.models import WorkTask
        from zhengwu.workflow.rules import inbox_filter

        def todo_tasks(user):
            return (
                WorkTask.objects.select_related("instance", "clock", "department", "assignee")
                .filter(inbox_filter(user))
                .order_by(F("clock__due_at").asc(nulls_last=True), "pk")
            )

    tasks = todo_tasks(user)[:PAGE_SIZE]
    try:  # the columns the page reads (ADR 0023, 2026-12-05)
        from zhengwu.workbench.views.tasks import ROW_FIELDS

        tasks = tasks.values(*ROW_FIELDS)
    except ImportError:
        pass
    sql, params = tasks.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def login_cookie(user_id: int) -> str:
    """The Cookie header of a logged-in browser: its session and the CSRF cookie the staff pages' forms use."""
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import Client
    from django.utils.crypto import get_random_string

    from zhengwu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    return f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: str, port: int, workers: int) -> subprocess.Popen:
    """The project's web server as `zhengwu serve` runs it (zhengwu.core.web), without the access log."""
    from zhengwu.core.web import gunicorn_command

    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{db}",
        "DJANGO_SETTINGS_MODULE": "inbox_site",
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT / "src"), str(ROOT)]),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    command = gunicorn_command(
        bin_dir=Path(sys.executable).parent, bind=f"127.0.0.1:{port}", workers=workers, access_log=False
    )
    server = subprocess.Popen([*command, "--log-level", "warning"], env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("FAIL: gunicorn did not start")


SETTLE_SECONDS = 3

WRK_SCRIPT = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKRESULT %%d %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
"""


def ensure_wrk() -> str:
    """wrk drives the load: a C event loop, so the load generator takes little of the CPU the server needs."""
    found = shutil.which("wrk")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("FAIL: the load generator wrk is not installed (apt-get install wrk)")
    return found


def check_page(url: str, cookie: str, must_contain: str) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:  # a redirect to the login page fails below
        body = response.read().decode()
        if response.status != 200 or must_contain not in body or response.url != url:
            raise SystemExit(f"FAIL: {url} did not answer the page (login or server problem)")


def load(base: str, paths: list[str], cookie: str, connections: int, seconds: float) -> dict:
    """One wrk run: requests/s and latency percentiles (ms) over `connections` connections (wrk reopens each one
    the server closes)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(f'"{path}"' for path in paths))
    try:
        threads = min(connections, 2)
        output = subprocess.run(
            [
                ensure_wrk(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                "-H",
                f"Cookie: {cookie}",
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    # Requests still queued when wrk stops are served all the same: let them drain before the next page's run.
    time.sleep(SETTLE_SECONDS)
    fields = next(line for line in output.splitlines() if line.startswith("WRKRESULT ")).split()[1:]
    requests, duration_us, errors = (int(value) for value in fields[:3])
    p50, p95, p99, mean = (float(value) for value in fields[3:])
    result = {"requests": requests, "errors": errors, "p50": p50, "p95": p95, "p99": p99, "mean": mean}
    result["rate"] = requests / (duration_us / 1e6)
    return result


def merge(runs: list[dict]) -> dict:
    """Rounds of one page: total requests over total time; the worst percentiles."""
    return {
        "requests": sum(r["requests"] for r in runs),
        "rate": statistics.fmean(r["rate"] for r in runs),
        "p50": max(r["p50"] for r in runs),
        "p95": max(r["p95"] for r in runs),
        "p99": max(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def existing_cases(db: str) -> int:
    import psycopg

    try:
        with psycopg.connect(f"{SERVER}/{db}") as conn:
            return conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
    except psycopg.Error:
        return -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", default="zhengwu_bench_inbox")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already holds --cases cases")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0, help="per round and page (two rounds each)")
    parser.add_argument("--workers", type=int, default=0, help="web workers (default: as zhengwu serve)")
    parser.add_argument(
        "--cache",
        default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14"),
        help="the shared cache the server uses (CACHE_URL); its database is flushed first",
    )
    args = parser.parse_args()

    reuse = args.reuse and existing_cases(args.db) == args.cases
    if not reuse:
        recreate_database(args.db)
    os.environ["CACHE_URL"] = args.cache
    import redis

    redis.Redis.from_url(args.cache).flushdb()  # no page or session left from an earlier run
    configure(args.db)
    from django.db import connection

    ids_row = "bench_inbox_ids"
    if reuse:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {ids_row}")
            ids = json.loads(cursor.fetchone()[0])
        print(f"reusing {args.db} with {args.cases:,} cases")
    else:
        began = time.perf_counter()
        ids = seed()
        seeded = time.perf_counter() - began
        began = time.perf_counter()
        counts = generate(ids, args.cases)
        took = time.perf_counter() - began
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {ids_row} (value text)")
            cursor.execute(f"INSERT INTO {ids_row} VALUES (%s)", [json.dumps(ids)])
        total = sum(counts.values())
        print(f"seeded departments, staff and item in {seeded:.1f} s")
        rows = ", ".join(f"{t} {n:,}" for t, n in counts.items())
        print(f"generated in {took:.1f} s ({total / took:,.0f} rows/s): {rows}")

    user_id = ids["handlers"][0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM workflow_worktask WHERE state = 'ready' AND department_id = %s AND role = 'handler'",
            [ids["departments"][0]],
        )
        pool = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM workflow_worktask")
        task_rows = cursor.fetchone()[0]
        cursor.execute("SELECT min(id), max(id) FROM cases_case")
        low, high = cursor.fetchone()
    print(f"inbox user: handler of department 1; open tasks in their pool: {pool:,} of {task_rows:,} task rows")
    print("EXPLAIN ANALYZE of the inbox query:")
    for line in explain_inbox(user_id):
        print("   ", line)
    cookie = login_cookie(user_id)
    connection.close()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest production serves from

    port = free_port()
    from zhengwu.core.web import web_workers_default

    workers = args.workers or web_workers_default()
    server = start_server(args.db, port, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        step = max(1, (high - low) // 997)
        pages = {
            "one-SELECT page": ([f"/bench/one-select/{pk}/" for pk in range(low, high + 1, step)], "BENCH"),
            "one SELECT, staff layout": ([f"/bench/staff-select/{pk}/" for pk in range(low, high + 1, step)], "BENCH"),
            "inbox /workbench/tasks/": (["/workbench/tasks/"], "我的待办"),
            "inbox rendered (a miss)": (["/bench/inbox-rendered/"], "我的待办"),
        }
        for paths, marker in pages.values():
            check_page(base + paths[0], cookie, marker)
            load(base, paths, cookie, args.connections, 3)  # warm
        runs: dict[str, list[dict]] = {name: [] for name in pages}
        for _ in range(2):
            for name, (paths, _marker) in pages.items():
                runs[name].append(load(base, paths, cookie, args.connections, args.seconds))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    results = {name: merge(r) for name, r in runs.items()}
    b, s, i, miss = results.values()
    ratio = i["rate"] / b["rate"]
    print(
        f"server: gunicorn as zhengwu serve runs it, {workers} sync workers; {os.cpu_count()} CPUs shared "
        f"with PostgreSQL, Redis and the load generator; {args.connections} connections, no think time"
    )
    for name, r in results.items():
        print(
            f"{name:<25} {r['rate']:>8,.1f} req/s  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
            f"p99 {r['p99']:7.1f} ms  ({r['requests']:,} requests, {r['errors']} errors)"
        )
    print(f"ratio inbox / one-SELECT page: {ratio:.1%}")
    print(f"ratio inbox / one SELECT in the staff layout: {i['rate'] / s['rate']:.1%} (information)")
    print(f"ratio inbox rendered on every request / one-SELECT page: {miss['rate'] / b['rate']:.1%} (information)")
    ok_ratio = ratio >= TARGET_RATIO and not i["errors"]
    ok_p99 = i["p99"] < TARGET_P99_MS
    print(f"{'PASS' if ok_ratio else 'FAIL'}: inbox at {ratio:.0%} of the one-SELECT page (target >= 60%)")
    print(
        f"{'PASS' if ok_p99 else 'FAIL'}: inbox p99 {i['p99']:.1f} ms at {args.connections} connections"
        " (target < 100 ms)"
    )
    print(f"(one-SELECT page p99 {b['p99']:.1f} ms at the same load)")
    print("PASS" if ok_ratio and ok_p99 else "FAIL")
    return 0 if ok_ratio and ok_p99 else 1


if __name__ == "__main__":
    sys.exit(main())
