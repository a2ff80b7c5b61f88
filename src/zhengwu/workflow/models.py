"""Process definitions, their running instances and the relational task table (ADR 0012).

* ProcessDefinition keeps the BPMN text and the parsed SpiffWorkflow spec ONCE (JSON text + sha256).
* ProcessInstance keeps the serialised workflow state WITHOUT the spec; the engine re-attaches the
  definition's spec on load.
* WorkTask is the source for inboxes and supervision: one row per user-task activation (a task that is
  returned to and done again gets a new row), with its role, department, assignee and step clock.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.enums import Role
from zhengwu.workflow.enums import OPEN_TASK_STATES, InstanceStatus, TaskState


class ProcessDefinition(models.Model):
    key = models.CharField(_("流程标识"), max_length=64, db_index=True)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=200)
    process_id = models.CharField(_("BPMN 流程 ID"), max_length=200)
    bpmn_xml = models.TextField(_("BPMN 文件"))
    bpmn_sha256 = models.CharField(_("BPMN 文件 SHA-256"), max_length=64, db_index=True)
    spec_json = models.TextField(_("解析后的流程规格（JSON）"))
    spec_sha256 = models.CharField(_("流程规格 SHA-256"), max_length=64)
    lanes = models.JSONField(_("泳道"), default=list)
    user_tasks = models.JSONField(_("用户任务"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="workflow_definition_unique_version")]

    def __str__(self) -> str:
        return f"{self.name}（{self.key} v{self.version}）"

    def user_task(self, bpmn_id: str) -> dict | None:
        return next((task for task in self.user_tasks if task.get("id") == bpmn_id), None)


class ProcessInstance(models.Model):
    definition = models.ForeignKey(
        ProcessDefinition, verbose_name=_("流程定义"), on_delete=models.PROTECT, related_name="instances"
    )
    content_type = models.ForeignKey(ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, db_index=False)
    object_id = models.CharField(_("对象 ID"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    subject_repr = models.CharField(_("对象"), max_length=300, blank=True)
    lane_map = models.JSONField(_("泳道映射"), default=dict)
    state = models.JSONField(_("流程状态"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=InstanceStatus.choices, default=InstanceStatus.RUNNING)
    end_event = models.CharField(_("结束节点"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("修订号"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")
        ordering = ["-created_at", "-id"]
        # The subject index serves the content type's foreign key; running instances are found through the partial
        # unique index, so `status` has none of its own (ADR 0019, seventh pass).
        indexes = [models.Index(fields=["content_type", "object_id"], name="workflow_instance_subject")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status=InstanceStatus.RUNNING),
                name="workflow_instance_one_running",
                violation_error_message=_("该对象已有进行中的流程。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.definition.name if self.definition_id else ''} · {self.subject_repr}"


class WorkTaskQuerySet(models.QuerySet):
    def open(self) -> WorkTaskQuerySet:
        return self.filter(state__in=sorted(OPEN_TASK_STATES))


class WorkTask(models.Model):
    instance = models.ForeignKey(
        ProcessInstance, verbose_name=_("流程实例"), on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    bpmn_id = models.CharField(_("环节 ID"), max_length=200)
    name = models.CharField(_("环节"), max_length=200)
    spiff_task_id = models.UUIDField(_("引擎任务 ID"))
    lane = models.CharField(_("泳道"), max_length=200, blank=True)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="work_tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_tasks",
        db_index=False,
    )
    is_countersign = models.BooleanField(_("会签"), default=False)
    state = models.CharField(_("状态"), max_length=16, choices=TaskState.choices, default=TaskState.READY)
    step_limit_days = models.PositiveSmallIntegerField(_("环节时限（工作日）"))
    clock = models.ForeignKey(
        "workcal.Clock", verbose_name=_("环节计时"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("到达时间"))
    claimed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    outcome = models.CharField(_("办理结果"), max_length=32, blank=True)
    comment = models.TextField(_("办理意见"), blank=True)

    objects = WorkTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("待办环节")
        verbose_name_plural = _("待办环节")
        ordering = ["created_at", "id"]
        # The instance and assignee foreign keys are served by their composites; `completed_by` (the 已办 page) is
        # indexed only once set (ADR 0019, seventh pass).
        indexes = [
            models.Index(fields=["state", "department", "role"], name="workflow_task_inbox"),
            models.Index(fields=["assignee", "state"], name="workflow_task_assignee"),
            models.Index(fields=["instance", "state"], name="workflow_task_instance"),
            models.Index(
                fields=["completed_by"], condition=Q(completed_by__isnull=False), name="workflow_task_completed_by"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.instance.subject_repr if self.instance_id else ''}"

    @classmethod
    def from_db(cls, db, field_names, values):
        task = super().from_db(db, field_names, values)
        # The pools the task was in when loaded: a save moves it out of them too (workflow/versions.py).
        task._loaded_pool = (task.__dict__.get("department_id"), task.__dict__.get("assignee_id"))
        return task

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES
