"""Benchmark: the supervision sweep over 1,000,000 open cases on PostgreSQL, against a naive per-object loop.

Run: .venv/bin/python bench/supervision_sweep.py [--cases 1000000] [--database zhengwu_bench_supervision]
     [--profile typical|stress] [--sample 3000] [--reuse] [--url postgres://postgres@127.0.0.1:5432]

Creates (or, with --reuse, keeps) its own database, migrates it and generates set-based (INSERT ... SELECT
generate_series) one open case per row with a running handling clock, spread so that every rung of the
ladder is populated, plus a running process step with a step clock for 1 % of the cases. Then, in one run:

1. cold full sweep: every alert is created (escalation off: the first sweep of an existing county would
   otherwise notify every overdue case at once; the rungs are then marked notified);
2. warm full sweep: the same data, nothing changed (escalation on);
3. touch ~1 % of the cases (half completed with the clock stopped, half extended by 10 working days) and
   five minutes pass; incremental sweep (escalation on); the incremental result is checked against a full
   sweep of the same instant (identical alert table);
4. the naive loop — per case: load the case and its clock, compute the rung in Python with the clock's own
   methods, then get-or-create/update the alert — timed on a sample and extrapolated (labelled).
Targets (issue 6): full <= 10 s, incremental <= 1 s on 2 cores.
"""

import argparse
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

TARGET_FULL = 10.0
TARGET_INCREMENTAL = 1.0
# Case mixes: "typical" — received over the last 30 days with 20–60 working-day limits (a minority on the
# ladder, as in a working county); "stress" — over 45 days with 10–30-day limits (more than half overdue).
PROFILES = {"typical": (30, (20, 30, 45, 60)), "stress": (45, (10, 15, 20, 30))}
SPREAD_DAYS, LIMITS = PROFILES["typical"]
NOW = (2026, 12, 4, 10, 0)  # Friday


def prepare_database(url: str, name: str, reuse: bool) -> None:
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}"')
        if not exists or not reuse:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{url}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengwu.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("CELERY_BROKER_URL", "")
    os.environ.setdefault("ZHENGWU_DATA_DIR", str(ROOT / "var" / "bench"))


def generate(cases: int) -> dict:
    """Set-based generation; returns the fixtures (item version, departments)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from tests.accounts.factories import make_region
    from tests.catalog.factories import Curation
    from zhengwu.cases.models import Case
    from zhengwu.org.models import Department
    from zhengwu.workcal.arith import current_index
    from zhengwu.workcal.models.clock import Clock, compute_due
    from zhengwu.workflow.domain import default_process_definition
    from zhengwu.workflow.models import WorkTask

    region = make_region()
    version = Curation().published()
    departments = [version.item.department] + [
        Department.objects.create(
            name=f"基准部门{i:02d}", code=f"BM{i:02d}", credit_code=f"11330102MB{i:07d}X"[:18], region=region
        )
        for i in range(1, 20)
    ]
    index = current_index()
    now = timezone.make_aware(datetime(*NOW))
    profiles = []
    for days_back in range(SPREAD_DAYS):
        received = now - timedelta(days=days_back, hours=1)
        for limit in LIMITS:
            due = compute_due(
                index=index, unit="working", limit_days=limit, started_at=received, extension_days=0, pauses=[], now=now
            )
            profiles.append((len(profiles), received, due.start_date, limit, due.due_date, due.due_at, due.warn_at))
    case_ct = ContentType.objects.get_for_model(Case).pk
    task_ct = ContentType.objects.get_for_model(WorkTask).pk
    definition = default_process_definition()
    dept_ids = [d.pk for d in departments]
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_profile (id int, received timestamptz, start_date date, lim int, "
                    "due_date date, due_at timestamptz, warn_at timestamptz)")  # fmt: skip
        cur.executemany("INSERT INTO bench_profile VALUES (%s, %s, %s, %s, %s, %s, %s)", profiles)
        cur.execute("SELECT coalesce(max(id), 0) FROM workcal_clock")
        clock_base = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        case_base = cur.fetchone()[0]
        p = len(profiles)
        cur.execute(
            f"""
            INSERT INTO workcal_clock (id, content_type_id, object_id, subject_repr, region_id, preset, unit,
                limit_days, received_at, started_at, start_date, extension_days, paused_days, status, outcome,
                due_date, due_at, warn_at, provisional, run, restart_basis, version, created_at, updated_at)
            SELECT {clock_base} + g, {case_ct}, ({case_base} + g)::text, 'BENCH' || g, NULL, NULL, 'working',
                p.lim, p.received, p.received, p.start_date, 0, 0, 'running', '',
                p.due_date, p.due_at, p.warn_at, false, 1, '', 1, p.received, p.received
            FROM generate_series(1, %s) g JOIN bench_profile p ON p.id = (g::bigint * 7919) %% {p}
            """,
            [cases],
        )
        depts = "ARRAY[" + ",".join(map(str, dept_ids)) + "]"
        cur.execute(
            f"""
            INSERT INTO cases_case (id, number, query_code, item_version_id, department_id, applicant_kind,
                applicant_name, applicant_id_type, applicant_id_number, applicant_phone, channel, consent_text,
                form_data, state, received_at, accepted_at, deemed_accepted, refusal_reason, outcome_note,
                handling_clock_id, created_at, updated_at)
            SELECT {case_base} + g, 'BENCH' || g, '000000', %s, ({depts})[1 + g %% {len(dept_ids)}], 'legal',
                '基准申请人' || g, 'credit_code', '91330102MA0000000X', '', 'online', '', '{{}}', 'in_progress',
                k.received_at, k.received_at, false, '', '', k.id, k.received_at, k.received_at
            FROM generate_series(1, %s) g JOIN workcal_clock k ON k.id = {clock_base} + g
            """,
            [version.pk, cases],
        )
        # one running process step (with its own 3-working-day step clock) for 1 % of the cases
        tasks = max(1, cases // 100)
        cur.execute("SELECT coalesce(max(id), 0) FROM workflow_processinstance")
        inst_base = cur.fetchone()[0]
        cur.execute(
            f"""
            INSERT INTO workflow_processinstance (id, definition_id, content_type_id, object_id, subject_repr,
                lane_map, state, status, end_event, version, created_at, updated_at)
            SELECT {inst_base} + g, %s, {case_ct}, ({case_base} + g * 100)::text, 'BENCH' || (g * 100), '{{}}',
                '{{}}', 'running', '', 0, k.received_at, k.received_at
            FROM generate_series(1, %s) g JOIN workcal_clock k ON k.id = {clock_base} + g * 100
            """,
            [definition.pk, tasks],
        )
        cur.execute("SELECT coalesce(max(id), 0) FROM workcal_clock")
        step_clock_base = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(id), 0) FROM workflow_worktask")
        task_base = cur.fetchone()[0]
        cur.execute(
            f"""
            INSERT INTO workcal_clock (id, content_type_id, object_id, subject_repr, region_id, preset, unit,
                limit_days, received_at, started_at, start_date, extension_days, paused_days, status, outcome,
                due_date, due_at, warn_at, provisional, run, restart_basis, version, created_at, updated_at)
            SELECT {step_clock_base} + g, {task_ct}, ({task_base} + g)::text, 'step', NULL, NULL, 'working', 3,
                p.received, p.received, p.start_date, 0, 0, 'running', '', p.due_date, p.due_at, p.warn_at,
                false, 1, '', 1, p.received, p.received
            FROM generate_series(1, %s) g JOIN bench_profile p ON p.id = (g::bigint * 104729) %% {p}
            """,
            [tasks],
        )
        cur.execute(
            f"""
            INSERT INTO workflow_worktask (id, instance_id, bpmn_id, name, spiff_task_id, lane, role, department_id,
                is_countersign, state, step_limit_days, clock_id, created_at, outcome, comment)
            SELECT {task_base} + g, {inst_base} + g, 'review', '审查', md5(g::text)::uuid, '', 'handler',
                ({depts})[1 + (g * 100) %% {len(dept_ids)}], false, 'ready', 3, {step_clock_base} + g,
                now(), '', ''
            FROM generate_series(1, %s) g
            """,
            [tasks],
        )
        for table in ("workcal_clock", "cases_case", "workflow_processinstance", "workflow_worktask"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cur.execute(f"ANALYZE {table}")
    assert Clock.objects.count() >= cases
    return {"version": version, "departments": departments}


def timed(label: str, fn):
    began = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - began
    print(f"{label:<58} {elapsed:8.2f} s")
    return result, elapsed


def alert_table():
    from zhengwu.supervision.models import Alert

    return sorted(
        Alert.objects.exclude(point__code="bench.naive").values_list(
            "point_id", "object_id", "key", "level", "status", "due_at"
        )
    )


def touch(fraction: float, now: datetime) -> int:
    """Complete half of the touched cases (clock stopped) and extend the other half by 10 working days."""
    from django.db import connection

    from zhengwu.workcal.arith import current_index
    from zhengwu.workcal.models.clock import end_of_day

    index = current_index()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case")
        total = cur.fetchone()[0]
        step = max(1, round(1 / fraction))
        cur.execute(
            """
            WITH picked AS (SELECT id, handling_clock_id FROM cases_case WHERE id %% %s = 0 AND id %% (2 * %s) = 0)
            UPDATE workcal_clock k SET status = 'stopped', outcome = CASE WHEN k.due_at < %s THEN 'late'
                ELSE 'on_time' END, stopped_at = %s, updated_at = %s
            FROM picked WHERE k.id = picked.handling_clock_id
            """,
            [step, step, now, now, now],
        )
        stopped = cur.rowcount
        cur.execute(
            "UPDATE cases_case SET state = 'completed', completed_at = %s, updated_at = %s "
            "WHERE id %% %s = 0 AND id %% (2 * %s) = 0",
            [now, now, step, step],
        )
        cur.execute(
            "SELECT DISTINCT k.due_date FROM cases_case c JOIN workcal_clock k ON k.id = c.handling_clock_id "
            "WHERE c.id %% %s = 0 AND c.id %% (2 * %s) <> 0",
            [step, step],
        )
        extended = 0
        for (due_date,) in cur.fetchall():
            new_due = index.add_working_days(due_date, 10)
            warn = index.add_working_days(new_due, 0)
            warn_day = warn - timedelta(days=1)
            while not index.is_working_day(warn_day):
                warn_day -= timedelta(days=1)
            from zhengwu.workcal.models.clock import start_of_day

            cur.execute(
                """
                UPDATE workcal_clock k SET extension_days = extension_days + 10, due_date = %s, due_at = %s,
                    warn_at = %s, updated_at = %s, version = version + 1
                FROM cases_case c WHERE c.handling_clock_id = k.id AND c.id %% %s = 0 AND c.id %% (2 * %s) <> 0
                AND k.due_date = %s
                """,
                [new_due, end_of_day(new_due), start_of_day(warn_day), now, step, step, due_date],
            )
            extended += cur.rowcount
    print(f"touched {stopped + extended:,} of {total:,} cases: {stopped:,} completed, {extended:,} extended")
    return stopped + extended


def naive_loop(sample: int, now: datetime) -> float:
    """Seconds per case of the per-object loop (no set-based SQL, same ladder rules)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from zhengwu.cases.models import Case
    from zhengwu.supervision.enums import AlertLevel, AlertStatus
    from zhengwu.supervision.models import Alert, MonitoringPoint
    from zhengwu.workcal.arith import current_index, working_days_elapsed  # noqa: F401
    from zhengwu.workcal.models.clock import local_date

    point, _created = MonitoringPoint.objects.get_or_create(
        code="bench.naive", defaults={"module": "general", "name": "naive"}
    )
    case_ct = ContentType.objects.get_for_model(Case)
    index = current_index()
    ids = list(Case.objects.filter(state="in_progress").order_by("pk").values_list("pk", flat=True)[:sample])
    began = time.perf_counter()
    with transaction.atomic():
        for pk in ids:
            case = Case.objects.select_related("handling_clock").get(pk=pk)
            clock = case.handling_clock
            level = None
            if clock.status == "running":
                share = clock.elapsed_fraction(now, index=index)
                today = local_date(now)
                if now > clock.due_at:
                    after = index.working_days_between(clock.due_date, today - timedelta(days=1))
                    level = AlertLevel.RED if after >= 2 else AlertLevel.YELLOW
                elif now >= clock.warn_at or share >= 0.8:
                    level = AlertLevel.WARNING
            alert = Alert.objects.filter(point=point, content_type=case_ct, object_id=str(pk), key="").first()
            if level is not None:
                if alert is None:
                    Alert.objects.create(
                        point=point, content_type=case_ct, object_id=str(pk), level=level, subject_repr=case.number,
                        department_id=case.department_id, clock=clock, due_at=clock.due_at,
                    )  # fmt: skip
                elif alert.level != level:
                    alert.level = level
                    alert.save(update_fields=["level"])
            elif alert is not None and alert.status == AlertStatus.OPEN:
                alert.status = AlertStatus.RESOLVED
                alert.save(update_fields=["status"])
    per_case = (time.perf_counter() - began) / max(1, len(ids))
    Alert.objects.filter(point=point).delete()
    point.delete()
    return per_case


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database", default="zhengwu_bench_supervision")
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sample", type=int, default=3000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing generated database")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="typical")
    args = parser.parse_args()
    global SPREAD_DAYS, LIMITS
    SPREAD_DAYS, LIMITS = PROFILES[args.profile]
    print(f"profile {args.profile}: received over {SPREAD_DAYS} days, limits {LIMITS} working days")

    prepare_database(args.url, args.database, args.reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from zhengwu.cases.models import Case
    from zhengwu.supervision.domain import supervision_sweep
    from zhengwu.supervision.enums import SweepKind
    from zhengwu.supervision.models import Alert, MonitoringPoint, SweepRun

    call_command("migrate", verbosity=0)
    now = timezone.make_aware(datetime(*NOW))
    existing = Case.objects.count()
    if existing < args.cases:
        label = f"generate {args.cases:,} open cases with clocks (+1 % steps)"
        timed(label, lambda: generate(args.cases))
    else:
        print(f"reusing {existing:,} cases")
    Alert.objects.all().delete()
    SweepRun.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE workcal_clock") if connection.in_atomic_block is False else None
        cur.execute("ANALYZE cases_case")
    print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs; now = {now:%Y-%m-%d %H:%M}")

    _run, cold = timed("full sweep, cold (creates every alert; escalation off)", lambda: supervision_sweep(
        kind=SweepKind.FULL, now=now, escalate=False))  # fmt: skip
    Alert.objects.filter(level__gte=1).update(notified_level=models_f("level"))
    # The sweeps run at the fixed NOW of the generated data, earlier than the wall clock that stamped the
    # point rows the cold sweep created: date those rows before NOW, as points configured long ago are
    # (otherwise every point counts as "edited since" and the incremental sweep runs it in full).
    MonitoringPoint.objects.update(updated_at=now - timedelta(days=1))
    counts = dict(
        Alert.objects.values_list("level").annotate(n=models_count("id")).order_by("level").values_list("level", "n")
    )
    print(f"alerts by level (0 report, 1 warning, 2 yellow, 3 red): {counts}")
    _run, warm = timed("full sweep, warm (nothing changed; escalation on)", lambda: supervision_sweep(
        kind=SweepKind.FULL, now=now))  # fmt: skip
    later = now + timedelta(minutes=5)
    touch(0.01, later)
    with connection.cursor() as cur:
        cur.execute("ANALYZE workcal_clock")
    run, incremental = timed("incremental sweep after touching ~1 % (escalation on)", lambda: supervision_sweep(
        kind=SweepKind.INCREMENTAL, now=later))  # fmt: skip
    assert run.kind == SweepKind.INCREMENTAL
    after_incremental = alert_table()
    _run, _check = timed("full sweep at the same instant (consistency check)", lambda: supervision_sweep(
        kind=SweepKind.FULL, now=later))  # fmt: skip
    same = alert_table() == after_incremental
    print(f"incremental result == full result: {same}")

    per_case = naive_loop(args.sample, later)
    open_cases = Case.objects.filter(state="in_progress").count()
    naive_total = per_case * open_cases
    print(f"naive per-object loop: {per_case * 1000:.2f} ms/case on a sample of {args.sample:,}; "
          f"EXTRAPOLATED to {open_cases:,} open cases: {naive_total:,.0f} s")  # fmt: skip
    print(f"ratio naive loop (extrapolated) / cold full sweep: {naive_total / cold:,.0f}x; "
          f"/ warm: {naive_total / warm:,.0f}x; / incremental: {naive_total / incremental:,.0f}x")  # fmt: skip
    ok_full = max(cold, warm) <= TARGET_FULL
    ok_incr = incremental <= TARGET_INCREMENTAL
    print(f"{'PASS' if ok_full else 'FAIL'}: full sweep {max(cold, warm):.2f} s (target <= {TARGET_FULL:.0f} s)")
    verdict = "PASS" if ok_incr else "FAIL"
    print(f"{verdict}: incremental sweep {incremental:.2f} s (target <= {TARGET_INCREMENTAL:.0f} s)")
    print(f"{'PASS' if same else 'FAIL'}: incremental sweep leaves the same alerts as a full sweep")
    ok = ok_full and ok_incr and same
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def models_f(name):
    from django.db.models import F

    return F(name)


def models_count(name):
    from django.db.models import Count

    return Count(name)


if __name__ == "__main__":
    sys.exit(main())
