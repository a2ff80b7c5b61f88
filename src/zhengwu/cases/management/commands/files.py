from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat as _filesizeformat
from django.utils import timezone

from zhengwu.cases.domain.retention import orphan_grace, stored_files_purge_orphans


def filesizeformat(size: int) -> str:
    return _filesizeformat(size).replace("\xa0", " ")  # a plain space on the terminal


class Command(BaseCommand):
    help = "上传文件：`zhengwu files purge-orphans [--dry-run]` 清理超过保留期且未被任何办件引用的上传文件。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge-orphans", help="清理未被引用的上传文件")
        purge.add_argument("--dry-run", action="store_true", help="只列出将要清理的文件，不做任何改动")

    def handle(self, *args, action: str, dry_run: bool = False, **options):
        result = stored_files_purge_orphans(dry_run=dry_run)
        hours = int(orphan_grace().total_seconds() // 3600)
        verb = "将清理" if dry_run else "已清理"
        self.stdout.write(
            f"保留期 {hours} 小时：最近上传早于 {timezone.localtime(result.cutoff):%Y-%m-%d %H:%M} 的文件。"
        )
        for row in result.rows:
            self.stdout.write(
                f"{verb}  #{row.stored_file_id}  {row.sha256[:12]}  {row.name}  {filesizeformat(row.size)}"
            )
        for leftover in result.leftovers:
            self.stdout.write(f"{verb}  （无记录）  {leftover.sha256[:12]}  {filesizeformat(leftover.size)}")
        leftover_bytes = sum(f.size for f in result.leftovers)
        summary = (
            f"{verb}未被引用的上传文件 {result.count} 个（{filesizeformat(result.bytes)}），"
            f"磁盘上无记录的文件 {len(result.leftovers)} 个（{filesizeformat(leftover_bytes)}）。"
        )
        if dry_run:
            self.stdout.write(summary + "未做任何改动。")
        else:
            self.stdout.write(self.style.SUCCESS(summary))
