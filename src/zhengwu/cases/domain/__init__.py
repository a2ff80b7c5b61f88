from .acceptance import (
    case_accept,
    case_correction_submit,
    case_handle_immediately,
    case_refuse,
    case_request_correction,
    cases_deem_accepted,
)
from .certificates import case_certificate_issue, case_certificate_revoke, case_decision_document
from .completion import case_complete
from .deemed_approval import cases_deem_approved
from .delivery import case_delivery_arrange, case_hand_over, case_ship
from .extension import case_extension_decide, case_extension_request
from .fees import (
    case_fee_notice_cancel,
    case_fee_notice_issue,
    case_fee_pay,
    case_fees_settled,
    fee_refund_approve,
    fee_refund_reject,
    fee_refund_request,
    fee_refund_withdraw,
)
from .files import stored_file_open, stored_file_save
from .intake import (
    AlreadySubmitted,
    case_register_at_window,
    case_submit_by_proxy,
    case_submit_online,
    submission_key_new,
)
from .lookup import TimelineEntry, case_lookup, case_timeline
from .online_payment import (
    fee_payment_attempt_notify,
    fee_payment_attempt_return,
    fee_payment_attempt_start,
    fee_payment_attempts_reconcile,
)
from .suspension import case_resume, case_suspend

__all__ = [
    "AlreadySubmitted",
    "TimelineEntry",
    "case_accept",
    "case_certificate_issue",
    "case_certificate_revoke",
    "case_complete",
    "case_correction_submit",
    "case_decision_document",
    "case_delivery_arrange",
    "case_extension_decide",
    "case_extension_request",
    "case_fee_notice_cancel",
    "case_fee_notice_issue",
    "case_fee_pay",
    "case_fees_settled",
    "case_hand_over",
    "case_handle_immediately",
    "case_lookup",
    "case_refuse",
    "case_register_at_window",
    "case_request_correction",
    "case_resume",
    "case_ship",
    "case_submit_by_proxy",
    "case_submit_online",
    "case_suspend",
    "case_timeline",
    "cases_deem_accepted",
    "cases_deem_approved",
    "fee_payment_attempt_notify",
    "fee_payment_attempt_return",
    "fee_payment_attempt_start",
    "fee_payment_attempts_reconcile",
    "fee_refund_approve",
    "fee_refund_reject",
    "fee_refund_request",
    "fee_refund_withdraw",
    "stored_file_open",
    "stored_file_save",
    "submission_key_new",
]
