import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengwu.workcal.enums import CalendarSource, DayKind

__all__ = ["CalendarDay", "CalendarVersion", "CalendarYear"]


class CalendarYear(models.Model):
    """One loaded year of the national arrangement. A year without a row is *not loaded*."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=CalendarSource.choices)
    title = models.CharField(_("通知标题"), max_length=200, blank=True)
    text = models.TextField(_("导入原文"), blank=True)
    loaded_at = models.DateTimeField(_("载入/修改时间"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} 年"


class CalendarDay(models.Model):
    """An exceptional day: holidays, make-up working days and local overrides.

    Days without a row follow the weekday (Mon–Fri work, Sat/Sun rest). `region` empty = national;
    a row with a region overrides the national day for that region and the regions below it.
    """

    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=20, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=60, blank=True)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("地方区划"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_days",
        help_text=_("为空表示全国安排；填写则为本地调整，优先于全国安排。"),
    )

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(region__isnull=True), name="workcal_day_unique_national"
            ),
            models.UniqueConstraint(fields=["date", "region"], name="workcal_day_unique_regional"),
        ]

    def __str__(self) -> str:
        label = DayKind(self.kind).label
        return f"{self.date.isoformat()} {label}{'·' + self.name if self.name else ''}"


def _new_stamp() -> str:
    return uuid.uuid4().hex


class CalendarVersion(models.Model):
    """Single row (id=1) bumped on every calendar change; the in-process index cache compares it."""

    version = models.PositiveBigIntegerField(_("版本"), default=1)
    stamp = models.CharField(_("标记"), max_length=32, default=_new_stamp)
    changed_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历版本")
        verbose_name_plural = _("日历版本")

    def __str__(self) -> str:
        return f"v{self.version}"
