"""Online payment providers (网上支付) for fee notices (ADR 0014).

Setting (read at call time): ``ZHENGWU_PAYMENT_BACKEND``, the dotted path of a ``PaymentProvider`` subclass.
Unset, ``DevelopmentPaymentProvider`` (confirms at once, moves no money) is used under DEBUG and in tests;
otherwise online payment is not offered. A demo site may name the development provider explicitly.

Adding a provider (a bank's or the province's unified payment platform): subclass ``PaymentProvider`` and
implement ``start`` (ask the provider to collect `amount` for the notice; return a ``PaymentStart`` that is
either confirmed with the provider's reference, or carries the address to send the payer to), ``verify``
(whether a reference is a confirmed payment of exactly that notice and amount) and ``refund``. A provider whose
confirmation arrives later calls ``case_fee_pay(method="online", provider_reference=...)`` from its own
notification endpoint; ``case_fee_pay`` asks ``verify`` before recording anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "zhengwu.cases.payments.DevelopmentPaymentProvider"


class PaymentError(Exception):
    """The provider refused or could not be reached; the message is shown to the payer."""


@dataclass(frozen=True)
class PaymentStart:
    confirmed: bool
    reference: str = ""
    redirect_url: str = ""


class PaymentProvider:
    """Interface of an online payment provider."""

    name = ""

    def start(self, *, notice, amount: Decimal, payer) -> PaymentStart:
        raise NotImplementedError

    def verify(self, *, reference: str, notice, amount: Decimal) -> bool:
        raise NotImplementedError

    def refund(self, *, reference: str, amount: Decimal) -> str:
        """Return the provider's refund reference; raise PaymentError when refused."""
        raise NotImplementedError


class DevelopmentPaymentProvider(PaymentProvider):
    """Confirms every payment at once with a signed reference; for development, demos and tests."""

    name = "开发环境模拟支付"
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
