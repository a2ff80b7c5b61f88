"""Benchmark: the Python cost of the statutory clock's hot operations, `clock_start` and `clock_stop`.

Run: .venv/bin/python bench/clock_ops.py [--calls 300] [--db zhengwu_bench_clocks] [--profile]

Seeds the database as bench/case_lifecycle.py does (drops and recreates --db), runs one case to have a case
and its department's region, then calls each operation as the lifecycle does, each inside a caller's
transaction (`audited_atomic`, so the calendar version is read once per transaction and the audit append
happens when the caller's block ends, outside the timed call):

    start (preset)    clock_start of a case's acceptance clock (statutory preset, region)
    start (step)      clock_start of a step clock (working days, explicit limit, region)
    stop (locks)      clock_stop reading the clock under its lock (a task closing its step clock)
    stop (locked)     clock_stop(locked=True) of a clock the caller read with select_for_update()

and prints the Python time per call (`time.thread_time` around the call: CPU of this thread, not of the
PostgreSQL backend, and not the time spent waiting for it). `--profile` prints a cProfile of the calls.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(1, str(ROOT))
sys.path.insert(2, str(ROOT / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="calls of each operation (default 300)")
    parser.add_argument("--db", default="zhengwu_bench_clocks")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the timed calls")
    args = parser.parse_args()

    from case_lifecycle import Lifecycle, configure, recreate_database, seed

    recreate_database(args.db)
    configure(args.db)
    lifecycle = Lifecycle(seed())
    lifecycle.run()  # warm caches (content types, calendar index, presets)

    from django.utils import timezone

    from zhengwu.audit.domain import audited_atomic
    from zhengwu.cases.domain.intake import ACCEPTANCE_PRESET
    from zhengwu.cases.models import Case
    from zhengwu.workcal.domain.clock import clock_start, clock_stop
    from zhengwu.workcal.enums import DeadlineUnit
    from zhengwu.workcal.models import Clock

    case = Case.objects.select_related("department__region").latest("pk")
    region = case.department.region
    actor = lifecycle.handler
    spent = {"start (preset)": 0.0, "start (step)": 0.0, "stop (locks)": 0.0, "stop (locked)": 0.0}
    profiler = cProfile.Profile() if args.profile else None

    def timed(label, fn, **kwargs):
        if profiler is not None:
            profiler.enable()
        began = time.thread_time()
        result = fn(**kwargs)
        spent[label] += time.thread_time() - began
        if profiler is not None:
            profiler.disable()
        return result

    for _ in range(args.calls):
        now = timezone.now()
        with audited_atomic():
            first = timed(
                "start (preset)",
                clock_start,
                actor=actor,
                subject=case,
                preset=ACCEPTANCE_PRESET,
                received_at=now,
                region=region,
            )
            second = timed(
                "start (step)",
                clock_start,
                actor=actor,
                subject=case,
                unit=DeadlineUnit.WORKING,
                limit=5,
                received_at=now,
                region=region,
            )
        with audited_atomic():
            timed("stop (locks)", clock_stop, actor=actor, clock=first, at=timezone.now())
        with audited_atomic():
            locked = Clock.objects.select_for_update().get(pk=second.pk)
            timed("stop (locked)", clock_stop, actor=actor, clock=locked, at=timezone.now(), locked=True)

    print(f"Python time per call ({args.calls} calls each, time.thread_time):")
    for label, seconds in spent.items():
        print(f"  {label:<15} {seconds / args.calls * 1000:6.3f} ms")
    per_case = (spent["start (preset)"] + spent["start (step)"] + spent["stop (locks)"] + spent["stop (locked)"]) * 2
    print(f"  lifecycle mix (2 of each) {per_case / args.calls * 1000:6.2f} ms per case")
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("BENCH_TOP", "60")))
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
