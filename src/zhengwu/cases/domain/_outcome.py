"""What a decided case still needs before its result can be delivered (shared by certificates, delivery and
completion)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from zhengwu.cases.domain._common import fmt, tell_applicant
from zhengwu.cases.domain.fees import case_fees_settled
from zhengwu.cases.enums import DecisionOutcome, DeliveryMethod, DeliveryState
from zhengwu.cases.models import (
    Case,
    CaseCertificate,
    CaseDecision,
    CaseDecisionDocument,
    CaseDelivery,
    FeeNotice,
    ItemCertificate,
)
from zhengwu.licences.enums import LicenceState
from zhengwu.notifications.enums import Category


def certificate_mapping(case: Case) -> ItemCertificate | None:
    return (
        ItemCertificate.objects.select_related("licence_type__department")
        .filter(item_id=case.item_version.item_id)
        .first()
    )


def decision_of(case: Case) -> CaseDecision | None:
    return CaseDecision.objects.filter(case_id=case.pk).select_related("decided_by").first()


def certificate_of(case: Case) -> CaseCertificate | None:
    return CaseCertificate.objects.filter(case_id=case.pk).select_related("licence__licence_type").first()


def delivery_of(case: Case) -> CaseDelivery | None:
    return CaseDelivery.objects.filter(case_id=case.pk).first()


def _document_of(case: Case) -> CaseDecisionDocument | None:
    return CaseDecisionDocument.objects.filter(case_id=case.pk).first()


# A page that reads the case with these (one row each at most) gives CaseFacts its decision, certificate,
# delivery and decision document without a query.
CASE_RESULT_RELATED = ("decision__decided_by", "certificate__licence__licence_type", "delivery", "decision_document")


def _with_case(case: Case, name: str, read):
    """The case's one-to-one row `name` as read with the case (select_related), else read now."""
    relation = getattr(Case, name).related
    return relation.get_cached_value(case) if relation.is_cached(case) else read(case)


class CaseFacts:
    """The rows a decided case's result side is judged by (decision, certificate mapping, certificate, delivery,
    decision document, whether fees are settled), each read at most once however many answers one page or step
    derives from them, and not at all when the case was read with CASE_RESULT_RELATED. `notices`: the case's fee
    notices when the caller loaded them already (cancelled ones may be left out); fees are then judged from them
    without a query."""

    def __init__(self, case: Case, *, notices: Sequence[FeeNotice] | None = None) -> None:
        self.case = case
        self.notices = notices

    @cached_property
    def decision(self) -> CaseDecision | None:
        return _with_case(self.case, "decision", decision_of)

    @property
    def granted(self) -> bool:
        return self.decision is not None and self.decision.outcome == DecisionOutcome.GRANT

    @cached_property
    def mapping(self) -> ItemCertificate | None:
        return certificate_mapping(self.case)

    @cached_property
    def certificate(self) -> CaseCertificate | None:
        return _with_case(self.case, "certificate", certificate_of)

    @cached_property
    def delivery(self) -> CaseDelivery | None:
        return _with_case(self.case, "delivery", delivery_of)

    @cached_property
    def document(self) -> CaseDecisionDocument | None:
        return _with_case(self.case, "decision_document", _document_of)

    @cached_property
    def fees_settled(self) -> bool:
        if self.notices is None:
            return case_fees_settled(case=self.case)
        return case_fees_settled(case=self.case, notices=self.notices, granted=self.granted)


def result_ready(case: Case, facts: CaseFacts | None = None) -> bool:
    """A granted case whose fees are settled and whose certificate, if the item produces one, is issued and
    valid: its result may be handed over or shipped."""
    facts = facts or CaseFacts(case)
    if not facts.granted or not facts.fees_settled:
        return False
    if facts.mapping is None:
        return True
    link = facts.certificate
    return link is not None and link.licence.state == LicenceState.VALID


def result_not_ready_reason(case: Case, facts: CaseFacts | None = None) -> str | None:
    """Why the result cannot be delivered yet (a Chinese message), or None when it can."""
    facts = facts or CaseFacts(case)
    decision = facts.decision
    if decision is None:
        return _("办件尚未作出决定。")
    if decision.outcome != DecisionOutcome.GRANT:
        return _("不予许可的办件没有需要送达的证照。")
    if not facts.fees_settled:
        return _("办件尚有未缴清的费用。")
    if facts.mapping is not None:
        link = facts.certificate
        if link is None:
            return _("证照尚未签发。")
        if link.licence.state != LicenceState.VALID:
            return _("该办件的证照已撤销。")
    return None


def announce_pickup(locked: Case, delivery: CaseDelivery | None, actor: Any, now) -> None:
    """Tell the applicant once that the result waits at the window: when it is ready and pickup is chosen."""
    if (
        delivery is None
        or delivery.method != DeliveryMethod.PICKUP
        or delivery.state != DeliveryState.ARRANGED
        or delivery.ready_notified_at is not None
        or not result_ready(locked)
    ):
        return
    delivery.ready_notified_at = now
    delivery.save(update_fields=["ready_notified_at"])
    tell_applicant(
        locked,
        category=Category.CASE_READY_FOR_PICKUP,
        subject=_("办理结果可以领取了：%(number)s") % {"number": locked.number},
        body=_("您申请的“%(item)s”办理结果已于 %(at)s 备妥，请携带本人身份证件到%(department)s窗口领取。")
        % {"item": locked.item_version.name, "at": fmt(now), "department": locked.department.name},
        actor=actor,
    )
