"""The applicant's fees: the notice on the case page, paying it online, the payment receipt PDF."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases.documents import fee_payment_for_receipt, fee_receipt_pdf
from zhengwu.cases.domain.fees import case_fee_pay
from zhengwu.cases.enums import FEE_REFUND_OPEN_STATES, FeeNoticeState, PaymentMethod
from zhengwu.cases.models import Case, FeeNotice, FeeNoticeLine, FeePayment, FeeRefund, FeeRefundRequest
from zhengwu.cases.payments import PaymentError, payment_provider
from zhengwu.cases.rules import can_pay_online


@dataclass
class ApplicantFees:
    notices: list[FeeNotice]
    can_pay_online: bool
    provider_name: str


def applicant_fees(user, case: Case) -> ApplicantFees:
    """The notices the applicant sees (cancelled ones are left out) with lines, payment, refunds and the refund
    requests awaiting approval."""
    notices = list(
        FeeNotice.objects.filter(case=case)
        .exclude(state=FeeNoticeState.CANCELLED)
        .select_related("payment")
        .prefetch_related(
            Prefetch("lines", queryset=FeeNoticeLine.objects.order_by("position", "pk")),
            Prefetch("payment__refunds", queryset=FeeRefund.objects.order_by("refunded_at", "pk")),
            Prefetch(
                "payment__refund_requests",
                queryset=FeeRefundRequest.objects.filter(state__in=FEE_REFUND_OPEN_STATES).order_by(
                    "requested_at", "pk"
                ),
                to_attr="pending_refund_requests",
            ),
        )
        .order_by("issued_at", "pk")
    )
    online = bool(notices) and can_pay_online(user, case)
    return ApplicantFees(notices, online, payment_provider().name if online else "")


def _own_case(request, number: str) -> Case:
    return get_object_or_404(Case.objects.select_related("item_version"), number=number, applicant=request.user)


@require_POST
@login_required
def pay_online(request, number: str, notice_id: int):
    case = _own_case(request, number)
    notice = get_object_or_404(FeeNotice, case=case, pk=notice_id)
    if notice.state != FeeNoticeState.ISSUED:
        messages.error(request, _("该缴费通知无需缴费。"))
        return redirect("portal:case_detail", number=case.number)
    if not can_pay_online(request.user, case):
        messages.error(request, _("该事项不支持网上支付，请到政务服务中心统一收费窗口缴费。"))
        return redirect("portal:case_detail", number=case.number)
    try:
        started = payment_provider().start(notice=notice, amount=notice.total, payer=request.user)
    except PaymentError as error:
        messages.error(request, _("支付未成功：%(reason)s") % {"reason": str(error)})
        return redirect("portal:case_detail", number=case.number)
    if not started.confirmed:
        if started.redirect_url:
            return redirect(started.redirect_url)
        messages.error(request, _("支付未成功，请稍后重试。"))
        return redirect("portal:case_detail", number=case.number)
    try:
        payment = case_fee_pay(
            actor=request.user,
            notice=notice,
            method=PaymentMethod.ONLINE,
            amount=notice.total,
            provider_reference=started.reference,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("缴费成功：%(amount)s 元，票据号 %(number)s。")
            % {"amount": payment.amount, "number": payment.receipt_number},
        )
    return redirect("portal:case_detail", number=case.number)


@login_required
def fee_receipt(request, number: str, payment_id: int):
    case = _own_case(request, number)
    try:
        payment = fee_payment_for_receipt(payment_id)
    except FeePayment.DoesNotExist:
        raise Http404 from None
    if payment.notice.case_id != case.pk:
        raise Http404
    response = HttpResponse(fee_receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{payment.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
