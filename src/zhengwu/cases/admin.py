from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.audit.admin import AuditedModelAdmin, AuditHistoryMixin
from zhengwu.cases.models import (
    Case,
    CaseDecision,
    CaseMaterial,
    CorrectionNotice,
    FeeNotice,
    FeeNoticeLine,
    FeePayment,
    FeeRefund,
    FeeRule,
    ItemProcess,
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
    list_filter = ("outcome", "negative")
    search_fields = ("case__number",)
    readonly_fields = ("case", "outcome", "reasons", "legal_basis", "negative", "task", "decided_by", "decided_at")


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


@admin.register(FeePayment)
class FeePaymentAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("receipt_number", "notice", "amount", "method", "window", "paid_at")
    list_filter = ("method",)
    search_fields = ("receipt_number", "notice__case__number")
    list_select_related = ("notice__case", "window__hall")
    inlines = (FeeRefundInline,)
