"""Shared helpers for the clock tests (not a test module)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from zhengwu.accounts.models import User
from zhengwu.audit.models import AuditEvent
from zhengwu.org.models import Region
from zhengwu.workcal.models import Clock, ClockExtension, ClockPause

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """'2026-09-25 15:00' as an aware Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def frozen(text: str):
    return time_machine.travel(at(text), tick=False)


_counter = iter(range(1, 10**6))


def subject(name: str = "许可申请") -> Region:
    """Any saved model can carry a clock; a region is the cheapest to create."""
    n = next(_counter)
    return Region.objects.create(name=name, code=f"9{n:011d}", level="district")


def user(username: str, display_name: str) -> User:
    return User.objects.create_user(username=username, password="x" * 12, display_name=display_name, kind="staff")


def clock_events(clock: Clock) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="workcal.clock", object_id=str(clock.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def state(clock: Clock) -> tuple:
    """Everything a transition could change, for 'nothing changed' assertions."""
    row = Clock.objects.values().get(pk=clock.pk)
    row.pop("updated_at")
    pauses = list(ClockPause.objects.filter(clock=clock).order_by("pk").values())
    extensions = list(ClockExtension.objects.filter(clock=clock).order_by("pk").values())
    return row, pauses, extensions, AuditEvent.objects.count()
