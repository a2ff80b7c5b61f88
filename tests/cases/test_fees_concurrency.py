"""Two fee clerks collect the same notice at once: one wins, the other is told; one payment, one receipt number.

PostgreSQL only (row locks); skipped on SQLite at runtime."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.accounts.factories import make_staff
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.concurrency import race
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.cases.domain import case_fee_pay, case_fee_refund
from zhengwu.cases.enums import FeeNoticeState
from zhengwu.cases.models import FeeNotice, FeePayment, FeeReceiptCounter, FeeRefund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


def test_two_clerks_collecting_the_same_notice_at_once_one_wins(hall):
    fees = make_fee_setup(hall)
    second_clerk = make_staff(
        "shoufei2",
        department=hall.other_department,
        display_name="收费员乙",
        roles=(Role.FEE_CLERK,),
        window=fees.fee_window,
    )
    notice = fees.notice(fees.decided_case())

    def collect(clerk, method):
        return lambda: case_fee_pay(
            actor=clerk, notice=FeeNotice.objects.get(pk=notice.pk), method=method, amount=TOTAL
        )

    results = race(collect(fees.fee_clerk, "cash"), collect(second_clerk, "card"))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["缴费通知当前状态为“已缴费”，不能缴费。"]
    assert list(FeePayment.objects.values_list("method", "collected_by")) == [("cash", fees.fee_clerk.pk)]
    assert FeeNotice.objects.get(pk=notice.pk).state == FeeNoticeState.PAID
    assert FeeReceiptCounter.objects.get().last_serial == 1
    assert audit_verify() is None


def test_two_refunds_at_once_never_exceed_the_payment(hall):
    fees = make_fee_setup(hall)
    second_clerk = make_staff(
        "shoufei2",
        department=hall.other_department,
        display_name="收费员乙",
        roles=(Role.FEE_CLERK,),
        window=fees.fee_window,
    )
    payment = case_fee_pay(actor=fees.fee_clerk, notice=fees.notice(fees.decided_case()), method="cash", amount=TOTAL)

    def refund(clerk):
        return lambda: case_fee_refund(actor=clerk, payment=payment, amount="60", reason="撤回申请")

    results = race(refund(fees.fee_clerk), refund(second_clerk))

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].message_dict == {"amount": ["退费金额不能超过可退金额 30.00 元。"]}
    assert list(FeeRefund.objects.values_list("amount", flat=True)) == [60]
