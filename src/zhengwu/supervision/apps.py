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
        from django.db.models.signals import post_save

        from zhengwu.supervision.signals import request_sweep

        # Cases and clocks change only through their domain functions, each saving these rows.
        for model in ("cases.Case", "workcal.Clock"):
            post_save.connect(request_sweep, sender=model, dispatch_uid=f"supervision-sweep-soon-{model}")
