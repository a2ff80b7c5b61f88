from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zhengwu.cases.domain.external import external_system_create
from zhengwu.org.models import Department


class Command(BaseCommand):
    help = (
        "登记部门业务系统（一厅双网）并生成接入密钥："
        "`zhengwu external_system_create --department 部门编码 --name 系统名称`。签名密钥只显示这一次。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="部门编码，如 SCJG")
        parser.add_argument("--name", required=True, help="系统名称，如“市场监管业务系统”")

    def handle(self, *args, department: str, name: str, **options):
        found = Department.objects.filter(code=department.strip()).first()
        if found is None:
            raise CommandError(f"没有编码为 {department} 的部门。")
        try:
            system, secret = external_system_create(actor="system:cli", department=found, name=name)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"已登记部门业务系统“{system.name}”（{found.name}）。"))
        self.stdout.write(f"接入密钥 ID（X-Zhengwu-Key）：{system.key_id}")
        self.stdout.write(f"签名密钥（只显示这一次，请妥善保管）：{secret}")
