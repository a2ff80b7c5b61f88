import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "zhengwu.licences"
    label = "licences"
    verbose_name = _("电子证照")

    def ready(self) -> None:
        from zhengwu.licences import checks  # noqa: F401 (registers the deployment checks)

        # WeasyPrint logs every rendering step at INFO; keep it out of the logs unless LOGGING says otherwise.
        progress = logging.getLogger("weasyprint.progress")
        if progress.level == logging.NOTSET:
            progress.setLevel(logging.WARNING)
