"""The result side of a decided case in one read (decision, certificate, decision document, delivery), with
what the given user may do next: the case pages show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhengwu.cases import rules
from zhengwu.cases.domain._outcome import CASE_RESULT_RELATED, CaseFacts, result_not_ready_reason
from zhengwu.cases.domain.completion import completion_blocker
from zhengwu.cases.enums import CaseState, DecisionOutcome, DeliveryMethod, DeliveryState
from zhengwu.cases.models import (
    Case,
    CaseCertificate,
    CaseDecision,
    CaseDecisionDocument,
    CaseDelivery,
    ItemCertificate,
)
from zhengwu.licences.enums import LicenceState

__all__ = ["CASE_RESULT_RELATED", "CaseFacts", "CaseOutcome", "case_outcome"]


@dataclass
class CaseOutcome:
    case: Case
    decision: CaseDecision | None
    mapping: ItemCertificate | None
    certificate: CaseCertificate | None
    document: CaseDecisionDocument | None
    delivery: CaseDelivery | None
    fees_settled: bool
    not_ready: str | None  # why the result cannot be delivered yet
    completion_blocker: str | None
    express_offered: bool
    # What the user may do now.
    can_issue: bool = False
    can_revoke: bool = False
    can_make_document: bool = False
    can_arrange: bool = False
    can_ship: bool = False
    can_hand_over: bool = False
    can_complete: bool = False
    can_download: bool = False

    @property
    def granted(self) -> bool:
        return self.decision is not None and self.decision.outcome == DecisionOutcome.GRANT

    @property
    def certificate_valid(self) -> bool:
        return self.certificate is not None and self.certificate.licence.state == LicenceState.VALID

    @property
    def delivered(self) -> bool:
        return self.delivery is not None and self.delivery.state != DeliveryState.ARRANGED


def case_outcome(case: Case, user: Any, *, facts: CaseFacts | None = None) -> CaseOutcome | None:
    """None while the case has no decision (nothing to show yet). `facts`: the page's, so that what its other
    sections read (the fee notices, the decision) is not read again."""
    facts = facts or CaseFacts(case)
    decision = facts.decision
    if decision is None:
        return None
    decided = case.state == CaseState.DECIDED
    granted = decision.outcome == DecisionOutcome.GRANT
    mapping = facts.mapping
    certificate = facts.certificate
    delivery = facts.delivery
    outcome = CaseOutcome(
        case=case,
        decision=decision,
        mapping=mapping,
        certificate=certificate,
        document=facts.document,
        delivery=delivery,
        fees_settled=facts.fees_settled,
        not_ready=result_not_ready_reason(case, facts) if granted else None,
        completion_blocker=completion_blocker(case, facts) if decided else None,
        express_offered=case.item_version.express_delivery,
    )
    staff_delivers = rules.can_deliver_case(user, case)
    open_delivery = delivery is None or delivery.state == DeliveryState.ARRANGED
    outcome.can_download = rules.can_download_case_result(user, case)
    outcome.can_issue = (
        decided
        and granted
        and mapping is not None
        and certificate is None
        and rules.can_issue_case_certificate(user, case)
    )
    outcome.can_revoke = outcome.certificate_valid and rules.can_revoke_case_certificate(user, certificate.licence)
    outcome.can_make_document = outcome.document is None and staff_delivers
    outcome.can_arrange = decided and granted and open_delivery and rules.can_arrange_delivery(user, case)
    deliverable = decided and granted and outcome.not_ready is None and staff_delivers and open_delivery
    method = delivery.method if delivery is not None else None
    outcome.can_ship = deliverable and method == DeliveryMethod.EXPRESS
    outcome.can_hand_over = deliverable and method in (None, DeliveryMethod.PICKUP)
    outcome.can_complete = decided and staff_delivers
    return outcome
