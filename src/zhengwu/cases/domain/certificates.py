"""Certificates of granted cases (电子证照) and the signed decision document (行政许可决定书).

* `case_certificate_issue` issues the licence the item maps (ItemCertificate) to the applicant's account
  (a walk-in applicant's account is found by ID number or credit code) and links it to the case. The case
  row is locked first and the link is unique per case, so two clerks clicking at once get one licence.
* `case_decision_document` renders the 准予 / 不予行政许可决定书 with reasons, legal basis and, for a denial,
  the remedies (《行政许可法》第三十八条), signs it with the department's key naming the deciding official in
  the signature reason, and keeps it: made once per case.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import lock, require_state, sync, user_or_none
from zhengwu.cases.domain._outcome import announce_pickup, certificate_mapping, decision_of, delivery_of
from zhengwu.cases.domain.fees import case_fees_settled
from zhengwu.cases.enums import ApplicantKind, CaseState, DecisionOutcome
from zhengwu.cases.models import (
    CERTIFICATE_APPLICANT_ATTRS,
    Case,
    CaseCertificate,
    CaseDecision,
    CaseDecisionDocument,
    ItemCertificate,
    certificate_sources_error,
)
from zhengwu.cases.rules import can_deliver_case, can_issue_case_certificate, can_revoke_case_certificate
from zhengwu.catalog.models import ServiceItem
from zhengwu.licences.domain import licence_issue, licence_revoke
from zhengwu.licences.domain.issue import county_name, issuer_name
from zhengwu.licences.domain.render import html_to_pdf, seal_svg, svg_data_uri
from zhengwu.licences.domain.signing import pdf_sign
from zhengwu.licences.enums import LicenceState
from zhengwu.licences.models import Licence, LicenceType
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.workflow.rules import is_system_actor

__all__ = [
    "case_certificate_issue",
    "case_certificate_revoke",
    "case_decision_document",
    "certificate_data",
    "certificate_holder",
    "item_certificate_map",
]

# Time limits for the remedies printed on a denial (行政复议法第二十条, 行政诉讼法第四十六条).
REVIEW_DAYS = 60
LAWSUIT_MONTHS = 6


def item_certificate_map(
    *, item: ServiceItem, licence_type: LicenceType, field_sources: dict[str, str]
) -> ItemCertificate:
    """Map an item to the licence its granted cases produce (idempotent: updates an existing mapping).
    Configuration, like ItemProcess: used by the admin's save and the demo loader."""
    problem = certificate_sources_error(licence_type, field_sources)
    if problem:
        raise ValidationError({"field_sources": problem})
    mapping, _created = ItemCertificate.objects.update_or_create(
        item=item, defaults={"licence_type": licence_type, "field_sources": dict(field_sources)}
    )
    return mapping


def certificate_data(mapping: ItemCertificate, case: Case) -> dict[str, str]:
    """The licence's fields filled from the case by the mapping's rules (missing form keys give "")."""
    values = {
        "number": case.number,
        "item_name": case.item_version.name,
        "department": case.department.name,
    }
    data: dict[str, str] = {}
    for key, source in mapping.field_sources.items():
        prefix, _sep, rest = source.partition(":")
        if prefix == "form":
            value = (case.form_data or {}).get(rest, "")
        elif prefix == "applicant":
            value = getattr(case, CERTIFICATE_APPLICANT_ATTRS[rest])
        elif prefix == "case":
            value = values[rest]
        else:
            value = rest
        data[key] = value if isinstance(value, str) else str(value)
    return data


def certificate_holder(case: Case):
    """The account the licence goes to: the applicant's, or for a walk-in the account registered under the
    applicant's ID number or credit code."""
    if case.applicant_id is not None:
        return case.applicant
    if case.applicant_kind == ApplicantKind.LEGAL:
        profile = EnterpriseProfile.objects.select_related("user").filter(credit_code=case.applicant_id_number).first()
    else:
        profile = (
            CitizenProfile.objects.select_related("user")
            .filter(id_type=case.applicant_id_type, id_number=case.applicant_id_number)
            .first()
        )
    if profile is None:
        raise ValidationError(_("申请人尚未在本平台实名注册，电子证照无法归入其证照库。请申请人注册后再签发。"))
    return profile.user


def _granted(locked: Case) -> CaseDecision:
    decision = decision_of(locked)
    if decision is None:
        raise ValidationError(_("办件尚未作出决定，不能签发证照。"))
    if decision.outcome != DecisionOutcome.GRANT:
        raise ValidationError(_("办件决定不予许可，不能签发证照。"))
    return decision


def case_certificate_issue(*, actor: Any, case: Case) -> Licence:
    """签发证照: issue the licence the item maps to the holder and link it to the case. Calling it again
    returns the licence already issued (never a second one); a revoked one is not reissued here."""
    now = timezone.now()
    with audited_atomic():
        locked = lock(case)
        if not (is_system_actor(actor) or can_issue_case_certificate(actor, locked)):
            raise ValidationError(_("您无权为该办件签发证照。"))
        existing = CaseCertificate.objects.filter(case=locked).select_related("licence").first()
        if existing is not None:
            if existing.licence.state != LicenceState.VALID:
                raise ValidationError(_("该办件的证照已撤销，不能重复签发。"))
            return existing.licence
        require_state(locked, {CaseState.DECIDED}, _("签发证照"))
        _granted(locked)
        mapping = certificate_mapping(locked)
        if mapping is None:
            raise ValidationError(_("该事项没有配置办理结果证照，无需签发。"))
        if not case_fees_settled(case=locked):
            raise ValidationError(_("办件尚有未缴清的费用，缴清后才能签发证照。"))
        holder = certificate_holder(locked)
        try:
            licence = licence_issue(
                actor=actor,
                licence_type=mapping.licence_type,
                holder=holder,
                data=certificate_data(mapping, locked),
                department=locked.department,
                source=locked,
            )
        except PermissionDenied as error:
            raise ValidationError(str(error)) from error
        CaseCertificate.objects.create(case=locked, licence=licence, issued_by=user_or_none(actor), issued_at=now)
        audit_record(
            actor=actor,
            action="cases.certificate_issued",
            obj=locked,
            after={
                "licence_id": licence.pk,
                "licence_number": licence.number,
                "licence_type": mapping.licence_type.code,
                "holder": holder.pk,
                "valid_until": licence.valid_until,
            },
        )
        notify(
            recipients=[holder],
            category=Category.CASE_CERTIFICATE_ISSUED,
            subject=_("电子证照已签发：%(type)s %(number)s")
            % {"type": mapping.licence_type.name, "number": licence.number},
            body=_(
                "您申请的“%(item)s”（办件编号 %(case)s）已签发%(type)s，证照编号 %(number)s，"
                "可在“我的证照”中查看和下载。"
            )
            % {
                "item": locked.item_version.name,
                "case": locked.number,
                "type": mapping.licence_type.name,
                "number": licence.number,
            },
            actor=actor,
        )
        announce_pickup(locked, delivery_of(locked), actor, now)
    sync(case, locked)
    return licence


def case_certificate_revoke(*, actor: Any, case: Case, reason: str) -> Licence:
    """撤销证照 from the case page: revokes the case's licence (its verification page then says so)."""
    with audited_atomic():
        locked = lock(case)
        link = CaseCertificate.objects.filter(case=locked).select_related("licence").first()
        if link is None:
            raise ValidationError(_("该办件没有签发证照。"))
        if not (is_system_actor(actor) or can_revoke_case_certificate(actor, link.licence)):
            raise ValidationError(_("您无权撤销该证照。"))
        licence = licence_revoke(actor=actor, licence=link.licence, reason=reason)
        audit_record(
            actor=actor,
            action="cases.certificate_revoked",
            obj=locked,
            before={"licence_state": LicenceState.VALID},
            after={"licence_id": licence.pk, "licence_number": licence.number, "reason": licence.revocation_reason},
        )
        if licence.holder_id is not None:
            notify(
                recipients=[licence.holder],
                category=Category.GENERAL,
                subject=_("电子证照已撤销：%(number)s") % {"number": licence.number},
                body=_("您的%(type)s（证照编号 %(number)s）已被发证机关撤销。撤销原因：%(reason)s")
                % {"type": licence.licence_type.name, "number": licence.number, "reason": licence.revocation_reason}
                + _("\n如不服，可依法申请行政复议或者提起行政诉讼。"),
                actor=actor,
            )
    return licence


def _official(decision: CaseDecision) -> str:
    user = decision.decided_by
    if user is None:
        return _("系统（依法视为准予许可）") if decision.outcome == DecisionOutcome.GRANT else _("系统")
    return user.display_name or user.get_username()


def decision_document_html(case: Case, decision: CaseDecision, *, mapping: ItemCertificate | None) -> str:
    department = case.department
    county = county_name(department)
    issuer = issuer_name(department, county)
    granted = decision.outcome == DecisionOutcome.GRANT
    return render_to_string(
        "cases/pdf/decision.html",
        {
            "case": case,
            "decision": decision,
            "granted": granted,
            "title": _("准予行政许可决定书") if granted else _("不予行政许可决定书"),
            "issuer": issuer,
            "county": county,
            "official": _official(decision),
            "applicant_id": mask_id_number(case.applicant_id_number),
            "licence_type": mapping.licence_type if mapping is not None and granted else None,
            "review_days": REVIEW_DAYS,
            "lawsuit_months": LAWSUIT_MONTHS,
            "seal_uri": svg_data_uri(seal_svg(issuer, caption=_("行政许可专用章"))),
        },
    )


def case_decision_document(*, actor: Any, case: Case) -> CaseDecisionDocument:
    """出具决定书: render and sign the decision document once; later calls return the stored one."""
    now = timezone.now()
    written = None  # the stored PDF: removed again if the block fails, its audit append at the end included
    try:
        with audited_atomic():
            locked = lock(case)
            existing = CaseDecisionDocument.objects.filter(case=locked).first()
            if existing is not None:
                return existing
            decision = decision_of(locked)
            if decision is None:
                raise ValidationError(_("办件尚未作出决定，不能出具决定书。"))
            decider = decision.decided_by_id is not None and decision.decided_by_id == getattr(actor, "pk", None)
            if not (is_system_actor(actor) or decider or can_deliver_case(actor, locked)):
                raise ValidationError(_("您无权出具该办件的决定书。"))
            pdf = html_to_pdf(decision_document_html(locked, decision, mapping=certificate_mapping(locked)))
            reason = _("%(title)s，决定人：%(official)s") % {
                "title": DecisionOutcome(decision.outcome).label,
                "official": _official(decision),
            }
            signed, key = pdf_sign(
                pdf, department=locked.department, reason=reason, location=county_name(locked.department)
            )
            document = CaseDecisionDocument(
                case=locked,
                decision=decision,
                pdf_sha256=hashlib.sha256(signed).hexdigest(),
                signer_fingerprint=key.fingerprint,
                signature_reason=reason,
                created_by=user_or_none(actor),
                created_at=now,
            )
            document.pdf.save(f"{locked.number}.pdf", ContentFile(signed), save=False)
            written = document.pdf
            document.save()
            audit_record(
                actor=actor,
                action="cases.decision_document_issued",
                obj=locked,
                after={
                    "decision": decision.outcome,
                    "pdf_sha256": document.pdf_sha256,
                    "signer_fingerprint": key.fingerprint,
                    "signature_reason": reason,
                },
            )
    except BaseException:
        if written is not None:
            written.delete(save=False)
        raise
    sync(case, locked)
    return document
