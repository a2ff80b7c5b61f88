"""我的待办: the task inbox (to do / done / watching) and the task page with its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhengwu.accounts.enums import UserKind
from zhengwu.accounts.rules import user_department_id
from zhengwu.accounts.versions import staff_key
from zhengwu.cases.domain.processing import (
    ACCEPT_TASK_ID,
    case_for_instance,
    case_task_complete,
    case_task_return,
    is_decision_task,
)
from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case
from zhengwu.notifications.versions import unread_key
from zhengwu.workbench.page_cache import page_from_cache, page_to_cache, page_versions
from zhengwu.workbench.rules import staff_required
from zhengwu.workbench.task_forms import CompleteForm, DecideForm, ReassignForm, ReturnForm, outcome_label
from zhengwu.workcal.clock_enums import DisplayStatus
from zhengwu.workcal.domain.clock import clock_explain
from zhengwu.workcal.models import display_status_next_change, display_status_of
from zhengwu.workflow.domain import task_read, task_reassign
from zhengwu.workflow.enums import TaskState
from zhengwu.workflow.models import WorkTask
from zhengwu.workflow.rules import can_act_on_task, can_reassign_task, can_view_task, inbox_filter
from zhengwu.workflow.versions import task_pool_keys

TABS = {"todo": gettext_lazy("待办"), "done": gettext_lazy("已办"), "watching": gettext_lazy("关注")}
PAGE_SIZE = 100


def _urgency(clock, now) -> DisplayStatus | None:
    return clock.display_status(now) if clock is not None else None


def task_rows(tasks, now) -> list[dict]:
    """Steps with their clock colour at `now`, as the 待办 page and the workbench home list them."""
    return [{"task": task, "urgency": _urgency(task.clock, now)} for task in tasks]


def _listed():
    return WorkTask.objects.select_related("instance", "clock", "department", "assignee").defer(
        "instance__state", "instance__lane_map"
    )


def todo_tasks(user):
    """The 待办 page, most urgent first. The page's rows are chosen joining only their clocks, then joined
    to the rest, so the cost does not grow with the size of the pool (docs/adr/0019-performance.md)."""
    urgency = (F("clock__due_at").asc(nulls_last=True), "pk")
    page = WorkTask.objects.filter(inbox_filter(user)).order_by(*urgency).values("pk")[:PAGE_SIZE]
    return _listed().filter(pk__in=page).order_by(*urgency)


# What a row of the 待办 and 已办 tabs shows, read as plain values: a page of 100 rows renders in a few
# milliseconds instead of building 400 model instances and resolving them in the template (ADR 0023).
ROW_FIELDS = (
    "pk",
    "name",
    "assignee_id",
    "assignee__display_name",
    "assignee__username",
    "instance__subject_repr",
    "department__short_name",
    "department__name",
    "clock_id",
    "clock__status",
    "clock__outcome",
    "clock__due_at",
    "clock__warn_at",
    "completed_at",
)
_ANY_PK = 2_147_483_647  # a row's id in the step page's URL, reversed once per page rather than once per row


class _UrgencyBadges(dict):
    """The clock-colour badge (`_urgency.html`) of each status, rendered once per page rather than once per row."""

    def __missing__(self, urgency: DisplayStatus | None) -> str:
        self[urgency] = render_to_string("workbench/tasks/_urgency.html", {"urgency": urgency})
        return self[urgency]


def _local(moment, pattern: str) -> str:
    """As the template filter `date` shows an aware datetime: in the current time zone."""
    return format(timezone.localtime(moment), pattern) if moment is not None else ""


def _list_rows(values, now, *, done: bool) -> list[dict]:
    """The rows of the 待办 (step deadline) or 已办 (completion time) tab from ROW_FIELDS values."""
    url_head, url_tail = reverse("workbench:task", args=[_ANY_PK]).rsplit(str(_ANY_PK), 1)
    badges = _UrgencyBadges()
    rows = []
    for row in values:
        timed = row["clock_id"] is not None
        urgency = (
            display_status_of(
                status=row["clock__status"],
                outcome=row["clock__outcome"],
                due_at=row["clock__due_at"],
                warn_at=row["clock__warn_at"],
                now=now,
            )
            if timed
            else None
        )
        if done:
            when = _local(row["completed_at"], "%Y-%m-%d %H:%M")
        else:
            when = _local(row["clock__due_at"], "%Y-%m-%d") if timed else ""
        rows.append(
            {
                "url": f"{url_head}{row['pk']}{url_tail}",
                "name": row["name"],
                "assignee": (row["assignee__display_name"] or row["assignee__username"]) if row["assignee_id"] else "",
                "subject": row["instance__subject_repr"],
                "department": row["department__short_name"] or row["department__name"],
                "when": when,
                "badge": badges[urgency],
            }
        )
    return rows


def _first_change(values, now):
    """When the first row changes colour by the clock alone (None: never)."""
    changes = (
        display_status_next_change(
            status=row["clock__status"], due_at=row["clock__due_at"], warn_at=row["clock__warn_at"], now=now
        )
        for row in values
        if row["clock_id"] is not None
    )
    return min((moment for moment in changes if moment is not None), default=None)


def inbox(request):
    """The 待办 tab is served from the shared cache while the user's task pools, staff record and unread count are
    unchanged and no row has changed colour (ADR 0023); the other tabs are always rendered."""
    tab = request.GET.get("tab", "todo")
    if tab not in TABS:
        tab = "todo"
    cacheable = tab == "todo" and set(request.GET) <= {"tab"}
    if cacheable and (cached := page_from_cache(request, name="tasks-todo")) is not None:
        return cached
    return _inbox(request, tab=tab, cacheable=cacheable)


def _todo_keys(user) -> list[str]:
    """What the cached 待办 page shows: the user's task pools, and in the layout their staff record and unread count."""
    pools = task_pool_keys(user_id=user.pk, department_id=user_department_id(user))
    return [*pools, staff_key(user.pk), unread_key(user.pk)]


@staff_required
def _inbox(request, *, tab: str, cacheable: bool):
    user = request.user
    now = timezone.now()
    context = {"tab": tab, "tabs": [(key, str(label)) for key, label in TABS.items()]}
    if tab == "watching":
        department_id = user_department_id(user)
        cases = (
            Case.objects.filter(department_id=department_id, state=CaseState.IN_PROGRESS)
            .select_related("item_version", "handling_clock")
            .order_by(F("handling_clock__due_at").asc(nulls_last=True), "pk")
            if department_id is not None
            else Case.objects.none()
        )
        badges = _UrgencyBadges()
        context["cases"] = [
            {"case": case, "badge": badges[_urgency(case.handling_clock, now)]} for case in cases[:PAGE_SIZE]
        ]
        return render(request, "workbench/tasks/inbox.html", context)
    if tab == "done":
        tasks = WorkTask.objects.filter(completed_by=user, state=TaskState.COMPLETED).order_by("-completed_at", "-pk")
        context["rows"] = _list_rows(tasks.values(*ROW_FIELDS)[:PAGE_SIZE], now, done=True)
        return render(request, "workbench/tasks/inbox.html", context)
    keys = _todo_keys(user) if cacheable else []
    versions = page_versions(request, keys) if cacheable else None
    values = list(todo_tasks(user).values(*ROW_FIELDS))
    context["rows"] = _list_rows(values, now, done=False)
    context["open_count"] = (
        WorkTask.objects.filter(inbox_filter(user)).count() if len(values) == PAGE_SIZE else len(values)
    )
    response = render(request, "workbench/tasks/inbox.html", context)
    until = _first_change(values, now)
    page_to_cache(request, response, name="tasks-todo", keys=keys, versions=versions, until=until)
    return response


def _visible_task(request, task_id: int) -> WorkTask:
    try:
        task = task_read(task_id)
    except WorkTask.DoesNotExist:
        raise Http404 from None
    if not can_view_task(request.user, task):
        raise Http404
    return task


def _return_steps(task: WorkTask) -> list[tuple[str, str]]:
    done = (
        WorkTask.objects.filter(instance_id=task.instance_id, state=TaskState.COMPLETED)
        .exclude(bpmn_id__in=[task.bpmn_id, ACCEPT_TASK_ID])
        .order_by("completed_at", "pk")
        .values_list("bpmn_id", "name")
    )
    steps: dict[str, str] = {}
    for bpmn_id, name in done:
        steps.setdefault(bpmn_id, name)
    return list(steps.items())


def _colleagues(task: WorkTask, user) -> list:
    return list(
        get_user_model()
        .objects.filter(kind=UserKind.STAFF, is_active=True, staff__department_id=task.department_id)
        .exclude(pk__in=[pk for pk in (task.assignee_id, user.pk) if pk is not None])
        .order_by("display_name", "pk")
    )


def _render_task(request, task: WorkTask, *, forms: dict | None = None, status: int = 200):
    user = request.user
    forms = forms or {}
    case = case_for_instance(task.instance)
    decision_step = is_decision_task(task)
    can_act = task.is_open and can_act_on_task(user, task)
    steps = _return_steps(task) if can_act else []
    colleagues = _colleagues(task, user) if task.is_open and can_reassign_task(user, task) else []
    now = timezone.now()
    history = list(task.instance.tasks.select_related("completed_by", "assignee").order_by("created_at", "pk"))
    for step in [task, *history]:
        step.outcome_label = outcome_label(step.outcome) if step.outcome else ""
    context = {
        "task": task,
        "case": case,
        "decision_step": decision_step,
        "can_act": can_act,
        "urgency": _urgency(task.clock, now),
        "clock_lines": clock_explain(task.clock, now=now) if task.clock_id else [],
        "case_clock_lines": clock_explain(case.handling_clock, now=now) if case and case.handling_clock_id else [],
        "history": history,
        "diagram_url": reverse("workflow:instance_diagram", args=[task.instance_id]),
        "complete_form": forms.get("complete") or (DecideForm() if decision_step else CompleteForm()),
        "return_form": forms.get("return") or (ReturnForm(steps=steps) if steps else None),
        "reassign_form": forms.get("reassign") or (ReassignForm(colleagues=colleagues) if colleagues else None),
        "errors": forms.get("errors", []),
    }
    return render(request, "workbench/tasks/detail.html", context, status=status)


@staff_required
def task_detail(request, task_id: int):
    return _render_task(request, _visible_task(request, task_id))


def _error_messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _done(request, message: str):
    messages.success(request, message)
    return redirect("workbench:tasks")


@require_POST
@staff_required
def task_complete_view(request, task_id: int):
    task = _visible_task(request, task_id)
    form = (DecideForm if is_decision_task(task) else CompleteForm)(request.POST)
    if not form.is_valid():
        return _render_task(request, task, forms={"complete": form})
    data = form.cleaned_data
    try:
        case_task_complete(
            actor=request.user,
            task=task,
            outcome=data["outcome"],
            comment=data.get("comment", ""),
            reasons=data.get("reasons", ""),
            legal_basis=data.get("legal_basis", ""),
        )
    except ValidationError as exc:
        task.refresh_from_db()
        return _render_task(request, task, forms={"complete": form, "errors": _error_messages(exc)})
    return _done(request, _("“%(name)s”已办理完成。") % {"name": task.name})


@require_POST
@staff_required
def task_return_view(request, task_id: int):
    task = _visible_task(request, task_id)
    form = ReturnForm(request.POST, steps=_return_steps(task))
    if not form.is_valid():
        return _render_task(request, task, forms={"return": form})
    try:
        case_task_return(
            actor=request.user,
            task=task,
            to_task_id=form.cleaned_data["to_task_id"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        task.refresh_from_db()
        return _render_task(request, task, forms={"return": form, "errors": _error_messages(exc)})
    return _done(request, _("“%(name)s”已退回。") % {"name": task.name})


@require_POST
@staff_required
def task_reassign_view(request, task_id: int):
    task = _visible_task(request, task_id)
    form = ReassignForm(request.POST, colleagues=_colleagues(task, request.user))
    if not form.is_valid():
        return _render_task(request, task, forms={"reassign": form})
    try:
        task_reassign(
            actor=request.user, task=task, assignee=form.cleaned_data["assignee"], reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        task.refresh_from_db()
        return _render_task(request, task, forms={"reassign": form, "errors": _error_messages(exc)})
    return _done(request, _("“%(name)s”已转办。") % {"name": task.name})
