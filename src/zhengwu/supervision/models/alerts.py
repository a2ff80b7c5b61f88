"""Monitoring points (监察点) and the alerts their sweeps raise (ADR 0020)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.supervision.enums import AlertLevel, AlertStatus, Module, Severity, SweepKind


class MonitoringPoint(models.Model):
    """The configurable side of a point; its rule (SQL) lives in code, registered under the same code."""

    code = models.CharField(_("监察点编码"), max_length=60, unique=True)
    module = models.CharField(_("业务模块"), max_length=16, choices=Module.choices)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    legal_basis = models.TextField(_("依据"), blank=True)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    thresholds = models.JSONField(_("阈值"), default=dict, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("监察点")
        verbose_name_plural = _("监察点")
        ordering = ["module", "position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Alert(models.Model):
    """One situation found by one point on one object. (point, subject, key) is unique for ever: a sweep
    inserts with ON CONFLICT, so reruns and concurrent sweeps never duplicate; a situation put right is
    resolved; one that recurs reopens the same row; a dismissed alert stays dismissed."""

    point = models.ForeignKey(
        MonitoringPoint, verbose_name=_("监察点"), on_delete=models.PROTECT, related_name="alerts"
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("对象ID"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    key = models.CharField(_("情形标识"), max_length=64, blank=True, default="")
    subject_repr = models.CharField(_("监察对象"), max_length=300, blank=True)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clock = models.ForeignKey(
        "workcal.Clock", verbose_name=_("计时"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("等级"), choices=AlertLevel.choices)
    status = models.CharField(_("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    details = models.JSONField(_("情形"), default=dict, blank=True)
    due_at = models.DateTimeField(_("届满时间"), null=True, blank=True)
    opened_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    level_changed_at = models.DateTimeField(_("升级时间"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("最近确认时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("消除时间"), null=True, blank=True)
    notified_level = models.PositiveSmallIntegerField(
        _("已通知到的等级"), null=True, blank=True, help_text=_("逐级通知后记录，避免重复通知。")
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handling_note = models.TextField(_("处理说明"), blank=True)

    class Meta:
        verbose_name = _("监察告警")
        verbose_name_plural = _("监察告警")
        ordering = ["-level", "-level_changed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "content_type", "object_id", "key"], name="supervision_alert_situation_uniq"
            ),
            models.CheckConstraint(
                condition=~Q(status=AlertStatus.DISMISSED) | ~Q(handling_note=""),
                name="supervision_alert_dismissed_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "level"], name="supervision_alert_status_lvl"),
            models.Index(fields=["department", "status", "level"], name="supervision_alert_dept"),
            models.Index(fields=["content_type", "object_id"], name="supervision_alert_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.point.name if self.point_id else ''} · {self.subject_repr}"


class SweepRun(models.Model):
    """One run of the sweep; the incremental sweep starts from the last finished run's `started_at`."""

    kind = models.CharField(_("类型"), max_length=12, choices=SweepKind.choices)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    since = models.DateTimeField(_("增量起点"), null=True, blank=True)
    counts = models.JSONField(_("统计"), default=dict, blank=True)

    class Meta:
        verbose_name = _("监察扫描")
        verbose_name_plural = _("监察扫描")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["kind", "-started_at"], name="supervision_sweep_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"
