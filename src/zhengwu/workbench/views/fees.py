"""统一收费窗口 (the unified fee window) and the fee actions of the case page. Thin adapters over
zhengwu.cases.domain.fees; who may see and do what comes from zhengwu.cases.rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import DecimalField, Exists, OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhengwu.cases import rules
from zhengwu.cases.documents import fee_payment_for_receipt, fee_receipt_pdf
from zhengwu.cases.domain.fees import (
    case_fee_notice_cancel,
    case_fee_notice_issue,
    case_fee_pay,
    fee_lines_standard,
    fee_refund_approve,
    fee_refund_reject,
    fee_refund_request,
    fee_refund_withdraw,
)
from zhengwu.cases.domain.online_payment import fee_payment_attempt_return
from zhengwu.cases.domain.outcome import CaseFacts
from zhengwu.cases.enums import (
    FEE_REFUND_OPEN_STATES,
    WINDOW_PAYMENT_METHODS,
    CaseState,
    DecisionOutcome,
    FeeNoticeState,
    PaymentAttemptState,
    PaymentMethod,
)
from zhengwu.cases.models import (
    Case,
    CaseDecision,
    FeeNotice,
    FeeNoticeLine,
    FeePayment,
    FeeRefund,
    FeeRefundRequest,
    PaymentAttempt,
)
from zhengwu.workbench.queues import pending_refund_requests, unpaid_notices, window_notices
from zhengwu.workbench.rules import staff_required

PER_PAGE = 50
REFUND_QUEUE_LIMIT = 200


def _errors(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


# ---------------------------------------------------------------- 统一收费窗口


class QueueSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("办件编号或申请人"), required=False, max_length=60)


class CollectForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("缴费方式"),
        choices=[(m.value, m.label) for m in PaymentMethod if m in WINDOW_PAYMENT_METHODS],
        widget=forms.RadioSelect,
        initial=PaymentMethod.CASH,
    )
    amount = forms.DecimalField(label=gettext_lazy("实收金额（元）"), max_digits=12, decimal_places=2, min_value=0)


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("退费金额（元）"), max_digits=12, decimal_places=2, min_value=0)
    reason = forms.CharField(label=gettext_lazy("退费理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _window_or_403(user):
    window = rules.fee_window(user)
    if window is None:
        raise PermissionDenied
    return window


@staff_required
def fee_queue(request):
    """待缴费: unpaid notices of the departments the clerk's fee window serves, oldest first."""
    window = _window_or_403(request.user)
    form = QueueSearchForm(request.GET or None)
    notices = unpaid_notices(window)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        notices = notices.filter(case__number__startswith=query.upper()) | notices.filter(case__applicant_name=query)
    notices = notices.select_related("case__item_version", "case__department").order_by("issued_at", "pk")
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/fees/queue.html",
        {"form": form, "page": page, "window": window, "query": query},
    )


def _notice_or_404(user, notice_id: int) -> FeeNotice:
    window = _window_or_403(user)
    queryset = (
        window_notices(window)
        .select_related("case__item_version", "case__department", "issued_by")
        .annotate(has_attempts=Exists(PaymentAttempt.objects.filter(notice=OuterRef("pk"))))
        .prefetch_related(
            Prefetch("lines", queryset=FeeNoticeLine.objects.order_by("position", "pk")),
        )
    )
    return get_object_or_404(queryset, pk=notice_id)


def _payment(notice: FeeNotice) -> FeePayment | None:
    return (
        FeePayment.objects.filter(notice=notice)
        .select_related("window", "collected_by")
        .prefetch_related(
            Prefetch("refunds", queryset=FeeRefund.objects.order_by("refunded_at", "pk")),
            Prefetch(
                "refund_requests",
                queryset=FeeRefundRequest.objects.select_related("requested_by", "decided_by").order_by(
                    "requested_at", "pk"
                ),
            ),
        )
        .first()
    )


def _notice_page(request, notice: FeeNotice, *, collect=None, refund=None, errors=(), status=200):
    payment = _payment(notice)
    refundable = pending = Decimal("0.00")
    requests: list[FeeRefundRequest] = []
    if payment is not None:
        requests = list(payment.refund_requests.all())
        pending = sum((r.amount for r in requests if r.state in FEE_REFUND_OPEN_STATES), Decimal("0.00"))
        refunded = sum((r.amount for r in payment.refunds.all()), Decimal("0.00"))
        refundable = payment.amount - refunded - pending
    # Online payments through a provider that confirms later: one in progress (collecting at the window too
    # would charge twice) and money taken but not recorded (returned through the provider from here).
    attempts = (
        list(PaymentAttempt.objects.filter(notice=notice).select_related("returned_by").order_by("-created_at", "-pk"))
        if getattr(notice, "has_attempts", True)
        else []
    )
    # Started until the platform's notification or reconciliation (对账/查单) settles it, also for a while after it
    # lapsed: a payment made just before then may not be confirmed yet.
    live_attempt = next((a for a in attempts if a.state == PaymentAttemptState.STARTED), None)
    can_return = any(a.state == PaymentAttemptState.UNRECORDED for a in attempts) and (
        rules.can_return_online_payment(request.user, notice.case)
    )
    return render(
        request,
        "workbench/fees/notice.html",
        {
            "notice": notice,
            "attempts": attempts,
            "live_attempt": live_attempt if notice.state == FeeNoticeState.ISSUED else None,
            "live_attempt_lapsed": live_attempt is not None and live_attempt.expires_at <= timezone.now(),
            "can_return_online": can_return,
            "case": notice.case,
            "lines": list(notice.lines.all()),
            "payment": payment,
            "refundable": refundable,
            "pending_refunds": pending,
            "refund_requests": requests,
            "open_states": FEE_REFUND_OPEN_STATES,
            "collect_form": collect
            or (CollectForm(initial={"amount": notice.total}) if notice.state == FeeNoticeState.ISSUED else None),
            "refund_form": refund or (RefundForm(initial={"amount": refundable}) if refundable > 0 else None),
            "errors": list(errors),
        },
        status=status,
    )


@staff_required
def fee_notice(request, notice_id: int):
    return _notice_page(request, _notice_or_404(request.user, notice_id))


@require_POST
@staff_required
def fee_collect(request, notice_id: int):
    notice = _notice_or_404(request.user, notice_id)
    form = CollectForm(request.POST)
    if form.is_valid():
        try:
            payment = case_fee_pay(
                actor=request.user,
                notice=notice,
                method=form.cleaned_data["method"],
                amount=form.cleaned_data["amount"],
            )
        except ValidationError as error:
            return _notice_page(request, notice, collect=form, errors=_errors(error), status=400)
        messages.success(
            request,
            _("已收费 %(amount)s 元，票据号 %(number)s。")
            % {"amount": payment.amount, "number": payment.receipt_number},
        )
        return redirect("workbench:fee_notice", notice_id=notice.pk)
    return _notice_page(request, notice, collect=form, status=400)


@require_POST
@staff_required
def fee_refund_request_view(request, notice_id: int):
    """申请退费 at the fee window; the refund waits for a leader's approval (退费审批)."""
    notice = _notice_or_404(request.user, notice_id)
    payment = _payment(notice)
    if payment is None:
        raise Http404
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            asked = fee_refund_request(
                actor=request.user,
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            return _notice_page(request, notice, refund=form, errors=_errors(error), status=400)
        messages.success(
            request,
            _("已申请退费 %(amount)s 元，待分管领导或单位负责人审批后退还。") % {"amount": asked.amount},
        )
        return redirect("workbench:fee_notice", notice_id=notice.pk)
    return _notice_page(request, notice, refund=form, status=400)


@require_POST
@staff_required
def fee_refund_withdraw_view(request, request_id: int):
    window = _window_or_403(request.user)
    refund_request = get_object_or_404(
        FeeRefundRequest.objects.filter(payment__notice__in=window_notices(window)).select_related("payment"),
        pk=request_id,
    )
    notice = _notice_or_404(request.user, refund_request.payment.notice_id)
    try:
        fee_refund_withdraw(actor=request.user, request=refund_request, note=request.POST.get("note", ""))
    except ValidationError as error:
        return _notice_page(request, notice, errors=_errors(error), status=400)
    messages.success(request, _("已撤回退费申请。"))
    return redirect("workbench:fee_notice", notice_id=notice.pk)


@require_POST
@staff_required
def fee_payment_attempt_return_view(request, attempt_id: int):
    """退回缴费人: online money that could not be recorded goes back through the payment platform, once the clerk
    has ticked the confirmation naming the amount."""
    window = _window_or_403(request.user)
    attempt = get_object_or_404(PaymentAttempt.objects.filter(notice__in=window_notices(window)), pk=attempt_id)
    notice = _notice_or_404(request.user, attempt.notice_id)
    if request.POST.get("confirm") != "on":
        message = _("请勾选确认后再退回 %(amount)s 元。") % {"amount": attempt.amount}
        return _notice_page(request, notice, errors=[message], status=400)
    try:
        returned = fee_payment_attempt_return(actor=request.user, attempt=attempt)
    except ValidationError as error:
        return _notice_page(request, notice, errors=_errors(error), status=400)
    messages.success(
        request,
        _("已将 %(amount)s 元经支付平台退回缴费人，退款流水号 %(reference)s。")
        % {"amount": returned.amount, "reference": returned.return_reference},
    )
    return redirect("workbench:fee_notice", notice_id=notice.pk)


# ---------------------------------------------------------------- 待审批退费 (the leaders' refund approvals)


def _refunded_so_far():
    refunds = (
        FeeRefund.objects.filter(payment_id=OuterRef("payment_id"))
        .order_by()
        .values("payment_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(refunds, output_field=money), Value(Decimal("0.00")), output_field=money)


def _refund_requests_for(user):
    return (
        pending_refund_requests(user)
        .select_related("payment__notice__case__item_version", "requested_by", "window")
        .annotate(refunded=_refunded_so_far())
    )


def _refund_queue(request, *, errors: list[str] | None = None, status: int = 200):
    pending = list(_refund_requests_for(request.user).order_by("requested_at", "pk")[:REFUND_QUEUE_LIMIT])
    return render(
        request,
        "workbench/fees/refund_queue.html",
        {"refund_requests": pending, "limit": REFUND_QUEUE_LIMIT, "errors": errors or []},
        status=status,
    )


@staff_required
def fee_refund_queue(request):
    """待审批退费: pending refund requests on the fees of the leader's department, oldest first."""
    if not rules.can_view_fee_refund_queue(request.user):
        raise PermissionDenied
    return _refund_queue(request)


@require_POST
@staff_required
def fee_refund_decide_view(request, request_id: int):
    """Approve or reject from the queue; with htmx the request's row is swapped in place."""
    user = request.user
    if not rules.can_view_fee_refund_queue(user):
        raise PermissionDenied
    refund_request = get_object_or_404(
        FeeRefundRequest.objects.filter(payment__notice__case__in=rules.cases_visible_to(user)), pk=request_id
    )
    decision = request.POST.get("decision")
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            fee_refund_approve(actor=user, request=refund_request, note=note)
            done = _("已批准退费 %(amount)s 元，款项已退还。") % {"amount": refund_request.amount}
        elif decision == "reject":
            fee_refund_reject(actor=user, request=refund_request, note=note)
            done = _("已决定不予退费。")
        else:
            raise ValidationError(_("请选择批准或不予退费。"))
    except ValidationError as error:
        if _is_htmx(request):
            row = _refund_requests_for(user).filter(pk=refund_request.pk).first()
            return render(
                request,
                "workbench/fees/_refund_request_row.html",
                {"item": row or refund_request, "errors": _errors(error), "note": note, "closed": row is None},
            )
        return _refund_queue(request, errors=_errors(error), status=400)
    if _is_htmx(request):
        return render(
            request,
            "workbench/fees/_refund_request_row.html",
            {"item": refund_request, "done": done, "closed": True},
        )
    messages.success(request, done)
    return redirect("workbench:fee_refund_queue")


@staff_required
def fee_receipt(request, payment_id: int):
    """The payment receipt PDF: for the fee window that collects the department's fees, or staff who see the case."""
    try:
        payment = fee_payment_for_receipt(payment_id)
    except FeePayment.DoesNotExist:
        raise Http404 from None
    case = payment.notice.case
    if not (rules.can_collect_fees(request.user, case) or rules.can_view_case(request.user, case)):
        raise Http404
    response = HttpResponse(fee_receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{payment.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- the case page's fee section


@dataclass
class StandardRow:
    fee_item_id: int
    name: str
    unit: str
    standard_amount: Decimal
    quantity: int
    standard_total: Decimal


@dataclass
class CaseFees:
    notices: list[FeeNotice]
    can_issue: bool = False
    can_cancel: bool = False
    can_collect: bool = False
    standard: list[StandardRow] = field(default_factory=list)
    standard_error: str = ""


def case_fees_panel(user, case: Case, *, facts: CaseFacts | None = None) -> CaseFees:
    """What the case page's fee section shows: the notices with their lines, payment and refunds, and, for the
    department after a grant, the standard to issue a notice from. With the page's `facts`, the decision is
    read once for both sections and the notices are handed to the result section."""
    notices = list(
        FeeNotice.objects.filter(case=case)
        .select_related("issued_by", "payment__window")
        .prefetch_related(
            Prefetch("lines", queryset=FeeNoticeLine.objects.order_by("position", "pk")),
            Prefetch("payment__refunds", queryset=FeeRefund.objects.order_by("refunded_at", "pk")),
        )
        .order_by("issued_at", "pk")
    )
    if facts is not None:
        facts.notices = notices
    panel = CaseFees(
        notices=notices,
        can_cancel=rules.can_issue_fee_notice(user, case),
        can_collect=rules.can_collect_fees(user, case),
    )
    if (
        case.state == CaseState.DECIDED
        and panel.can_cancel
        and not any(n.state == FeeNoticeState.ISSUED for n in notices)
        and (
            facts.granted
            if facts is not None
            else CaseDecision.objects.filter(case=case, outcome=DecisionOutcome.GRANT).exists()
        )
    ):
        panel.can_issue = True
        try:
            panel.standard = [
                StandardRow(
                    line.fee_item.pk, line.name, line.unit, line.standard_amount, line.quantity, line.standard_total
                )
                for line in fee_lines_standard(case)
            ]
        except ValidationError as error:
            panel.standard_error = "；".join(error.messages)
    return panel


def _case_for_fees(user, number: str) -> Case:
    return get_object_or_404(rules.cases_visible_to(user, Case.objects.select_related("item_version")), number=number)


@require_POST
@staff_required
def case_fee_issue_view(request, number: str):
    case = _case_for_fees(request.user, number)
    lines = []
    for key, value in request.POST.items():
        if key.startswith("charged_") and key[len("charged_") :].isdecimal():
            lines.append({"fee_item": int(key[len("charged_") :]), "charged_amount": value})
    extra_name = request.POST.get("extra_name", "").strip()
    if extra_name or request.POST.get("extra_amount", "").strip():
        lines.append({"name": extra_name, "charged_amount": request.POST.get("extra_amount", "")})
    try:
        notice = case_fee_notice_issue(
            actor=request.user,
            case=case,
            lines=lines if lines else None,
            override_reason=request.POST.get("override_reason", ""),
        )
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        messages.success(request, _("已开具缴费通知，应缴 %(total)s 元。") % {"total": notice.total})
    return redirect("workbench:case_detail", number=case.number)


@require_POST
@staff_required
def case_fee_cancel_view(request, number: str, notice_id: int):
    case = _case_for_fees(request.user, number)
    notice = get_object_or_404(FeeNotice.objects.select_related("case"), case=case, pk=notice_id)
    try:
        case_fee_notice_cancel(actor=request.user, notice=notice, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        messages.success(request, _("缴费通知已作废。"))
    return redirect("workbench:case_detail", number=case.number)
