"""Process definitions: upload a BPMN file (validated by process_definition_create), see its diagram, lanes,
user tasks and instances. Instances and tasks are read-only: they change only through the domain functions."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.enums import Role
from zhengwu.audit.admin import AuditHistoryMixin
from zhengwu.workflow.domain import process_definition_create, process_definition_validate
from zhengwu.workflow.engine import MAX_BPMN_BYTES
from zhengwu.workflow.models import ProcessDefinition, ProcessInstance, WorkTask


def _diagram(url: str, alt: str, *, highlighted: bool = False) -> str:
    return render_to_string(
        "workflow/includes/diagram.html", {"diagram_url": url, "diagram_alt": alt, "highlighted": highlighted}
    )


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProcessDefinitionUploadForm(forms.ModelForm):
    bpmn_file = forms.FileField(
        label=_("BPMN 文件"),
        help_text=_(
            "BPMN 2.0 XML（.bpmn），不超过 1 MB，只含一个流程；每个用户任务放在泳道中，"
            "泳道名称写作“名称[@部门编码][:角色]”，例如“审查:handler”。"
        ),
    )

    class Meta:
        model = ProcessDefinition
        fields = ("key", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "name" in self.fields:
            self.fields["name"].required = False
            self.fields["name"].help_text = _("留空则使用 BPMN 文件中的流程名称。")
        self.bpmn_data = b""

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("bpmn_file")
        if upload is None:
            return cleaned
        if upload.size > MAX_BPMN_BYTES:
            self.add_error("bpmn_file", _("BPMN 文件不能超过 1 MB。"))
            return cleaned
        self.bpmn_data = upload.read()
        try:
            process_definition_validate(
                key=cleaned.get("key") or "", name=cleaned.get("name") or "", bpmn_xml=self.bpmn_data
            )
        except ValidationError as exc:
            for field, errors in exc.update_error_dict({}).items():
                target = "bpmn_file" if field == "bpmn_xml" else field
                for error in errors:
                    if target not in self._errors or error not in self._errors[target]:
                        self.add_error(target if target in self.fields else None, error)
        return cleaned


class InstanceInline(_ReadOnly, admin.TabularInline):
    model = ProcessInstance
    fields = ("instance_link", "subject_repr", "status", "created_at", "ended_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    ordering = ("-created_at",)
    verbose_name_plural = _("流程实例（最近）")
    show_change_link = False

    @admin.display(description=_("实例"))
    def instance_link(self, obj: ProcessInstance) -> str:
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:workflow_processinstance_change", args=[obj.pk]), obj.pk
        )


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("name", "key", "version", "process_id", "user_task_count", "created_by", "created_at")
    list_filter = ("key",)
    search_fields = ("key", "name", "process_id")
    list_select_related = ("created_by",)
    ordering = ("key", "-version")
    form = ProcessDefinitionUploadForm
    readonly_fields = (
        "key",
        "version",
        "name",
        "process_id",
        "diagram",
        "lane_table",
        "user_task_table",
        "bpmn_sha256",
        "spec_sha256",
        "spec_size",
        "created_by",
        "created_at",
    )
    inlines = (InstanceInline,)

    class Media:
        css = {"all": ("workflow/diagram.css",)}

    def get_queryset(self, request):
        return super().get_queryset(request).defer("bpmn_xml", "spec_json")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("key", "name", "bpmn_file")})]
        return [
            (None, {"fields": ("name", "key", "version", "process_id", "created_by", "created_at")}),
            (_("流程图"), {"fields": ("diagram",)}),
            (_("泳道与环节"), {"fields": ("lane_table", "user_task_table")}),
            (_("存储"), {"fields": ("bpmn_sha256", "spec_sha256", "spec_size")}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return False  # a version never changes; upload a new one instead

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        definition = process_definition_create(
            actor=request.user,
            key=form.cleaned_data["key"],
            name=form.cleaned_data.get("name") or "",
            bpmn_xml=form.bpmn_data,
        )
        for field in ProcessDefinition._meta.concrete_fields:
            setattr(obj, field.attname, getattr(definition, field.attname))
        obj._state.adding = False

    @admin.display(description=_("用户任务数"))
    def user_task_count(self, obj: ProcessDefinition) -> int:
        return len(obj.user_tasks)

    @admin.display(description=_("流程图"))
    def diagram(self, obj: ProcessDefinition) -> str:
        return _diagram(reverse("workflow:definition_diagram", args=[obj.pk]), obj.name)

    @admin.display(description=_("泳道"))
    def lane_table(self, obj: ProcessDefinition) -> str:
        rows = [
            (
                lane["name"],
                lane["label"],
                lane["department"] or _("启动时指定"),
                Role(lane["role"]).label if lane["role"] else _("启动时指定"),
            )
            for lane in obj.lanes
        ]
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("泳道名称"),
            _("显示名"),
            _("部门"),
            _("角色"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("用户任务"))
    def user_task_table(self, obj: ProcessDefinition) -> str:
        rows = [
            (
                task["id"],
                task["name"],
                task["lane"],
                task["step_limit_days"],
                _("是（会签）") if task.get("multi_instance") else _("否"),
            )
            for task in obj.user_tasks
        ]
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("环节 ID"),
            _("名称"),
            _("泳道"),
            _("时限（工作日）"),
            _("多实例"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("流程规格大小"))
    def spec_size(self, obj: ProcessDefinition) -> str:
        return f"{len(obj.spec_json.encode('utf-8')):,} 字节（只存一份，实例不复制）"


class WorkTaskInline(_ReadOnly, admin.TabularInline):
    model = WorkTask
    fields = ("name", "department", "role", "assignee", "state", "created_at", "completed_at", "due", "outcome")
    readonly_fields = fields
    extra = 0
    ordering = ("created_at", "id")
    verbose_name_plural = _("环节")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department", "assignee", "clock")

    @admin.display(description=_("环节期限"))
    def due(self, obj: WorkTask):
        return obj.clock.due_date if obj.clock_id else "—"


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("id", "definition", "subject_repr", "status", "created_at", "updated_at", "ended_at")
    list_filter = ("status", "definition__key")
    search_fields = ("subject_repr", "object_id")
    list_select_related = ("definition",)
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = (
        "definition",
        "subject_ref",
        "subject_repr",
        "status",
        "end_event",
        "diagram",
        "lane_table",
        "state_size",
        "version",
        "started_by",
        "created_at",
        "updated_at",
        "ended_at",
    )
    readonly_fields = fields
    inlines = (WorkTaskInline,)

    class Media:
        css = {"all": ("workflow/diagram.css",)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("definition")
            .defer("state", "definition__bpmn_xml", "definition__spec_json")
        )

    @admin.display(description=_("对象"))
    def subject_ref(self, obj: ProcessInstance) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model} #{obj.object_id}"

    @admin.display(description=_("流程图"))
    def diagram(self, obj: ProcessInstance) -> str:
        return _diagram(reverse("workflow:instance_diagram", args=[obj.pk]), str(obj), highlighted=True)

    @admin.display(description=_("泳道映射"))
    def lane_table(self, obj: ProcessInstance) -> str:
        from zhengwu.org.models import Department

        departments = Department.objects.in_bulk([lane["department"] for lane in obj.lane_map.values()])
        rows = [
            (name, departments.get(lane["department"], "—"), Role(lane["role"]).label)
            for name, lane in obj.lane_map.items()
        ]
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("泳道"),
            _("部门"),
            _("角色"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("状态数据大小"))
    def state_size(self, obj: ProcessInstance) -> str:
        size = len(json.dumps(obj.state, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        return f"{size:,} 字节（不含流程规格）"


@admin.register(WorkTask)
class WorkTaskAdmin(_ReadOnly, AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("name", "instance", "department", "role", "assignee", "state", "created_at", "due", "completed_at")
    list_filter = ("state", "role", "department", "is_countersign")
    search_fields = ("name", "instance__subject_repr", "assignee__display_name")
    list_select_related = ("instance__definition", "department", "assignee", "clock")
    date_hierarchy = "created_at"
    list_per_page = 100
    readonly_fields = [f.name for f in WorkTask._meta.fields]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("instance__definition", "department", "assignee", "clock")
            .defer("instance__state", "instance__definition__bpmn_xml", "instance__definition__spec_json")
        )

    @admin.display(description=_("环节期限"), ordering="clock__due_at")
    def due(self, obj: WorkTask):
        return obj.clock.due_date if obj.clock_id else "—"
