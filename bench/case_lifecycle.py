"""Benchmark: the full case lifecycle on PostgreSQL, through the real domain functions.

Run: .venv/bin/python bench/case_lifecycle.py [--cases 600] [--procs 2] [--db zhengwu_bench_lifecycle]
     .venv/bin/python bench/case_lifecycle.py --profile 20     # queries per step and a cProfile of 20 cases

Needs a PostgreSQL server: BENCH_PG_SERVER, by default this host's server through its Unix socket (as the platform
connects to a database on its own host: postgres://postgres@%2Fvar%2Frun%2Fpostgresql), or 127.0.0.1:5432 when
there is no socket it may use; the first line printed says which. Over TCP loopback a case costs ~7 % more CPU
(ADR 0019, twelfth pass). The script drops and recreates its own database (--db), migrates it and seeds one department,
one published item (default acceptance → review → decision flow), its staff and an enterprise applicant. Each case:

    case_submit_online → case_accept_and_start → case_task_complete(review) → case_task_complete(decide)

(each task found by its key, as the inbox links it, and read with `task_read`, as the action posted from its page
reads it),
i.e. submitted, accepted with its BPMN process started, every step of the default flow completed and the case
decided (clocks started and stopped, audit chain appended, applicant notified). Measured single-process and
with --procs processes at once (the machine's cores). The baseline, in the same run and on the same server:
one transaction per case inserting one row (the cheapest thing a case could cost).
Target (issue 5 item 15): >= 100 cases/s.
"""

import argparse
import cProfile
import io
import multiprocessing as mp
import os
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(1, str(ROOT))

TARGET = 100
SOCKET_DIRS = ("/var/run/postgresql", "/run/postgresql", "/tmp")


def default_server() -> str:
    """This host's PostgreSQL through its Unix socket (Debian's and the server's own default directories) when
    it lets us in there, else over TCP on 127.0.0.1:5432."""
    import psycopg

    for directory in SOCKET_DIRS:
        if Path(directory, ".s.PGSQL.5432").exists():
            server = "postgres://postgres@" + directory.replace("/", "%2F")
            try:
                psycopg.connect(f"{server}/postgres", connect_timeout=5).close()
            except psycopg.Error:  # e.g. peer authentication for another OS user: TCP then
                break
            return server
    return "postgres://postgres@127.0.0.1:5432"


SERVER = os.environ.get("BENCH_PG_SERVER") or default_server()


def configure(db: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{db}"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("ZHENGWU_DATA_DIR", tempfile.mkdtemp(prefix="zw-bench-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhengwu.settings"
    import django

    django.setup()


def recreate_database(db: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def seed() -> dict:
    """One department with an item, its staff and an applicant, through the domain functions."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.accounts.factories import make_enterprise, make_staff
    from tests.catalog.factories import Curation
    from zhengwu.accounts.enums import Role
    from zhengwu.cases.domain import stored_file_save

    curation = Curation()
    version = curation.published()
    department = curation.department
    handler = make_staff("chengban", department=department, display_name="卢帆", roles=(Role.HANDLER,))
    leader = make_staff("fenguan", department=department, display_name="分管领导", roles=(Role.LEADER_IN_CHARGE,))
    applicant = make_enterprise(name="青川绿源农业科技有限公司", phone="13953600003")
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    materials = {m.name: m for m in version.materials.all()}
    files = [
        stored_file_save(upload=SimpleUploadedFile(f"{name}.pdf", pdf + name.encode(), "application/pdf"))
        for name in ("form", "licence")
    ]
    return {
        "version": version.pk,
        "handler": handler.pk,
        "leader": leader.pk,
        "applicant": applicant.pk,
        "materials": [(materials["食品经营许可申请书"].pk, files[0].pk), (materials["营业执照"].pk, files[1].pk)],
    }


class Lifecycle:
    def __init__(self, ids: dict):
        from django.contrib.contenttypes.models import ContentType

        from zhengwu.accounts.models import User
        from zhengwu.cases.models import Case, StoredFile
        from zhengwu.catalog.models import ItemMaterial, ItemVersion
        from zhengwu.workflow.enums import OPEN_TASK_STATES

        self.open_task_sql = (
            "SELECT t.id FROM workflow_worktask t JOIN workflow_processinstance i ON i.id = t.instance_id"
            " WHERE i.content_type_id = %s AND i.object_id = %s AND t.bpmn_id = %s AND t.state IN ("
            + ", ".join(f"'{state}'" for state in sorted(OPEN_TASK_STATES))
            + ")"
        )
        # the case's content type too, as every lookup of a subject's instance names it (workflow_instance_subject)
        self.case_type = ContentType.objects.get_for_model(Case).pk
        self.version = ItemVersion.objects.get(pk=ids["version"])
        self.handler = User.objects.get(pk=ids["handler"])
        self.leader = User.objects.get(pk=ids["leader"])
        self.applicant = User.objects.get(pk=ids["applicant"])
        self.materials = [
            {"material": ItemMaterial.objects.get(pk=m), "file": StoredFile.objects.get(pk=f)}
            for m, f in ids["materials"]
        ]

    def run(self, marks: list | None = None) -> None:
        from django.db import connection

        from zhengwu.cases.domain import case_submit_online
        from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
        from zhengwu.workflow.domain import task_read

        def open_task(case, bpmn_id):
            # the task's key, as the inbox links it; then the task as the action posted from its page reads it
            with connection.cursor() as cursor:
                cursor.execute(self.open_task_sql, [self.case_type, str(case.pk), bpmn_id])
                (pk,) = cursor.fetchone()
            return task_read(pk)

        mark = marks.append if marks is not None else (lambda _label: None)
        case = case_submit_online(applicant=self.applicant, item_version=self.version, materials=self.materials)
        mark("submit")
        case_accept_and_start(actor=self.handler, case=case)
        mark("accept+start")
        case_task_complete(actor=self.handler, task=open_task(case, "review"), outcome="approve", comment="同意")
        mark("review")
        case_task_complete(
            actor=self.leader,
            task=open_task(case, "decide"),
            outcome="grant",
            reasons="材料齐全，符合法定条件。",
            legal_basis="《食品经营许可和备案管理办法》第十四条",
        )
        mark("decide")


def check_decided(count: int) -> None:
    from zhengwu.audit.domain import audit_verify
    from zhengwu.cases.enums import CaseState
    from zhengwu.cases.models import Case

    decided = Case.objects.filter(state=CaseState.DECIDED).count()
    if decided < count:
        raise SystemExit(f"FAIL: only {decided} of {count} cases were decided")
    problem = audit_verify()
    if problem is not None:
        raise SystemExit(f"FAIL: the audit chain does not verify: {problem}")


def _connection_kind() -> str:
    from django.db import connection

    host = connection.settings_dict.get("HOST") or ""
    return f"Unix socket in {host}" if host.startswith("/") else f"TCP {host}:{connection.settings_dict.get('PORT')}"


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (when the server runs on this host)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


CPU: dict[str, float] = {}


def run_cases(ids: dict, count: int) -> float:
    """Run `count` lifecycles; also records the CPU they cost (this process and its PostgreSQL backend),
    which unlike wall-clock time does not depend on what else the machine is doing."""
    lifecycle = Lifecycle(ids)
    server_before, times_before = _backend_cpu(), os.times()
    began = time.perf_counter()
    for _ in range(count):
        lifecycle.run()
    elapsed = time.perf_counter() - began
    times_after, server_after = os.times(), _backend_cpu()
    CPU["python"] = (times_after.user + times_after.system - times_before.user - times_before.system) / count
    if server_before is not None and server_after is not None:
        CPU["postgres"] = (server_after - server_before) / count
    return elapsed


def _worker(ids: dict, count: int, barrier, results) -> None:
    from django.db import connections

    connections.close_all()
    lifecycle = Lifecycle(ids)
    lifecycle.run()  # warm this process's caches, like the single-process run
    barrier.wait()
    began = time.time()
    for _ in range(count):
        lifecycle.run()
    results.put((began, time.time()))


def _machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (Linux), or None."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values) - idle) / tick, sum(values) / tick


def run_parallel(ids: dict, count: int, procs: int) -> float:
    """`count` lifecycles shared by `procs` processes; also records the machine's CPU while they ran (every
    process, the PostgreSQL backends and anything else on it), which shows what a case costs with them all at once."""
    from django.db import connections

    connections.close_all()
    before = _machine_cpu()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(procs)
    results = ctx.Queue()
    share = [count // procs + (1 if i < count % procs else 0) for i in range(procs)]
    workers = [ctx.Process(target=_worker, args=(ids, n, barrier, results)) for n in share]
    for worker in workers:
        worker.start()
    spans = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode:
            raise SystemExit(f"FAIL: a worker exited with {worker.exitcode}")
    after = _machine_cpu()
    if before is not None and after is not None:
        CPU["parallel"] = (after[0] - before[0]) / count  # (the workers' start and one warm-up case each included)
        CPU["busy"] = (after[0] - before[0]) / ((after[1] - before[1]) or 1)
    return max(end for _, end in spans) - min(begin for begin, _ in spans)


def _baseline_worker(count: int, barrier, results) -> None:
    from django.db import connection, connections, transaction

    connections.close_all()
    barrier.wait()
    began = time.time()
    with connection.cursor() as cursor:
        for i in range(count):
            with transaction.atomic():
                cursor.execute("INSERT INTO bench_baseline (n, payload) VALUES (%s, %s)", [i, "办件"])
    results.put((began, time.time()))


def baseline(count: int, procs: int) -> tuple[float, float]:
    """One transaction per case inserting one row: single-process and --procs rates."""
    from django.db import connection, connections, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, n int, payload text)")
        began = time.perf_counter()
        for i in range(count):
            with transaction.atomic():
                cursor.execute("INSERT INTO bench_baseline (n, payload) VALUES (%s, %s)", [i, "办件"])
        single = count / (time.perf_counter() - began)
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_baseline_worker, args=(count, barrier, results)) for _ in range(procs)]
    for worker in workers:
        worker.start()
    spans = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    multi = count * procs / (max(e for _, e in spans) - min(b for b, _ in spans))
    return single, multi


def statements_per_case(ids: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lifecycle = Lifecycle(ids)
    with CaptureQueriesContext(connection) as ctx:
        lifecycle.run()
    return len(ctx.captured_queries)


_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', re.IGNORECASE)


def profile(ids: dict, count: int) -> None:
    """Queries per step (by statement kind and table) and where the time goes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lifecycle = Lifecycle(ids)
    lifecycle.run()  # warm-up
    per_step: Counter = Counter()
    kinds: Counter = Counter()
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(count):
            marks: list = []
            start = len(ctx.captured_queries)

            def mark(label, marks=marks):
                marks.append((label, len(ctx.captured_queries)))

            lifecycle.run(marks=_Marks(mark))
            previous = start
            for label, at in marks:
                per_step[label] += at - previous
                previous = at
        for query in ctx.captured_queries:
            sql = query["sql"]
            verb = sql.split(None, 1)[0].upper()
            table = _TABLE.search(sql)
            kinds[f"{verb:<9} {table.group(1) if table else ''}"] += 1
    total = sum(per_step.values())
    print(f"queries per case: {total / count:.1f}")
    for label, n in per_step.items():
        print(f"  {label:<14} {n / count:6.1f}")
    print("by statement and table (per case):")
    for key, n in kinds.most_common(40):
        print(f"  {n / count:6.2f}  {key}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        lifecycle.run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
    stats.print_stats(int(os.environ.get("BENCH_TOP", "45")))
    print(out.getvalue())


class _Marks:
    def __init__(self, fn):
        self.append = fn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=600, help="cases per measurement (default 600)")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--db", default="zhengwu_bench_lifecycle")
    parser.add_argument("--baseline-cases", type=int, default=3000)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N cases instead")
    args = parser.parse_args()

    recreate_database(args.db)
    configure(args.db)
    ids = seed()
    if args.profile:
        profile(ids, args.profile)
        return 0

    from django.db import connection

    warm = max(10, args.cases // 20)
    run_cases(ids, warm)  # warm caches (definition spec, calendar index, content types)
    statements = statements_per_case(ids)
    single = args.cases / run_cases(ids, args.cases)
    multi = args.cases / run_parallel(ids, args.cases, args.procs)
    check_decided(warm + 1 + 2 * args.cases)
    base_single, base_multi = baseline(args.baseline_cases, args.procs)

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(
        f"PostgreSQL {server} ({_connection_kind()}); Python {sys.version.split()[0]}"
        f" ({os.path.realpath(sys.executable)}); {os.cpu_count()} CPUs; database {args.db}"
    )
    print(f"cases per measurement: {args.cases:,} (+{warm} warm-up); processes: {args.procs}")
    print("lifecycle = submit online → accept and start BPMN → review → decide (case decided)")
    print(f"SQL statements per case (incl. BEGIN/COMMIT/SAVEPOINT): {statements}")
    cpu_line = f"CPU per case: Python {CPU['python'] * 1000:.1f} ms"
    if "postgres" in CPU:
        total = CPU["python"] + CPU["postgres"]
        cpu_line += (
            f" + PostgreSQL backend {CPU['postgres'] * 1000:.1f} ms = {total * 1000:.1f} ms"
            f" → at most {(os.cpu_count() or 1) / total:,.0f} cases/s on {os.cpu_count()} CPUs"
        )
    print(cpu_line)
    if "parallel" in CPU:
        print(
            f"CPU per case with {args.procs} processes at once (the whole machine, {CPU['busy']:.0%} busy):"
            f" {CPU['parallel'] * 1000:.1f} ms → at most {(os.cpu_count() or 1) / CPU['parallel']:,.0f} cases/s"
        )
    print(f"lifecycle, 1 process               {single:>10,.1f} cases/s")
    print(f"lifecycle, {args.procs} processes             {multi:>10,.1f} cases/s")
    print(f"baseline one-row txn, 1 process    {base_single:>10,.1f} txn/s")
    print(f"baseline one-row txn, {args.procs} processes  {base_multi:>10,.1f} txn/s")
    print(
        f"ratio lifecycle / one-row txn: {single / base_single:.3f} (1 process), "
        f"{multi / base_multi:.3f} ({args.procs} processes)"
    )
    print("audit chain verified; every case decided")
    ok = multi >= TARGET
    print(f"{'PASS' if ok else 'FAIL'}: {multi:,.1f} cases/s with {args.procs} processes (target >= {TARGET})")
    print(f"{'PASS' if single >= TARGET else 'INFO'}: {single:,.1f} cases/s with 1 process")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
