"""Cases (办件): the applications filed under a published item version, their materials and correction notices."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.cases.enums import (
    DEFAULT_EXTENSION_DAYS,
    ApiRateScope,
    ApplicantIdType,
    ApplicantKind,
    CaseState,
    Channel,
    DecisionOutcome,
    DeliveryMethod,
    DeliveryState,
    ExtensionState,
    FeeNoticeState,
    FeeRefundRequestState,
    FileKind,
    MaterialStatus,
    PaymentAttemptState,
    PaymentMethod,
    SimulatedOrderState,
)
from zhengwu.core.rates import validate_rate
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
    # Moved on whenever the same content is uploaded again, so the orphan sweep's grace period counts from the
    # latest upload that may be about to be attached (ADR 0013, "Orphaned uploads").
    last_uploaded_at = models.DateTimeField(_("最近上传时间"), default=timezone.now)

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
    number = models.CharField(_("办件编号"), max_length=50)
    query_code = models.CharField(_("查询码"), max_length=6)
    item_version = models.ForeignKey(
        "catalog.ItemVersion", verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="cases"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        db_index=False,
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
        db_index=False,
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name=_("登记窗口"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    proxy_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代办员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proxied_cases",
        db_index=False,
    )
    consent_text = models.TextField(_("申请人委托意见"), blank=True)
    consent_file = models.ForeignKey(
        StoredFile,
        verbose_name=_("委托书"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    form_data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    # The one-time key of the form the case was filed from (given out when the form was rendered): the same form
    # posted again answers with this case instead of filing a second one (cases.domain.intake). NULL for filings
    # without one (departmental systems, demo data, older forms).
    submission_key = models.CharField(_("提交凭据"), max_length=64, null=True, blank=True, editable=False)
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
        # Every index is written on each of a case's non-HOT updates (`updated_at` is indexed), so there is none
        # that no query reads through (ADR 0019, seventh pass): the composites serve the department, applicant and
        # agent foreign keys; the columns that are NULL on online cases are indexed only where set; the number is
        # unique without a pattern-ops copy (it is never searched with LIKE on its own).
        indexes = [
            models.Index(fields=["department", "state"], name="cases_dept_state_idx"),
            models.Index(fields=["applicant", "-created_at"], name="cases_applicant_created_idx"),
            models.Index(fields=["proxy_agent", "-created_at"], name="cases_agent_created_idx"),
            models.Index(
                fields=["registered_by"], condition=Q(registered_by__isnull=False), name="cases_case_registered_by_idx"
            ),
            models.Index(fields=["window"], condition=Q(window__isnull=False), name="cases_case_window_idx"),
            models.Index(
                fields=["consent_file"], condition=Q(consent_file__isnull=False), name="cases_case_consent_file_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="cases_case_number_key"),
            # unique where set, so a form posted twice (a double click, a browser's retry) files one case
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=Q(submission_key__isnull=False),
                name="cases_case_submission_key_uniq",
            ),
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
        db_index=False,
    )
    status = models.CharField(_("状态"), max_length=10, choices=MaterialStatus.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["case", "position", "id"]
        indexes = [
            models.Index(fields=["licence"], condition=Q(licence__isnull=False), name="cases_material_licence_idx")
        ]
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


class ReplacedMaterial(models.Model):
    """What a material held before a correction replaced it: part of the case file, and what the notice judged."""

    material = models.ForeignKey(
        CaseMaterial, verbose_name=_("办件材料"), on_delete=models.CASCADE, related_name="replaced"
    )
    notice = models.ForeignKey(
        CorrectionNotice,
        verbose_name=_("补正告知"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_materials",
    )
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
    status = models.CharField(_("替换前状态"), max_length=10, choices=MaterialStatus.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    replaced_at = models.DateTimeField(_("替换时间"))

    class Meta:
        verbose_name = _("被替换的材料")
        verbose_name_plural = _("被替换的材料")
        ordering = ["material", "replaced_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file__isnull=False) & Q(licence__isnull=True))
                | (Q(file__isnull=True) & Q(licence__isnull=False)),
                name="cases_replaced_material_file_or_licence",
            ),
        ]

    def __str__(self) -> str:
        return self.material.name


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
    negative = models.BooleanField(_("否定性决定（报备监察）"), default=False)
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
        # The admin's 否定性决定 filter; grants (most decisions) are not in it.
        indexes = [models.Index(fields=["id"], condition=Q(negative=True), name="cases_decision_negative_idx")]
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


# Where a certificate field's value comes from (ItemCertificate.field_sources): "form:<key>" (the case's
# application form), "applicant:<attr>", "case:<attr>", or "fixed:<text>".
CERTIFICATE_SOURCE_PREFIXES = ("form", "applicant", "case", "fixed")
CERTIFICATE_APPLICANT_ATTRS = {"name": "applicant_name", "id_number": "applicant_id_number", "phone": "applicant_phone"}
CERTIFICATE_CASE_ATTRS = ("number", "item_name", "department")


def certificate_sources_error(licence_type, sources) -> str | None:
    """Why a mapping's field sources do not fit the licence type (a Chinese message), or None."""
    if not isinstance(sources, dict):
        return _('取值规则应为 JSON 对象，例如 {"premises": "form:premises"}。')
    specs = {spec["key"]: spec for spec in (licence_type.fields or [])}
    unknown = sorted(set(sources) - set(specs))
    if unknown:
        return _("证照类型“%(type)s”没有这些信息项：%(keys)s。") % {
            "type": licence_type.name,
            "keys": "、".join(unknown),
        }
    for key, source in sources.items():
        prefix, _sep, rest = source.partition(":") if isinstance(source, str) else ("", "", "")
        if prefix not in CERTIFICATE_SOURCE_PREFIXES or not rest.strip():
            return _("信息项“%(key)s”的取值规则应为 form:键名、applicant:属性、case:属性 或 fixed:文字。") % {
                "key": key
            }
        if prefix == "applicant" and rest not in CERTIFICATE_APPLICANT_ATTRS:
            return _("applicant: 只能取 %(attrs)s。") % {"attrs": "、".join(CERTIFICATE_APPLICANT_ATTRS)}
        if prefix == "case" and rest not in CERTIFICATE_CASE_ATTRS:
            return _("case: 只能取 %(attrs)s。") % {"attrs": "、".join(CERTIFICATE_CASE_ATTRS)}
    missing = [spec["label"] for key, spec in specs.items() if spec.get("required", True) and key not in sources]
    if missing:
        return _("必填信息项没有取值规则：%(labels)s。") % {"labels": "、".join(missing)}
    return None


class ItemCertificate(models.Model):
    """Which licence (电子证照) an item's granted cases produce, and how its fields are filled from the case.

    Items without a row produce no certificate: their result is delivered as the decision document."""

    item = models.OneToOneField(
        "catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="certificate_mapping"
    )
    licence_type = models.ForeignKey(
        "licences.LicenceType", verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="+"
    )
    field_sources = models.JSONField(
        _("证面信息取值规则"),
        default=dict,
        blank=True,
        help_text=_(
            "JSON 对象：证面信息项 key → 取值规则。form:键名（申请表）、applicant:name|id_number|phone（申请人）、"
            "case:number|item_name|department（办件）、fixed:文字（固定值）。"
        ),
    )

    class Meta:
        verbose_name = _("事项证照")
        verbose_name_plural = _("事项证照")

    def __str__(self) -> str:
        return f"{self.item} → {self.licence_type}"

    def clean(self) -> None:
        if self.licence_type_id is not None:
            problem = certificate_sources_error(self.licence_type, self.field_sources)
            if problem:
                raise ValidationError({"field_sources": problem})


class CaseCertificate(models.Model):
    """The licence a granted case produced; one per case (the unique case makes a double issue impossible)."""

    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="certificate")
    licence = models.OneToOneField(
        "licences.Licence", verbose_name=_("电子证照"), on_delete=models.PROTECT, related_name="case_link"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签发人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("签发时间"))

    class Meta:
        verbose_name = _("办件证照")
        verbose_name_plural = _("办件证照")

    def __str__(self) -> str:
        return f"{self.case.number} · {self.licence.number}"


def decision_document_upload_to(instance: "CaseDecisionDocument", filename: str) -> str:
    return f"case_decisions/{timezone.localdate(instance.created_at).year}/{filename}"


class CaseDecisionDocument(models.Model):
    """The signed 准予 / 不予行政许可决定书 of a decided case, made once and kept."""

    case = models.OneToOneField(
        Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="decision_document"
    )
    decision = models.OneToOneField(
        CaseDecision, verbose_name=_("办件决定"), on_delete=models.PROTECT, related_name="document"
    )
    pdf = models.FileField(_("决定书文件"), upload_to=decision_document_upload_to, max_length=200)
    pdf_sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    signer_fingerprint = models.CharField(_("签名证书指纹（SHA-256）"), max_length=64)
    signature_reason = models.CharField(_("签名事由"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("出具人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("出具时间"))

    class Meta:
        verbose_name = _("行政许可决定书")
        verbose_name_plural = _("行政许可决定书")

    def __str__(self) -> str:
        return f"{self.case.number} 决定书"


class CaseDelivery(models.Model):
    """How the result reaches the applicant (送达): window pickup or express, and when it did."""

    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="delivery")
    method = models.CharField(_("送达方式"), max_length=10, choices=DeliveryMethod.choices)
    state = models.CharField(
        _("送达状态"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.ARRANGED
    )
    recipient = models.CharField(_("收件人"), max_length=150, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    arranged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("选择人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    arranged_at = models.DateTimeField(_("选择时间"))
    ready_notified_at = models.DateTimeField(_("领取通知时间"), null=True, blank=True)
    carrier = models.CharField(_("快递公司"), max_length=50, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=50, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("寄件人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipped_at = models.DateTimeField(_("寄出时间"), null=True, blank=True)
    handed_over_to = models.CharField(_("领取人"), max_length=150, blank=True)
    id_checked = models.BooleanField(_("已核验领取人身份"), default=False)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发放人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handed_over_at = models.DateTimeField(_("领取时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件送达")
        verbose_name_plural = _("办件送达")
        constraints = [
            models.CheckConstraint(
                condition=Q(method=DeliveryMethod.PICKUP) | (~Q(address="") & ~Q(recipient="") & ~Q(phone="")),
                name="cases_delivery_express_has_address",
            ),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.SHIPPED)
                | Q(method=DeliveryMethod.EXPRESS, shipped_at__isnull=False) & ~Q(tracking_number=""),
                name="cases_delivery_shipped_is_tracked",
            ),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.HANDED_OVER)
                | Q(method=DeliveryMethod.PICKUP, handed_over_at__isnull=False, id_checked=True),
                name="cases_delivery_handed_over_checked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_method_display()} {self.get_state_display()}"


class ExternalSystem(models.Model):
    """A department's own business system (一厅双网) that registers its cases here and reports their events.

    It may act only for `department`. Requests are signed with HMAC-SHA256 under a shared secret, which the
    server needs in full to verify: it is stored encrypted (AES-256-GCM, docs/adr/0018), never in clear."""

    name = models.CharField(_("系统名称"), max_length=100)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="external_systems"
    )
    key_id = models.CharField(_("接入密钥 ID"), max_length=40, unique=True)
    secret_encrypted = models.TextField(_("加密的签名密钥"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    rotated_at = models.DateTimeField(_("密钥轮换时间"), null=True, blank=True)
    rate_limit = models.CharField(
        _("请求速率上限"),
        max_length=20,
        blank=True,
        validators=[validate_rate],
        help_text=_(
            "本系统的请求上限，如 300/min（每分钟 300 次）、20/s、5000/h；留空则用平台默认值"
            "（ZHENGWU_EXTERNAL_API_RATE）。超出的请求得到 429，不作任何处理。"
        ),
    )

    class Meta:
        verbose_name = _("部门业务系统")
        verbose_name_plural = _("部门业务系统")
        ordering = ["department", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"

    @property
    def actor(self) -> str:
        from zhengwu.cases.rules import ExternalSystemActor

        return ExternalSystemActor(self)


class ApiNonce(models.Model):
    """A nonce a system has used; the unique constraint makes each nonce single-use per key (anti-replay).
    Rows older than the accepted timestamp window can never match a valid request and are purged."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    timestamp = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "nonce"], name="cases_apinonce_system_nonce_uniq")]

    def __str__(self) -> str:
        return self.nonce


class ApiRateWindow(models.Model):
    """Requests counted in one fixed window: a system's requests (subject = its key id) or one client address's
    failed authentications (subject = the address). `hits` is raised by one atomic UPSERT per request (ADR 0018
    "Rate limits"), refused requests included, so hits - allowed is how many were refused. Purged hourly."""

    scope = models.CharField(_("计数对象"), max_length=20, choices=ApiRateScope.choices)
    subject = models.CharField(_("密钥 ID 或地址"), max_length=64)
    window_start = models.DateTimeField(_("时段开始"))
    window_end = models.DateTimeField(_("时段结束"), db_index=True)
    hits = models.PositiveIntegerField(_("次数"))
    allowed = models.PositiveIntegerField(_("上限"))

    class Meta:
        verbose_name = _("接口请求计数")
        verbose_name_plural = _("接口请求计数")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "subject", "window_start"], name="cases_apiratewindow_scope_subject_window_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.window_start:%Y-%m-%d %H:%M:%S} {self.hits}/{self.allowed}"


class ExternalCaseLink(models.Model):
    """A case registered by a departmental system, under that system's own case id."""

    system = models.ForeignKey(
        ExternalSystem, verbose_name=_("部门业务系统"), on_delete=models.PROTECT, related_name="case_links"
    )
    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="external_link")
    external_id = models.CharField(_("部门系统办件编号"), max_length=100)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("部门系统办件")
        verbose_name_plural = _("部门系统办件")
        constraints = [
            models.UniqueConstraint(fields=["system", "external_id"], name="cases_extlink_system_external_id_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.external_id} → {self.case_id}"


# ---- fees (行政收费, 票款分离; ADR 0014) ---------------------------------------------------------------------
class FeeRule(models.Model):
    """A DMN decision table computing a fee of an item from the case's form data (optional).

    Keyed by the item and the fee's name, so it carries over to the item's next versions. The table's outputs
    are `amount` (the standard for one unit, in yuan) and, optionally, `quantity`."""

    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="fee_rules"
    )
    fee_name = models.CharField(_("收费项目"), max_length=200)
    dmn_xml = models.TextField(_("DMN 决策表"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("收费计算规则")
        verbose_name_plural = _("收费计算规则")
        constraints = [models.UniqueConstraint(fields=["item", "fee_name"], name="cases_feerule_item_fee_uniq")]

    def __str__(self) -> str:
        return f"{self.item} · {self.fee_name}"

    def clean(self) -> None:
        from zhengwu.cases.domain.fee_rules import dmn_table

        if self.dmn_xml:
            dmn_table(self.dmn_xml)


class FeeNotice(models.Model):
    """缴费通知: what the applicant owes after a grant decision. A charge that differs from the standard, or any
    charge on a free item, needs a reason and is flagged to supervision (行政收费监察)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="fee_notices")
    total = models.DecimalField(_("应缴金额（元）"), max_digits=12, decimal_places=2)
    state = models.CharField(_("状态"), max_length=20, choices=FeeNoticeState.choices, default=FeeNoticeState.ISSUED)
    fee_override = models.BooleanField(_("与收费标准不一致"), default=False)
    free_item_charged = models.BooleanField(_("不收费事项收费"), default=False)
    override_reason = models.TextField(_("调整理由"), blank=True)
    flagged_for_supervision = models.BooleanField(_("报送监察"), default=False, db_index=True)
    due_date = models.DateField(_("缴费期限"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开具人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("开具时间"))
    cancelled_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    cancel_reason = models.TextField(_("作废理由"), blank=True)

    class Meta:
        verbose_name = _("缴费通知")
        verbose_name_plural = _("缴费通知")
        ordering = ["case", "issued_at", "pk"]
        indexes = [models.Index(fields=["state", "issued_at"], name="cases_feenotice_state_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="cases_feenotice_total_positive"),
            models.CheckConstraint(
                condition=(Q(fee_override=False) & Q(free_item_charged=False) & Q(flagged_for_supervision=False))
                | ((Q(fee_override=True) | Q(free_item_charged=True)) & Q(flagged_for_supervision=True)),
                name="cases_feenotice_flag_matches",
            ),
            models.CheckConstraint(
                condition=Q(flagged_for_supervision=False) | ~Q(override_reason=""),
                name="cases_feenotice_override_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state=FeeNoticeState.CANCELLED) | ~Q(cancel_reason=""),
                name="cases_feenotice_cancel_has_reason",
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(state=FeeNoticeState.ISSUED), name="cases_feenotice_one_open_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} 缴费通知 {self.total} 元"


class FeeNoticeLine(models.Model):
    notice = models.ForeignKey(FeeNotice, verbose_name=_("缴费通知"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    fee_item = models.ForeignKey(
        "catalog.FeeItem",
        verbose_name=_("收费项目（目录）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("收费项目"), max_length=200)
    unit = models.CharField(_("计费单位"), max_length=30, blank=True)
    legal_basis = models.CharField(_("收费依据"), max_length=500, blank=True)
    standard_amount = models.DecimalField(_("收费标准（元）"), max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    charged_amount = models.DecimalField(_("实收金额（元）"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("缴费项目")
        verbose_name_plural = _("缴费项目")
        ordering = ["notice", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(standard_amount__gte=0), name="cases_feeline_standard_nonneg"),
            models.CheckConstraint(condition=Q(charged_amount__gte=0), name="cases_feeline_charged_nonneg"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cases_feeline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.charged_amount}"

    @property
    def standard_total(self):
        return self.standard_amount * self.quantity

    @property
    def differs(self) -> bool:
        return self.charged_amount != self.standard_total


class FeeReceiptCounter(models.Model):
    """Last receipt (票据) serial used on a day; its row lock serialises receipt numbers."""

    day = models.DateField(unique=True)
    last_serial = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day:%Y%m%d} {self.last_serial}"


class FeePayment(models.Model):
    """Money received for a notice, in full, at the unified fee window or online; one receipt number (票据号)."""

    notice = models.OneToOneField(
        FeeNotice, verbose_name=_("缴费通知"), on_delete=models.PROTECT, related_name="payment"
    )
    amount = models.DecimalField(_("缴费金额（元）"), max_digits=12, decimal_places=2)
    method = models.CharField(_("缴费方式"), max_length=10, choices=PaymentMethod.choices)
    receipt_number = models.CharField(_("票据号"), max_length=30, unique=True)
    provider_reference = models.CharField(_("支付流水号"), max_length=100, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收费人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    window = models.ForeignKey(
        "org.Window", verbose_name=_("收费窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(_("缴费时间"))

    class Meta:
        verbose_name = _("缴费记录")
        verbose_name_plural = _("缴费记录")
        ordering = ["-paid_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cases_feepayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(method=PaymentMethod.ONLINE, window__isnull=True)
                | (~Q(method=PaymentMethod.ONLINE) & Q(window__isnull=False)),
                name="cases_feepayment_window_or_online",
            ),
            models.CheckConstraint(
                condition=~Q(method=PaymentMethod.ONLINE) | ~Q(provider_reference=""),
                name="cases_feepayment_online_has_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.amount} 元"


class PaymentAttempt(models.Model):
    """网上支付: one attempt to pay a notice through a provider that confirms later (redirect to its cashier page,
    signed notification back; ADR 0014). `reference` is our order number (商户订单号) the provider echoes back;
    the payment is recorded only from the provider's verified notification, never from the payer's return."""

    notice = models.ForeignKey(
        FeeNotice, verbose_name=_("缴费通知"), on_delete=models.PROTECT, related_name="payment_attempts"
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("付款人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.DecimalField(_("支付金额（元）"), max_digits=12, decimal_places=2)
    provider = models.CharField(_("支付渠道"), max_length=30)
    reference = models.CharField(_("订单号"), max_length=32, unique=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=PaymentAttemptState.choices, default=PaymentAttemptState.STARTED
    )
    provider_reference = models.CharField(_("支付流水号"), max_length=100, blank=True)
    payment = models.OneToOneField(
        FeePayment,
        verbose_name=_("缴费记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="online_attempt",
    )
    problem = models.TextField(_("未入账原因"), blank=True)
    # Unrecorded money returned to the payer through the provider (state returned).
    return_reference = models.CharField(_("退款流水号"), max_length=100, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("退回经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发起时间"))
    expires_at = models.DateTimeField(_("订单失效时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    # When reconciliation (对账/查单, `fee_payment_attempts_reconcile`) last asked the provider about the order. An
    # expired attempt without it (superseded by a new order while the platform still kept it open) is asked once
    # more after it lapses; one the reconciliation expired has it.
    checked_at = models.DateTimeField(_("最近查单时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("网上支付订单")
        verbose_name_plural = _("网上支付订单")
        ordering = ["notice", "created_at", "pk"]
        indexes = [
            # What reconciliation looks at: open orders, and expired ones not yet asked about after they lapsed.
            models.Index(
                fields=["expires_at"],
                condition=Q(state=PaymentAttemptState.STARTED)
                | Q(state=PaymentAttemptState.EXPIRED, checked_at__isnull=True),
                name="cases_payattempt_reconcile_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cases_payattempt_amount_positive"),
            models.CheckConstraint(
                condition=Q(state=PaymentAttemptState.PAID, payment__isnull=False)
                | (~Q(state=PaymentAttemptState.PAID) & Q(payment__isnull=True)),
                name="cases_payattempt_paid_has_payment",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[PaymentAttemptState.UNRECORDED, PaymentAttemptState.RETURNED])
                | (~Q(provider_reference="") & ~Q(problem="")),
                name="cases_payattempt_unrecorded_explained",
            ),
            models.CheckConstraint(
                condition=Q(state=PaymentAttemptState.RETURNED, returned_at__isnull=False) & ~Q(return_reference="")
                | (~Q(state=PaymentAttemptState.RETURNED) & Q(returned_at__isnull=True, return_reference="")),
                name="cases_payattempt_returned_has_reference",
            ),
            models.UniqueConstraint(
                fields=["notice"],
                condition=Q(state=PaymentAttemptState.STARTED),
                name="cases_payattempt_one_started_per_notice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} 元（{self.get_state_display()}）"


class SimulatedGatewayOrder(models.Model):
    """The simulated payment platform's own ledger (`SimulatedGatewayProvider`; development, demos and tests): the
    orders it has been paid for, or has closed, by our order number. It stands for the records a real platform
    keeps on its side, and is what the simulated platform answers 查单 (`query`) from, so that a payment whose
    notification was lost can be found. Never read by the site's own logic; empty unless the simulated platform
    is configured."""

    reference = models.CharField(_("商户订单号"), max_length=32, unique=True)
    notice_id = models.BigIntegerField(_("缴费通知编号"), null=True, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=8, choices=SimulatedOrderState.choices, default=SimulatedOrderState.OPEN
    )
    trade_no = models.CharField(_("支付流水号"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("模拟支付平台订单")
        verbose_name_plural = _("模拟支付平台订单")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=SimulatedOrderState.PAID)
                | (~Q(trade_no="") & Q(paid_at__isnull=False, amount__isnull=False)),
                name="cases_simorder_paid_has_trade",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}（{self.get_state_display()}）"


class FeeRefund(models.Model):
    payment = models.ForeignKey(
        FeePayment, verbose_name=_("缴费记录"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("退费金额（元）"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("退费理由"))
    provider_reference = models.CharField(_("退款流水号"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    window = models.ForeignKey(
        "org.Window", verbose_name=_("收费窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refunded_at = models.DateTimeField(_("退费时间"))

    class Meta:
        verbose_name = _("退费记录")
        verbose_name_plural = _("退费记录")
        ordering = ["payment", "refunded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cases_feerefund_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="cases_feerefund_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.payment.receipt_number} 退费 {self.amount} 元"


class FeeRefundRequest(models.Model):
    """退费申请: a refund asked by the unified fee window and executed only when a leader in charge or the head of
    the case's department, not the requester, approves it (退费审批, ADR 0014). An approved request links the
    `FeeRefund` it produced; refunds recorded before approvals existed have no request."""

    payment = models.ForeignKey(
        FeePayment, verbose_name=_("缴费记录"), on_delete=models.PROTECT, related_name="refund_requests"
    )
    amount = models.DecimalField(_("退费金额（元）"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("退费理由"))
    state = models.CharField(
        _("状态"), max_length=10, choices=FeeRefundRequestState.choices, default=FeeRefundRequestState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    window = models.ForeignKey(
        "org.Window", verbose_name=_("收费窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人（撤回人）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批（撤回）时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    refund = models.OneToOneField(
        FeeRefund,
        verbose_name=_("退费记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="request",
    )

    class Meta:
        verbose_name = _("退费申请")
        verbose_name_plural = _("退费申请")
        ordering = ["payment", "requested_at", "pk"]
        indexes = [models.Index(fields=["state", "requested_at"], name="cases_refundreq_state_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cases_refundreq_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="cases_refundreq_has_reason"),
            models.CheckConstraint(
                condition=Q(state=FeeRefundRequestState.REQUESTED, decided_at__isnull=True, refund__isnull=True)
                | Q(state=FeeRefundRequestState.APPROVED, decided_at__isnull=False, refund__isnull=False)
                | (
                    Q(state=FeeRefundRequestState.REJECTED, decided_at__isnull=False, refund__isnull=True)
                    & ~Q(decision_note="")
                )
                | Q(state=FeeRefundRequestState.WITHDRAWN, decided_at__isnull=False, refund__isnull=True),
                name="cases_refundreq_decision_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment.receipt_number} 退费申请 {self.amount} 元（{self.get_state_display()}）"


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
