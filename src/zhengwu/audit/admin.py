from contextlib import nullcontext

from django.contrib import admin
from django.db import models
from django.forms.models import model_to_dict
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.domain import audit_record, audited_atomic
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


def _plain(value):
    """JSON-safe form of a field value: related objects become their primary keys."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        items = list(value)
        if items and all(isinstance(v, models.Model) for v in items):
            return sorted(v.pk for v in items)  # many-to-many values: order-independent
        return [_plain(v) for v in items]
    return value


def _summary(obj: models.Model, fields) -> dict:
    return {k: _plain(v) for k, v in model_to_dict(obj, fields=list(fields)).items()}


def _initial_summary(form, fields) -> dict:
    return {k: _plain(form.initial.get(k)) for k in fields}


def _audited_write(request):
    """An audited transaction around a request that may write; reading pages stay outside any transaction."""
    return nullcontext() if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") else audited_atomic()


class AuditedModelAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Admin whose every save and delete, inline rows included, writes audit events.

    Django's admin already wraps a change form's save in one transaction; here that transaction is an
    audited one (ADR 0022), so the events of one save (the object's, its inline rows', those of domain
    functions it calls) are appended together at its end. The main object's event is written in
    save_related, once its many-to-many values are saved. Reference data (organisation tree, staff,
    themes) is edited here; state machines (cases, clocks) never are.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with _audited_write(request):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        with _audited_write(request):
            return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        with _audited_write(request):  # actions and list_editable rows
            return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        fields = list(form.changed_data) if change else list(form.fields)
        before = _initial_summary(form, fields) if change else None
        super().save_model(request, obj, form, change)
        request._audit_pending = (obj, change, fields, before)

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        pending = request.__dict__.pop("_audit_pending", None)
        if pending is not None:
            obj, was_change, fields, before = pending
            audit_record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.{'changed' if was_change else 'created'}",
                obj=obj,
                before=before,
                after=_summary(obj, fields),
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        label = formset.model._meta.label_lower
        changed_before = {}
        for inline_form in formset.initial_forms:
            if inline_form.instance.pk is None:
                continue
            if formset.can_delete and formset._should_delete_form(inline_form):
                audit_record(
                    actor=request.user,
                    action=f"{label}.deleted",
                    obj=inline_form.instance,
                    before=_initial_summary(inline_form, inline_form.initial.keys()),
                )
            elif inline_form.has_changed():
                changed_before[inline_form.instance.pk] = _initial_summary(inline_form, inline_form.changed_data)
        formset.save()
        for obj in formset.new_objects:
            fields = [name for name in formset.form.base_fields if name not in ("id", "DELETE")]
            audit_record(actor=request.user, action=f"{label}.created", obj=obj, after=_summary(obj, fields))
        for obj, fields in formset.changed_objects:
            audit_record(
                actor=request.user,
                action=f"{label}.changed",
                obj=obj,
                before=changed_before.get(obj.pk),
                after=_summary(obj, fields),
            )

    def delete_model(self, request, obj):
        with audited_atomic():
            audit_record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.deleted",
                obj=obj,
                before=_summary(obj, [f.name for f in obj._meta.concrete_fields]),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with audited_atomic():
            for obj in queryset:
                self.delete_model(request, obj)
