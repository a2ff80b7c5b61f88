from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "occurred_at", "actor_repr", "action", "object_type", "object_repr", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_repr", "actor_repr", "object_id")
    date_hierarchy = "occurred_at"
    list_per_page = 100
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditHistoryMixin:
    """Replaces the admin's 历史 page of any object with its audit events."""

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            return super().history_view(request, object_id, extra_context)
        events = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("-seq")
        context = {
            **self.admin_site.each_context(request),
            "title": _("审计记录：%(obj)s") % {"obj": obj},
            "object": obj,
            "opts": self.model._meta,
            "events": events,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit/object_history.html", context)
