from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.audit.admin import AuditedModelAdmin, AuditHistoryMixin
from zhengwu.cases.domain.api_rate import (
    SYSTEM_WINDOW_RETENTION,
    external_system_rate,
    external_system_throttling,
    external_systems_last_throttled,
)
from zhengwu.cases.domain.external import external_system_create, external_system_rotate, external_system_update
from zhengwu.cases.models import (
    Case,
    CaseCertificate,
    CaseDecision,
    CaseDecisionDocument,
    CaseDelivery,
    CaseExtension,
    CaseMaterial,
    CaseSuspension,
    CorrectionNotice,
    ExternalCaseLink,
    ExternalSystem,
    FeeNotice,
    FeeNoticeLine,
    FeePayment,
    FeeRefund,
    FeeRefundRequest,
    FeeRule,
    ItemCertificate,
    ItemDeemedApproval,
    ItemProcess,
    PaymentAttempt,
    StoredFile,
)


class _ReadOnly:
    """Rows written only by domain functions: viewable in the admin, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseMaterialInline(_ReadOnly, admin.TabularInline):
    model = CaseMaterial
    fields = ("position", "name", "status", "file", "licence", "note")
    extra = 0


class CorrectionNoticeInline(_ReadOnly, admin.TabularInline):
    model = CorrectionNotice
    fields = ("sequence", "items", "reason", "flagged_for_supervision", "issued_by", "issued_at", "answered_at")
    extra = 0


@admin.register(Case)
class CaseAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("number", "item_name", "applicant_name", "department", "channel", "state", "received_at")
    list_filter = ("state", "channel", "deemed_accepted", "department")
    search_fields = ("number", "applicant_name")
    date_hierarchy = "received_at"
    list_select_related = ("item_version", "department")
    list_per_page = 100
    exclude = ("query_code", "applicant_id_number")
    readonly_fields = ("masked_id_number",)
    inlines = (CaseMaterialInline, CorrectionNoticeInline)

    @admin.display(description=_("事项"), ordering="item_version__name")
    def item_name(self, obj: Case) -> str:
        return obj.item_version.name

    @admin.display(description=_("证件号码"))
    def masked_id_number(self, obj: Case) -> str:
        return mask_id_number(obj.applicant_id_number)


@admin.register(StoredFile)
class StoredFileAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("original_name", "content_type", "size", "sha256", "created_at")
    list_filter = ("content_type",)
    search_fields = ("sha256", "original_name")
    date_hierarchy = "created_at"


@admin.register(ItemProcess)
class ItemProcessAdmin(AuditedModelAdmin):
    list_display = ("item", "definition")
    autocomplete_fields = ("item",)
    filter_horizontal = ("co_departments",)
    search_fields = ("item__implementation_code", "item__versions__name")


@admin.register(CaseDecision)
class CaseDecisionAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("case", "outcome", "negative", "decided_by", "decided_at")
    list_select_related = ("case", "decided_by")
    list_filter = ("outcome", "negative")
    search_fields = ("case__number",)
    readonly_fields = ("case", "outcome", "reasons", "legal_basis", "negative", "task", "decided_by", "decided_at")


@admin.register(ItemCertificate)
class ItemCertificateAdmin(AuditedModelAdmin):
    list_display = ("item", "licence_type")
    list_select_related = ("item", "licence_type")
    list_filter = ("licence_type",)
    autocomplete_fields = ("item",)
    search_fields = ("item__implementation_code", "item__versions__name", "licence_type__name")


@admin.register(CaseCertificate)
class CaseCertificateAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("case", "licence", "issued_by", "issued_at")
    list_select_related = ("case", "licence__licence_type", "issued_by")
    search_fields = ("case__number", "licence__number")


@admin.register(CaseDecisionDocument)
class CaseDecisionDocumentAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("case", "signature_reason", "created_by", "created_at")
    list_select_related = ("case", "created_by")
    search_fields = ("case__number",)
    exclude = ("pdf",)


@admin.register(CaseDelivery)
class CaseDeliveryAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("case", "method", "state", "carrier", "tracking_number", "shipped_at", "handed_over_at")
    list_select_related = ("case",)
    list_filter = ("method", "state")
    search_fields = ("case__number", "tracking_number")


def _credentials_page(request, admin_site, credentials, title):
    """The new secrets, shown once: rendered directly (never put in a message cookie or the session)."""
    context = {
        **admin_site.each_context(request),
        "title": title,
        "opts": ExternalSystem._meta,
        "credentials": credentials,
    }
    response = TemplateResponse(request, "admin/cases/externalsystem/secret.html", context)
    add_never_cache_headers(response)
    return response


@admin.register(ExternalSystem)
class ExternalSystemAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """部门业务系统: creating one or rotating its key shows the secret once; every change goes through the
    audited domain functions."""

    list_display = (
        "name",
        "department",
        "key_id",
        "is_active",
        "effective_rate",
        "last_throttled",
        "created_at",
        "rotated_at",
    )
    list_filter = ("is_active", "department")
    search_fields = ("name", "key_id")
    actions = ("rotate_secret",)

    def get_queryset(self, request):
        return external_systems_last_throttled(super().get_queryset(request))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "department")
        return (
            "name",
            "department",
            "key_id",
            "is_active",
            "rate_limit",
            "effective_rate",
            "throttling",
            "created_at",
            "rotated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("department", "key_id", "effective_rate", "throttling", "created_at", "rotated_at")

    @admin.display(description=_("生效的速率上限"))
    def effective_rate(self, obj):
        rate = external_system_rate(obj)
        source = _("本系统设置") if obj.rate_limit else _("平台默认")
        return f"{rate}（{rate.describe()}，{source}）"

    @admin.display(description=_("最近限流"), ordering="last_throttled_at")
    def last_throttled(self, obj):
        return obj.last_throttled_at

    @admin.display(description=_("限流情况"))
    def throttling(self, obj):
        summary = external_system_throttling(obj)
        hours = int(SYSTEM_WINDOW_RETENTION.total_seconds() // 3600)
        if not summary["windows"]:
            return _("最近 %(hours)d 小时未被限流。") % {"hours": hours}
        return _("最近 %(hours)d 小时有 %(windows)d 个时段超限，共拒绝 %(refused)d 次请求；最近一次在 %(latest)s。") % {
            "hours": hours,
            "windows": summary["windows"],
            "refused": summary["refused"],
            "latest": timezone.localtime(summary["latest"]).strftime("%Y-%m-%d %H:%M:%S"),
        }

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            external_system_update(
                actor=request.user, system=obj, name=obj.name, is_active=obj.is_active, rate_limit=obj.rate_limit
            )
            return
        system, secret = external_system_create(actor=request.user, department=obj.department, name=obj.name)
        for field in ExternalSystem._meta.concrete_fields:
            setattr(obj, field.attname, getattr(system, field.attname))
        obj._state.adding = False
        request._external_credentials = [(system, secret)]

    def response_add(self, request, obj, post_url_continue=None):
        credentials = request.__dict__.pop("_external_credentials", None)
        if credentials is None:
            return super().response_add(request, obj, post_url_continue)
        return _credentials_page(request, self.admin_site, credentials, _("新的接入密钥"))

    @admin.action(description=_("轮换签名密钥（旧密钥立即失效）"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        credentials = [external_system_rotate(actor=request.user, system=system) for system in queryset.order_by("pk")]
        return _credentials_page(request, self.admin_site, credentials, _("轮换后的签名密钥"))


@admin.register(ExternalCaseLink)
class ExternalCaseLinkAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("external_id", "case", "system", "created_at")
    list_filter = ("system",)
    search_fields = ("external_id", "case__number")
    list_select_related = ("case", "system")


# ---- fees (ADR 0014): rules are reference data; notices, payments and refunds are written by domain functions


class FeeRuleForm(forms.ModelForm):
    dmn_file = forms.FileField(label=_("上传 DMN 文件"), required=False, help_text=_("上传后替换下方的决策表内容。"))

    class Meta:
        model = FeeRule
        fields = ("item", "fee_name", "dmn_xml")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dmn_xml"].required = False

    def clean(self):
        data = super().clean()
        upload = data.get("dmn_file")
        if upload:
            if upload.size > 256 * 1024:
                raise forms.ValidationError({"dmn_file": _("DMN 文件不能超过 256 KB。")})
            try:
                data["dmn_xml"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError({"dmn_file": _("DMN 文件须为 UTF-8 编码。")}) from None
            self.instance.dmn_xml = data["dmn_xml"]
        if not data.get("dmn_xml"):
            raise forms.ValidationError({"dmn_xml": _("请上传 DMN 文件或填写决策表内容。")})
        return data


@admin.register(FeeRule)
class FeeRuleAdmin(AuditedModelAdmin):
    form = FeeRuleForm
    list_display = ("item", "fee_name", "updated_at")
    autocomplete_fields = ("item",)
    search_fields = ("item__implementation_code", "fee_name")


class FeeNoticeLineInline(_ReadOnly, admin.TabularInline):
    model = FeeNoticeLine
    fields = ("position", "name", "fee_item", "standard_amount", "quantity", "charged_amount", "legal_basis")
    extra = 0


@admin.register(FeeNotice)
class FeeNoticeAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("case", "total", "state", "flagged_for_supervision", "issued_at")
    list_filter = ("state", "flagged_for_supervision", "fee_override", "free_item_charged")
    search_fields = ("case__number",)
    list_select_related = ("case",)
    inlines = (FeeNoticeLineInline,)


class FeeRefundInline(_ReadOnly, admin.TabularInline):
    model = FeeRefund
    fields = ("amount", "reason", "recorded_by", "window", "refunded_at", "provider_reference")
    extra = 0


class FeeRefundRequestInline(_ReadOnly, admin.TabularInline):
    model = FeeRefundRequest
    fields = ("amount", "reason", "state", "requested_by", "requested_at", "decided_by", "decided_at", "decision_note")
    extra = 0


@admin.register(FeePayment)
class FeePaymentAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("receipt_number", "notice", "amount", "method", "window", "paid_at")
    list_filter = ("method",)
    search_fields = ("receipt_number", "notice__case__number")
    list_select_related = ("notice__case", "window__hall")
    inlines = (FeeRefundRequestInline, FeeRefundInline)


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "reference",
        "notice",
        "amount",
        "provider",
        "state",
        "created_at",
        "expires_at",
        "checked_at",
        "provider_reference",
    )
    list_filter = ("state", "provider")
    search_fields = ("reference", "provider_reference", "return_reference", "notice__case__number")
    list_select_related = ("notice__case",)


@admin.register(ItemDeemedApproval)
class ItemDeemedApprovalAdmin(AuditedModelAdmin):
    """Which items' cases are deemed granted when the handling period runs out (超时默认)."""

    list_display = ("item", "legal_basis", "created_at")
    autocomplete_fields = ("item",)
    search_fields = ("item__implementation_code", "item__versions__name")
    exclude = ("created_at",)


@admin.register(CaseSuspension)
class CaseSuspensionAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("case", "sequence", "reason", "started_at", "expected_resume_on", "ended_at")
    list_filter = ("reason",)
    search_fields = ("case__number",)
    list_select_related = ("case",)


@admin.register(CaseExtension)
class CaseExtensionAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("case", "days", "state", "requested_at", "decided_by", "decided_at")
    list_filter = ("state",)
    search_fields = ("case__number",)
    list_select_related = ("case", "decided_by")
