"""Cases (办件): the applications filed under a published item version, their materials and correction notices."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.cases.enums import (
    DEFAULT_EXTENSION_DAYS,
    ApplicantIdType,
    ApplicantKind,
    CaseState,
    Channel,
    DecisionOutcome,
    ExtensionState,
    FileKind,
    MaterialStatus,
)
from zhengwu.workcal.clock_enums import PauseReason


class StoredFile(models.Model):
    """An uploaded file kept once per content: MEDIA_ROOT/cases/<sha[:2]>/<sha>, never served directly."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100, choices=FileKind.choices)
    original_name = models.CharField(_("原文件名"), max_length=255)
    path = models.CharField(_("存储路径"), max_length=100, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首次上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("上传文件")
        verbose_name_plural = _("上传文件")

    def __str__(self) -> str:
        return f"{self.original_name}（{self.sha256[:12]}）"


class CaseCounter(models.Model):
    """Last serial used for an item on a day; its row lock serialises number allocation."""

    item = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "day"], name="cases_counter_item_day_uniq")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.day:%Y%m%d} {self.last_serial}"


class Case(models.Model):
    number = models.CharField(_("办件编号"), max_length=50, unique=True)
    query_code = models.CharField(_("查询码"), max_length=6)
    item_version = models.ForeignKey(
        "catalog.ItemVersion", verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="cases"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="cases"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    applicant_kind = models.CharField(_("申请人类型"), max_length=10, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("申请人"), max_length=150)
    applicant_id_type = models.CharField(_("证件类型"), max_length=20, choices=ApplicantIdType.choices)
    applicant_id_number = models.CharField(_("证件号码"), max_length=30)
    applicant_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    channel = models.CharField(_("申报渠道"), max_length=10, choices=Channel.choices)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    window = models.ForeignKey(
        "org.Window", verbose_name=_("登记窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proxy_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代办员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proxied_cases",
    )
    consent_text = models.TextField(_("申请人委托意见"), blank=True)
    consent_file = models.ForeignKey(
        StoredFile, verbose_name=_("委托书"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    form_data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=24, choices=CaseState.choices, default=CaseState.SUBMITTED)
    received_at = models.DateTimeField(_("收件时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    deemed_accepted = models.BooleanField(_("视为受理"), default=False)
    refused_at = models.DateTimeField(_("不予受理时间"), null=True, blank=True)
    refusal_reason = models.TextField(_("不予受理理由"), blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    outcome_note = models.TextField(_("办理结果说明"), blank=True)
    acceptance_clock = models.ForeignKey(
        "workcal.Clock", verbose_name=_("受理计时"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handling_clock = models.ForeignKey(
        "workcal.Clock", verbose_name=_("办理计时"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "state"], name="cases_dept_state_idx"),
            models.Index(fields=["applicant", "-created_at"], name="cases_applicant_created_idx"),
            models.Index(fields=["proxy_agent", "-created_at"], name="cases_agent_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=CaseState.REFUSED) | ~Q(refusal_reason=""), name="cases_refused_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.applicant_name}"


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials")
    item_material = models.ForeignKey(
        "catalog.ItemMaterial",
        verbose_name=_("事项材料"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    file = models.ForeignKey(
        StoredFile, verbose_name=_("文件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    licence = models.ForeignKey(
        "licences.Licence",
        verbose_name=_("复用电子证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=10, choices=MaterialStatus.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["case", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(file__isnull=True) | Q(licence__isnull=True), name="cases_material_file_or_licence"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CorrectionNotice(models.Model):
    """A one-time correction notice (一次性告知); a second one on the same case is flagged to supervision."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="correction_notices")
    sequence = models.PositiveSmallIntegerField(_("次序"))
    items = models.JSONField(_("补正内容"), default=list)
    reason = models.TextField(_("再次告知理由"), blank=True)
    flagged_for_supervision = models.BooleanField(_("报送监察"), default=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("告知人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("告知时间"))
    answered_at = models.DateTimeField(_("补正时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")
        ordering = ["case", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="cases_notice_case_sequence_uniq"),
            models.CheckConstraint(
                condition=Q(sequence=1) | (~Q(reason="") & Q(flagged_for_supervision=True)),
                name="cases_notice_repeat_reason_flag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} 第{self.sequence}次补正告知"


class ItemProcess(models.Model):
    """Which BPMN process an item's accepted cases run, and its co-approving departments (并联审批).

    Items without a row run workflow's default flow. Co-departments fill, in order, the lanes whose label
    contains "协办"."""

    item = models.OneToOneField(
        "catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="case_process"
    )
    definition = models.ForeignKey(
        "workflow.ProcessDefinition", verbose_name=_("办理流程"), on_delete=models.PROTECT, related_name="+"
    )
    co_departments = models.ManyToManyField("org.Department", verbose_name=_("协办部门"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("事项办理流程")
        verbose_name_plural = _("事项办理流程")

    def __str__(self) -> str:
        return f"{self.item} · {self.definition}"

    def clean(self) -> None:
        if self.definition_id is not None and self.definition.user_task("decide") is None:
            raise ValidationError({"definition": _("办件流程必须有 ID 为“decide”的决定环节。")})


class CaseDecision(models.Model):
    """The decision (准予 / 不予许可) taken at the decision step; reasons and legal basis are required."""

    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(_("决定"), max_length=8, choices=DecisionOutcome.choices)
    reasons = models.TextField(_("理由"))
    legal_basis = models.TextField(_("法律依据"))
    negative = models.BooleanField(_("否定性决定（报备监察）"), default=False, db_index=True)
    task = models.ForeignKey(
        "workflow.WorkTask",
        verbose_name=_("决定环节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"))

    class Meta:
        verbose_name = _("办件决定")
        verbose_name_plural = _("办件决定")
        constraints = [
            models.CheckConstraint(condition=~Q(reasons="") & ~Q(legal_basis=""), name="cases_decision_reasons_basis"),
            models.CheckConstraint(
                condition=Q(negative=(False)) & Q(outcome=DecisionOutcome.GRANT)
                | Q(negative=True) & Q(outcome=DecisionOutcome.DENY),
                name="cases_decision_negative_is_deny",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_outcome_display()}"


class CaseSuspension(models.Model):
    """A suspension (挂起) of an in-progress case for a statutory reason; its time is not counted in the handling
    period (《行政许可法》第四十五条) and the applicant is told in writing (书面告知, `notice_text`)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="suspensions")
    sequence = models.PositiveSmallIntegerField(_("次序"))
    reason = models.CharField(_("挂起事由"), max_length=20, choices=PauseReason.choices)
    legal_basis = models.TextField(_("法律依据"))
    explanation = models.TextField(_("情况说明"))
    expected_resume_on = models.DateField(_("预计恢复办理日期"))
    notice_text = models.TextField(_("书面告知内容"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("挂起人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("挂起时间"))
    ended_at = models.DateTimeField(_("恢复办理时间"), null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("恢复操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("办件挂起")
        verbose_name_plural = _("办件挂起")
        ordering = ["case", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="cases_suspension_case_sequence_uniq"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="cases_suspension_one_open"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="cases_suspension_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(explanation="") & ~Q(legal_basis=""), name="cases_suspension_explained"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} 第{self.sequence}次挂起（{self.get_reason_display()}）"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class CaseExtension(models.Model):
    """A request to extend the handling period (《行政许可法》第四十二条), decided by the department's leader in
    charge or head (本行政机关负责人)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长（日）"), default=DEFAULT_EXTENSION_DAYS)
    reason = models.TextField(_("延长理由"))
    state = models.CharField(_("状态"), max_length=10, choices=ExtensionState.choices, default=ExtensionState.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    due_date_before = models.DateField(_("原届满日"))
    due_date_after = models.DateField(_("延长后届满日"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("办件延期")
        verbose_name_plural = _("办件延期")
        ordering = ["case", "requested_at", "pk"]
        indexes = [models.Index(fields=["state", "requested_at"], name="cases_extension_state_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(state=ExtensionState.REQUESTED), name="cases_extension_one_pending"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(state=ExtensionState.APPROVED), name="cases_extension_one_approved"
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="cases_extension_days_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="cases_extension_has_reason"),
            models.CheckConstraint(
                condition=Q(state=ExtensionState.REQUESTED, decided_at__isnull=True)
                | Q(state=ExtensionState.APPROVED, decided_at__isnull=False, due_date_after__isnull=False)
                | (Q(state=ExtensionState.REJECTED, decided_at__isnull=False) & ~Q(decision_comment="")),
                name="cases_extension_decision_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} 延长 {self.days} 日（{self.get_state_display()}）"


class ItemDeemedApproval(models.Model):
    """An item whose cases are deemed granted when the handling period runs out without a decision (超时默认),
    e.g. 《行政许可法》第五十条第二款 (renewal)."""

    item = models.OneToOneField(
        "catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="deemed_approval"
    )
    legal_basis = models.TextField(_("视为准予的法律依据"))
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("超时默认许可事项")
        verbose_name_plural = _("超时默认许可事项")
        constraints = [models.CheckConstraint(condition=~Q(legal_basis=""), name="cases_deemed_approval_basis")]

    def __str__(self) -> str:
        return f"{self.item} · {self.legal_basis}"
