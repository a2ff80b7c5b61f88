"""Clock inspector: read-only list and detail of statutory clocks with their explanation.

Clocks change only through workcal.domain.clock; the admin never adds, edits or deletes them.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.admin import AuditHistoryMixin
from zhengwu.audit.models import AuditEvent
from zhengwu.workcal.clock_enums import DisplayStatus
from zhengwu.workcal.models import Clock, ClockExtension, ClockPause

ACTION_LABELS = {
    "workcal.clock.started": "开始计时",
    "workcal.clock.paused": "暂停",
    "workcal.clock.resumed": "恢复计时",
    "workcal.clock.extended": "延长",
    "workcal.clock.restarted": "重新起算",
    "workcal.clock.stopped": "停止计时",
    "workcal.clock.recomputed": "因日历调整重算",
}


class DisplayStatusFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return DisplayStatus.choices

    def queryset(self, request, queryset):
        if self.value() in DisplayStatus.values:
            return queryset.with_display_status(self.value(), timezone.now())
        return queryset


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClockPauseInline(_ReadOnlyInline):
    model = ClockPause
    fields = ("run", "reason", "basis", "started_at", "ended_at", "expected_days", "days_not_counted", "started_by")
    readonly_fields = fields
    verbose_name_plural = _("暂停记录")


class ClockExtensionInline(_ReadOnlyInline):
    model = ClockExtension
    fields = ("run", "days", "basis", "approver", "approved_at", "recorded_by")
    readonly_fields = fields
    verbose_name_plural = _("延长记录")


@admin.register(Clock)
class ClockAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = (
        "subject_repr",
        "preset",
        "unit",
        "limit_days",
        "state_label",
        "due_date",
        "provisional",
        "started_at",
        "region",
    )
    list_select_related = ("region",)
    list_filter = (DisplayStatusFilter, "unit", "preset", "provisional")
    search_fields = ("subject_repr", "object_id")
    ordering = ("due_at", "pk")
    list_per_page = 100
    inlines = (ClockPauseInline, ClockExtensionInline)
    fieldsets = (
        (None, {"fields": ("subject_repr", "subject_ref", "state_label", "explanation")}),
        (
            _("期限"),
            {
                "fields": (
                    "preset",
                    "unit",
                    "limit_days",
                    "extension_days",
                    "paused_days",
                    "region",
                    "received_at",
                    "started_at",
                    "start_date",
                    "due_date",
                    "due_at",
                    "warn_at",
                    "provisional",
                )
            },
        ),
        (
            _("状态"),
            {"fields": ("status", "outcome", "paused_at", "stopped_at", "run", "restarted_at", "restart_basis")},
        ),
        (_("重算记录"), {"fields": ("previous_due_at", "recomputed_at", "change_log", "version", "updated_at")}),
    )
    readonly_fields = (
        "subject_repr",
        "subject_ref",
        "state_label",
        "explanation",
        "preset",
        "unit",
        "limit_days",
        "extension_days",
        "paused_days",
        "region",
        "received_at",
        "started_at",
        "start_date",
        "due_date",
        "due_at",
        "warn_at",
        "provisional",
        "status",
        "outcome",
        "paused_at",
        "stopped_at",
        "run",
        "restarted_at",
        "restart_basis",
        "previous_due_at",
        "recomputed_at",
        "change_log",
        "version",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("状态"))
    def state_label(self, obj: Clock) -> str:
        return obj.display_status(timezone.now()).label

    @admin.display(description=_("对象"))
    def subject_ref(self, obj: Clock) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model} #{obj.object_id}"

    @admin.display(description=_("届满日推算"))
    def explanation(self, obj: Clock) -> str:
        lines = obj.explain(timezone.now())
        return format_html(
            '<ol class="workcal-explanation">{}</ol>', format_html_join("", "<li>{}</li>", ((line,) for line in lines))
        )

    @admin.display(description=_("变更记录"))
    def change_log(self, obj: Clock) -> str:
        events = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
        rows = []
        for event in events:
            before = (event.before or {}).get("due_date") or "—"
            after = (event.after or {}).get("due_date") or "—"
            rows.append(
                (
                    event.seq,
                    f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M}",
                    event.actor_repr or "—",
                    ACTION_LABELS.get(event.action, event.action),
                    before,
                    after,
                )
            )
        if not rows:
            return "—"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("序号"),
            _("时间"),
            _("操作人"),
            _("操作"),
            _("届满日（前 → 后）"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td></tr>", rows),
        )
