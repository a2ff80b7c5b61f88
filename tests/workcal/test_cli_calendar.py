from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.workcal.calendar_helpers import TEXT_2027, ensure_national_calendar
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


def run(*args, **kwargs) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def test_import_file_then_show(tmp_path):
    path = tmp_path / "2027.txt"
    path.write_text(TEXT_2027, encoding="utf-8")
    out, _ = run("import", str(path))
    assert out.strip() == "已导入 2027 年工作日历：4 个节日，放假 19 天，调休上班 3 天。"
    assert AuditEvent.objects.get(action="workcal.calendar_year.imported").actor_repr == "system:cli"
    out, _ = run("show", "2027")
    lines = out.splitlines()
    assert lines[0].startswith("2027 年工作日历（来源：导入国务院通知，")
    assert lines[1] == "标题：国务院办公厅关于2027年部分节假日安排的通知（测试用）"
    assert lines[2:8] == [
        "法定节假日：",
        "  元旦：2027-01-01 至 2027-01-03，共 3 天",
        "  春节：2027-02-05 至 2027-02-12，共 8 天",
        "  清明节：2027-04-03 至 2027-04-05，共 3 天",
        "  劳动节：2027-05-01 至 2027-05-05，共 5 天",
        "调休上班日：",
    ]
    assert "  2027-02-14（星期日）春节" in lines
    assert "  2027-04-25（星期日）劳动节" in lines


def test_import_from_stdin():
    out, _ = run("import", "-", stdin=StringIO(TEXT_2027))
    assert "已导入 2027 年" in out


def test_bad_file_is_refused_whole_with_line_numbers(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(
        "year: 2027\n元旦: 2027-01-01 ~ 2027-01-03\n春节: 2027-02-05 ~ 2027-02-12; 调休上班: 2027-02-15\n",
        encoding="utf-8",
    )
    days = CalendarDay.objects.count()
    err = StringIO()
    with pytest.raises(CommandError, match="导入失败：共 1 处错误，整个文件未导入，日历未作任何更改。"):
        call_command("calendar", "import", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == "第 3 行：调休上班日 2027-02-15（星期一）不是星期六或星期日。"
    assert CalendarDay.objects.count() == days
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert current_index().is_provisional(date(2027, 1, 1))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        run("import", str(tmp_path / "none.txt"))


def test_show_loaded_year():
    out, _ = run("show", "2025")
    assert "  国庆节、中秋节：2025-10-01 至 2025-10-08，共 8 天" in out
    assert "   1 月 19 天     2 月 19 天     3 月 21 天     4 月 22 天" in out
    assert out.splitlines()[-1] == "全年工作日：248 天"


def test_show_marks_a_year_not_loaded():
    out, _ = run("show", "2030")
    assert out.splitlines()[0] == "2030 年工作日历：尚未导入，以下按周一至周五临时计算（临时结果）。"


def test_list_and_seed():
    out, _ = run("list")
    assert out.splitlines()[0].startswith("2004  chinesecalendar 数据包")
    out, _ = run("seed")
    assert out.strip() == "2004–2026 年均已载入，无需操作（覆盖请加 --replace）。"
