from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zhengwu.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from zhengwu.core.timestamps import connection_created_receiver

        connection_created.connect(connection_created_receiver, dispatch_uid="core-utc-timestamps")
