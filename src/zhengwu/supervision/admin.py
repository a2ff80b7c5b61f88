from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.admin import AuditedModelAdmin, AuditHistoryMixin
from zhengwu.supervision.enums import AlertLevel, Grade, Metric
from zhengwu.supervision.models import (
    Alert,
    AssessmentResult,
    AssessmentScheme,
    Callback,
    MonitoringPoint,
    SpotCheck,
    SupervisionOrder,
    SweepRun,
    Violation,
)
from zhengwu.supervision.points import get_point


class MonitoringPointForm(forms.ModelForm):
    class Meta:
        model = MonitoringPoint
        fields = ("enabled", "severity", "thresholds")

    def clean_thresholds(self):
        value = self.cleaned_data.get("thresholds") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_("阈值必须是 JSON 对象。"))
        try:
            defaults = get_point(self.instance.code).thresholds
        except KeyError:
            defaults = {}
        unknown = sorted(set(value) - set(defaults))
        if unknown:
            raise forms.ValidationError(
                _("未知的阈值：%(names)s。可配置：%(known)s。")
                % {"names": "、".join(unknown), "known": "、".join(defaults) or _("无")}
            )
        for name, number in value.items():
            if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
                raise forms.ValidationError(_("阈值“%(name)s”必须是非负数。") % {"name": name})
        if "warn_ratio" in value and not 0 < value["warn_ratio"] <= 1:
            raise forms.ValidationError(_("预警比例必须大于 0 且不超过 1（例如 0.8）。"))
        if (
            "red_after_working_days" in value
            and int(value["red_after_working_days"]) != value["red_after_working_days"]
        ):
            raise forms.ValidationError(_("红牌工作日数必须是整数。"))
        return value


@admin.register(MonitoringPoint)
class MonitoringPointAdmin(AuditedModelAdmin):
    """Points come from the registry (code); only enabled, severity and thresholds are edited here."""

    form = MonitoringPointForm
    list_display = ("code", "name", "module", "severity", "enabled", "thresholds")
    list_filter = ("module", "enabled", "severity")
    list_editable = ("enabled",)
    search_fields = ("code", "name")
    readonly_fields = ("code", "module", "name", "description", "legal_basis", "position", "updated_at")
    fields = (*readonly_fields[:5], "enabled", "severity", "thresholds", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("subject_repr", "point", "level", "status", "department", "due_at", "level_changed_at")
    list_filter = ("status", "level", "point", "department")
    search_fields = ("subject_repr", "object_id")
    date_hierarchy = "opened_at"
    list_select_related = ("point", "department")
    list_per_page = 100


@admin.register(SweepRun)
class SweepRunAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("started_at", "kind", "since", "finished_at")
    list_filter = ("kind",)


def _numbers(value, allowed: dict[str, str], what: str) -> dict:
    if not isinstance(value, dict):
        raise forms.ValidationError(_("%(what)s必须是 JSON 对象。") % {"what": what})
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise forms.ValidationError(
            _("未知的键：%(names)s。可用：%(known)s。")
            % {"names": "、".join(unknown), "known": "、".join(f"{k}（{v}）" for k, v in allowed.items())}
        )
    for key, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise forms.ValidationError(_("“%(key)s”必须是非负数。") % {"key": allowed[key]})
    return value


class AssessmentSchemeForm(forms.ModelForm):
    """Weights per metric, grade thresholds (优秀 ≥ 良好 ≥ 合格) and penalties per alert rung, validated."""

    class Meta:
        model = AssessmentScheme
        fields = ("name", "active", "weights", "thresholds", "rung_penalties")

    def clean_weights(self):
        value = _numbers(self.cleaned_data.get("weights"), {m.value: str(m.label) for m in Metric}, _("权重"))
        if not sum(value.values()):
            raise forms.ValidationError(_("权重之和必须大于 0。"))
        return value

    def clean_thresholds(self):
        grades = {g.value: str(g.label) for g in (Grade.EXCELLENT, Grade.GOOD, Grade.PASS)}
        value = _numbers(self.cleaned_data.get("thresholds"), grades, _("等次分数线"))
        if set(value) != set(grades):
            raise forms.ValidationError(_("请为优秀、良好、合格各设一条分数线。"))
        if not value[Grade.EXCELLENT] >= value[Grade.GOOD] >= value[Grade.PASS] or value[Grade.EXCELLENT] > 100:
            raise forms.ValidationError(_("分数线须满足 100 ≥ 优秀 ≥ 良好 ≥ 合格。"))
        return value

    def clean_rung_penalties(self):
        rungs = {str(int(level)): str(level.label) for level in (AlertLevel.WARNING, AlertLevel.YELLOW, AlertLevel.RED)}
        return _numbers(self.cleaned_data.get("rung_penalties"), rungs, _("告警扣分"))


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(AuditedModelAdmin):
    form = AssessmentSchemeForm
    list_display = ("name", "active", "updated_at")
    list_filter = ("active",)


@admin.register(AssessmentResult)
class AssessmentResultAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("department", "period_kind", "period_start", "score", "grade", "rank", "computed_at")
    list_filter = ("period_kind", "grade")
    list_select_related = ("department",)


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("__str__", "department", "state", "issued_at")
    list_filter = ("state", "department")
    list_select_related = ("department",)


@admin.register(SpotCheck)
class SpotCheckAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("__str__",)


@admin.register(Callback)
class CallbackAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("__str__",)


@admin.register(Violation)
class ViolationAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("__str__", "department", "published_at")
    list_filter = ("department",)
