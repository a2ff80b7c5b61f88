"""Supervisors' work (ADR 0021): supervision orders and rectification, spot checks, callbacks, violations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.supervision.enums import Finding, OrderState, Verdict, ViolationState


def _user_fk(verbose_name, *, null: bool = True):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=null,
        blank=null,
        on_delete=models.SET_NULL if null else models.PROTECT,
        related_name="+",
    )


class SupervisionOrder(models.Model):
    """督办: a requirement sent to a department with its own working-day clock; answered by rectification."""

    number = models.CharField(_("督办编号"), max_length=30, unique=True)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    alerts = models.ManyToManyField("supervision.Alert", verbose_name=_("所涉告警"), blank=True, related_name="orders")
    requirement = models.TextField(_("督办要求"))
    due_working_days = models.PositiveSmallIntegerField(_("整改期限（工作日）"))
    clock = models.ForeignKey(
        "workcal.Clock", verbose_name=_("整改计时"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=10, choices=OrderState.choices, default=OrderState.ISSUED)
    issued_by = _user_fk(_("督办人"))
    issued_at = models.DateTimeField(_("督办时间"), default=timezone.now)
    closed_by = _user_fk(_("核查人"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closing_note = models.TextField(_("核查意见"), blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["department", "state"], name="supervision_order_dept_state")]

    def __str__(self) -> str:
        return self.number


class RectificationReport(models.Model):
    """整改报告: the department's answer to an order; the supervisor accepts it or returns it."""

    order = models.ForeignKey(
        SupervisionOrder, verbose_name=_("督办单"), on_delete=models.CASCADE, related_name="reports"
    )
    sequence = models.PositiveSmallIntegerField(_("次序"))
    text = models.TextField(_("整改情况"))
    submitted_by = _user_fk(_("报告人"))
    submitted_at = models.DateTimeField(_("报告时间"))
    verdict = models.CharField(_("核查结论"), max_length=10, choices=Verdict.choices, blank=True)
    verdict_note = models.TextField(_("核查意见"), blank=True)
    verdict_by = _user_fk(_("核查人"))
    verdict_at = models.DateTimeField(_("核查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改报告")
        verbose_name_plural = _("整改报告")
        ordering = ["order", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="supervision_report_order_seq_uniq"),
            models.CheckConstraint(
                condition=~Q(verdict=Verdict.RETURNED) | ~Q(verdict_note=""), name="supervision_report_return_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} 第{self.sequence}次整改报告"


class SpotCheck(models.Model):
    """抽查: a random sample of completed cases, drawn with a recorded seed so the draw can be repeated."""

    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    sample_size = models.PositiveSmallIntegerField(_("抽取件数"))
    population = models.PositiveIntegerField(_("可抽办件数"))
    seed = models.BigIntegerField(_("随机种子"))
    drawn_by = _user_fk(_("抽查人"))
    drawn_at = models.DateTimeField(_("抽取时间"), default=timezone.now)

    class Meta:
        verbose_name = _("抽查")
        verbose_name_plural = _("抽查")
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d}—{self.period_end:%Y-%m-%d} 抽查 {self.sample_size} 件"


class SpotCheckItem(models.Model):
    spot_check = models.ForeignKey(SpotCheck, verbose_name=_("抽查"), on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("序号"))
    finding = models.CharField(_("核查结果"), max_length=10, choices=Finding.choices, default=Finding.PENDING)
    finding_text = models.TextField(_("核查情况"), blank=True)
    recorded_by = _user_fk(_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽查办件")
        verbose_name_plural = _("抽查办件")
        ordering = ["spot_check", "position"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "case"], name="supervision_spot_item_case_uniq"),
            models.CheckConstraint(
                condition=~Q(finding=Finding.PROBLEM) | ~Q(finding_text=""), name="supervision_spot_problem_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check_id}#{self.position}"


class Callback(models.Model):
    """回访: a call to the applicant about a case, with their answers."""

    case = models.ForeignKey("cases.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="+")
    reached = models.BooleanField(_("已联系上"))
    satisfied = models.BooleanField(_("满意"), null=True, blank=True)
    comment = models.TextField(_("回访记录"), blank=True)
    recorded_by = _user_fk(_("回访人"))
    recorded_at = models.DateTimeField(_("回访时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reached=True) | Q(satisfied__isnull=True), name="supervision_callback_unreached_no_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} 回访"


class Violation(models.Model):
    """A violation confirmed by a supervisor; made public only by a supervisor's decision, with its own text."""

    department = models.ForeignKey(
        "org.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )
    alert = models.ForeignKey(
        "supervision.Alert", verbose_name=_("告警"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        SupervisionOrder, verbose_name=_("督办单"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("认定情况（内部）"))
    state = models.CharField(_("状态"), max_length=10, choices=ViolationState.choices, default=ViolationState.CONFIRMED)
    confirmed_by = _user_fk(_("认定人"))
    confirmed_at = models.DateTimeField(_("认定时间"), default=timezone.now)
    published_text = models.TextField(_("公开内容"), blank=True)
    published_by = _user_fk(_("决定公开人"))
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("违规认定")
        verbose_name_plural = _("违规认定")
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(alert__isnull=False) | Q(order__isnull=False), name="supervision_violation_has_source"
            ),
            models.CheckConstraint(
                condition=~Q(state=ViolationState.PUBLISHED) | (~Q(published_text="") & Q(published_at__isnull=False)),
                name="supervision_violation_published_text",
            ),
        ]
        indexes = [models.Index(fields=["state", "-published_at"], name="supervision_violation_pub")]

    def __str__(self) -> str:
        return f"{self.department} {self.confirmed_at:%Y-%m-%d}"
