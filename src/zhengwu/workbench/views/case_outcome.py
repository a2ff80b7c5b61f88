"""The result side of the staff case page: certificate, decision document, delivery and completion (办结).
Thin adapters over zhengwu.cases.domain; the case view (`_case_context`) gives the section its `outcome`."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases import rules
from zhengwu.cases.domain import (
    case_certificate_issue,
    case_certificate_revoke,
    case_complete,
    case_decision_document,
    case_delivery_arrange,
    case_hand_over,
    case_ship,
)
from zhengwu.cases.models import CaseCertificate, CaseDecisionDocument
from zhengwu.workbench.rules import staff_required
from zhengwu.workbench.views.cases import _act, _case_or_404


def pdf_response(field, filename: str) -> FileResponse:
    """A stored PDF shown inline (to print or save), never cached by shared caches."""
    response = FileResponse(field.open("rb"), content_type="application/pdf", filename=filename)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@staff_required
def case_certificate_issue_view(request, number: str):
    return _act(
        request, number, lambda case: case_certificate_issue(actor=request.user, case=case), _("电子证照已签发。")
    )


@require_POST
@staff_required
def case_certificate_revoke_view(request, number: str):
    reason = request.POST.get("revocation_reason", "")
    return _act(
        request,
        number,
        lambda case: case_certificate_revoke(actor=request.user, case=case, reason=reason),
        _("电子证照已撤销。"),
    )


@require_POST
@staff_required
def case_decision_document_view(request, number: str):
    return _act(
        request, number, lambda case: case_decision_document(actor=request.user, case=case), _("决定书已出具。")
    )


@require_POST
@staff_required
def case_delivery_view(request, number: str):
    post = request.POST
    return _act(
        request,
        number,
        lambda case: case_delivery_arrange(
            actor=request.user,
            case=case,
            method=post.get("method", ""),
            address=post.get("address", ""),
            recipient=post.get("recipient", ""),
            phone=post.get("phone", ""),
        ),
        _("送达方式已保存。"),
    )


@require_POST
@staff_required
def case_ship_view(request, number: str):
    carrier, tracking = request.POST.get("carrier", ""), request.POST.get("tracking_number", "")
    return _act(
        request,
        number,
        lambda case: case_ship(actor=request.user, case=case, carrier=carrier, tracking_number=tracking),
        _("已登记寄出。"),
    )


@require_POST
@staff_required
def case_hand_over_view(request, number: str):
    name, checked = request.POST.get("recipient_name", ""), request.POST.get("id_checked") == "on"
    return _act(
        request,
        number,
        lambda case: case_hand_over(actor=request.user, case=case, recipient_name=name, id_checked=checked),
        _("已登记窗口领取。"),
    )


@require_POST
@staff_required
def case_complete_view(request, number: str):
    return _act(request, number, lambda case: case_complete(actor=request.user, case=case), _("办件已办结。"))


@staff_required
def case_certificate_pdf(request, number: str):
    case = _case_or_404(request.user, number)
    link = CaseCertificate.objects.filter(case=case).select_related("licence").first()
    if link is None or not rules.can_download_case_result(request.user, case):
        raise Http404
    return pdf_response(link.licence.pdf, f"{link.licence.number}.pdf")


@staff_required
def case_decision_pdf(request, number: str):
    case = _case_or_404(request.user, number)
    document = CaseDecisionDocument.objects.filter(case=case).first()
    if document is None or not rules.can_download_case_result(request.user, case):
        raise Http404
    return pdf_response(document.pdf, f"{case.number}-decision.pdf")
