"""工作台首页: who the user is, the day, and the work waiting for them — their 待办 by clock colour with the most
urgent steps, the queues their roles let them act on, and the open alerts they may see in the oversight centre.
Every number comes from the same rules and querysets as the page it links to, counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import can_manage_accounts, is_county_wide, staff_profile, user_roles
from zhengwu.cases import rules as case_rules
from zhengwu.ratings import rules as rating_rules
from zhengwu.supervision import rules as supervision_rules
from zhengwu.supervision.enums import ACTIVE_ALERT_STATUSES, AlertLevel
from zhengwu.workbench import queues
from zhengwu.workbench.rules import staff_required
from zhengwu.workbench.views.tasks import task_rows, todo_tasks
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.clock_enums import DisplayStatus
from zhengwu.workcal.domain.calendar import calendar_missing_years
from zhengwu.workcal.models import display_status_q
from zhengwu.workflow.models import WorkTask
from zhengwu.workflow.rules import inbox_filter

URGENT_STEPS = 5
# The colours of an open step, most urgent first; always shown, with 无时限 (a step without a clock).
STEP_COLOURS = (DisplayStatus.OVERDUE, DisplayStatus.DUE_SOON, DisplayStatus.RUNNING, DisplayStatus.PAUSED)
# An open step's clock is not stopped; should one be, it is counted and shown rather than lost from the total.
STOPPED_COLOURS = (DisplayStatus.STOPPED_LATE, DisplayStatus.STOPPED_ON_TIME)
ALERT_LEVELS = (AlertLevel.RED, AlertLevel.YELLOW, AlertLevel.WARNING, AlertLevel.REPORT)


@dataclass(frozen=True)
class ColourCount:
    urgency: DisplayStatus | None  # None: 无时限 (as the 待办 page's _urgency.html shows it)
    count: int


@dataclass(frozen=True)
class QueueCount:
    label: str
    url: str
    count: int
    what: str  # what is counted, e.g. "件办件等待受理"


@dataclass(frozen=True)
class AlertCount:
    level: AlertLevel
    count: int
    url: str


def _todo_summary(user, now) -> dict:
    """The 待办 page's open steps (same filter) counted by clock colour at `now` in one aggregate; the first
    URGENT_STEPS of the page's own order."""
    by_colour = {
        status.value: Count("pk", filter=display_status_q(status, now, prefix="clock__")) for status in DisplayStatus
    }
    counts = WorkTask.objects.filter(inbox_filter(user)).aggregate(
        total=Count("pk"), untimed=Count("pk", filter=Q(clock__isnull=True)), **by_colour
    )
    colours = [ColourCount(status, counts[status.value]) for status in STEP_COLOURS]
    colours.append(ColourCount(None, counts["untimed"]))
    colours += [ColourCount(status, counts[status.value]) for status in STOPPED_COLOURS if counts[status.value]]
    return {
        "total": counts["total"],
        "colours": colours,
        "urgent": task_rows(todo_tasks(user)[:URGENT_STEPS], now) if counts["total"] else [],
    }


def _queues(user) -> list[QueueCount]:
    """The queues the user's roles let them open (the side navigation's predicates), each with its count."""
    queue_table = (
        (case_rules.can_view_acceptance_queue, _("待受理"), "workbench:case_acceptance_queue",
         queues.acceptance_cases, _("件办件等待受理")),
        (case_rules.can_view_extension_queue, _("延期审批"), "workbench:case_extension_queue",
         queues.pending_extensions, _("项延期申请待审批")),
        (case_rules.can_view_fee_refund_queue, _("待审批退费"), "workbench:fee_refund_queue",
         queues.pending_refund_requests, _("项退费申请待审批")),
        (case_rules.can_use_fee_window, _("统一收费窗口"), "workbench:fee_queue",
         lambda u: queues.unpaid_notices(case_rules.fee_window(u)), _("张缴费通知待缴费")),
        (rating_rules.can_view_follow_ups, _("差评整改"), "workbench:rating_follow_ups",
         queues.open_follow_ups, _("件差评整改未办结")),
    )  # fmt: skip
    return [
        QueueCount(label, reverse(url_name), rows(user).count(), suffix)
        for allowed, label, url_name, rows, suffix in queue_table
        if allowed(user)
    ]


def _alerts(user) -> list[AlertCount]:
    """Open alerts the user may see in the oversight centre (its default 在办 filter), by level, in one query."""
    counts = (
        supervision_rules.alerts_visible_to(user)
        .filter(status__in=sorted(ACTIVE_ALERT_STATUSES))
        .aggregate(**{f"level_{int(level)}": Count("pk", filter=Q(level=level)) for level in ALERT_LEVELS})
    )
    url = reverse("oversight:alerts")
    return [
        AlertCount(level, counts[f"level_{int(level)}"], f"{url}?{urlencode({'level': int(level)})}")
        for level in ALERT_LEVELS
    ]


@staff_required
def home(request):
    user = request.user
    assigned = user_roles(user)
    now = timezone.now()
    today = timezone.localdate(now)
    index = current_index()
    can_admin = user.is_staff and can_manage_accounts(user)
    can_oversee = supervision_rules.can_enter_oversight(user)
    return render(
        request,
        "workbench/home.html",
        {
            "display_name": user.display_name or user.get_username(),
            "profile": staff_profile(user),
            "roles": [role.label for role in Role if role in assigned],
            "today": today,
            "today_info": index.day_info(today),
            "next_working_day": index.next_working_day(today),
            "missing_calendar_years": calendar_missing_years(today) if can_admin else [],
            "todo": _todo_summary(user, now),
            "queues": _queues(user),
            "can_oversee": can_oversee,
            "alerts": _alerts(user) if can_oversee else [],
            "alerts_scoped": can_oversee and not is_county_wide(user),
            "can_admin": can_admin,
        },
    )
