"""Escalation up the reporting line (ADR 0020), one notification per rung of an alert.

* 预警 (WARNING): the handler — the assignee of the step (for a case: of its open steps), else the
  department's handlers.
* 黄牌 (YELLOW): the handler and the line above up to the leader in charge (科长 → 分管领导).
* 红牌 (RED): the whole line up to the unit head, the department's unit head and the supervision office
  (holders of the 监察人员 role).

The sweep claims a rung with a conditional UPDATE (notified_level < level) before calling this in the
same transaction, so a rung is notified exactly once even when sweeps run at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.enums import Role
from zhengwu.accounts.models import User
from zhengwu.cases.models import Case
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.org.domain.queries import escalation_recipients, unit_head_position
from zhengwu.org.enums import PositionRank
from zhengwu.org.models import Department
from zhengwu.supervision.enums import AlertLevel
from zhengwu.supervision.models import Alert, MonitoringPoint
from zhengwu.workflow.enums import OPEN_TASK_STATES, InstanceStatus
from zhengwu.workflow.models import WorkTask

SYSTEM_ACTOR = "system:supervision"

CATEGORY = {
    AlertLevel.WARNING: Category.SUPERVISION_WARNING,
    AlertLevel.YELLOW: Category.SUPERVISION_YELLOW_CARD,
    AlertLevel.RED: Category.SUPERVISION_RED_CARD,
}
# How far up the handler's reporting line each rung reaches (None: the handler only).
LINE_TOP = {
    AlertLevel.WARNING: None,
    AlertLevel.YELLOW: PositionRank.LEADER_IN_CHARGE,
    AlertLevel.RED: PositionRank.UNIT_HEAD,
}
# When no handler has a post on a line, these roles of the department stand in for the line.
ROLE_FALLBACK = {
    AlertLevel.WARNING: (),
    AlertLevel.YELLOW: (Role.SECTION_HEAD, Role.LEADER_IN_CHARGE),
    AlertLevel.RED: (Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.UNIT_HEAD),
}


def _active_staff() -> Iterable[User]:
    return User.objects.filter(is_active=True, staff__isnull=False).select_related("staff__position")


def handlers_of(alert: Alert) -> list[User]:
    """Who handles the alert's object: a step's assignee; a case's open steps' assignees; else the
    department's handlers."""
    tasks = WorkTask.objects.none()
    task_ct = ContentType.objects.get_for_model(WorkTask)
    case_ct = ContentType.objects.get_for_model(Case)
    if alert.content_type_id == task_ct.pk:
        tasks = WorkTask.objects.filter(pk=alert.object_id)
    elif alert.content_type_id == case_ct.pk:
        tasks = WorkTask.objects.filter(
            instance__content_type=case_ct,
            instance__object_id=alert.object_id,
            instance__status=InstanceStatus.RUNNING,
            state__in=sorted(OPEN_TASK_STATES),
        )
    assignees = list(_active_staff().filter(pk__in=tasks.exclude(assignee=None).values("assignee_id")))
    if assignees:
        return sorted(assignees, key=lambda u: u.pk)
    department_ids = list(tasks.values_list("department_id", flat=True)) or [alert.department_id]
    return list(
        _active_staff()
        .filter(staff__department_id__in=department_ids, role_assignments__role=Role.HANDLER)
        .distinct()
        .order_by("pk")
    )


def _cached(cache: dict | None, key: tuple, load):
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def recipients_for(alert: Alert, level: int, *, cache: dict | None = None) -> list[User]:
    """Handlers first, then the line upward, then (red) the unit head and the supervision office.
    `cache` (a dict) shares the lines and offices between the alerts of one sweep."""
    handlers = handlers_of(alert)
    found: dict[int, User] = {u.pk: u for u in handlers}
    top = LINE_TOP[AlertLevel(level)]
    line_found = False
    if top is not None:
        for handler in handlers:
            position = handler.staff.position if hasattr(handler, "staff") else None
            if position is None:
                continue
            line = _cached(
                cache, ("line", position.pk, top), lambda p=position: escalation_recipients(position=p, up_to_rank=top)
            )
            for user in line:
                line_found = True
                found.setdefault(user.pk, user)
        if not line_found and alert.department_id is not None:
            roles = ROLE_FALLBACK[AlertLevel(level)]
            fallback = _cached(
                cache,
                ("roles", alert.department_id, level),
                lambda: list(
                    _active_staff()
                    .filter(staff__department_id=alert.department_id, role_assignments__role__in=roles)
                    .distinct()
                    .order_by("pk")
                ),
            )
            for user in fallback:
                found.setdefault(user.pk, user)
    if level >= AlertLevel.RED:
        for user in _cached(cache, ("red", alert.department_id), lambda: _red_offices(alert.department_id)):
            found.setdefault(user.pk, user)
    return list(found.values())


def _red_offices(department_id: int | None) -> list[User]:
    users: list[User] = []
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
        head = unit_head_position(department=department) if department else None
        if head is not None:
            users += list(_active_staff().filter(staff__position=head).order_by("pk"))
    users += list(User.objects.filter(is_active=True, role_assignments__role=Role.SUPERVISOR).order_by("pk"))
    return users


def _link(alert: Alert) -> str:
    number = (alert.subject_repr or "").split(" ")[0]
    if alert.content_type.model_class() is Case and number:
        try:
            return reverse("workbench:case_detail", args=[number])
        except NoReverseMatch:
            return ""
    return ""


def _message(alert: Alert, level: int) -> tuple[str, str]:
    label = AlertLevel(level).label
    subject = _("【%(label)s】%(point)s：%(object)s") % {
        "label": label,
        "point": alert.point.name,
        "object": alert.subject_repr,
    }
    lines = [
        _("监察点：%(point)s") % {"point": alert.point.name},
        _("对象：%(object)s") % {"object": alert.subject_repr},
    ]
    if alert.due_at is not None:
        lines.append(_("期限届满：%(at)s") % {"at": timezone.localtime(alert.due_at).strftime("%Y-%m-%d %H:%M")})
    if alert.point.legal_basis:
        lines.append(_("依据：%(basis)s") % {"basis": alert.point.legal_basis})
    if alert.due_at is None:  # a point without a deadline (e.g. a refusal, a fee): ask for the facts
        lines.append(_("请核实情况并说明理由。"))
        return subject[:200], "\n".join(lines)
    lines.append(
        {
            AlertLevel.WARNING: _("请抓紧办理，避免超期。"),
            AlertLevel.YELLOW: _("已超过期限，请立即办理并说明原因。"),
            AlertLevel.RED: _("黄牌警告后仍未办结，将依规追究责任。"),
        }[AlertLevel(level)]
    )
    return subject[:200], "\n".join(lines)


def alert_escalate(*, alert: Alert, level: int | None = None, cache: dict | None = None) -> int:
    """Notify the rung `level` (default: the alert's) of one alert; returns the number of recipients."""
    level = alert.level if level is None else level
    if level < AlertLevel.WARNING:
        return 0
    recipients = recipients_for(alert, level, cache=cache)
    if not recipients:
        return 0
    subject, body = _message(alert, level)
    notify(
        recipients=recipients,
        category=CATEGORY[AlertLevel(level)],
        subject=subject,
        body=body,
        link=_link(alert),
        actor=SYSTEM_ACTOR,
    )
    return len(recipients)


def alerts_escalate(*, alert_ids: list[int], point: MonitoringPoint) -> int:
    """Notify the claimed alerts (called by the sweep inside its transaction); returns messages sent."""
    sent, cache = 0, {}
    for alert in Alert.objects.filter(pk__in=alert_ids).select_related("point", "content_type").order_by("pk"):
        sent += alert_escalate(alert=alert, cache=cache)
    return sent
