from django.contrib import admin

from zhengwu.audit.admin import AuditHistoryMixin
from zhengwu.ratings.models import CallbackRecord, Rating, RatingFollowUp


class _ReadOnly:
    """Rows written only by domain functions: viewable in the admin, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("case", "department", "level", "channel", "created_at")
    list_filter = ("level", "channel", "department")
    search_fields = ("case__number",)
    date_hierarchy = "created_at"
    list_select_related = ("case", "department")
    raw_id_fields = ("case", "rated_by", "recorded_by")


class CallbackRecordInline(_ReadOnly, admin.TabularInline):
    model = CallbackRecord
    fields = ("called_at", "called_by", "reached", "satisfied", "comment")
    extra = 0


@admin.register(RatingFollowUp)
class RatingFollowUpAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("rating", "department", "state", "created_at", "closed_at")
    list_filter = ("state", "department")
    search_fields = ("rating__case__number",)
    list_select_related = ("rating__case", "department")
    raw_id_fields = ("rating", "clock", "verified_by", "rectified_by", "closed_by")
    inlines = [CallbackRecordInline]
