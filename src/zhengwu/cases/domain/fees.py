"""Fees (行政收费): fee notices from the item's standard, payment at the unified window or online, refunds.

The full module lands with issue 5 item 6; `case_fees_settled` is the gate the certificate and
completion steps ask."""

from __future__ import annotations

from zhengwu.cases.models import Case


def case_fees_settled(*, case: Case) -> bool:
    """True when the case owes nothing (no fee notice is awaiting payment)."""
    return True
