import argparse

from django.core.management.base import BaseCommand

from zhengwu.cases.domain.online_payment import RECONCILE_LIMIT, fee_payment_attempts_reconcile


class Command(BaseCommand):
    help = "网上支付：`zhengwu payments reconcile` 立即向支付平台查单对账（平时由定时任务每 5 分钟执行）。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        reconcile = sub.add_parser("reconcile", help="查单对账：补记通知丢失的支付，关闭并标记已超时的订单")
        reconcile.add_argument(
            "--limit",
            type=_positive,
            default=RECONCILE_LIMIT,
            help=f"本次最多查询的订单数（默认 {RECONCILE_LIMIT}，最久未查的优先）",
        )

    def handle(self, *args, action: str, limit: int, **options):
        result = fee_payment_attempts_reconcile(limit=limit)
        summary = (
            f"网上支付对账：补记入账 {result.recorded} 笔，已到账未入账 {result.unrecorded} 笔，"
            f"支付未成功 {result.failed} 笔，超时关闭 {result.expired} 笔，仍待支付 {result.pending} 笔。"
        )
        self.stdout.write(self.style.SUCCESS(summary))
        if result.errors:
            self.stdout.write(self.style.WARNING(f"查单失败 {result.errors} 笔，详见日志；下次对账将重试。"))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"须为正整数：{text}")
    return value
