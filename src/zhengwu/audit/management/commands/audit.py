from django.core.management.base import BaseCommand, CommandError

from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent


class Command(BaseCommand):
    help = "审计链工具：`zhengwu audit verify` 校验哈希链。"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, action: str, **options):
        problem = audit_verify()
        if problem is not None:
            raise CommandError(f"审计链校验失败：{problem.message} [{problem.kind}, seq={problem.seq}]")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"审计链完整：共 {count} 条事件，校验通过。"))
