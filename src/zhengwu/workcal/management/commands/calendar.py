import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengwu.workcal.arith import weekday_label
from zhengwu.workcal.domain.calendar import calendar_year_import, calendar_year_summary, calendar_years_seed
from zhengwu.workcal.models import CalendarYear


class Command(BaseCommand):
    help = "工作日历：导入某年节假日安排（import FILE）、查看某年（show YEAR）、列出已载入年度（list）。"
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入一年的节假日安排（格式见 docs/calendar-format.md；- 为标准输入）")
        imp.add_argument("file")
        imp.add_argument("--user", help="以该用户名记入审计记录（默认 system:cli）")
        show = sub.add_parser("show", help="显示某年的节假日、调休上班日和每月工作日数")
        show.add_argument("year", type=int)
        sub.add_parser("list", help="列出已载入的年度及来源")
        seed = sub.add_parser("seed", help="从 chinesecalendar 数据包载入 2004–2026 年中尚未载入的年度")
        seed.add_argument("--replace", action="store_true", help="覆盖已载入的年度")

    def handle(self, *args, action: str, **options):
        getattr(self, f"handle_{action}")(**options)

    def _actor(self, username: str | None):
        if not username:
            return "system:cli"
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"用户“{username}”不存在。") from None

    def handle_import(self, *, file: str, user: str | None = None, **options):
        actor = self._actor(user)
        if file == "-":
            text = (options.get("stdin") or sys.stdin).read()
        else:
            try:
                text = Path(file).read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise CommandError(f"无法读取文件 {file}：{exc.strerror or exc}") from None
            except UnicodeDecodeError:
                raise CommandError(f"文件 {file} 不是 UTF-8 编码。") from None
        try:
            result = calendar_year_import(actor=actor, text=text)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(f"导入失败：共 {len(exc.messages)} 处错误，整个文件未导入，日历未作任何更改。") from None
        verb = "替换" if result.replaced else "导入"
        self.stdout.write(
            self.style.SUCCESS(
                f"已{verb} {result.year} 年工作日历：{len(result.parsed.holidays)} 个节日，"
                f"放假 {result.holiday_days} 天，调休上班 {result.makeup_days} 天。"
            )
        )

    def handle_show(self, *, year: int, **options):
        summary = calendar_year_summary(year)
        out = self.stdout.write
        if summary.loaded:
            loaded_at = timezone.localtime(summary.loaded_at).strftime("%Y-%m-%d %H:%M")
            out(f"{year} 年工作日历（来源：{summary.source_label}，{loaded_at}）")
            if summary.title:
                out(f"标题：{summary.title}")
        else:
            out(f"{year} 年工作日历：尚未导入，以下按周一至周五临时计算（临时结果）。")
        out("法定节假日：")
        if not summary.holidays:
            out("  （无）")
        for run in summary.holidays:
            span = run.first.isoformat() if run.first == run.last else f"{run.first} 至 {run.last}"
            out(f"  {run.name or '法定节假日'}：{span}，共 {run.days} 天")
        out("调休上班日：")
        if not summary.makeup_days:
            out("  （无）")
        for day, name in summary.makeup_days:
            out(f"  {day.isoformat()}（{weekday_label(day)}）{name}")
        out("每月工作日：")
        months = [f"{m:>2} 月 {count:>2} 天" for m, count in enumerate(summary.working_days_by_month, start=1)]
        for row in range(0, 12, 4):
            out("  " + "    ".join(months[row : row + 4]))
        out(f"全年工作日：{summary.working_days} 天")

    def handle_list(self, **options):
        rows = CalendarYear.objects.order_by("year")
        if not rows:
            self.stdout.write("尚未载入任何年度。")
        for row in rows:
            loaded_at = timezone.localtime(row.loaded_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"{row.year}  {row.get_source_display()}  {loaded_at}  {row.title}")

    def handle_seed(self, *, replace: bool = False, **options):
        years = calendar_years_seed(actor="system:cli", replace=replace)
        if years:
            span = f"{years[0]}–{years[-1]}"
            self.stdout.write(self.style.SUCCESS(f"已从 chinesecalendar 载入 {len(years)} 个年度：{span}"))
        else:
            self.stdout.write("2004–2026 年均已载入，无需操作（覆盖请加 --replace）。")
