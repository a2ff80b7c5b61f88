"""Admin for the organisation tree. Every save, including inline rows, writes audit events."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain.identity import is_valid_credit_code
from zhengwu.audit.admin import AuditedModelAdmin
from zhengwu.org.domain.queries import reporting_line
from zhengwu.org.enums import PositionRank, RegionLevel
from zhengwu.org.models import Department, Position, Region, Section, ServiceHall, Window


class CachedChoicesInline:
    """Evaluates the choices of the named fields once per formset instead of once per row."""

    cached_choice_fields: tuple[str, ...] = ()

    def limit_choices(self, name: str, queryset, obj):
        return queryset

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for name in self.cached_choice_fields:
            field = formset.form.base_fields.get(name)
            if field is not None:
                field.queryset = self.limit_choices(name, field.queryset, obj)
                field.choices = list(iter(field.choices))  # iter(): no COUNT query for a length hint
        return formset


# ---------------------------------------------------------------- regions


class ParentRegionFilter(admin.SimpleListFilter):
    title = _("上级区划")
    parameter_name = "parent"

    def lookups(self, request, model_admin):
        parents = Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.STREET]).order_by("code")
        return [("none", _("（无上级）")), *((str(r.pk), r.name) for r in parents)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(parent__isnull=True)
        if value:
            return queryset.filter(parent_id=value)
        return queryset


class RegionChildInline(admin.TabularInline):
    model = Region
    fk_name = "parent"
    fields = ("name", "code", "level", "sort_order")
    extra = 0
    show_change_link = True
    verbose_name = _("下级区划")
    verbose_name_plural = _("下级区划")


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "level", "parent", "sort_order")
    list_filter = ("level", ParentRegionFilter)
    list_select_related = ("parent",)
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)
    inlines = (RegionChildInline,)
    list_per_page = 100


# ---------------------------------------------------------------- departments


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = (
            "name",
            "short_name",
            "code",
            "credit_code",
            "region",
            "is_supervision_office",
            "is_active",
            "sort_order",
        )

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
        if not is_valid_credit_code(code):
            raise ValidationError(_("统一社会信用代码无效（格式或校验位错误）。"))
        return code


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("name", "sort_order")
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


class PositionInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        heads = [
            f
            for f in self.forms
            if f.cleaned_data
            and not self._should_delete_form(f)
            and f.cleaned_data.get("rank") == PositionRank.UNIT_HEAD
        ]
        if len(heads) > 1:
            raise ValidationError(_("每个部门只能设一个单位负责人岗位。"))


class PositionInline(CachedChoicesInline, admin.TabularInline):
    model = Position
    formset = PositionInlineFormSet
    fk_name = "department"
    fields = ("title", "rank", "section", "reports_to")
    extra = 0
    show_change_link = True
    cached_choice_fields = ("section", "reports_to")

    def limit_choices(self, name, queryset, obj):
        if obj is None:
            return queryset.none()
        if name == "reports_to":
            return queryset.filter(department=obj, rank__gt=PositionRank.HANDLER).select_related("department")
        return queryset.filter(department=obj).select_related("department")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    form = DepartmentForm
    list_display = (
        "name",
        "short_name",
        "code",
        "credit_code",
        "region",
        "is_supervision_office",
        "is_active",
        "section_count",
        "position_count",
    )
    list_filter = ("is_active", "is_supervision_office", ("region", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("region",)
    search_fields = ("name", "short_name", "code", "credit_code")
    autocomplete_fields = ("region",)
    inlines = (SectionInline, PositionInline)
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _sections=Count("sections", distinct=True),
                _positions=Count("positions", distinct=True),
            )
        )

    @admin.display(description=_("科室数"), ordering="_sections")
    def section_count(self, obj):
        return obj._sections

    @admin.display(description=_("岗位数"), ordering="_positions")
    def position_count(self, obj):
        return obj._positions


@admin.register(Section)
class SectionAdmin(AuditedModelAdmin):
    list_display = ("name", "department", "sort_order")
    list_filter = ("department",)
    list_select_related = ("department",)
    search_fields = ("name", "department__name", "department__short_name")
    autocomplete_fields = ("department",)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


# ---------------------------------------------------------------- halls and windows


class WindowInline(CachedChoicesInline, admin.TabularInline):
    model = Window
    fields = ("number", "name", "kind", "departments", "is_active")
    filter_horizontal = ("departments",)
    extra = 0
    show_change_link = True
    cached_choice_fields = ("departments",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("hall").prefetch_related("departments")


@admin.register(ServiceHall)
class ServiceHallAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "region", "phone", "window_count")
    list_filter = ("kind", ("region", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("region",)
    search_fields = ("name", "address")
    autocomplete_fields = ("region",)
    inlines = (WindowInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_windows=Count("windows"))

    @admin.display(description=_("窗口数"), ordering="_windows")
    def window_count(self, obj):
        return obj._windows


@admin.register(Window)
class WindowAdmin(AuditedModelAdmin):
    list_display = ("__str__", "kind", "served_departments", "is_active")
    list_filter = ("kind", "is_active", "hall")
    list_select_related = ("hall",)
    search_fields = ("number", "name", "hall__name")
    filter_horizontal = ("departments",)
    autocomplete_fields = ("hall",)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related).prefetch_related("departments")

    @admin.display(description=_("服务部门"))
    def served_departments(self, obj):
        return "、".join(d.short_name or d.name for d in obj.departments.all())


# ---------------------------------------------------------------- positions


@admin.register(Position)
class PositionAdmin(AuditedModelAdmin):
    list_display = ("title", "department", "section", "rank", "line", "holder_count")
    list_filter = ("rank", "department")
    list_select_related = ("department", "section__department", "reports_to__reports_to__reports_to")
    search_fields = ("title", "department__name", "department__short_name", "section__name")
    autocomplete_fields = ("department", "section", "reports_to")
    fields = ("department", "section", "title", "rank", "reports_to", "line", "holders")
    readonly_fields = ("line", "holders")
    list_per_page = 100

    def get_queryset(self, request):
        # Selected here too: a select_related in get_queryset makes the changelist skip list_select_related.
        queryset = super().get_queryset(request).select_related(*self.list_select_related)
        return queryset.annotate(_holders=Count("holders"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("section", "reports_to") and field is not None:
            field.queryset = field.queryset.select_related("department")  # their names include the department
        return field

    @admin.display(description=_("汇报线"))
    def line(self, obj):
        if obj.pk is None:
            return "—"
        return " → ".join(p.title for p in reporting_line(position=obj))

    @admin.display(description=_("在岗人数"), ordering="_holders")
    def holder_count(self, obj):
        return obj._holders

    @admin.display(description=_("在岗人员"))
    def holders(self, obj):
        if obj.pk is None:
            return "—"
        names = [
            f"{s.user}（{s.employee_number}）" for s in obj.holders.select_related("user").order_by("employee_number")
        ]
        return "、".join(names) or "—"
