from django.core.management.base import BaseCommand

from zhengwu.supervision.domain import supervision_sweep
from zhengwu.supervision.enums import SweepKind


class Command(BaseCommand):
    help = "运行电子监察扫描（默认增量，--full 全量）。"

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="全量扫描全部监察点")
        parser.add_argument("--no-escalate", action="store_true", help="只更新告警，不发送逐级通知")

    def handle(self, *args, full: bool = False, no_escalate: bool = False, **options):
        run = supervision_sweep(kind=SweepKind.FULL if full else SweepKind.INCREMENTAL, escalate=not no_escalate)
        elapsed = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
        self.stdout.write(f"{run.get_kind_display()}扫描完成（{elapsed:.2f} 秒）")
        for code, counts in run.counts.get("points", {}).items():
            self.stdout.write(
                f"  {code}: 新增/更新 {counts['upserted']}，消除 {counts['resolved']}，通知 {counts['escalated']}"
            )
