"""Fees (ADR 0014): notices from the standard, override flag, payment at the unified fee window or online, refunds."""

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from tests.accounts.factories import resident_id
from tests.cases.fee_setup import TOTAL, make_fee_setup
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_fee_notice_cancel,
    case_fee_notice_issue,
    case_fee_pay,
    case_fees_settled,
    case_timeline,
    fee_refund_approve,
    fee_refund_request,
)
from zhengwu.cases.enums import DecisionOutcome, FeeNoticeState, PaymentMethod
from zhengwu.cases.models import FeeNotice, FeePayment, FeeRefund, FeeRefundRequest
from zhengwu.cases.payments import DevelopmentPaymentProvider
from zhengwu.cases.rules import can_pay_online
from zhengwu.notifications.models import Message

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


def fee_events(case) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="cases.case", object_id=str(case.pk), action__startswith="cases.fee"
        ).order_by("seq")
    )


def pay_cash(fees, notice, amount=TOTAL):
    return case_fee_pay(actor=fees.fee_clerk, notice=notice, method=PaymentMethod.CASH, amount=amount)


def refund(fees, payment, amount, reason):
    """A refund as it happens now: asked at the fee window, approved by the department's leader in charge."""
    request = fee_refund_request(actor=fees.fee_clerk, payment=payment, amount=amount, reason=reason)
    return fee_refund_approve(actor=fees.leader, request=request).refund


def online_reference(notice, amount=TOTAL) -> str:
    return DevelopmentPaymentProvider().start(notice=notice, amount=amount, payer=None).reference


# ---------------------------------------------------------------- issuing


@time_machine.travel(MONDAY, tick=False)
def test_a_grant_on_an_item_that_charges_issues_the_standard_notice(fees):
    case = fees.decided_case()

    notice = fees.notice(case)
    assert notice.total == TOTAL
    assert (notice.fee_override, notice.free_item_charged, notice.flagged_for_supervision) == (False, False, False)
    assert notice.issued_by is None
    lines = list(notice.lines.values_list("name", "standard_amount", "quantity", "charged_amount"))
    assert lines == [
        ("工本费", Decimal("10.00"), 1, Decimal("10.00")),
        ("登记费", Decimal("80.00"), 1, Decimal("80.00")),
    ]
    (event,) = fee_events(case)
    assert event.action == "cases.fee_notice_issued"
    assert event.actor_repr == "system:cases"
    assert event.after["total"] == "90.00"
    assert event.after["fee_override"] is False
    assert event.after["outside_unified_window"] is False
    assert event.after["free_item_charged"] is False
    message = Message.objects.get(recipient=fees.hall.enterprise, category="case.fee_notice")
    assert message.subject == f"缴费通知：{case.number} 应缴 90.00 元"
    assert message.link == f"/cases/mine/{case.number}/"
    assert case_fees_settled(case=case) is False


@time_machine.travel(MONDAY, tick=False)
def test_a_walk_in_without_an_account_gets_the_fee_notice_by_sms_to_pay_at_the_window(
    fees, sms_outbox, django_capture_on_commit_callbacks
):
    person = {
        "kind": "natural",
        "name": "李梅",
        "id_type": "resident_id",
        "id_number": resident_id("33010219850101002"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        case = fees.decided_case(walk_in=person | {"phone": "13953600009"})

    message = Message.objects.get(category="case.fee_notice")
    assert (message.recipient, message.in_inbox, message.link) == (None, False, "")
    assert message.subject == f"缴费通知：{case.number} 应缴 90.00 元"
    assert message.body == "工本费：10.00 元\n登记费：80.00 元\n请凭办件编号到政务服务中心统一收费窗口缴费。"
    assert list(message.deliveries.values_list("channel", "address", "state")) == [("sms", "13953600009", "sent")]
    assert [sms.phone for sms in sms_outbox if "应缴 90.00 元" in sms.text] == ["13953600009"]


def test_a_free_item_granted_issues_nothing_and_is_settled(fees):
    case = fees.decided_case(version=fees.hall.version)

    assert not FeeNotice.objects.filter(case=case).exists()
    assert case_fees_settled(case=case) is True


def test_a_denied_case_gets_no_notice_and_none_can_be_issued(fees):
    case = fees.decided_case(outcome=DecisionOutcome.DENY)
    assert not FeeNotice.objects.filter(case=case).exists()

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case)

    assert error.value.messages == ["只有已作出准予许可决定的办件才能开具缴费通知。"]
    assert not FeeNotice.objects.filter(case=case).exists()
    assert fee_events(case) == []
    assert case_fees_settled(case=case) is True


def test_a_case_still_in_progress_cannot_get_a_notice(fees):
    from zhengwu.cases.domain import case_submit_online
    from zhengwu.cases.domain.processing import case_accept_and_start

    case = case_submit_online(
        applicant=fees.hall.enterprise, item_version=fees.version, materials=fees.materials(fees.version)
    )
    case_accept_and_start(actor=fees.hall.handler, case=case)

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case)

    assert error.value.messages == ["只有已作出准予许可决定的办件才能开具缴费通知。"]
    assert not FeeNotice.objects.filter(case=case).exists()


def test_a_second_open_notice_is_refused(fees):
    case = fees.decided_case()

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case)

    assert error.value.messages == ["该办件已有待缴费的缴费通知，请先作废后再开具。"]
    assert FeeNotice.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("who", ["fee_clerk", "outsider", "citizen"])
def test_only_the_case_department_issues_and_cancels_notices(fees, who):
    case = fees.decided_case()
    notice = fees.notice(case)
    actor = {"fee_clerk": fees.fee_clerk, "outsider": fees.hall.outsider, "citizen": fees.hall.enterprise}[who]

    with pytest.raises(ValidationError) as error:
        case_fee_notice_cancel(actor=actor, notice=notice, reason="金额有误")

    assert error.value.messages == ["您无权作废该缴费通知。"]
    notice.refresh_from_db()
    assert notice.state == FeeNoticeState.ISSUED


def test_cancel_needs_a_reason_and_then_a_corrected_notice_with_an_override_is_flagged(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    with pytest.raises(ValidationError) as error:
        case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="  ")
    assert error.value.message_dict == {"reason": ["请填写作废理由。"]}

    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="登记费应减半")
    assert notice.state == FeeNoticeState.CANCELLED
    assert case_fees_settled(case=case) is False  # an item that charges, nothing paid yet
    work, registration = fees.fee_items()
    lines = [{"fee_item": work.pk}, {"fee_item": registration, "charged_amount": "40.00"}]

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case, lines=lines)
    assert error.value.message_dict == {"override_reason": ["收费金额与收费标准不一致，须填写调整理由，并报送监察。"]}
    assert FeeNotice.objects.filter(case=case, state=FeeNoticeState.ISSUED).count() == 0

    corrected = case_fee_notice_issue(
        actor=fees.hall.handler, case=case, lines=lines, override_reason="申请人为残疾人，依规减半收取登记费"
    )

    assert corrected.total == Decimal("50.00")
    assert (corrected.fee_override, corrected.free_item_charged, corrected.flagged_for_supervision) == (
        True,
        False,
        True,
    )
    assert corrected.issued_by == fees.hall.handler
    events = fee_events(case)
    assert [e.action for e in events] == [
        "cases.fee_notice_issued",
        "cases.fee_notice_cancelled",
        "cases.fee_notice_issued",
    ]
    after = events[-1].after
    assert (after["fee_override"], after["outside_unified_window"], after["free_item_charged"]) == (True, False, False)
    assert after["override_reason"] == "申请人为残疾人，依规减半收取登记费"
    assert [line["differs"] for line in after["lines"]] == [False, True]


def test_omitting_a_standard_fee_or_adding_an_extra_line_is_an_override(fees):
    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="重开")
    work, _registration = fees.fee_items()

    omitted = case_fee_notice_issue(
        actor=fees.hall.section_head, case=case, lines=[{"fee_item": work}], override_reason="登记费已在前案收取"
    )
    assert (omitted.total, omitted.fee_override) == (Decimal("10.00"), True)
    assert fee_events(case)[-1].after["omitted_fee_item_ids"] == [_registration.pk]

    case_fee_notice_cancel(actor=fees.hall.handler, notice=omitted, reason="重开")
    extra = case_fee_notice_issue(
        actor=fees.hall.handler,
        case=case,
        lines=[{"fee_item": work}, {"fee_item": _registration}, {"name": "加急费", "charged_amount": "30"}],
        override_reason="申请人要求加急",
    )
    assert (extra.total, extra.fee_override, extra.free_item_charged) == (Decimal("120.00"), True, False)


def test_charging_a_free_item_needs_a_reason_and_is_flagged(fees):
    case = fees.decided_case(version=fees.hall.version)
    lines = [{"name": "证书工本费", "charged_amount": "10.00"}]

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case, lines=lines)
    assert error.value.message_dict == {"override_reason": ["不收费事项收费须填写理由，并报送监察。"]}

    notice = case_fee_notice_issue(actor=fees.hall.handler, case=case, lines=lines, override_reason="补发证书")

    assert (notice.fee_override, notice.free_item_charged, notice.flagged_for_supervision) == (True, True, True)
    after = fee_events(case)[-1].after
    assert (after["fee_override"], after["free_item_charged"], after["outside_unified_window"]) == (True, True, False)
    assert case_fees_settled(case=case) is False


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], {"lines": ["请至少列出一个收费项目。"]}),
        ([{"fee_item": 999999}], {"lines": ["第 1 行的收费项目不属于该事项。"]}),
        ([{"name": ""}], {"lines": ["第 1 行请填写收费项目名称（200 字以内）。"]}),
        (
            [{"name": "加急费", "charged_amount": "-1"}],
            {"lines-0-charged_amount": ["请填写有效的金额（元，最多两位小数）。"]},
        ),
        (
            [{"name": "加急费", "charged_amount": "1.005"}],
            {"lines-0-charged_amount": ["请填写有效的金额（元，最多两位小数）。"]},
        ),
        ([{"name": "加急费", "charged_amount": "0"}], {"lines": ["应缴金额为零，无需开具缴费通知。"]}),
    ],
)
def test_bad_lines_are_refused(fees, lines, message):
    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="重开")

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case, lines=lines, override_reason="理由")

    assert error.value.message_dict == message
    assert not FeeNotice.objects.filter(case=case, state=FeeNoticeState.ISSUED).exists()


@pytest.mark.parametrize("amount", ["1e30", "99999999999999999999999999999", "1e9999"])
def test_an_amount_of_more_digits_than_decimal_precision_is_refused_not_a_crash(fees, amount):
    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="重开")
    work, _registration = fees.fee_items()

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(
            actor=fees.hall.handler,
            case=case,
            lines=[{"fee_item": work, "charged_amount": amount}],
            override_reason="理由",
        )

    assert error.value.message_dict == {"lines-0-charged_amount": ["请填写有效的金额（元，最多两位小数）。"]}
    assert not FeeNotice.objects.filter(case=case, state=FeeNoticeState.ISSUED).exists()


def test_the_same_fee_listed_twice_is_refused(fees):
    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="重开")
    work, _registration = fees.fee_items()

    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case, lines=[{"fee_item": work}, {"fee_item": work.pk}])

    assert error.value.messages == ["收费项目“工本费”重复列出。"]


# ---------------------------------------------------------------- paying


@time_machine.travel(MONDAY, tick=False)
def test_the_fee_clerk_collects_the_whole_total_with_a_receipt_number(fees):
    case = fees.decided_case()
    notice = fees.notice(case)

    payment = pay_cash(fees, notice)

    assert payment.receipt_number == "SF20260302000001"
    assert (payment.amount, payment.method, payment.window, payment.collected_by) == (
        TOTAL,
        PaymentMethod.CASH,
        fees.fee_window,
        fees.fee_clerk,
    )
    notice.refresh_from_db()
    assert notice.state == FeeNoticeState.PAID
    assert case_fees_settled(case=case) is True
    event = fee_events(case)[-1]
    assert event.action == "cases.fee_paid"
    assert event.after["receipt_number"] == "SF20260302000001"
    assert (event.after["fee_override"], event.after["outside_unified_window"], event.after["free_item_charged"]) == (
        False,
        False,
        False,
    )
    assert event.after["window_id"] == fees.fee_window.pk
    assert Message.objects.filter(recipient=fees.hall.enterprise, category="case.fee_paid").count() == 1

    second = fees.decided_case()
    assert pay_cash(fees, fees.notice(second)).receipt_number == "SF20260302000002"


def test_paying_twice_is_refused(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    pay_cash(fees, notice)

    with pytest.raises(ValidationError) as error:
        case_fee_pay(actor=fees.fee_clerk, notice=FeeNotice.objects.get(pk=notice.pk), method="card", amount=TOTAL)

    assert error.value.messages == ["缴费通知当前状态为“已缴费”，不能缴费。"]
    assert FeePayment.objects.filter(notice=notice).count() == 1


@pytest.mark.parametrize("amount", ["89.99", "90.01", "45"])
def test_partial_or_wrong_amounts_are_refused(fees, amount):
    case = fees.decided_case()
    notice = fees.notice(case)

    with pytest.raises(ValidationError) as error:
        pay_cash(fees, notice, amount=amount)

    assert error.value.message_dict == {"amount": ["缴费金额必须等于应缴金额 90.00 元（不接受部分缴费）。"]}
    notice.refresh_from_db()
    assert notice.state == FeeNoticeState.ISSUED
    assert not FeePayment.objects.exists()


@pytest.mark.parametrize("who", ["handler", "window_clerk", "fee_clerk_elsewhere", "other_fee_clerk", "applicant"])
def test_only_a_fee_clerk_at_a_unified_fee_window_serving_the_department_collects(fees, who):
    case = fees.decided_case()
    notice = fees.notice(case)
    actor = {
        "handler": fees.hall.handler,
        "window_clerk": fees.hall.clerk,
        "fee_clerk_elsewhere": fees.fee_clerk_elsewhere,
        "other_fee_clerk": fees.other_fee_clerk,
        "applicant": fees.hall.enterprise,
    }[who]

    with pytest.raises(ValidationError) as error:
        case_fee_pay(actor=actor, notice=notice, method=PaymentMethod.CASH, amount=TOTAL)

    assert error.value.messages == ["只有统一收费窗口的收费人员才能收取该办件的费用（票款分离）。"]
    notice.refresh_from_db()
    assert notice.state == FeeNoticeState.ISSUED
    assert not FeePayment.objects.exists()
    assert [e.action for e in fee_events(case)] == ["cases.fee_notice_issued"]


def test_the_applicant_pays_online_with_a_confirmed_reference(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    reference = online_reference(notice)

    payment = case_fee_pay(
        actor=fees.hall.enterprise, notice=notice, method="online", amount="90.00", provider_reference=reference
    )

    assert (payment.method, payment.window, payment.provider_reference) == ("online", None, reference)
    assert payment.collected_by == fees.hall.enterprise
    assert fee_events(case)[-1].after["outside_unified_window"] is False
    assert case_fees_settled(case=case) is True


@pytest.mark.parametrize("reference", ["", "forged", "other-notice"])
def test_an_unconfirmed_online_payment_is_refused(fees, reference):
    case = fees.decided_case()
    notice = fees.notice(case)
    if reference == "other-notice":
        other = fees.notice(fees.decided_case())
        reference = online_reference(other)

    with pytest.raises(ValidationError) as error:
        case_fee_pay(
            actor=fees.hall.enterprise, notice=notice, method="online", amount=TOTAL, provider_reference=reference
        )

    assert error.value.messages == ["未能确认网上支付结果，请重新支付。"]
    assert not FeePayment.objects.filter(notice=notice).exists()


def test_online_payment_needs_the_applicant_and_an_item_that_allows_it(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    with pytest.raises(ValidationError) as error:
        case_fee_pay(
            actor=fees.fee_clerk,
            notice=notice,
            method="online",
            amount=TOTAL,
            provider_reference=online_reference(notice),
        )
    assert error.value.messages == ["该事项不支持网上支付，或您不是该办件的申请人。"]

    dmn_case = fees.decided_case(version=fees.dmn_version(), form_data={"用途": "住宅"})
    dmn_notice = fees.notice(dmn_case)
    with pytest.raises(ValidationError) as error:
        case_fee_pay(
            actor=fees.hall.enterprise,
            notice=dmn_notice,
            method="online",
            amount=dmn_notice.total,
            provider_reference=online_reference(dmn_notice, dmn_notice.total),
        )
    assert error.value.messages == ["该事项不支持网上支付，或您不是该办件的申请人。"]
    assert not FeePayment.objects.exists()


def test_a_cancelled_notice_cannot_be_paid(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    case_fee_notice_cancel(actor=fees.hall.handler, notice=notice, reason="开错了")

    with pytest.raises(ValidationError) as error:
        pay_cash(fees, notice)

    assert error.value.messages == ["缴费通知当前状态为“已作废”，不能缴费。"]


def test_an_unknown_method_is_refused(fees):
    notice = fees.notice(fees.decided_case())
    with pytest.raises(ValidationError) as error:
        case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cheque", amount=TOTAL)
    assert error.value.message_dict == {"method": ["请选择缴费方式。"]}


# ---------------------------------------------------------------- refunds


def test_partial_then_full_refund(fees):
    case = fees.decided_case()
    payment = pay_cash(fees, fees.notice(case))

    first = refund(fees, payment, "40", "登记费减半")
    notice = FeeNotice.objects.get(pk=payment.notice_id)
    assert notice.state == FeeNoticeState.PARTIALLY_REFUNDED
    assert (first.amount, first.recorded_by, first.window) == (Decimal("40.00"), fees.fee_clerk, fees.fee_window)

    with pytest.raises(ValidationError) as error:
        fee_refund_request(actor=fees.fee_clerk, payment=payment, amount="50.01", reason="多退")
    assert error.value.message_dict == {"amount": ["退费金额不能超过可退金额 50.00 元。"]}

    refund(fees, payment, "50", "撤回申请")
    notice.refresh_from_db()
    assert notice.state == FeeNoticeState.REFUNDED
    assert case_fees_settled(case=case) is True
    events = fee_events(case)
    assert [e.action for e in events][-3:] == [
        "cases.fee_refund_requested",
        "cases.fee_refund_approved",
        "cases.fee_refunded",
    ]
    assert events[-1].after["refunded"] == "90.00"
    assert events[-1].after["outside_unified_window"] is False
    assert Message.objects.filter(recipient=fees.hall.enterprise, category="case.fee_refunded").count() == 2

    with pytest.raises(ValidationError) as error:
        fee_refund_request(actor=fees.fee_clerk, payment=payment, amount="0.01", reason="再退")
    assert error.value.message_dict == {"amount": ["退费金额不能超过可退金额 0.00 元。"]}


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("10", "", {"reason": ["请填写退费理由。"]}),
        ("0", "理由", {"amount": ["退费金额必须大于零。"]}),
        ("abc", "理由", {"amount": ["请填写有效的金额（元，最多两位小数）。"]}),
        ("90.01", "理由", {"amount": ["退费金额不能超过可退金额 90.00 元。"]}),
    ],
)
def test_bad_refunds_are_refused(fees, amount, reason, message):
    payment = pay_cash(fees, fees.notice(fees.decided_case()))

    with pytest.raises(ValidationError) as error:
        fee_refund_request(actor=fees.fee_clerk, payment=payment, amount=amount, reason=reason)

    assert error.value.message_dict == message
    assert not FeeRefund.objects.exists()
    assert not FeeRefundRequest.objects.exists()
    assert FeeNotice.objects.get(pk=payment.notice_id).state == FeeNoticeState.PAID


def test_only_the_fee_window_refunds(fees):
    payment = pay_cash(fees, fees.notice(fees.decided_case()))

    for actor in (fees.hall.handler, fees.other_fee_clerk, fees.hall.enterprise, fees.leader):
        with pytest.raises(ValidationError) as error:
            fee_refund_request(actor=actor, payment=payment, amount="10", reason="理由")
        assert error.value.messages == ["只有统一收费窗口的收费人员才能申请该办件的退费。"]
    assert not FeeRefund.objects.exists()
    assert not FeeRefundRequest.objects.exists()


def test_an_online_payment_is_refunded_through_the_provider(fees):
    notice = fees.notice(fees.decided_case())
    payment = case_fee_pay(
        actor=fees.hall.enterprise,
        notice=notice,
        method="online",
        amount=TOTAL,
        provider_reference=online_reference(notice),
    )

    executed = refund(fees, payment, "90", "撤回申请")

    assert executed.provider_reference.startswith("dev-refund:")


# ---------------------------------------------------------------- timeline and constraints


def test_the_applicant_timeline_shows_the_fee_steps(fees):
    case = fees.decided_case()
    payment = pay_cash(fees, fees.notice(case))
    refund(fees, payment, "10", "多收工本费")

    entries = [(entry.label, entry.detail) for entry in case_timeline(case)]

    assert entries[-3:] == [("开具缴费通知", "90.00 元"), ("缴费", "90.00 元"), ("退费", "10.00 元")]


def test_the_database_refuses_a_flag_without_a_reason_and_a_refund_without_one(fees):
    case = fees.decided_case()
    notice = fees.notice(case)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeNotice.objects.filter(pk=notice.pk).update(fee_override=True, flagged_for_supervision=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeNotice.objects.filter(pk=notice.pk).update(fee_override=True, override_reason="理由")
    payment = pay_cash(fees, notice)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeRefund.objects.create(payment=payment, amount=Decimal("1"), reason="", refunded_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        FeePayment.objects.filter(pk=payment.pk).update(amount=0)


def test_a_fee_window_with_its_own_departments_collects_only_for_them(fees):
    notice = fees.notice(fees.decided_case())
    fees.fee_window.departments.set([fees.hall.other_department])

    with pytest.raises(ValidationError) as error:
        pay_cash(fees, notice)

    assert error.value.messages == ["只有统一收费窗口的收费人员才能收取该办件的费用（票款分离）。"]
    fees.fee_window.departments.add(fees.hall.department)
    fees.fee_clerk.refresh_from_db()  # drop the cached window
    assert pay_cash(fees, notice).amount == TOTAL


def test_a_due_date_is_kept_and_audited(fees):
    from datetime import date

    case = fees.decided_case()
    case_fee_notice_cancel(actor=fees.hall.handler, notice=fees.notice(case), reason="重开")

    notice = case_fee_notice_issue(actor=fees.hall.handler, case=case, due_date=date(2026, 12, 31))

    assert FeeNotice.objects.get(pk=notice.pk).due_date == date(2026, 12, 31)
    assert fee_events(case)[-1].after["due_date"] == "2026-12-31"
    assert notice.fee_override is False


@override_settings(DEBUG=False, TESTING=False, ZHENGWU_PAYMENT_BACKEND="")
def test_without_a_configured_provider_in_production_online_payment_is_not_offered(fees):
    notice = fees.notice(fees.decided_case())

    assert can_pay_online(fees.hall.enterprise, notice.case) is False
    with pytest.raises(ValidationError) as error:
        case_fee_pay(
            actor=fees.hall.enterprise, notice=notice, method="online", amount=TOTAL, provider_reference="dev:x"
        )
    assert error.value.messages == ["该事项不支持网上支付，或您不是该办件的申请人。"]
