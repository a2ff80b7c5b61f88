"""What the case page shows and offers about the case clock: suspensions (挂起) and extensions (延期)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from zhengwu.cases import rules
from zhengwu.cases.domain.extension import EXTENDABLE_STATES, extension_limit_days
from zhengwu.cases.domain.suspension import SUSPENSION_REASONS
from zhengwu.cases.enums import MAX_APPROVED_EXTENSIONS, CaseState, ExtensionState
from zhengwu.cases.models import Case
from zhengwu.workcal.clock_enums import pause_reason_basis
from zhengwu.workcal.models.clock import local_date


@dataclass
class CaseClockPanel:
    suspensions: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    pending: object = None
    open_suspension: object = None
    reasons: list = field(default_factory=list)
    extension_days: int = 0
    today: str = ""
    can_suspend: bool = False
    can_resume: bool = False
    can_request_extension: bool = False
    can_decide_extension: bool = False

    @property
    def shown(self) -> bool:
        return bool(
            self.suspensions or self.extensions or self.can_suspend or self.can_resume or self.can_request_extension
        )


def case_clock_panel(user, case: Case) -> CaseClockPanel:
    if case.state not in {CaseState.IN_PROGRESS, CaseState.SUSPENDED, CaseState.DECIDED, CaseState.COMPLETED}:
        return CaseClockPanel()
    suspensions = list(case.suspensions.order_by("sequence"))
    extensions = list(case.extensions.select_related("requested_by", "decided_by").order_by("requested_at", "pk"))
    pending = next((e for e in extensions if e.state == ExtensionState.REQUESTED), None)
    approved = sum(1 for e in extensions if e.state == ExtensionState.APPROVED)
    manage = rules.can_manage_case_clock(user, case)
    clock = case.handling_clock
    limit = extension_limit_days(clock) if clock is not None else 0
    return CaseClockPanel(
        suspensions=suspensions,
        extensions=extensions,
        pending=pending,
        open_suspension=next((s for s in suspensions if s.ended_at is None), None),
        reasons=[(reason.value, reason.label, pause_reason_basis(reason)) for reason in SUSPENSION_REASONS],
        extension_days=limit,
        today=local_date(timezone.now()).isoformat(),
        can_suspend=manage and case.state == CaseState.IN_PROGRESS,
        can_resume=manage and case.state == CaseState.SUSPENDED,
        can_request_extension=manage
        and case.state in EXTENDABLE_STATES
        and pending is None
        and approved < MAX_APPROVED_EXTENSIONS
        and limit > 0,
        can_decide_extension=pending is not None
        and pending.requested_by_id != user.pk
        and rules.can_decide_extension(user, case),
    )
