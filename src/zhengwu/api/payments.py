"""Payment platforms' notifications (支付结果通知), mounted at /api/payments/notify/<provider>/: server to server,
signed by the platform, answered in the body the platform expects (ADR 0014, "Asynchronous providers").

A plain Django view, not a NinjaAPI one: each platform has its own body format and acknowledgement."""

import logging

from django.http import Http404
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zhengwu.cases.domain.online_payment import PaymentNotificationRefused, fee_payment_attempt_notify
from zhengwu.cases.payments import PaymentError, payment_provider

logger = logging.getLogger(__name__)


@csrf_exempt  # the platform signs its notifications; it has no session or CSRF token
@never_cache
@require_POST
def notify(request, provider: str):
    try:
        backend = payment_provider()
    except PaymentError:
        raise Http404 from None
    if not backend.asynchronous or backend.key != provider:
        raise Http404
    notification = backend.parse_notification(request)
    if notification is None:
        logger.warning("网上支付通知签名或格式不正确（渠道 %s），已拒绝。", provider)
        response = backend.acknowledge(ok=False)
        response.status_code = 400
        return response
    try:
        fee_payment_attempt_notify(provider=backend, notification=notification)
    except PaymentNotificationRefused:
        return backend.acknowledge(ok=False)  # logged by the domain function
    return backend.acknowledge(ok=True)


app_name = "payments"

urlpatterns = [
    path("notify/<slug:provider>/", notify, name="notify"),
]
