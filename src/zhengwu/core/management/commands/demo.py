import logging

from django.core.management.base import BaseCommand

from zhengwu.cases.demo import DEMO_CASE_COUNT, cases_demo_load
from zhengwu.core.demo.loader import TOTAL_LABELS, demo_load
from zhengwu.core.demo.logins import DEMO_LOGINS


class Command(BaseCommand):
    help = "加载演示数据：虚构的青川区（区划、部门、科室、岗位、大厅窗口、工作人员、自然人、法人）。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--cases",
            type=int,
            default=None,
            help=f"首次加载时回放的演示办件数（默认 {DEMO_CASE_COUNT}；已有办件时不再生成）。",
        )

    def _progress(self, count: int):
        def report(done: int) -> None:
            if done % 100 == 0 or done == count:
                self.stdout.write(f"  已回放 {done}/{count} 件")
                self.stdout.flush()

        return report

    def handle(self, *args, **options):
        result = demo_load()
        count = DEMO_CASE_COUNT if options["cases"] is None else max(0, options["cases"])
        if count:
            self.stdout.write(f"正在回放演示办件（{count} 件，首次加载约需两三分钟）……")
            quiet = logging.getLogger("celery")
            level = quiet.level
            quiet.setLevel(logging.WARNING)  # one line per notification delivered would drown the summary
            try:
                replayed = cases_demo_load(count=count, progress=self._progress(count))
            finally:
                quiet.setLevel(level)
            if replayed:
                self.stdout.write(self.style.SUCCESS(f"演示办件已生成：{sum(replayed.values())} 件。"))
            from zhengwu.supervision.demo import supervision_demo_load  # supervisors' work on the cases above

            supervised = supervision_demo_load()
            if supervised:
                alerts = supervised.pop("alerts", 0)
                self.stdout.write(
                    self.style.SUCCESS(f"演示监察工作已生成：{sum(supervised.values())} 条；监察告警 {alerts} 条。")
                )
        created, updated = sum(result.created.values()), sum(result.updated.values())
        if result.changed:
            self.stdout.write(self.style.SUCCESS(f"演示数据已加载：新建 {created} 条，恢复 {updated} 条。"))
        else:
            self.stdout.write(self.style.SUCCESS("演示数据已是最新，无需改动。"))
        self.stdout.write("")
        for label, title in TOTAL_LABELS.items():
            self.stdout.write(f"  {title}：{result.totals[label]}")
        self.stdout.write("")
        self.stdout.write("演示账号（密码均为下列所示）：")
        width = max(len(username) for username, _, _ in DEMO_LOGINS)
        for username, password, description in DEMO_LOGINS:
            self.stdout.write(f"  {username:<{width}}  {password}  {description}")
