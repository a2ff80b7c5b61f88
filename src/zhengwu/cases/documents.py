"""Printed documents of fees: the payment receipt (缴费凭证) as PDF, the same for staff and applicant."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.cases.models import FeePayment


def fee_payment_for_receipt(pk: int) -> FeePayment:
    return FeePayment.objects.select_related(
        "notice__case__item_version", "notice__case__department", "window__hall", "collected_by"
    ).get(pk=pk)


def fee_receipt_html(payment: FeePayment) -> str:
    notice = payment.notice
    case = notice.case
    return render_to_string(
        "cases/pdf/fee_receipt.html",
        {
            "payment": payment,
            "notice": notice,
            "case": case,
            "lines": list(notice.lines.order_by("position", "pk")),
            "refunds": list(payment.refunds.order_by("refunded_at", "pk")),
            "applicant_id": mask_id_number(case.applicant_id_number),
            "printed_at": timezone.now(),
        },
    )


def fee_receipt_pdf(payment: FeePayment) -> bytes:
    from zhengwu.licences.domain.render import html_to_pdf

    return html_to_pdf(fee_receipt_html(payment))
