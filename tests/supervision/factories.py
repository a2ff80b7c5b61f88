"""Supervision test data written straight to the tables: points, alerts, cases with handling clocks.

The sweep that raises alerts is built elsewhere; these tests create Alert rows directly."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.accounts.factories import make_staff
from zhengwu.accounts.enums import Role
from zhengwu.cases.enums import ApplicantIdType, ApplicantKind, CaseState, Channel
from zhengwu.cases.models import Case, CorrectionNotice
from zhengwu.supervision.enums import AlertLevel, AlertStatus, Module
from zhengwu.supervision.models import Alert, MonitoringPoint
from zhengwu.workcal.arith import current_index, effective_start_date
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.models.clock import Clock, end_of_day, start_of_day

TZ = timezone.get_default_timezone()
_serial = itertools.count(1)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def make_point(code: str = "approval.overdue", name: str = "办理超时", **extra) -> MonitoringPoint:
    point, _ = MonitoringPoint.objects.get_or_create(
        code=code, defaults={"module": Module.APPROVAL, "name": name, **extra}
    )
    return point


def make_case(
    version,
    department,
    *,
    received_at: datetime,
    channel: str = Channel.ONLINE,
    state: str = CaseState.IN_PROGRESS,
    applicant_name: str = "青川绿源农业科技有限公司",
) -> Case:
    serial = next(_serial)
    return Case.objects.create(
        number=f"T{received_at:%Y%m%d}{serial:05d}",
        query_code=f"{serial:06d}"[-6:],
        item_version=version,
        department=department,
        applicant_kind=ApplicantKind.LEGAL,
        applicant_name=applicant_name,
        applicant_id_type=ApplicantIdType.CREDIT_CODE,
        applicant_id_number="91370799MA3C4D5E6X",
        channel=channel,
        state=state,
        received_at=received_at,
        accepted_at=received_at,
    )


def give_handling_clock(
    case: Case,
    *,
    limit: int = 5,
    stopped_at: datetime | None = None,
    paused: bool = False,
    paused_days: int = 0,
    extension_days: int = 0,
) -> Clock:
    """A working-day handling clock started at the case's receipt; stopped at `stopped_at` when given."""
    index = current_index()
    start = effective_start_date(case.received_at, index=index)
    due = index.add_working_days(start, limit + extension_days + paused_days)
    due_at = end_of_day(due)
    clock = Clock.objects.create(
        content_type=ContentType.objects.get_for_model(Case),
        object_id=str(case.pk),
        subject_repr=str(case),
        unit=DeadlineUnit.WORKING,
        limit_days=limit,
        received_at=case.received_at,
        started_at=case.received_at,
        start_date=start,
        extension_days=extension_days,
        paused_days=paused_days,
        status=ClockStatus.STOPPED if stopped_at else (ClockStatus.PAUSED if paused else ClockStatus.RUNNING),
        outcome=(ClockOutcome.ON_TIME if stopped_at <= due_at else ClockOutcome.LATE) if stopped_at else "",
        due_date=due,
        due_at=due_at,
        warn_at=start_of_day(due - timedelta(days=1)),
        stopped_at=stopped_at,
        paused_at=case.received_at if paused else None,
    )
    case.handling_clock = clock
    if stopped_at:
        case.state = CaseState.DECIDED
    case.save(update_fields=["handling_clock", "state"])
    return clock


def make_alert(
    *,
    subject=None,
    department=None,
    point: MonitoringPoint | None = None,
    level: int = AlertLevel.WARNING,
    status: str = AlertStatus.OPEN,
    opened_at: datetime | None = None,
    key: str = "",
    clock: Clock | None = None,
    handling_note: str = "",
    details: dict | None = None,
) -> Alert:
    point = point or make_point()
    opened_at = opened_at or timezone.now()
    return Alert.objects.create(
        point=point,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        key=key,
        subject_repr=str(subject)[:300],
        department=department if department is not None else getattr(subject, "department", None),
        clock=clock if clock is not None else getattr(subject, "handling_clock", None),
        level=level,
        status=status,
        opened_at=opened_at,
        level_changed_at=opened_at,
        last_seen_at=opened_at,
        handling_note=handling_note,
        details=details or {},
    )


def make_notice(case: Case, sequence: int = 1, *, issued_at: datetime | None = None) -> CorrectionNotice:
    return CorrectionNotice.objects.create(
        case=case,
        sequence=sequence,
        items=[{"material_id": 0, "name": "申请书", "status": "missing", "problem": "缺少"}],
        reason="" if sequence == 1 else "再次补正",
        flagged_for_supervision=sequence > 1,
        issued_at=issued_at or case.received_at,
    )


def make_supervisor(username: str = "jiancha", department=None):
    return make_staff(username, department=department, display_name="监察员", roles=(Role.SUPERVISOR,))


def make_leader(department, username: str = "danwei", role: str = Role.UNIT_HEAD):
    return make_staff(username, department=department, display_name=f"负责人{username}", roles=(role,))


def day(y: int, m: int, d: int) -> date:
    return date(y, m, d)
