from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.workcal.calendar_helpers import TEXT_2027, ensure_national_calendar
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.arith import current_index, explain_deadline
from zhengwu.workcal.domain.calendar import calendar_year_import
from zhengwu.workcal.enums import CalendarSource, DayKind
from zhengwu.workcal.importer import CalendarFormatError, parse_calendar_text, render_calendar_text
from zhengwu.workcal.models import CalendarDay, CalendarVersion, CalendarYear
from zhengwu.workcal.signals import calendar_changed

D = date.fromisoformat


@pytest.fixture
def national_calendar(db):
    ensure_national_calendar()


# ---- the parser --------------------------------------------------------------------------------
def test_parse_example_file():
    parsed = parse_calendar_text(TEXT_2027)
    assert parsed.year == 2027
    assert parsed.title == "国务院办公厅关于2027年部分节假日安排的通知（测试用）"
    assert [(h.name, h.first, h.last, h.makeup, h.line) for h in parsed.holidays] == [
        ("元旦", D("2027-01-01"), D("2027-01-03"), [], 3),
        ("春节", D("2027-02-05"), D("2027-02-12"), [D("2027-02-14"), D("2027-02-20")], 4),
        ("清明节", D("2027-04-03"), D("2027-04-05"), [], 5),
        ("劳动节", D("2027-05-01"), D("2027-05-05"), [D("2027-04-25")], 6),
    ]
    days = parsed.days()
    assert len([k for k, _ in days.values() if k == DayKind.HOLIDAY]) == 3 + 8 + 3 + 5
    assert days[D("2027-04-25")] == (DayKind.MAKEUP_WORKDAY, "劳动节")


def test_parse_accepts_notice_style_dates_aliases_and_combined_names():
    parsed = parse_calendar_text(
        "year: 2025\n"
        "元旦：2025年1月1日\n"
        "春节：1月28日（农历除夕）至2月4日（农历正月初七）；调休上班：1月26日（周日）、2月8日（周六）\n"
        "国庆节、中秋节: 10月1日至8日; 上班: 2025-09-28, 2025-10-11\n"
        "其他（县庆）: 2025-11-03\n"
    )
    assert [(h.name, h.first, h.last) for h in parsed.holidays] == [
        ("元旦", D("2025-01-01"), D("2025-01-01")),
        ("春节", D("2025-01-28"), D("2025-02-04")),
        ("国庆节、中秋节", D("2025-10-01"), D("2025-10-08")),
        ("县庆", D("2025-11-03"), D("2025-11-03")),
    ]
    assert parsed.holidays[1].makeup == [D("2025-01-26"), D("2025-02-08")]


def test_render_round_trips():
    parsed = parse_calendar_text(TEXT_2027)
    assert parse_calendar_text(render_calendar_text(parsed)).days() == parsed.days()


BAD_FILES = [
    # (text, expected message) — each file is refused whole with its line number
    ("year: 2027\n元旦: 2026-12-31 ~ 2027-01-02\n", "第 2 行：日期 2026-12-31 不在 2027 年内。"),
    ("year: 2027\n\n元旦: 2027-01-01\n春节: 2027-02-30 ~ 2027-03-02\n", "第 4 行：无法识别的日期“2027-02-30”。"),
    ("year: 2027\n春节: 下周一\n", "第 2 行：无法识别的日期“下周一”。"),
    (
        "year: 2027\n春节: 2027-02-05 ~ 2027-02-12\n元宵节: 2027-02-20\n",
        "第 3 行：未知的名称“元宵节”；可用：元旦、春节、清明节、劳动节、端午节、中秋节、国庆节，或“其他（名称）”。",
    ),
    (
        "year: 2027\n春节: 2027-02-05 ~ 2027-02-12\n其他（补休）: 2027-02-11 ~ 2027-02-15\n",
        "第 3 行：补休 2027-02-11 至 2027-02-15 与第 2 行 春节 2027-02-05 至 2027-02-12 重叠。",
    ),
    (
        "year: 2027\n春节: 2027-02-05 ~ 2027-02-12; 调休上班: 2027-02-15\n",
        "第 2 行：调休上班日 2027-02-15（星期一）不是星期六或星期日。",
    ),
    (
        "year: 2027\n元旦: 2027-01-01 ~ 2027-01-03\n春节: 2027-02-05 ~ 2027-02-12; 调休上班: 2027-01-02\n",
        "第 3 行：调休上班日 2027-01-02（星期六）落在第 2 行元旦的放假期间内。",
    ),
    (
        "year: 2027\n春节: 2027-02-05 ~ 2027-02-12; 补班: 2027-02-14\n",
        "第 2 行：未知的内容“补班: 2027-02-14”；放假日期之后只能写“调休上班: 日期, 日期”。",
    ),
    ("year: 2027\n春节 2027-02-05\n", "第 2 行：格式应为“名称: 日期”，无法识别“春节 2027-02-05”。"),
    ("元旦: 2027-01-01\n", "第 1 行起：缺少“year: 年份”一行。"),
    ("year: 二〇二七\n元旦: 2027-01-01\n", "第 1 行：年份“二〇二七”无法识别，应为四位数字，如 2027。"),
    ("year: 2027\n元旦: 2027-01-03 ~ 2027-01-01\n", "第 2 行：结束日期 2027-01-01 早于开始日期 2027-01-03。"),
    ("year: 2027\n春节: 2027-02-05 ~ 2027-02-12\n春节: 2027-02-13\n", "第 3 行：“春节”重复（第 2 行已写）。"),
    ("# 只有标题\nyear: 2027\n", "第 2 行之后：没有列出任何节假日。"),
    ("year: 2027\n春节: 2027-02-05 ~ 2027-03-12\n", "第 2 行：放假期间超过 15 天，请核对日期。"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_parser_refuses_bad_files_with_line_numbers(text, message):
    with pytest.raises(CalendarFormatError) as exc:
        parse_calendar_text(text)
    assert message in exc.value.messages


def test_parser_reports_every_problem_sorted_by_line():
    with pytest.raises(CalendarFormatError) as exc:
        parse_calendar_text("year: 2027\n元宵节: 2027-02-20\n春节: 2027-02-05; 调休上班: 2027-02-15, 2027-13-01\n")
    assert exc.value.messages == [
        "第 2 行：未知的名称“元宵节”；可用：元旦、春节、清明节、劳动节、端午节、中秋节、国庆节，或“其他（名称）”。",
        "第 3 行：调休上班日 2027-02-15（星期一）不是星期六或星期日。",
        "第 3 行：无法识别的日期“2027-13-01”。",
    ]


# ---- the domain function -----------------------------------------------------------------------
def _state():
    return (
        list(CalendarDay.objects.order_by("date", "region_id").values_list("date", "kind", "name", "region_id")),
        list(CalendarYear.objects.order_by("year").values_list("year", "source", "title")),
        CalendarVersion.objects.get(id=1).version,
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_file_changes_nothing(national_calendar, text, message):
    before = _state()
    with pytest.raises(ValidationError) as exc:
        calendar_year_import(actor="system:test", text=text)
    assert message in exc.value.messages
    assert _state() == before


def test_bad_replacement_of_a_loaded_year_changes_nothing(national_calendar):
    before = _state()
    with pytest.raises(ValidationError):
        calendar_year_import(actor="system:test", text="year: 2026\n元旦: 2026-01-01\n春节: 2026-02-30\n")
    assert _state() == before


def test_2027_is_provisional_before_import_and_exact_after(national_calendar, django_capture_on_commit_callbacks):
    due, _lines = explain_deadline(D("2026-12-30"), 5, "working", index=current_index())
    assert due == D("2027-01-06")
    assert current_index().provisional_years(D("2026-12-30"), due) == [2027]
    received = []

    def receiver(sender, years, **kwargs):
        received.append(years)

    calendar_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            result = calendar_year_import(actor="system:test", text=TEXT_2027)
            assert received == []  # only after commit
    finally:
        calendar_changed.disconnect(receiver)
    assert len(callbacks) == 1
    assert received == [[2027]]
    assert (result.year, result.holiday_days, result.makeup_days, result.replaced) == (2027, 19, 3, False)
    index = current_index()
    assert 2027 in index.loaded_years
    assert index.add_working_days(D("2026-12-30"), 5) == D("2027-01-07")  # 元旦 1/1 no longer counted
    assert index.provisional_years(D("2026-12-30"), D("2027-01-07")) == []
    assert index.add_working_days(D("2027-02-04"), 1) == D("2027-02-14")  # make-up Sunday
    assert index.add_working_days(D("2027-02-04"), 2) == D("2027-02-15")
    assert index.day_info(D("2027-02-08")).name == "春节"
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.title, year.text) == (CalendarSource.IMPORTED, result.parsed.title, TEXT_2027)
    event = AuditEvent.objects.get(action="workcal.calendar_year.imported")
    assert (event.object_type, event.object_id, event.actor_repr, event.before) == (
        "workcal.calendaryear",
        str(year.pk),
        "system:test",
        None,
    )
    assert event.after["holidays"]["元旦"] == ["2027-01-01", "2027-01-02", "2027-01-03"]
    assert event.after["makeup_workdays"] == ["2027-02-14", "2027-02-20", "2027-04-25"]


def test_import_replaces_a_year_whole_and_keeps_local_overrides(national_calendar):
    from zhengwu.org.models import Region

    county = Region.objects.create(name="示例县", code="330000000001", level="district")
    CalendarDay.objects.create(date=D("2026-11-02"), kind=DayKind.HOLIDAY, name="县庆", region=county)
    text = "# 改版\nyear: 2026\n元旦: 2026-01-01\n国庆节: 2026-10-01 ~ 2026-10-08; 调休上班: 2026-10-10\n"
    result = calendar_year_import(actor="system:test", text=text)
    assert result.replaced is True
    national = CalendarDay.objects.filter(region__isnull=True, date__year=2026)
    assert national.count() == 1 + 8 + 1
    assert not national.filter(name="春节").exists()
    assert CalendarDay.objects.filter(region=county).count() == 1
    assert CalendarDay.objects.filter(date__year=2025).count() == 33  # other years untouched
    event = AuditEvent.objects.get(action="workcal.calendar_year.imported")
    assert event.before["source"] == "chinesecalendar"
    assert event.before["holidays"]["春节"][0] == "2026-02-15"
    assert current_index().add_working_days(D("2026-02-13"), 1) == D("2026-02-16")
    assert current_index(county).day_info(D("2026-11-02")).name == "县庆"


def test_the_documented_example_parses():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "calendar-format.md").read_text(encoding="utf-8")
    parsed = parse_calendar_text(doc.split("```")[1].strip() + "\n")
    assert parsed.year == 2027
    assert [h.name for h in parsed.holidays] == ["元旦", "春节", "清明节", "劳动节", "国庆节"]
