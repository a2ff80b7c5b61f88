from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.audit.admin import AuditedModelAdmin, AuditHistoryMixin
from zhengwu.cases.models import (
    Case,
    CaseDecision,
    CaseExtension,
    CaseMaterial,
    CaseSuspension,
    CorrectionNotice,
    ItemDeemedApproval,
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
