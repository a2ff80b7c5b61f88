"""Parser for a year's holiday arrangement in the text format of docs/calendar-format.md.

Pure: text in, `ParsedYear` or a list of line-numbered Chinese messages out. Nothing is saved here.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from zhengwu.workcal.enums import DayKind

HOLIDAY_NAMES = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
ALIASES = {"清明": "清明节", "劳动": "劳动节", "五一": "劳动节", "端午": "端午节", "中秋": "中秋节", "国庆": "国庆节"}
YEAR_KEYS = ("year", "年份")
TITLE_KEYS = ("title", "标题")
MAKEUP_KEYS = ("调休上班", "上班")
MAX_HOLIDAY_DAYS = 15
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

_KEY_SPLIT = re.compile(r"\s*[:：]\s*", re.UNICODE)
_SEGMENT_SPLIT = re.compile(r"[;；]")
_LIST_SPLIT = re.compile(r"[,，、\s]+")
_RANGE_SPLIT = re.compile(r"\s*(?:~|～|至)\s*")
_NOTE = re.compile(r"[（(][^）)]*[）)]")
_OTHER = re.compile(r"^其他[（(]\s*(?P<name>[^）)]{1,30}?)\s*[）)]$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_CN_FULL = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_CN_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})日$")
_CN_DAY = re.compile(r"^(\d{1,2})日$")


@dataclass
class HolidayEntry:
    name: str
    first: date
    last: date
    makeup: list[date]
    line: int


@dataclass
class ParsedYear:
    year: int
    title: str = ""
    holidays: list[HolidayEntry] = field(default_factory=list)

    def days(self) -> dict[date, tuple[str, str]]:
        """Every exceptional day: each day of each holiday range, and each make-up day."""
        result: dict[date, tuple[str, str]] = {}
        for entry in self.holidays:
            day = entry.first
            while day <= entry.last:
                result[day] = (DayKind.HOLIDAY, entry.name)
                day += timedelta(days=1)
        for entry in self.holidays:
            for day in entry.makeup:
                result[day] = (DayKind.MAKEUP_WORKDAY, entry.name)
        return result


class CalendarFormatError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def _holiday_name(key: str) -> str | None:
    other = _OTHER.match(key)
    if other:
        return other.group("name").strip()
    parts = [part.strip() for part in re.split(r"[、,，/]", key)]
    names = [ALIASES.get(part, part) for part in parts]
    if all(name in HOLIDAY_NAMES for name in names) and len(set(names)) == len(names):
        return "、".join(names)
    return None


def _parse_date(token: str, year: int | None, after: date | None = None) -> date | None:
    token = _NOTE.sub("", token).strip()
    try:
        if m := _ISO.match(token) or _CN_FULL.match(token):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if (m := _CN_MONTH_DAY.match(token)) and year is not None:
            return date(year, int(m.group(1)), int(m.group(2)))
        if (m := _CN_DAY.match(token)) and after is not None:
            return date(after.year, after.month, int(m.group(1)))
    except ValueError:
        return None
    return None


def _fmt(d: date) -> str:
    return f"{d.isoformat()}（{WEEKDAYS[d.weekday()]}）"


def parse_calendar_text(text: str) -> ParsedYear:
    """Parse and validate a whole file; raise CalendarFormatError with every problem found."""
    errors: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # not text at all, and the year row keeps the text, which PostgreSQL cannot with a NUL
    nul = next((number for number, line in enumerate(lines, 1) if "\x00" in line), None)
    if nul is not None:
        raise CalendarFormatError([f"第 {nul} 行：含有空字符（U+0000），不是节假日安排文本，无法导入。"])
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]

    year: int | None = None
    year_line = 0
    title = ""
    entries: list[tuple[int, str, str]] = []  # (line number, key, value)
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if not title and not entries and year is None:
                title = line.lstrip("#").strip()
            continue
        parts = _KEY_SPLIT.split(line, maxsplit=1)
        if len(parts) != 2 or not parts[0]:
            errors.append(f"第 {number} 行：格式应为“名称: 日期”，无法识别“{line}”。")
            continue
        key, value = parts[0].strip(), parts[1].strip()
        if key.lower() in YEAR_KEYS:
            if year is not None:
                errors.append(f"第 {number} 行：年份重复（第 {year_line} 行已写明 {year} 年）。")
            elif re.fullmatch(r"\d{4}", value) and 1900 <= int(value) <= 2200:
                year, year_line = int(value), number
            else:
                errors.append(f"第 {number} 行：年份“{value}”无法识别，应为四位数字，如 2027。")
        elif key.lower() in TITLE_KEYS:
            title = value
        else:
            entries.append((number, key, value))
    if year is None and not any("年份" in message for message in errors):
        errors.append("第 1 行起：缺少“year: 年份”一行。")

    holidays: list[HolidayEntry] = []
    seen_names: dict[str, int] = {}
    for number, key, value in entries:
        name = _holiday_name(key)
        if name is None:
            known = "、".join(HOLIDAY_NAMES)
            errors.append(f"第 {number} 行：未知的名称“{key}”；可用：{known}，或“其他（名称）”。")
            continue
        if name in seen_names:
            errors.append(f"第 {number} 行：“{name}”重复（第 {seen_names[name]} 行已写）。")
            continue
        seen_names[name] = number
        segments = [segment.strip() for segment in _SEGMENT_SPLIT.split(value) if segment.strip()]
        if not segments:
            errors.append(f"第 {number} 行：“{name}”缺少放假日期。")
            continue
        ends = _RANGE_SPLIT.split(segments[0])
        if len(ends) > 2:
            errors.append(f"第 {number} 行：放假期间“{segments[0]}”应写作“开始日期 ~ 结束日期”。")
            continue
        first = _parse_date(ends[0], year)
        last = _parse_date(ends[-1], year, after=first) if len(ends) == 2 else first
        bad = [token for token, parsed in zip(ends, (first, last), strict=False) if parsed is None]
        if bad:
            errors.extend(f"第 {number} 行：无法识别的日期“{token.strip()}”。" for token in bad)
            continue
        line_ok = True
        if last < first:
            errors.append(f"第 {number} 行：结束日期 {last.isoformat()} 早于开始日期 {first.isoformat()}。")
            line_ok = False
        elif (last - first).days + 1 > MAX_HOLIDAY_DAYS:
            errors.append(f"第 {number} 行：放假期间超过 {MAX_HOLIDAY_DAYS} 天，请核对日期。")
            line_ok = False
        for d in {first, last}:
            if year is not None and d.year != year:
                errors.append(f"第 {number} 行：日期 {d.isoformat()} 不在 {year} 年内。")
                line_ok = False
        makeup: list[date] = []
        for segment in segments[1:]:
            seg_parts = _KEY_SPLIT.split(segment, maxsplit=1)
            if len(seg_parts) != 2 or seg_parts[0] not in MAKEUP_KEYS:
                errors.append(f"第 {number} 行：未知的内容“{segment}”；放假日期之后只能写“调休上班: 日期, 日期”。")
                line_ok = False
                continue
            tokens = [token for token in _LIST_SPLIT.split(_NOTE.sub("", seg_parts[1])) if token]
            if not tokens:
                errors.append(f"第 {number} 行：“调休上班”后缺少日期。")
                line_ok = False
            for token in tokens:
                d = _parse_date(token, year)
                if d is None:
                    errors.append(f"第 {number} 行：无法识别的日期“{token}”。")
                    line_ok = False
                elif year is not None and d.year != year:
                    errors.append(f"第 {number} 行：调休上班日 {d.isoformat()} 不在 {year} 年内。")
                    line_ok = False
                elif d.weekday() < 5:
                    errors.append(f"第 {number} 行：调休上班日 {_fmt(d)}不是星期六或星期日。")
                    line_ok = False
                else:
                    makeup.append(d)
        if line_ok:
            holidays.append(HolidayEntry(name=name, first=first, last=last, makeup=makeup, line=number))

    # cross-line checks: overlapping ranges, make-up days inside holidays, repeated make-up days
    ordered = sorted(holidays, key=lambda entry: entry.first)
    for earlier, later in itertools.pairwise(ordered):
        if later.first <= earlier.last:
            first, second = sorted((earlier, later), key=lambda entry: entry.line)
            errors.append(
                f"第 {second.line} 行：{second.name} {second.first.isoformat()} 至 {second.last.isoformat()} "
                f"与第 {first.line} 行 {first.name} {first.first.isoformat()} 至 {first.last.isoformat()} 重叠。"
            )
    makeup_seen: dict[date, int] = {}
    for entry in sorted(holidays, key=lambda entry: entry.line):
        for d in entry.makeup:
            inside = next((h for h in holidays if h.first <= d <= h.last), None)
            if inside is not None:
                errors.append(
                    f"第 {entry.line} 行：调休上班日 {_fmt(d)}落在第 {inside.line} 行{inside.name}的放假期间内。"
                )
            if d in makeup_seen:
                errors.append(f"第 {entry.line} 行：调休上班日 {d.isoformat()} 重复（第 {makeup_seen[d]} 行已写）。")
            makeup_seen.setdefault(d, entry.line)
    if not entries and year is not None:
        errors.append(f"第 {year_line} 行之后：没有列出任何节假日。")
    if errors:
        errors.sort(key=_line_of)
        raise CalendarFormatError(errors)
    return ParsedYear(year=year, title=title, holidays=sorted(holidays, key=lambda entry: entry.first))


def _line_of(message: str) -> int:
    m = re.match(r"第 (\d+) 行", message)
    return int(m.group(1)) if m else 0


def render_calendar_text(parsed: ParsedYear) -> str:
    """The canonical text of a parsed year (round-trips through parse_calendar_text)."""
    out = []
    if parsed.title:
        out.append(f"# {parsed.title}")
    out.append(f"year: {parsed.year}")
    for entry in parsed.holidays:
        span = entry.first.isoformat() if entry.first == entry.last else f"{entry.first} ~ {entry.last}"
        line = f"{entry.name}: {span}"
        if entry.makeup:
            line += "; 调休上班: " + ", ".join(d.isoformat() for d in sorted(entry.makeup))
        out.append(line)
    return "\n".join(out) + "\n"
