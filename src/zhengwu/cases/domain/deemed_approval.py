"""Deemed approval on timeout (超时默认, ADR 0016): for items configured with ItemDeemedApproval (e.g.
《行政许可法》第五十条第二款, renewal), a case whose handling period runs out without a decision is deemed granted.

The sweep selects overdue in-progress cases of such items in one query, then handles each in its own
transaction, claimed with a conditional update of the case row so two workers never act on the same case. The
running process is cancelled (its open steps closed, their clocks stopped), the handling clock stops (late: the
department did not decide in time), and a grant decision is recorded with the item's legal basis."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import SYSTEM_ACTOR, lock, snapshot, tell_applicant
from zhengwu.cases.domain.fees import case_fees_issue_after_grant
from zhengwu.cases.enums import CaseState, DecisionOutcome
from zhengwu.cases.models import Case, CaseDecision, ItemDeemedApproval
from zhengwu.notifications.enums import Category
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.domain.clock import clock_stop
from zhengwu.workcal.models.clock import Clock
from zhengwu.workflow.domain import process_cancel
from zhengwu.workflow.enums import InstanceStatus
from zhengwu.workflow.models import ProcessInstance

__all__ = ["DEEMED_APPROVAL_REASONS", "cases_deem_approved"]

DEEMED_APPROVAL_REASONS = "期限届满未作决定，视为准予"


class _NoLongerDue(Exception):
    """Rolls back a claim whose case is no longer overdue (extended since it was selected)."""


def cases_deem_approved(*, now: datetime | None = None) -> int:
    """Deem granted every in-progress case of a deemed-approval item whose handling clock ran out
    (now > due_at). Idempotent; returns the number of cases deemed approved."""
    now = now or timezone.now()
    candidates = list(
        Case.objects.filter(
            state=CaseState.IN_PROGRESS,
            handling_clock__status=ClockStatus.RUNNING,
            handling_clock__due_at__lt=now,
            item_version__item__deemed_approval__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in candidates:
        try:
            with audited_atomic():
                # Conditions on the case row only, re-checked by PostgreSQL after a concurrent sweep's lock.
                if not Case.objects.filter(pk=pk, state=CaseState.IN_PROGRESS).update(
                    state=CaseState.DECIDED, updated_at=now
                ):
                    continue
                _deem_approved(lock(Case(pk=pk)), now=now)
        except _NoLongerDue:
            continue
        done += 1
    return done


def _deem_approved(locked: Case, *, now: datetime) -> None:
    clock = Clock.objects.get(pk=locked.handling_clock_id)
    rule = ItemDeemedApproval.objects.filter(item_id=locked.item_version.item_id).first()
    if rule is None or clock.status != ClockStatus.RUNNING or now <= clock.due_at:
        raise _NoLongerDue
    before = {**snapshot(locked), "state": CaseState.IN_PROGRESS}
    at = timezone.now()
    reason = _("办理期限于 %(date)s 届满未作决定，依法视为准予许可。") % {"date": clock.due_date.isoformat()}
    cancelled = []
    for instance in ProcessInstance.objects.filter(
        content_type=ContentType.objects.get_for_model(Case), object_id=str(locked.pk), status=InstanceStatus.RUNNING
    ):
        process_cancel(actor=SYSTEM_ACTOR, instance=instance, reason=reason)
        cancelled.append(instance.pk)
    clock = clock_stop(actor=SYSTEM_ACTOR, clock=clock, at=at)
    decision = CaseDecision.objects.create(
        case=locked,
        outcome=DecisionOutcome.GRANT,
        reasons=DEEMED_APPROVAL_REASONS,
        legal_basis=rule.legal_basis,
        negative=False,
        decided_at=at,
    )
    audit_record(
        actor=SYSTEM_ACTOR,
        action="cases.deemed_approved",
        obj=locked,
        before=before,
        after={
            **snapshot(locked),
            "decision_id": decision.pk,
            "decision": DecisionOutcome.GRANT.value,
            "reasons": DEEMED_APPROVAL_REASONS,
            "legal_basis": rule.legal_basis,
            "handling_due_at": clock.due_at,
            "handling_clock_outcome": clock.outcome,
            "cancelled_instances": cancelled,
            "swept_at": now,
            "department_id": locked.department_id,
        },
    )
    tell_applicant(
        locked,
        category=Category.CASE_DEEMED_APPROVED,
        subject=_("您的申请视为准予许可：%(number)s") % {"number": locked.number},
        body=_("办理期限已于 %(date)s 届满，行政机关未作出决定，依法视为准予许可。\n法律依据：%(basis)s")
        % {"date": clock.due_date.isoformat(), "basis": rule.legal_basis},
        actor=SYSTEM_ACTOR,
    )
    case_fees_issue_after_grant(case=locked)  # a grant like any other: 缴费通知 for items that charge
