from django.db import models
from django.utils.translation import gettext_lazy as _


class InstanceStatus(models.TextChoices):
    RUNNING = "running", _("运行中")
    COMPLETED = "completed", _("已结束")
    CANCELLED = "cancelled", _("已撤销")


class TaskState(models.TextChoices):
    """A row of the task table. READY may already carry an assignee (countersign, reassignment):
    the assignee then has not signed for it yet."""

    READY = "ready", _("待办")
    CLAIMED = "claimed", _("已签收")
    COMPLETED = "completed", _("已办结")
    CANCELLED = "cancelled", _("已取消")
    RETURNED = "returned", _("已退回")


OPEN_TASK_STATES = frozenset({TaskState.READY, TaskState.CLAIMED})
CLOSED_TASK_STATES = frozenset({TaskState.COMPLETED, TaskState.CANCELLED, TaskState.RETURNED})
