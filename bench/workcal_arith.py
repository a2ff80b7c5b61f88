"""Benchmark: add_working_days over the precomputed index vs a day-by-day loop over chinesecalendar.

Run: .venv/bin/python bench/workcal_arith.py [--queries 300000] [--baseline-queries 5000] [--seed 1]

Both sides answer the same kind of query (random start in 2025–2026, random N in 1..60) in the same
run on the same machine; the index is built straight from the `chinesecalendar` data (no database).
Targets (issue 3): >= 1,000,000 calls/s and >= 100x the loop.
"""

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import chinese_calendar

from zhengwu.workcal.arith import index_from_chinesecalendar

TARGET_CALLS = 1_000_000
TARGET_RATIO = 100


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # the package stops at 2026; same Mon–Fri fallback as the index
        return day.weekday() < 5


def loop_add_working_days(start: date, n: int) -> date:
    day = start
    one = timedelta(days=1)
    while n:
        day += one
        if is_workday(day):
            n -= 1
    return day


_HOLIDAYS = chinese_calendar.holidays
_WORKDAYS = chinese_calendar.workdays


def loop_add_working_days_dicts(start: date, n: int) -> date:
    """A stronger baseline: the same loop over the package's dicts, without its per-call validation."""
    day = start
    one = timedelta(days=1)
    while n:
        day += one
        if day in _WORKDAYS or (day.weekday() < 5 and day not in _HOLIDAYS):
            n -= 1
    return day


def best_rate(run, count: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return count / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=300_000)
    parser.add_argument("--baseline-queries", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rnd = random.Random(args.seed)
    lo, hi = date(2025, 1, 1).toordinal(), date(2026, 12, 31).toordinal()
    queries = [(date.fromordinal(rnd.randint(lo, hi)), rnd.randint(1, 60)) for _ in range(args.queries)]
    ordinal_queries = [(start.toordinal(), n) for start, n in queries]
    baseline_queries = queries[: args.baseline_queries]

    began = time.perf_counter()
    index = index_from_chinesecalendar()
    build_ms = (time.perf_counter() - began) * 1000

    # correctness first: the same answers as the loop
    wrong = [(s, n) for s, n in baseline_queries if index.add_working_days(s, n) != loop_add_working_days(s, n)]
    if wrong:
        print(f"FAIL: {len(wrong)} answers differ from the day-by-day loop, e.g. {wrong[:3]}")
        return 1

    add = index.add_working_days
    add_ordinal = index.add_working_days_ordinal

    def run_index():
        for start, n in queries:
            add(start, n)

    def run_ordinal():
        for start, n in ordinal_queries:
            add_ordinal(start, n)

    def run_loop():
        for start, n in baseline_queries:
            loop_add_working_days(start, n)

    def run_loop_dicts():
        for start, n in baseline_queries:
            loop_add_working_days_dicts(start, n)

    def run_empty():  # the benchmark loop itself, to show how much of a call is loop overhead
        for _start, _n in queries:
            pass

    rate_index = best_rate(run_index, len(queries), args.repeats)
    rate_ordinal = best_rate(run_ordinal, len(queries), args.repeats)
    rate_loop = best_rate(run_loop, len(baseline_queries), max(1, args.repeats // 2))
    rate_dicts = best_rate(run_loop_dicts, len(baseline_queries), args.repeats)
    rate_empty = best_rate(run_empty, len(queries), args.repeats)
    ratio = rate_index / rate_loop

    print(f"Python {sys.version.split()[0]}; index over {index.first}..{index.last} built in {build_ms:.1f} ms")
    print(f"queries: {len(queries):,} (starts 2025-01-01..2026-12-31, N in 1..60); loop: {len(baseline_queries):,}")
    print(f"add_working_days(date, n)            {rate_index:>14,.0f} calls/s")
    print(f"add_working_days_ordinal(int, n)     {rate_ordinal:>14,.0f} calls/s")
    print(f"day-by-day loop over chinesecalendar {rate_loop:>14,.0f} calls/s")
    print(f"day-by-day loop over the raw dicts   {rate_dicts:>14,.0f} calls/s  (ratio {rate_index / rate_dicts:,.0f}x)")
    print(f"(empty benchmark loop                {rate_empty:>14,.0f} iterations/s)")
    print(f"ratio index / loop over chinese_calendar.is_workday: {ratio:,.0f}x")
    ok_rate = rate_index >= TARGET_CALLS
    ok_ratio = ratio >= TARGET_RATIO
    print(f"{'PASS' if ok_rate else 'FAIL'}: {rate_index:,.0f} calls/s (target >= {TARGET_CALLS:,})")
    print(f"{'PASS' if ok_ratio else 'FAIL'}: {ratio:,.0f}x the loop (target >= {TARGET_RATIO}x)")
    print("PASS" if ok_rate and ok_ratio else "FAIL")
    return 0 if ok_rate and ok_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
