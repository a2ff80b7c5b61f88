"""好差评: one rating per case, and the follow-up (核实、整改、回访) every 差评 opens."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.ratings.enums import NEGATIVE_LEVELS, FollowUpState, Level, RatingChannel


class Rating(models.Model):
    """The applicant's rating of one case. `rated_by` is the applicant's account for an online rating and
    empty for a window evaluator or SMS reply; `recorded_by` is the clerk whose window took it."""

    case = models.OneToOneField("cases.Case", verbose_name=_("办件"), on_delete=models.CASCADE, related_name="rating")
    department = models.ForeignKey(
        "org.Department", verbose_name=_("被评价部门"), on_delete=models.PROTECT, related_name="ratings"
    )
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    comment = models.TextField(_("评价意见"), blank=True)
    channel = models.CharField(_("评价渠道"), max_length=10, choices=RatingChannel.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人账户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价窗口人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "level"], name="ratings_dept_level_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="ratings_level_1_to_5"),
            models.CheckConstraint(
                condition=~Q(level__in=[int(level) for level in NEGATIVE_LEVELS]) | ~Q(comment=""),
                name="ratings_negative_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_level_display()}"

    @property
    def is_negative(self) -> bool:
        return self.level in NEGATIVE_LEVELS


class RatingFollowUp(models.Model):
    """差评整改: the department verifies the complaint, rectifies, calls the applicant back, and closes, all
    within its own clock (the `rating_bad_rectification` preset)."""

    rating = models.OneToOneField(Rating, verbose_name=_("差评"), on_delete=models.CASCADE, related_name="follow_up")
    department = models.ForeignKey(
        "org.Department", verbose_name=_("整改部门"), on_delete=models.PROTECT, related_name="rating_follow_ups"
    )
    # Set in the transaction that opens the follow-up (the clock's subject is the saved follow-up).
    clock = models.ForeignKey(
        "workcal.Clock", verbose_name=_("整改计时"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=10, choices=FollowUpState.choices, default=FollowUpState.OPEN)
    verification_finding = models.TextField(_("核实情况"), blank=True)
    substantiated = models.BooleanField(_("差评属实"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    rectification = models.TextField(_("整改情况"), blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "state"], name="ratings_fu_dept_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=FollowUpState.OPEN) | ~Q(verification_finding="") & Q(substantiated__isnull=False),
                name="ratings_followup_verified_has_finding",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[FollowUpState.RECTIFIED, FollowUpState.CLOSED]) | ~Q(rectification=""),
                name="ratings_followup_rectified_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating.case.number} 差评整改"


class CallbackRecord(models.Model):
    """回访: the applicant called back after the rectification, and what they said."""

    follow_up = models.ForeignKey(
        RatingFollowUp, verbose_name=_("差评整改"), on_delete=models.CASCADE, related_name="callbacks"
    )
    called_at = models.DateTimeField(_("回访时间"))
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reached = models.BooleanField(_("联系上申请人"))
    satisfied = models.BooleanField(_("对整改满意"), null=True, blank=True)
    comment = models.TextField(_("回访情况"))

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["follow_up", "called_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reached=True) & Q(satisfied__isnull=False) | Q(reached=False) & Q(satisfied__isnull=True),
                name="ratings_callback_satisfied_iff_reached",
            ),
            models.CheckConstraint(condition=~Q(comment=""), name="ratings_callback_has_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.follow_up} 回访 {self.called_at:%Y-%m-%d}"
