from django.core.management.base import BaseCommand, CommandError
from django.utils.html import strip_tags

from zhengwu.search.domain import CATALOG_ITEM, search_items, search_reindex_catalog

REBUILDERS = {CATALOG_ITEM: search_reindex_catalog}


class Command(BaseCommand):
    help = "全文检索：`zhengwu search reindex [--kind catalog.item]` 重建索引；`zhengwu search query 关键词` 试查。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        reindex = sub.add_parser("reindex", help="重建索引（默认全部类别）")
        reindex.add_argument("--kind", choices=sorted(REBUILDERS), action="append")
        query = sub.add_parser("query", help="按政务服务事项检索并打印结果")
        query.add_argument("text")
        query.add_argument("--limit", type=int, default=20)
        query.add_argument("--department", type=int, default=None)

    def handle(self, *args, action: str, **options):
        if action == "reindex":
            for kind in options["kind"] or sorted(REBUILDERS):
                count = REBUILDERS[kind](actor="system:cli")
                self.stdout.write(self.style.SUCCESS(f"{kind}：已索引 {count} 条。"))
            return
        if options["limit"] < 1:
            raise CommandError("--limit 应为正整数。")
        hits = search_items(options["text"], limit=options["limit"], department_id=options["department"])
        for hit in hits:
            self.stdout.write(f"{hit.score:>12.2f}  v{hit.version_id}  {strip_tags(hit.title_highlight)}")
        self.stdout.write(f"共 {len(hits)} 条。")
