"""Online payment providers (网上支付) for fee notices (ADR 0014).

Setting (read at call time): ``ZHENGWU_PAYMENT_BACKEND``, the dotted path of a ``PaymentProvider`` subclass.
Unset, ``DevelopmentPaymentProvider`` (confirms at once, moves no money) is used under DEBUG and in tests;
otherwise online payment is not offered. A demo site may name the development provider explicitly, or
``SimulatedGatewayProvider`` to walk through the asynchronous path below without a real platform.

A provider implements ``start`` (ask the provider to collect `amount` for the notice; return a ``PaymentStart``
that is either confirmed with the provider's reference, or carries the address to send the payer to), ``verify``
(whether a reference is a confirmed payment of exactly that notice and amount; ``case_fee_pay`` asks it before
recording anything) and ``refund``.

Asynchronous providers (a bank, the province's 非税收入统一公共支付平台) set ``asynchronous = True`` and a URL
``key``. Their ``start`` receives a ``PaymentOrder`` (our order number, amount, the return and notification
addresses, when the order lapses) and returns the cashier page to send the payer to; it may be called again with
the same order while that is open and should then return the same page. The platform later POSTs a notification
to ``/api/payments/notify/<key>/``: ``parse_notification`` checks its signature and reads it into a
``PaymentNotification`` (``None`` when the signature or format is wrong), and ``acknowledge`` renders the body
the platform expects, so that it stops (or keeps) retrying. The notification is applied by
``cases.domain.online_payment.fee_payment_attempt_notify``, which records the payment through
``case_fee_pay(method="online", provider_reference=...)``. The payer's return to the return address proves
nothing and changes nothing.

Reconciliation (对账/查单): a notification can be lost (the network, our outage). A provider that sets
``can_query`` answers ``query(reference=...)`` with the order's state at the platform (a ``PaymentOrderStatus``:
paid with the transaction number, amount and time; not paid; closed), and one that sets ``can_close`` closes an
order on ``close(reference=...)`` so the platform takes no money for it any more.
``cases.domain.online_payment.fee_payment_attempts_reconcile`` (Celery beat) asks about orders that stayed open,
records what was paid through the same path as a notification, and closes and expires lapsed orders.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from zhengwu.cases.enums import SimulatedOrderState
from zhengwu.cases.models import SimulatedGatewayOrder

DEFAULT_BACKEND = "zhengwu.cases.payments.DevelopmentPaymentProvider"


class PaymentError(Exception):
    """The provider refused or could not be reached; the message is shown to the payer."""


@dataclass(frozen=True)
class PaymentStart:
    confirmed: bool
    reference: str = ""
    redirect_url: str = ""


@dataclass(frozen=True)
class PaymentOrder:
    """What an asynchronous provider is asked to collect (one `PaymentAttempt`)."""

    reference: str  # our order number (商户订单号), at most 32 letters and digits
    notice_id: int
    amount: Decimal
    subject: str  # shown on the cashier page
    return_url: str  # absolute: where the payer is sent back (proves nothing)
    notify_url: str  # absolute: where the platform POSTs its signed notification
    expires_at: datetime  # the platform should close the order by then


@dataclass(frozen=True)
class PaymentNotification:
    """A notification whose signature the provider has checked."""

    reference: str  # our order number, as given in `PaymentOrder.reference`
    amount: Decimal
    paid: bool  # False: the platform reports the payment failed or the order closed unpaid
    provider_reference: str = ""  # the platform's transaction number (支付流水号); required when paid
    notice_id: int | None = None  # when the platform echoes it back; checked against the order


class OrderState:
    """What a platform says of an order when asked (`PaymentProvider.query`)."""

    PAID = "paid"  # the payer paid: the transaction number, amount and time are given
    NOT_PAID = "not_paid"  # open, waiting for the payer, or never opened at the platform (the payer did not get there)
    CLOSED = "closed"  # closed unpaid: the payer cancelled or failed, the order lapsed, or we closed it


@dataclass(frozen=True)
class PaymentOrderStatus:
    """A platform's answer to `query`."""

    reference: str  # our order number, as asked
    state: str  # an `OrderState`
    provider_reference: str = ""  # the platform's transaction number (支付流水号); given when paid
    amount: Decimal | None = None  # the amount paid; given when paid
    paid_at: datetime | None = None  # when the platform took the money, if it says


class PaymentProvider:
    """Interface of an online payment provider."""

    name = ""
    # A provider that confirms later, through a notification (see the module docstring).
    asynchronous = False
    # The notification address is /api/payments/notify/<key>/.
    key = ""
    # How long the platform keeps an order open; a started attempt is reused (same order) until then.
    order_lifetime = timedelta(minutes=30)
    # Asynchronous providers: the platform answers `query` (查单) and `close` (关单); see the module docstring.
    can_query = False
    can_close = False

    def start(self, *, notice, amount: Decimal, payer, order: PaymentOrder | None = None) -> PaymentStart:
        """`order` is given to asynchronous providers only."""
        raise NotImplementedError

    def verify(self, *, reference: str, notice, amount: Decimal) -> bool:
        raise NotImplementedError

    def refund(self, *, reference: str, amount: Decimal) -> str:
        """Return the provider's refund reference; raise PaymentError when refused."""
        raise NotImplementedError

    def parse_notification(self, request: HttpRequest) -> PaymentNotification | None:
        """Asynchronous providers: the notification in `request` if its signature is the platform's, else None."""
        raise NotImplementedError

    def acknowledge(self, *, ok: bool) -> HttpResponse:
        """Asynchronous providers: the response the platform expects; not ok makes it send the notification again."""
        raise NotImplementedError

    def query(self, *, reference: str) -> PaymentOrderStatus:
        """Providers with `can_query`: the state of our order `reference` at the platform. An order the platform
        does not know is not paid. Raise PaymentError when the platform cannot be asked or does not answer."""
        raise NotImplementedError

    def close(self, *, reference: str) -> None:
        """Providers with `can_close`: make sure the platform takes no money for our order `reference` any more. An
        order it does not know, or has closed already, counts as closed. Raise PaymentError when that cannot be
        ensured: the platform was not reached, or the order has been paid meanwhile (ask `query` next time)."""
        raise NotImplementedError


class DevelopmentPaymentProvider(PaymentProvider):
    """Confirms every payment at once with a signed reference; for development, demos and tests. It opens no orders,
    so there is nothing to query or close (`can_query` and `can_close` stay False)."""

    name = "开发环境模拟支付"
    key = "development"
    salt = "zhengwu.cases.payments.development"

    def _signer(self) -> signing.Signer:
        return signing.Signer(salt=self.salt)

    def start(self, *, notice, amount: Decimal, payer) -> PaymentStart:
        value = f"dev:{notice.pk}:{Decimal(amount):.2f}:{uuid.uuid4().hex[:16]}"
        return PaymentStart(confirmed=True, reference=self._signer().sign(value))

    def verify(self, *, reference: str, notice, amount: Decimal) -> bool:
        try:
            value = self._signer().unsign(reference)
        except signing.BadSignature:
            return False
        parts = value.split(":")
        return len(parts) == 4 and parts[1] == str(notice.pk) and parts[2] == f"{Decimal(amount):.2f}"

    def refund(self, *, reference: str, amount: Decimal) -> str:
        return f"dev-refund:{uuid.uuid4().hex[:16]}"


class SimulatedGatewayProvider(PaymentProvider):
    """An asynchronous platform simulated inside the site, for development, demos and tests: `start` sends the
    payer to a local cashier page (/payments/simulated/), whose 确认支付 makes the "platform" send a notification
    signed with HMAC-SHA256 (a key derived from SECRET_KEY) to the notification endpoint, in-process, before
    sending the payer back to the return address. Moves no money. Used only when ZHENGWU_PAYMENT_BACKEND names it.

    The platform keeps its own ledger of the orders it has been paid for or has closed (`SimulatedGatewayOrder`,
    written by `collect` and `close`), which is what `query` answers from; 确认支付（模拟通知丢失） on the cashier page
    takes the money without sending the notification, as when it is lost on the way.
    """

    name = "模拟支付平台（开发测试用）"
    asynchronous = True
    key = "simulated"
    can_query = True
    can_close = True
    order_salt = "zhengwu.cases.payments.simulated.order"
    notification_salt = "zhengwu.cases.payments.simulated.notification"
    trade_salt = "zhengwu.cases.payments.simulated.trade"
    fields = ("out_trade_no", "trade_no", "notice_id", "amount", "status")

    # ---- the merchant side (what a real provider's code does)

    def start(self, *, notice, amount: Decimal, payer, order: PaymentOrder | None = None) -> PaymentStart:
        if order is None:
            raise PaymentError("模拟支付平台需要支付订单。")
        token = signing.dumps(
            {
                "reference": order.reference,
                "notice_id": order.notice_id,
                "amount": f"{Decimal(order.amount):.2f}",
                "subject": order.subject,
                "return_url": order.return_url,
                "notify_url": order.notify_url,
                "expires_at": int(order.expires_at.timestamp()),
            },
            salt=self.order_salt,
        )
        return PaymentStart(confirmed=False, redirect_url=f"{reverse('portal:payment_simulator')}?order={token}")

    def verify(self, *, reference: str, notice, amount: Decimal) -> bool:
        parts = reference.split("-")
        if len(parts) != 3 or parts[0] != "SIM":
            return False
        return constant_time_compare(parts[2], self._trade_mac(parts[1], notice.pk, amount))

    def refund(self, *, reference: str, amount: Decimal) -> str:
        """Refund (part of) one of its own transactions: SIM-<order>-<mac> as made by `notification`."""
        parts = reference.split("-")
        if len(parts) != 3 or parts[0] != "SIM" or not parts[1] or len(parts[2]) != 24:
            raise PaymentError("模拟支付平台没有这笔交易。")
        if not Decimal(amount) > 0:
            raise PaymentError("退款金额必须大于零。")
        return f"SIMR-{uuid.uuid4().hex[:16]}"

    def parse_notification(self, request: HttpRequest) -> PaymentNotification | None:
        data = request.POST
        values = {name: data.get(name, "") for name in self.fields}
        if not constant_time_compare(data.get("sign", ""), self.sign(values)):
            return None
        try:
            amount = Decimal(values["amount"])
            notice_id = int(values["notice_id"])
        except (InvalidOperation, ValueError):
            return None
        if not amount.is_finite() or values["status"] not in ("SUCCESS", "FAILED") or not values["out_trade_no"]:
            return None
        return PaymentNotification(
            reference=values["out_trade_no"],
            amount=amount,
            paid=values["status"] == "SUCCESS",
            provider_reference=values["trade_no"],
            notice_id=notice_id,
        )

    def acknowledge(self, *, ok: bool) -> HttpResponse:
        return HttpResponse(b"success" if ok else b"fail", content_type="text/plain; charset=utf-8")

    def query(self, *, reference: str) -> PaymentOrderStatus:
        row = SimulatedGatewayOrder.objects.filter(reference=reference).first()
        if row is None or row.state == SimulatedOrderState.OPEN:
            return PaymentOrderStatus(reference=reference, state=OrderState.NOT_PAID)
        if row.state == SimulatedOrderState.CLOSED:
            return PaymentOrderStatus(reference=reference, state=OrderState.CLOSED)
        return PaymentOrderStatus(
            reference=reference,
            state=OrderState.PAID,
            provider_reference=row.trade_no,
            amount=row.amount,
            paid_at=row.paid_at,
        )

    def close(self, *, reference: str) -> None:
        row = self._ledger_row(reference, notice_id=None, amount=None)
        closed = SimulatedGatewayOrder.objects.filter(pk=row.pk, state=SimulatedOrderState.OPEN).update(
            state=SimulatedOrderState.CLOSED, closed_at=timezone.now()
        )
        if not closed and SimulatedGatewayOrder.objects.get(pk=row.pk).state == SimulatedOrderState.PAID:
            raise PaymentError("模拟支付平台：订单已支付，不能关闭。")

    # ---- the platform side (what the simulated cashier page uses)

    def sign(self, values: dict[str, str]) -> str:
        message = "&".join(f"{name}={values.get(name, '')}" for name in sorted(self.fields))
        return salted_hmac(self.notification_salt, message, algorithm="sha256").hexdigest()

    def read_order(self, token: str) -> dict | None:
        """The order behind a cashier page link, or None when the link was not made by `start`."""
        try:
            return signing.loads(token, salt=self.order_salt)
        except signing.BadSignature:
            return None

    def order_state(self, reference: str) -> str:
        """The ledger's `SimulatedOrderState` of an order (open when it has none)."""
        state = SimulatedGatewayOrder.objects.filter(reference=reference).values_list("state", flat=True).first()
        return state or SimulatedOrderState.OPEN

    def collect(self, order: dict, *, paid: bool) -> dict[str, str]:
        """The payer pays (or fails to pay) the open `order` at the cashier: written to the ledger, which `query`
        answers from; returns the signed notification to send. PaymentError when the order is no longer open
        (paid already, or closed)."""
        fields = self.notification(order, paid=paid)
        row = self._ledger_row(order["reference"], notice_id=order["notice_id"], amount=Decimal(order["amount"]))
        now = timezone.now()
        change = (
            {"state": SimulatedOrderState.PAID, "trade_no": fields["trade_no"], "paid_at": now}
            if paid
            else {"state": SimulatedOrderState.CLOSED, "closed_at": now}
        )
        if not SimulatedGatewayOrder.objects.filter(pk=row.pk, state=SimulatedOrderState.OPEN).update(**change):
            if SimulatedGatewayOrder.objects.get(pk=row.pk).state == SimulatedOrderState.PAID:
                raise PaymentError("订单已支付，请勿重复付款。")
            raise PaymentError("订单已关闭，请返回商户页面重新发起支付。")
        return fields

    def _ledger_row(self, reference: str, *, notice_id, amount):
        try:
            with transaction.atomic():
                row, _created = SimulatedGatewayOrder.objects.get_or_create(
                    reference=reference,
                    defaults={"notice_id": notice_id, "amount": amount, "created_at": timezone.now()},
                )
        except IntegrityError:  # opened at the same moment by another request
            row = SimulatedGatewayOrder.objects.get(reference=reference)
        return row

    def notification(self, order: dict, *, paid: bool) -> dict[str, str]:
        """The signed form fields the simulated platform POSTs for `order`."""
        trade_no = ""
        if paid:
            mac = self._trade_mac(order["reference"], order["notice_id"], Decimal(order["amount"]))
            trade_no = f"SIM-{order['reference']}-{mac}"
        values = {
            "out_trade_no": order["reference"],
            "trade_no": trade_no,
            "notice_id": str(order["notice_id"]),
            "amount": order["amount"],
            "status": "SUCCESS" if paid else "FAILED",
        }
        return {**values, "sign": self.sign(values)}

    def _trade_mac(self, reference: str, notice_id, amount) -> str:
        message = f"{reference}:{notice_id}:{Decimal(amount):.2f}"
        return salted_hmac(self.trade_salt, message, algorithm="sha256").hexdigest()[:24]


def _backend_path() -> str:
    configured = getattr(settings, "ZHENGWU_PAYMENT_BACKEND", "")
    if configured:
        return configured
    return DEFAULT_BACKEND if settings.DEBUG or getattr(settings, "TESTING", False) else ""


def online_payment_available() -> bool:
    return bool(_backend_path())


def payment_provider() -> PaymentProvider:
    path = _backend_path()
    if not path:
        raise PaymentError("网上支付暂未开通，请到政务服务中心统一收费窗口缴费。")
    return import_string(path)()
