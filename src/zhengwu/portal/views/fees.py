"""The applicant's fees: the notice on the case page, paying it online (at once, or through a provider's cashier
page and our return page), the payment receipt PDF."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from zhengwu.cases.documents import fee_payment_for_receipt, fee_receipt_pdf
from zhengwu.cases.domain.fees import case_fee_pay
from zhengwu.cases.domain.online_payment import fee_payment_attempt_start, payment_order
from zhengwu.cases.enums import FEE_REFUND_OPEN_STATES, FeeNoticeState, PaymentAttemptState, PaymentMethod
from zhengwu.cases.models import (
    Case,
    FeeNotice,
    FeeNoticeLine,
    FeePayment,
    FeeRefund,
    FeeRefundRequest,
    PaymentAttempt,
)
from zhengwu.cases.payments import PaymentError, PaymentProvider, payment_provider
from zhengwu.cases.rules import can_pay_online

# Online payments the applicant's case page mentions: one awaiting the provider, money taken but not recorded,
# and such money returned.
SHOWN_ATTEMPT_STATES = (PaymentAttemptState.STARTED, PaymentAttemptState.UNRECORDED, PaymentAttemptState.RETURNED)


@dataclass
class ApplicantFees:
    notices: list[FeeNotice]
    can_pay_online: bool
    provider_name: str
    unrecorded: list[PaymentAttempt] = field(default_factory=list)
    returned: list[PaymentAttempt] = field(default_factory=list)


def applicant_fees(user, case: Case) -> ApplicantFees:
    """The notices the applicant sees (cancelled ones are left out) with lines, payment, refunds and the refund
    requests awaiting approval; on an unpaid notice, the online payment awaiting the provider's confirmation
    (`notice.pending_attempt`); online payments taken but not recorded (`unrecorded`, any notice), and those
    returned to the payer since (`returned`). The
    attempts are read (one query) only where the applicant can pay online through an asynchronous provider;
    the fee window's notice page lists them whatever the configuration."""
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
    payable = can_pay_online(user, case)
    online = bool(notices) and payable
    provider = payment_provider() if payable else None
    section = ApplicantFees(notices, online, provider.name if online else "")
    # Even without a notice shown: money may have been taken for a notice cancelled since.
    if provider is not None and provider.asynchronous:
        attempts = PaymentAttempt.objects.filter(notice__case_id=case.pk, state__in=SHOWN_ATTEMPT_STATES).order_by(
            "created_at", "pk"
        )
        pending = {}
        for attempt in attempts:
            if attempt.state == PaymentAttemptState.UNRECORDED:
                section.unrecorded.append(attempt)
            elif attempt.state == PaymentAttemptState.RETURNED:
                section.returned.append(attempt)
            else:  # started: until the platform's notification, or reconciliation, settles it
                pending[attempt.notice_id] = attempt
        for notice in notices:
            notice.pending_attempt = pending.get(notice.pk) if notice.state == FeeNoticeState.ISSUED else None
    return section


def _own_case(request, number: str) -> Case:
    return get_object_or_404(Case.objects.select_related("item_version"), number=number, applicant=request.user)


@require_POST
@login_required
def pay_online(request, number: str, notice_id: int):
    case = _own_case(request, number)
    notice = get_object_or_404(FeeNotice, case=case, pk=notice_id)
    notice.case = case
    if notice.state != FeeNoticeState.ISSUED:
        messages.error(request, _("该缴费通知无需缴费。"))
        return redirect("portal:case_detail", number=case.number)
    if not can_pay_online(request.user, case):
        messages.error(request, _("该事项不支持网上支付，请到政务服务中心统一收费窗口缴费。"))
        return redirect("portal:case_detail", number=case.number)
    provider = payment_provider()
    if provider.asynchronous:
        return _start_at_cashier(request, case, notice, provider)
    try:
        started = provider.start(notice=notice, amount=notice.total, payer=request.user)
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


def _start_at_cashier(request, case: Case, notice: FeeNotice, provider: PaymentProvider):
    """Open (or reuse) the order and send the payer to the provider's cashier page; the payment is recorded only
    when the provider's notification arrives."""
    try:
        attempt = fee_payment_attempt_start(actor=request.user, notice=notice)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("portal:case_detail", number=case.number)
    try:
        started = provider.start(notice=notice, amount=attempt.amount, payer=request.user, order=payment_order(attempt))
    except PaymentError as error:
        messages.error(request, _("支付未成功：%(reason)s") % {"reason": str(error)})
        return redirect("portal:case_detail", number=case.number)
    if not started.redirect_url:
        messages.error(request, _("支付未成功，请稍后重试。"))
        return redirect("portal:case_detail", number=case.number)
    return redirect(started.redirect_url)


@csrf_exempt  # some platforms send the payer back with a POST from their site; nothing in it is read
@never_cache
@require_http_methods(["GET", "POST"])
def payment_return(request, number: str, reference: str):
    """Where the provider sends the payer back: the attempt's state as recorded here. The request's parameters
    are never read; only the provider's notification records a payment."""
    if request.method == "POST":
        # A GET of the same address: the session cookie (SameSite=Lax) comes with it, as it does not with a
        # cross-site POST.
        return HttpResponseRedirect(request.path, status=303)
    return _payment_return_page(request, number, reference)


@login_required
def _payment_return_page(request, number: str, reference: str):
    case = _own_case(request, number)
    attempt = get_object_or_404(
        PaymentAttempt.objects.select_related("notice", "payment"), reference=reference, notice__case=case
    )
    return render(
        request,
        "portal/cases/payment_return.html",
        {"case": case, "attempt": attempt},
    )


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
