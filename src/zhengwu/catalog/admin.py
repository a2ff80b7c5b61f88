"""Admin for the catalogue.

Items and their versions are read-only here: a version changes state only through the curation domain
functions (workbench 事项管理 / 事项审核). Themes and scenarios are reference data, edited here; every save
writes one audit event that includes the theme's item list.
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import Count, OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.admin import AuditedModelAdmin, AuditHistoryMixin
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import FeeItem, ItemMaterial, ItemVersion, ProcessStep, ServiceItem, Theme, ThemeItem


def _with_published_name(queryset):
    published = ItemVersion.objects.filter(item=OuterRef("pk"), state=VersionState.PUBLISHED)
    latest = ItemVersion.objects.filter(item=OuterRef("pk")).order_by("-number")
    return queryset.annotate(
        published_name=Subquery(published.values("name")[:1]), latest_name=Subquery(latest.values("name")[:1])
    )


def _item_label(item: ServiceItem) -> str:
    name = getattr(item, "published_name", None)
    if not name:
        latest = getattr(item, "latest_name", None) or ""
        name = f"{latest}（未发布）" if latest else "（未发布）"
    return f"{name} · {item.implementation_code}"


class _ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, change or delete from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------- items


class VersionInline(_ReadOnlyInline):
    model = ItemVersion
    fields = ("number", "state", "name", "created_by", "submitted_at", "reviewed_by", "published_at")
    readonly_fields = fields
    show_change_link = True
    ordering = ("-number",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item", "created_by", "reviewed_by")


class _ItemAutocompleteView(AutocompleteJsonView):
    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": _item_label(obj)}


@admin.register(ServiceItem)
class ServiceItemAdmin(AuditHistoryMixin, _ReadOnlyAdmin):
    list_display = ("implementation_code", "current_name", "item_type", "level", "department")
    list_select_related = ("department",)
    list_filter = ("item_type", "level", "department")
    search_fields = ("implementation_code", "basic_code", "versions__name")
    fields = ("implementation_code", "basic_code", "item_type", "level", "department", "created_at", "curation")
    readonly_fields = fields
    inlines = (VersionInline,)
    list_per_page = 50

    def get_queryset(self, request):
        return _with_published_name(super().get_queryset(request))

    @admin.display(description=_("事项名称（现行版本）"), ordering="published_name")
    def current_name(self, obj: ServiceItem) -> str:
        return obj.published_name or (f"{obj.latest_name}（未发布）" if obj.latest_name else "—")

    @admin.display(description=_("事项梳理"))
    def curation(self, obj: ServiceItem) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("workbench:catalog_item", args=[obj.pk]), _("在工作台中编辑和审核")
        )

    def autocomplete_view(self, request):
        return _ItemAutocompleteView.as_view(admin_site=self.admin_site)(request)

    def history_view(self, request, object_id, extra_context=None):
        """The audit events of all the item's versions (the item itself changes only with them)."""
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            return super().history_view(request, object_id, extra_context)
        version_ids = [str(pk) for pk in obj.versions.values_list("pk", flat=True)]
        events = AuditEvent.objects.filter(
            object_type=ItemVersion._meta.label_lower, object_id__in=version_ids
        ).order_by("-seq")
        context = {
            **self.admin_site.each_context(request),
            "title": _("审计记录：%(obj)s") % {"obj": obj},
            "object": obj,
            "opts": self.model._meta,
            "events": events,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit/object_history.html", context)


# ---------------------------------------------------------------- versions


class MaterialInline(_ReadOnlyInline):
    model = ItemMaterial
    fields = ("position", "name", "source", "form", "copies", "necessity", "condition", "licence_type")
    readonly_fields = fields


class FeeInline(_ReadOnlyInline):
    model = FeeItem
    fields = ("position", "name", "standard_amount", "unit", "legal_basis")
    readonly_fields = fields


class StepInline(_ReadOnlyInline):
    model = ProcessStep
    fields = ("position", "name", "description", "limit_days")
    readonly_fields = fields


@admin.register(ItemVersion)
class ItemVersionAdmin(AuditHistoryMixin, _ReadOnlyAdmin):
    list_display = ("name", "number", "implementation_code", "department", "state", "submitted_at", "published_at")
    list_select_related = ("item__department",)
    list_filter = ("state", "item__item_type", "item__department")
    search_fields = ("name", "item__implementation_code")
    inlines = (MaterialInline, FeeInline, StepInline)
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item__department", "created_by", "reviewed_by")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in ItemVersion._meta.fields] + ["curation"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("实施编码"), ordering="item__implementation_code")
    def implementation_code(self, obj: ItemVersion) -> str:
        return obj.item.implementation_code

    @admin.display(description=_("实施主体"), ordering="item__department__name")
    def department(self, obj: ItemVersion) -> str:
        return obj.item.department.name

    @admin.display(description=_("事项梳理"))
    def curation(self, obj: ItemVersion) -> str:
        url = reverse("workbench:catalog_version", args=[obj.item_id, obj.number])
        return format_html('<a href="{}">{}</a>', url, _("在工作台中查看"))


# ---------------------------------------------------------------- themes


class ThemeItemInline(admin.TabularInline):
    model = ThemeItem
    fields = ("item", "position")
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields["item"]
        field.queryset = _with_published_name(ServiceItem.objects.all()).order_by("department", "implementation_code")
        field.label_from_instance = _item_label
        field.choices = list(iter(field.choices))  # one query for every row's select
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("theme", "item")


def _theme_summary(theme: Theme) -> dict:
    return {
        "kind": theme.kind,
        "slug": theme.slug,
        "name": theme.name,
        "description": theme.description,
        "position": theme.position,
        "items": list(theme.theme_items.order_by("position", "id").values_list("item__implementation_code", flat=True)),
    }


@admin.register(Theme)
class ThemeAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "slug", "position", "item_count")
    list_filter = ("kind",)
    search_fields = ("name", "slug")
    fields = ("kind", "name", "slug", "description", "position")
    inlines = (ThemeItemInline,)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("theme_items"))

    @admin.display(description=_("事项数"), ordering="item_count")
    def item_count(self, obj: Theme) -> int:
        return obj.item_count

    def save_model(self, request, obj, form, change):
        # One event per save, written in save_related once the inline items are saved as well.
        form.audit_before = _theme_summary(Theme.objects.get(pk=obj.pk)) if change else None
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with audited_atomic():
            super().save_related(request, form, formsets, change)
            audit_record(
                actor=request.user,
                action=f"catalog.theme.{'changed' if change else 'created'}",
                obj=form.instance,
                before=getattr(form, "audit_before", None),
                after=_theme_summary(form.instance),
            )

    def delete_model(self, request, obj):
        with audited_atomic():
            audit_record(actor=request.user, action="catalog.theme.deleted", obj=obj, before=_theme_summary(obj))
            obj.delete()
