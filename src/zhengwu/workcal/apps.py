from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalConfig(AppConfig):
    name = "zhengwu.workcal"
    label = "workcal"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from zhengwu.workcal import receivers  # noqa: F401
