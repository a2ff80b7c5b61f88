"""Performance assessment (绩效考核, ADR 0021): the scheme's weights and thresholds, and computed snapshots."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.supervision.enums import Grade, Metric, PeriodKind

DEFAULT_WEIGHTS = {
    Metric.ON_TIME: 30,
    Metric.TIME_RATIO: 15,
    Metric.ALERTS: 20,
    Metric.ONE_TIME_CORRECTION: 10,
    Metric.BAD_RATINGS: 15,
    Metric.ONLINE_SHARE: 10,
}
DEFAULT_THRESHOLDS = {Grade.EXCELLENT: 90, Grade.GOOD: 80, Grade.PASS: 60}
# Points deducted per alert per 100 cases, by rung (预警, 黄牌, 红牌).
DEFAULT_RUNG_PENALTIES = {"1": 1, "2": 3, "3": 5}


def default_weights() -> dict:
    return {str(k): v for k, v in DEFAULT_WEIGHTS.items()}


def default_thresholds() -> dict:
    return {str(k): v for k, v in DEFAULT_THRESHOLDS.items()}


def default_rung_penalties() -> dict:
    return dict(DEFAULT_RUNG_PENALTIES)


class AssessmentScheme(models.Model):
    """考核方案: weights per metric, grade thresholds (minimum total score) and the alert rung penalties."""

    name = models.CharField(_("方案名称"), max_length=100)
    weights = models.JSONField(_("权重"), default=default_weights)
    thresholds = models.JSONField(_("等次分数线"), default=default_thresholds)
    rung_penalties = models.JSONField(_("告警扣分（每百件）"), default=default_rung_penalties)
    active = models.BooleanField(_("当前使用"), default=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-active", "-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class AssessmentResult(models.Model):
    """One department's computed result for one period (a snapshot; recomputing replaces it)."""

    scheme = models.ForeignKey(AssessmentScheme, verbose_name=_("考核方案"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(_("考核周期"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"), help_text=_("不含当日。"))
    metrics = models.JSONField(_("指标"), default=dict)
    score = models.DecimalField(_("总分"), max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices)
    rank = models.PositiveSmallIntegerField(_("排名"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["period_kind", "-period_start", "rank", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "period_kind", "period_start"], name="supervision_result_dept_period_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.period_start:%Y-%m-%d} {self.get_grade_display()}"
