"""The applicant's side of a decided case: download the certificate and decision document, choose delivery."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases.domain import case_delivery_arrange
from zhengwu.cases.models import CaseCertificate, CaseDecisionDocument
from zhengwu.portal.views.cases import _own_case


def _pdf(field, filename: str) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type="application/pdf", filename=filename)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def case_certificate_pdf(request, number: str):
    case = _own_case(request, number)
    link = CaseCertificate.objects.filter(case=case).select_related("licence").first()
    if link is None:
        raise Http404
    return _pdf(link.licence.pdf, f"{link.licence.number}.pdf")


@login_required
def case_decision_pdf(request, number: str):
    case = _own_case(request, number)
    document = CaseDecisionDocument.objects.filter(case=case).first()
    if document is None:
        raise Http404
    return _pdf(document.pdf, f"{case.number}-decision.pdf")


@login_required
@require_POST
def case_delivery(request, number: str):
    case = _own_case(request, number)
    post = request.POST
    try:
        case_delivery_arrange(
            actor=request.user,
            case=case,
            method=post.get("method", ""),
            address=post.get("address", ""),
            recipient=post.get("recipient", ""),
            phone=post.get("phone", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("送达方式已保存。"))
    return redirect("portal:case_detail", number=case.number)
