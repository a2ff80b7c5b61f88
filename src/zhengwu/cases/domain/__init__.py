from .acceptance import (
    case_accept,
    case_correction_submit,
    case_handle_immediately,
    case_refuse,
    case_request_correction,
    cases_deem_accepted,
)
from .deemed_approval import cases_deem_approved
from .extension import case_extension_decide, case_extension_request
from .files import stored_file_open, stored_file_save
from .intake import case_register_at_window, case_submit_by_proxy, case_submit_online
from .lookup import TimelineEntry, case_lookup, case_timeline
from .suspension import case_resume, case_suspend

__all__ = [
    "TimelineEntry",
    "case_accept",
    "case_correction_submit",
    "case_extension_decide",
    "case_extension_request",
    "case_handle_immediately",
    "case_lookup",
    "case_refuse",
    "case_register_at_window",
    "case_request_correction",
    "case_resume",
    "case_submit_by_proxy",
    "case_submit_online",
    "case_suspend",
    "case_timeline",
    "cases_deem_accepted",
    "cases_deem_approved",
    "stored_file_open",
    "stored_file_save",
]
