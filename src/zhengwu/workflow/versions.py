"""Versions of the task pools a 待办 list is drawn from (docs/adr/0023-inbox-page-cache.md).

A user's open tasks change only when a task of their department or assigned to them is saved, or when a step
clock's colour or due time moves without its task changing (pause, resume, extension, calendar recompute); each
of those moves the matching counter once the transaction commits."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save

from zhengwu.core.versions import shared_cache_enabled, versions_bump
from zhengwu.workcal.clock_enums import ClockStatus

EVERY_POOL = "taskpool:all"


def department_pool_key(department_id: int) -> str:
    return f"taskpool:d:{department_id}"


def assignee_pool_key(user_id: int) -> str:
    return f"taskpool:u:{user_id}"


def task_pool_keys(*, user_id: int, department_id: int | None) -> list[str]:
    """The counters behind the user's 待办: every pool, their department's, and tasks assigned to them."""
    keys = [EVERY_POOL, assignee_pool_key(user_id)]
    if department_id is not None:
        keys.append(department_pool_key(department_id))
    return keys


def _task_changed(sender, instance, **kwargs) -> None:
    if not shared_cache_enabled():
        return
    keys = []
    for department_id, assignee_id in {
        (instance.department_id, instance.assignee_id),
        getattr(instance, "_loaded_pool", (None, None)),
    }:
        if department_id is not None:
            keys.append(department_pool_key(department_id))
        if assignee_id is not None:
            keys.append(assignee_pool_key(assignee_id))
    versions_bump(keys)


def _step_clock_saved(sender, instance, created: bool, **kwargs) -> None:
    # Starting and stopping a step clock comes with a save of its task; anything else moves every pool (rare).
    if created or instance.status == ClockStatus.STOPPED or not shared_cache_enabled():
        return
    from zhengwu.workflow.models import WorkTask

    if instance.content_type_id == ContentType.objects.get_for_model(WorkTask).pk:
        versions_bump([EVERY_POOL])


def _every_pool_changed(sender, instance: Any, **kwargs) -> None:
    versions_bump([EVERY_POOL])


def connect() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_task_changed, sender="workflow.WorkTask", dispatch_uid=f"taskpool-task-{name}")
        # department names are shown on every row
        signal.connect(_every_pool_changed, sender="org.Department", dispatch_uid=f"taskpool-department-{name}")
    post_save.connect(_step_clock_saved, sender="workcal.Clock", dispatch_uid="taskpool-step-clock")
