"""The simulated payment platform's cashier page (/payments/simulated/), for development, demos and tests: it
stands in for a bank's or the province's platform when ZHENGWU_PAYMENT_BACKEND names
`SimulatedGatewayProvider` and answers 404 otherwise. 确认支付 records the payment in the platform's ledger, sends
the signed notification a real platform would POST to the notification endpoint — in-process, through the view the
URL resolves to — and then sends the payer back to the return address, as a platform does. 确认支付（模拟通知丢失）
takes the money without sending the notification, as when it is lost on the way: only reconciliation (查单) then
records it. An order the ledger has paid or closed cannot be paid again."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.test.client import RequestFactory
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhengwu.cases.enums import SimulatedOrderState
from zhengwu.cases.payments import PaymentError, SimulatedGatewayProvider, online_payment_available, payment_provider

# pay_lost: paid at the platform, but its notification never reaches the site.
ACTIONS = ("pay", "pay_lost", "fail", "cancel")


def _provider() -> SimulatedGatewayProvider:
    provider = payment_provider() if online_payment_available() else None
    if not isinstance(provider, SimulatedGatewayProvider):
        raise Http404
    return provider


def _local(url: str) -> str:
    """The path (and query) of an address on this site."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _deliver(order: dict, fields: dict[str, str]) -> str:
    """POST the notification to the order's notification address, in-process; the body the site answered."""
    path = urlsplit(order["notify_url"]).path
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    request = RequestFactory().post(path, data=urlencode(fields), content_type="application/x-www-form-urlencoded")
    response = match.func(request, *match.args, **match.kwargs)
    return response.content.decode("utf-8", "replace")


@never_cache
@require_http_methods(["GET", "POST"])
def cashier(request):
    provider = _provider()
    token = request.POST.get("order", "") if request.method == "POST" else request.GET.get("order", "")
    order = provider.read_order(token)
    if order is None:
        return render(request, "portal/payments/simulated_cashier.html", {"order": None}, status=400)
    expires_at = datetime.datetime.fromtimestamp(order["expires_at"], tz=datetime.UTC)
    state = provider.order_state(order["reference"])
    lapsed = timezone.now() >= expires_at
    closed = lapsed or state == SimulatedOrderState.CLOSED
    paid = state == SimulatedOrderState.PAID
    context = {
        "order": order,
        "token": token,
        "expires_at": expires_at,
        "lapsed": lapsed,
        "closed": closed,
        "paid": paid,
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS or ((closed or paid) and action != "cancel"):
            return render(request, "portal/payments/simulated_cashier.html", context, status=400)
        if action != "cancel":
            try:
                fields = provider.collect(order, paid=action != "fail")
            except PaymentError as error:  # paid or closed meanwhile
                messages.warning(request, _("模拟支付平台：%(reason)s") % {"reason": str(error)})
                return redirect(_local(order["return_url"]))
            if action != "pay_lost":
                answer = _deliver(order, fields)
                if answer != "success":
                    warning = _("模拟支付平台：商户未确认支付结果通知（应答：%(answer)s）。") % {"answer": answer}
                    messages.warning(request, warning)
        return redirect(_local(order["return_url"]))
    return render(request, "portal/payments/simulated_cashier.html", context)
