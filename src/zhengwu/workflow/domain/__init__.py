from zhengwu.workflow.domain.definitions import (
    SHIPPED_DEFINITIONS,
    default_process_definition,
    process_definition_create,
    process_definition_validate,
    shipped_process_definition,
)
from zhengwu.workflow.domain.instances import CompletedAtStart, lane_map_resolve, process_cancel, process_start
from zhengwu.workflow.domain.runtime import instance_lock, workflow_load
from zhengwu.workflow.domain.tasks import task_claim, task_complete, task_read, task_reassign, task_return

__all__ = [
    "SHIPPED_DEFINITIONS",
    "CompletedAtStart",
    "default_process_definition",
    "instance_lock",
    "lane_map_resolve",
    "process_cancel",
    "process_definition_create",
    "process_definition_validate",
    "process_start",
    "shipped_process_definition",
    "task_claim",
    "task_complete",
    "task_read",
    "task_reassign",
    "task_return",
    "workflow_load",
]
