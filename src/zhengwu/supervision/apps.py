from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "zhengwu.supervision"
    label = "supervision"
    verbose_name = _("电子监察")

    def ready(self) -> None:
        # Every app may register monitoring points in its own `supervision_points` module.
        autodiscover_modules("supervision_points")
