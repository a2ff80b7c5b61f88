from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.domain import audit_record
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


def _summary(obj, fields) -> dict:
    data = model_to_dict(obj, fields=fields)
    return {k: (list(v) if isinstance(v, (list, tuple, set)) else v) for k, v in data.items()}


class AuditedModelAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Admin whose every save and delete is one transaction with one audit event.

    Reference data (organisation tree, staff) is edited here; state machines (cases, clocks)
    never are: those go through their domain functions.
    """

    def save_model(self, request, obj, form, change):
        fields = list(form.changed_data) if change else [f for f in form.fields]
        before = _summary(self.model.objects.get(pk=obj.pk), fields) if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.{'changed' if change else 'created'}",
                obj=obj,
                before=before,
                after=_summary(obj, fields),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.deleted",
                obj=obj,
                before=_summary(obj, [f.name for f in obj._meta.concrete_fields]),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
