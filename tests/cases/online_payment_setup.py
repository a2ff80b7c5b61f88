"""The simulated asynchronous payment platform in tests: signed notifications for a `PaymentAttempt`.

Use with `settings.ZHENGWU_PAYMENT_BACKEND = SIMULATED` (or `override_settings`)."""

from __future__ import annotations

from decimal import Decimal

from zhengwu.cases.models import PaymentAttempt
from zhengwu.cases.payments import PaymentNotification, SimulatedGatewayProvider

SIMULATED = "zhengwu.cases.payments.SimulatedGatewayProvider"


def order_of(attempt: PaymentAttempt, *, amount=None) -> dict:
    return {
        "reference": attempt.reference,
        "notice_id": attempt.notice_id,
        "amount": f"{Decimal(amount if amount is not None else attempt.amount):.2f}",
    }


def notification_fields(attempt: PaymentAttempt, *, paid: bool = True, amount=None, **changes) -> dict[str, str]:
    """The form the simulated platform POSTs, signed; `changes` replace fields and are signed too."""
    provider = SimulatedGatewayProvider()
    fields = provider.notification(order_of(attempt, amount=amount), paid=paid)
    if changes:
        fields = {**fields, **changes}
        fields["sign"] = provider.sign(fields)
    return fields


def notification(attempt: PaymentAttempt, *, paid: bool = True, amount=None, **changes) -> PaymentNotification:
    """What `parse_notification` makes of `notification_fields(...)`."""
    fields = notification_fields(attempt, paid=paid, amount=amount, **changes)
    return PaymentNotification(
        reference=fields["out_trade_no"],
        amount=Decimal(fields["amount"]),
        paid=fields["status"] == "SUCCESS",
        provider_reference=fields["trade_no"],
        notice_id=int(fields["notice_id"]),
    )


def paid_at_platform(attempt: PaymentAttempt, *, paid: bool = True) -> dict[str, str]:
    """The payer pays (or fails to pay) the order at the simulated platform, and its notification is lost: the
    platform's ledger has it, the site does not. Returns the notification that was never delivered."""
    return SimulatedGatewayProvider().collect(order_of(attempt), paid=paid)
