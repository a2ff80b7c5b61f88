"""Completion (办结): the last step of a decided case; every clock of the case stops with it.

A granted case completes once its fees are settled, its certificate (where the item maps one) is issued and
its result was handed over or shipped; a denied case once decided. Either way the signed decision document
is made (if not yet) so the applicant can always download it. Completion stops every clock still open for
the case: its acceptance and handling clocks and the step clocks of all its process tasks."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import fmt, lock, require_state, snapshot, sync, tell_applicant
from zhengwu.cases.domain._outcome import CaseFacts, decision_of, delivery_of
from zhengwu.cases.domain.certificates import case_decision_document
from zhengwu.cases.domain.fees import case_fees_settled
from zhengwu.cases.enums import DELIVERED_STATES, CaseState, DecisionOutcome
from zhengwu.cases.models import Case
from zhengwu.cases.rules import can_deliver_case, registered_by_external_system
from zhengwu.licences.enums import LicenceState
from zhengwu.notifications.enums import Category
from zhengwu.workcal.domain.clock import clock_stop
from zhengwu.workcal.models.clock import Clock
from zhengwu.workflow.models import WorkTask
from zhengwu.workflow.rules import is_system_actor

__all__ = ["case_clocks", "case_complete", "completion_blocker"]


def case_clocks(case: Case):
    """Every clock of the case: those whose subject is the case and those of its process tasks."""
    case_type = ContentType.objects.get_for_model(Case)
    task_type = ContentType.objects.get_for_model(WorkTask)
    task_ids = WorkTask.objects.filter(instance__content_type=case_type, instance__object_id=str(case.pk))
    # object_id is text: compare with the task ids cast to text in the database (one query, no id list).
    task_ids_text = task_ids.annotate(text_id=Cast("pk", CharField())).values("text_id")
    return Clock.objects.filter(
        Q(content_type=case_type, object_id=str(case.pk)) | Q(content_type=task_type, object_id__in=task_ids_text)
    )


def completion_blocker(case: Case, facts: CaseFacts | None = None) -> str | None:
    """Why the decided case cannot be completed yet (a Chinese message), or None when it can. A case handled
    in a department's own system (一厅双网) collects fees and delivers its result there: its decision is enough."""
    reads = facts or CaseFacts(case)
    decision = reads.decision
    if decision is None:
        return _("办件尚未作出决定，不能办结。")
    if decision.outcome != DecisionOutcome.GRANT or registered_by_external_system(case):
        return None
    if not (reads.fees_settled if facts is not None else case_fees_settled(case=case)):
        return _("办件尚有未缴清的费用，不能办结。")
    if reads.mapping is not None:
        link = reads.certificate
        if link is None:
            return _("证照尚未签发，不能办结。")
        if link.licence.state != LicenceState.VALID:
            return _("该办件的证照已撤销，不能办结。")
    delivery = reads.delivery
    if delivery is None or delivery.state not in DELIVERED_STATES:
        return _("办理结果尚未送达（窗口领取或寄出），不能办结。")
    return None


def case_complete(*, actor: Any, case: Case, note: str = "") -> Case:
    """办结 (decided → completed): checks the requirements above, makes the decision document if missing,
    stops every open clock of the case, all in one transaction. `note`: the result as reported (办理结果说明)."""
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("内容不能超过 %(max)d 个字符。") % {"max": 2000}})
    with audited_atomic():
        locked = lock(case)
        if not (is_system_actor(actor) or can_deliver_case(actor, locked)):
            raise ValidationError(_("您无权办结该办件。"))
        require_state(locked, {CaseState.DECIDED}, _("办结"))
        blocker = completion_blocker(locked)
        if blocker is not None:
            raise ValidationError(blocker)
        document = case_decision_document(actor=actor, case=locked)
        now = timezone.now()
        before = snapshot(locked)
        stopped = []
        for clock in case_clocks(locked).open().order_by("pk"):
            clock = clock_stop(actor=actor, clock=clock, at=now)
            stopped.append({"clock_id": clock.pk, "outcome": clock.outcome})
        locked.state = CaseState.COMPLETED
        locked.completed_at = now
        if note:
            locked.outcome_note = note
        locked.save(update_fields=["state", "completed_at", "outcome_note", "updated_at"])
        delivery = delivery_of(locked)
        audit_record(
            actor=actor,
            action="cases.completed",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "completed_at": now,
                "decision": decision_of(locked).outcome,
                "decision_document_sha256": document.pdf_sha256,
                "delivery": delivery.state if delivery is not None else "",
                "clocks_stopped": stopped,
            },
        )
        tell_applicant(
            locked,
            category=Category.CASE_COMPLETED,
            subject=_("您的办件已办结：%(number)s") % {"number": locked.number},
            body=(
                _("您申请的“%(item)s”已于 %(at)s 办结，可在“我的办件”中下载决定书。欢迎对本次服务作出评价。")
                if locked.applicant_id is not None
                else _("您申请的“%(item)s”已于 %(at)s 办结。欢迎对本次服务作出评价。")  # no account: no “我的办件”
            )
            % {"item": locked.item_version.name, "at": fmt(now)},
            actor=actor,
        )
    sync(case, locked)
    return locked
