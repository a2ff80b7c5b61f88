from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """Last time a background process proved it was alive (written by a periodic task)."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    last_seen = models.DateTimeField(_("最近心跳"))
    hostname = models.CharField(_("主机"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
