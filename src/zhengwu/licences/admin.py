from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.admin import AuditedModelAdmin, AuditHistoryMixin
from zhengwu.licences.models import Licence, LicenceType, SigningKey


@admin.register(LicenceType)
class LicenceTypeAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "department", "validity_years", "template_name", "is_active")
    list_filter = ("is_active", "template_name", "department")
    search_fields = ("code", "name")
    list_select_related = ("department",)
    fields = (
        "code",
        "name",
        "department",
        "validity_years",
        "holder_label",
        "for_natural_persons",
        "for_legal_persons",
        "fields",
        "template_name",
        "is_active",
        "sort_order",
    )


class _ReadOnlyAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Rows written only by domain functions: viewable here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Licence)
class LicenceAdmin(_ReadOnlyAdmin):
    list_display = ("number", "licence_type", "masked_holder", "department", "issued_at", "valid_until", "state")
    list_filter = ("state", "licence_type", "department")
    search_fields = ("number", "holder_name")
    date_hierarchy = "issued_at"
    list_select_related = ("licence_type", "department")
    list_per_page = 100
    exclude = ("holder_id_number", "token")
    readonly_fields = ("masked_id", "verification_link")

    @admin.display(description=_("持证人"), ordering="holder_name")
    def masked_holder(self, obj: Licence) -> str:
        return obj.masked_holder_name

    @admin.display(description=_("证件号码/统一社会信用代码"))
    def masked_id(self, obj: Licence) -> str:
        return obj.masked_holder_id

    @admin.display(description=_("核验页面"))
    def verification_link(self, obj: Licence) -> str:
        return format_html('<a href="{}">{}</a>', reverse("licences:verify", args=[obj.token]), _("打开"))


@admin.register(SigningKey)
class SigningKeyAdmin(_ReadOnlyAdmin):
    list_display = ("kind", "subject", "department", "created_at", "not_after", "is_current")
    list_filter = ("kind", "is_current")
    list_select_related = ("department",)
    exclude = ("encrypted_key_pem",)
