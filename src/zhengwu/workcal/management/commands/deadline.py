import json
import re
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from zhengwu.workcal.arith import CalendarIndex, current_index, explain_deadline, weekday_label
from zhengwu.workcal.enums import DeadlineUnit

UNITS = {
    "working": DeadlineUnit.WORKING,
    "工作日": DeadlineUnit.WORKING,
    "calendar": DeadlineUnit.CALENDAR,
    "自然日": DeadlineUnit.CALENDAR,
    "日": DeadlineUnit.CALENDAR,
}
MAX_N = 3660


class QueryError(ValueError):
    pass


def parse_start(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise QueryError(f"起算日“{value}”应为 YYYY-MM-DD 格式的日期")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(f"起算日“{value}”不是有效日期") from None


def parse_n(value: str) -> int:
    if not re.fullmatch(r"\d+", value.strip()):
        raise QueryError(f"期限“{value}”应为正整数")
    n = int(value)
    if not 1 <= n <= MAX_N:
        raise QueryError(f"期限“{value}”应在 1 至 {MAX_N} 之间")
    return n


def parse_unit(value: str) -> DeadlineUnit:
    try:
        return UNITS[value.strip().lower()]
    except KeyError:
        raise QueryError(f"单位“{value}”应为 working（工作日）或 calendar（自然日）") from None


def answer(index: CalendarIndex, start: date, n: int, unit: DeadlineUnit) -> dict:
    due, lines = explain_deadline(start, n, unit, index=index)
    missing = index.provisional_years(start, due)
    return {
        "start": start.isoformat(),
        "n": n,
        "unit": unit.value,
        "due": due.isoformat(),
        "due_weekday": weekday_label(due),
        "provisional": bool(missing),
        "provisional_years": missing,
        "explanation": lines,
    }


class Command(BaseCommand):
    help = (
        "计算期限届满日并说明推算过程。用法：zhengwu deadline 2026-09-30 5 [--unit working|calendar] [--json]；"
        "批量：zhengwu deadline --json -（从标准输入逐行读取“起算日 期限 单位”，逐行输出 JSON）。"
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("start", help="起算日 YYYY-MM-DD（当日不计入）；- 表示从标准输入逐行读取")
        parser.add_argument("n", nargs="?", help="期限（天数）")
        parser.add_argument("--unit", default="working", help="working（工作日，默认）或 calendar（自然日）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, start: str, n: str | None, unit: str, json: bool, **options):
        try:
            index = current_index()
        except DatabaseError:
            raise CommandError("数据库尚未初始化或不可用：请先运行 zhengwu migrate。") from None
        if start == "-":
            if n is not None:
                raise CommandError("从标准输入读取时不能再给出期限参数。")
            try:
                default_unit = parse_unit(unit)
            except QueryError as exc:
                raise CommandError(str(exc)) from None
            self._stream(index, options.get("stdin") or sys.stdin, as_json=json, default_unit=default_unit)
            return
        if n is None:
            raise CommandError("缺少期限天数，例如：zhengwu deadline 2026-09-30 5")
        try:
            result = answer(index, parse_start(start), parse_n(n), parse_unit(unit))
        except QueryError as exc:
            raise CommandError(str(exc)) from None
        if json:
            self.stdout.write(_dumps(result))
            return
        flag = "（临时结果）" if result["provisional"] else ""
        self.stdout.write(f"届满日：{result['due']}（{result['due_weekday']}）{flag}")
        for number, line in enumerate(result["explanation"], start=1):
            self.stdout.write(f"  {number}. {line}")

    def _stream(self, index: CalendarIndex, stream, *, as_json: bool, default_unit: DeadlineUnit) -> None:
        for number, raw in enumerate(stream, start=1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            try:
                parts = text.split()
                if len(parts) not in (2, 3):
                    raise QueryError("每行应为“起算日 期限 单位”，如 2026-09-30 5 working")
                unit = parse_unit(parts[2]) if len(parts) == 3 else default_unit
                result = answer(index, parse_start(parts[0]), parse_n(parts[1]), unit)
            except QueryError as exc:
                result = {"error": str(exc), "line": number, "input": text}
            except (ValueError, OverflowError) as exc:
                result = {"error": f"无法计算：{exc}", "line": number, "input": text}
            if as_json:
                self.stdout.write(_dumps(result))
            elif "error" in result:
                self.stdout.write(f"第 {number} 行错误：{result['error']}")
            else:
                flag = "（临时结果）" if result["provisional"] else ""
                self.stdout.write(f"{text} → {result['due']}（{result['due_weekday']}）{flag}")
            self.stdout.flush()


def _dumps(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False)
