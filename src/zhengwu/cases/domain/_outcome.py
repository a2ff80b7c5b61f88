"""What a decided case still needs before its result can be delivered (shared by certificates, delivery and
completion)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from zhengwu.cases.domain._common import fmt, tell_applicant
from zhengwu.cases.domain.fees import case_fees_settled
from zhengwu.cases.enums import DecisionOutcome, DeliveryMethod, DeliveryState
from zhengwu.cases.models import Case, CaseCertificate, CaseDecision, CaseDelivery, ItemCertificate
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


def result_ready(case: Case) -> bool:
    """A granted case whose fees are settled and whose certificate, if the item produces one, is issued and
    valid: its result may be handed over or shipped."""
    decision = decision_of(case)
    if decision is None or decision.outcome != DecisionOutcome.GRANT or not case_fees_settled(case=case):
        return False
    if certificate_mapping(case) is None:
        return True
    link = certificate_of(case)
    return link is not None and link.licence.state == LicenceState.VALID


def result_not_ready_reason(case: Case) -> str | None:
    """Why the result cannot be delivered yet (a Chinese message), or None when it can."""
    decision = decision_of(case)
    if decision is None:
        return _("办件尚未作出决定。")
    if decision.outcome != DecisionOutcome.GRANT:
        return _("不予许可的办件没有需要送达的证照。")
    if not case_fees_settled(case=case):
        return _("办件尚有未缴清的费用。")
    if certificate_mapping(case) is not None:
        link = certificate_of(case)
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
