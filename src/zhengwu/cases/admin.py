from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.audit.admin import AuditedModelAdmin, AuditHistoryMixin
from zhengwu.cases.models import (
    Case,
    CaseCertificate,
    CaseDecision,
    CaseDecisionDocument,
    CaseDelivery,
    CaseMaterial,
    CorrectionNotice,
    ItemCertificate,
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
