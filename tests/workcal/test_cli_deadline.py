import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.workcal.calendar_helpers import TEXT_2027, ensure_national_calendar
from zhengwu.workcal.domain.calendar import calendar_year_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


def run(*args, stdin: str | None = None) -> str:
    out = StringIO()
    kwargs = {"stdout": out}
    if stdin is not None:
        kwargs["stdin"] = StringIO(stdin)
    call_command("deadline", *args, **kwargs)
    return out.getvalue()


def test_text_output_gives_due_date_and_explanation():
    assert run("2026-09-30", "5").splitlines() == [
        "届满日：2026-10-13（星期二）",
        "  1. 起算日：2026-09-30（星期三），工作日。",
        "  2. 依《民法典》第二百零一条，开始的当日不计入，自次日 2026-10-01（星期四）起算。",
        "  3. 期限：5 个工作日（不含法定节假日和休息日，含调休上班日）。",
        "  4. 期间内遇法定节假日 国庆节：2026-10-01 至 2026-10-07，共 7 天，不计入。",
        "  5. 期间内遇周末休息日 1 天（10-11），不计入。",
        "  6. 2026-10-10（星期六）为调休上班日（国庆节调休），计为工作日。",
        "  7. 第 5 个工作日为 2026-10-13（星期二），即期限届满日。",
    ]


def test_calendar_unit_json():
    result = json.loads(run("2025-09-23", "8", "--unit", "calendar", "--json"))
    assert {k: result[k] for k in ("start", "n", "unit", "due", "provisional")} == {
        "start": "2025-09-23",
        "n": 8,
        "unit": "calendar",
        "due": "2025-10-09",
        "provisional": False,
    }
    assert "顺延至 2025-10-09（星期四）" in result["explanation"][-2]


def test_json_is_not_ascii_escaped():
    assert "起算日" in run("2025-01-29", "1", "--json")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2026-02-30", "5"), "起算日“2026-02-30”不是有效日期"),
        (("2026-09-30", "0"), "期限“0”应在 1 至 3660 之间"),
        (("2026-09-30", "x"), "期限“x”应为正整数"),
        (("2026-09-30", "5", "--unit", "weeks"), "单位“weeks”应为 working（工作日）或 calendar（自然日）"),
        (("2026-09-30",), "缺少期限天数"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_streaming_json_answers_each_line_in_order_and_survives_bad_lines():
    stdin = (
        "2026-09-30 5 working\n"
        "2025-09-23 8 calendar\n"
        "\n"
        "2026-13-01 5 working\n"
        "2025-01-29 4\n"
        "2026-12-30 5 working\n"
        "garbage\n"
        "2025-02-08 1 工作日\n"
    )
    rows = [json.loads(line) for line in run("--json", "-", stdin=stdin).splitlines()]
    assert [row.get("due") for row in rows] == [
        "2026-10-13",
        "2025-10-09",
        None,
        "2025-02-08",
        "2027-01-06",
        None,
        "2025-02-10",
    ]
    assert rows[2] == {"error": "起算日“2026-13-01”不是有效日期", "line": 4, "input": "2026-13-01 5 working"}
    assert rows[5] == {
        "error": "每行应为“起算日 期限 单位”，如 2026-09-30 5 working",
        "line": 7,
        "input": "garbage",
    }
    assert rows[0]["explanation"][0] == "起算日：2026-09-30（星期三），工作日。"
    assert (rows[0]["start"], rows[0]["n"], rows[0]["unit"], rows[0]["provisional"]) == (
        "2026-09-30",
        5,
        "working",
        False,
    )
    assert (rows[4]["provisional"], rows[4]["provisional_years"]) == (True, [2027])
    assert rows[6]["unit"] == "working"


def test_streaming_uses_an_imported_year():
    calendar_year_import(actor="system:test", text=TEXT_2027)
    row = json.loads(run("--json", "-", stdin="2026-12-30 5 working\n"))
    assert (row["due"], row["provisional"]) == ("2027-01-07", False)


def test_streaming_flushes_after_each_line():
    class Recorder(StringIO):
        flushes = 0

        def flush(self):
            Recorder.flushes += 1

    out = Recorder()
    call_command("deadline", "--json", "-", stdin=StringIO("2026-09-30 5 working\nbad\n"), stdout=out)
    assert len(out.getvalue().splitlines()) == 2
    assert Recorder.flushes >= 2


def test_streaming_lines_without_a_unit_take_the_unit_option():
    rows = [json.loads(line) for line in run("--json", "--unit", "calendar", "-", stdin="2025-09-23 8\n").splitlines()]
    assert (rows[0]["unit"], rows[0]["due"]) == ("calendar", "2025-10-09")


def test_streaming_text_mode():
    assert run("-", stdin="2026-09-30 5 working\nbad\n").splitlines() == [
        "2026-09-30 5 working → 2026-10-13（星期二）",
        "第 2 行错误：每行应为“起算日 期限 单位”，如 2026-09-30 5 working",
    ]
