from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "zhengwu.search"
    label = "search"
    verbose_name = _("全文检索")

    def ready(self) -> None:
        from zhengwu.search import receivers  # noqa: F401
