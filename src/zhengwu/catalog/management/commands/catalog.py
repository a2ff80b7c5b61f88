from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhengwu.accounts.enums import UserKind
from zhengwu.accounts.models import User
from zhengwu.catalog.domain.excel import SHEET_ITEMS, catalog_export_xlsx, catalog_import_xlsx
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ItemVersion


class Command(BaseCommand):
    help = (
        "事项目录 Excel 工具：`zhengwu catalog export FILE` 导出现行事项；"
        "`zhengwu catalog import FILE [--publish] [--user USERNAME]` 导入（任何一处问题都整体拒绝，不导入任何事项）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "export"])
        parser.add_argument("file", help="xlsx 文件路径")
        parser.add_argument(
            "--publish", action="store_true", help="导入后直接发布（仅用于演示数据和历史清单迁移，跳过审核）"
        )
        parser.add_argument("--user", default="", help="以该工作人员的身份和权限导入（默认为系统导入 system:import）")

    def handle(self, *args, action: str, file: str, publish: bool, user: str, **options):
        path = Path(file)
        if action == "export":
            data = catalog_export_xlsx()
            path.write_bytes(data)
            count = ItemVersion.objects.filter(state=VersionState.PUBLISHED).count()
            self.stdout.write(self.style.SUCCESS(f"已导出 {count} 个现行事项到 {path}。"))
            return
        actor = "system:import"
        if user:
            actor = User.objects.filter(username=user, kind=UserKind.STAFF, is_active=True).first()
            if actor is None:
                raise CommandError(f"没有用户名为 {user} 的工作人员。")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {path}：{error.strerror}") from None
        result = catalog_import_xlsx(actor=actor, data=data, publish=publish)
        if result.problems:
            self.stdout.write("工作表\t行\t列\t问题")
            for problem in result.problems:
                row = "" if problem.row is None else str(problem.row)
                self.stdout.write(f"{problem.sheet}\t{row}\t{problem.column}\t{problem.message}")
            more = "（仅列出前若干处）" if result.truncated else ""
            raise CommandError(f"文件有 {len(result.problems)} 处问题{more}，未导入任何事项。")
        self.stdout.write(
            self.style.SUCCESS(
                f"导入成功：新建 {len(result.created)} 个事项，更新 {len(result.drafted)} 个事项，"
                f"已发布 {result.published} 个。"
            )
        )
        if not publish:
            self.stdout.write(f"导入的事项为草稿，请在工作台提交审核（“{SHEET_ITEMS}”工作表中的每一行对应一个草稿）。")
