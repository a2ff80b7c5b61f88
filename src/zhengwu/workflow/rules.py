"""Who may act on and see workflow tasks.

* A task with an assignee belongs to that person: only they (or a county-wide administrator) act on it.
* A task without an assignee is in its department's pool: any holder of the task's role in the task's
  department may claim or complete it.
* Reassigning is also open to the department's section heads and leaders.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import has_role, is_county_wide, is_staff_member, user_department_id, user_roles
from zhengwu.workflow.enums import OPEN_TASK_STATES, TaskState

MANAGER_ROLES = frozenset({Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.UNIT_HEAD})


def is_system_actor(actor: Any) -> bool:
    return isinstance(actor, str) and actor.startswith("system:")


def is_workflow_administrator(user: Any) -> bool:
    """County-wide administrators: superusers and holders of the administrator role (not supervisors)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return bool(user.is_superuser or has_role(user, Role.ADMINISTRATOR))


def can_act_on_task(user: Any, task: Any) -> bool:
    """Claim, complete or return the task: its assignee, a holder of its role in its department when it
    has no assignee yet, or a county-wide administrator."""
    if not is_staff_member(user):
        return is_workflow_administrator(user)
    if task.assignee_id is not None and task.assignee_id == user.pk:
        return True
    if is_workflow_administrator(user):
        return True
    return task.assignee_id is None and task.role in user_roles(user) and user_department_id(user) == task.department_id


def can_reassign_task(user: Any, task: Any) -> bool:
    if can_act_on_task(user, task):
        return True
    return bool(
        is_staff_member(user) and user_department_id(user) == task.department_id and user_roles(user) & MANAGER_ROLES
    )


def can_view_task(user: Any, task: Any) -> bool:
    if not is_staff_member(user):
        return is_workflow_administrator(user)
    if is_county_wide(user) or task.assignee_id == user.pk:
        return True
    return user_department_id(user) == task.department_id


def can_view_instance(user: Any, instance: Any) -> bool:
    """County-wide staff see every instance; other staff those with a task in their department or for them."""
    if not is_staff_member(user):
        return is_workflow_administrator(user)
    if is_county_wide(user):
        return True
    department_id = user_department_id(user)
    return instance.tasks.filter(Q(department_id=department_id) | Q(assignee_id=user.pk)).exists()


def can_cancel_instance(actor: Any) -> bool:
    return is_system_actor(actor) or is_workflow_administrator(actor)


def scope_tasks(queryset: QuerySet, user: Any) -> QuerySet:
    """The task rows the user may see."""
    if is_county_wide(user) or is_workflow_administrator(user):
        return queryset
    if not is_staff_member(user):
        return queryset.none()
    department_id = user_department_id(user)
    return queryset.filter(Q(department_id=department_id) | Q(assignee_id=user.pk))


def inbox_filter(user: Any) -> Q:
    """Open tasks the user can act on now: assigned to them, or unassigned with their role in their department.

    Served by the (assignee, state) and (state, department, role) indexes."""
    open_states = sorted(OPEN_TASK_STATES)
    mine = Q(assignee_id=user.pk, state__in=open_states)
    department_id = user_department_id(user)
    roles = sorted(user_roles(user))
    if department_id is None or not roles:
        return mine
    pool = Q(state=TaskState.READY, assignee__isnull=True, department_id=department_id, role__in=roles)
    return mine | pool
