"""Progress lookup without login: case number + query code."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zhengwu.cases.enums import Channel, DecisionOutcome, DeliveryMethod
from zhengwu.cases.models import Case

_DUMMY_CODE = "000000"


def case_lookup(*, number: str, query_code: str) -> Case | None:
    """The case when the number exists and the code matches (compared in constant time), else None."""
    number = (number or "").strip().upper()
    code = (query_code or "").strip()
    case = Case.objects.select_related("item_version", "department").filter(number=number).first() if number else None
    expected = case.query_code if case is not None else _DUMMY_CODE
    matches = hmac.compare_digest(expected.encode(), code.encode())
    return case if case is not None and matches else None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    detail: str = ""


_LABELS = {
    "cases.submitted": _lazy("收件"),
    "cases.correction_requested": _lazy("一次性告知补正"),
    "cases.correction_submitted": _lazy("提交补正材料"),
    "cases.accepted": _lazy("受理"),
    "cases.deemed_accepted": _lazy("视为受理"),
    "cases.refused": _lazy("不予受理"),
    "cases.handled_immediately": _lazy("当场办结"),
    "cases.decided": _lazy("作出决定"),
    "ratings.submitted": _lazy("服务评价"),
    "cases.certificate_issued": _lazy("签发电子证照"),
    "cases.certificate_revoked": _lazy("撤销电子证照"),
    "cases.decision_document_issued": _lazy("出具行政许可决定书"),
    "cases.delivery_arranged": _lazy("选择送达方式"),
    "cases.shipped": _lazy("办理结果已寄出"),
    "cases.handed_over": _lazy("办理结果已领取"),
    "cases.completed": _lazy("办结"),
    "cases.fee_notice_issued": _lazy("开具缴费通知"),
    "cases.fee_notice_cancelled": _lazy("缴费通知作废"),
    "cases.fee_paid": _lazy("缴费"),
    "cases.fee_refunded": _lazy("退费"),
    "cases.suspended": _lazy("暂停办理（挂起）"),
    "cases.resumed": _lazy("恢复办理"),
    "cases.extended": _lazy("延长办理期限"),
    "cases.deemed_approved": _lazy("视为准予许可"),
}


def _suspended_detail(after: dict) -> str:
    return _("%(reason)s，%(explanation)s；依据%(basis)s，所需时间不计入办理期限；预计 %(date)s 恢复办理") % {
        "reason": after.get("reason_label", ""),
        "explanation": after.get("explanation", ""),
        "basis": after.get("legal_basis", ""),
        "date": after.get("expected_resume_on", ""),
    }


# Details of the case-clock events (ADR 0016), from their audit payloads.
_CLOCK_DETAILS = {
    "cases.suspended": _suspended_detail,
    "cases.resumed": lambda after: (
        _("挂起期间 %(days)s %(unit)s不计入办理期限，届满日为 %(due)s")
        % {
            "days": after.get("days_not_counted", 0),
            "unit": after.get("unit", ""),
            "due": after.get("handling_due_date", ""),
        }
    ),
    "cases.extended": lambda after: (
        _("延长 %(days)s %(unit)s，届满日由 %(before)s 延至 %(after)s；理由：%(reason)s")
        % {
            "days": after.get("days", ""),
            "unit": after.get("unit", ""),
            "before": after.get("due_date_before", ""),
            "after": after.get("due_date_after", ""),
            "reason": after.get("reason", ""),
        }
    ),
    "cases.deemed_approved": lambda after: (
        _("%(reasons)s；法律依据：%(basis)s")
        % {"reasons": after.get("reasons", ""), "basis": after.get("legal_basis", "")}
    ),
    # staff only (not in _LABELS)
    "cases.extension_requested": lambda after: (
        _("申请延长 %(days)s %(unit)s；理由：%(reason)s")
        % {"days": after.get("days", ""), "unit": after.get("unit", ""), "reason": after.get("reason", "")}
    ),
    "cases.extension_rejected": lambda after: _("审批意见：%(comment)s") % {"comment": after.get("comment", "")},
}


def decision_detail(after: dict) -> str:
    """准予许可 / 不予许可 from a cases.decided payload ("" when it names no known outcome)."""
    outcome = after.get("decision")
    return str(DecisionOutcome(outcome).label) if outcome in DecisionOutcome.values else ""


def case_clock_detail(action: str, after: dict) -> str:
    """The detail line of a suspension, extension or deemed-approval event ("" for other actions)."""
    describe = _CLOCK_DETAILS.get(action)
    return describe(after or {}) if describe is not None else ""


def case_timeline(case: Case) -> list[TimelineEntry]:
    """What happened to the case, oldest first, for the applicant's eyes (no staff names)."""
    from zhengwu.audit.models import AuditEvent

    events = AuditEvent.objects.filter(object_type=Case._meta.label_lower, object_id=str(case.pk)).order_by("seq")
    entries: list[TimelineEntry] = []
    for event in events.only("occurred_at", "action", "after"):
        label = _LABELS.get(event.action)
        if label is None:
            continue
        after = event.after or {}
        detail = ""
        if event.action == "cases.submitted":
            detail = str(Channel(after.get("channel", Channel.ONLINE)).label)
        elif event.action == "cases.refused":
            detail = after.get("reason", "")
        elif event.action == "cases.correction_requested":
            detail = "；".join(f"{item['name']}：{item['problem']}" for item in after.get("items", []))
        elif event.action == "cases.deemed_accepted":
            detail = _("逾期未作决定，依法自收到申请材料之日起视为受理")
        elif event.action == "ratings.submitted":
            detail = after.get("level_label", "")
        elif event.action == "cases.decided":
            detail = decision_detail(after)
        elif event.action == "cases.certificate_issued":
            detail = after.get("licence_number", "")
        elif event.action == "cases.shipped":
            detail = f"{after.get('carrier', '')} {after.get('tracking_number', '')}".strip()
        elif event.action == "cases.delivery_arranged":
            detail = str(DeliveryMethod(after["method"]).label) if after.get("method") in DeliveryMethod.values else ""
        elif event.action in ("cases.fee_notice_issued", "cases.fee_paid", "cases.fee_refunded"):
            detail = _("%(amount)s 元") % {"amount": after.get("total") or after.get("amount", "")}
        elif event.action == "cases.accepted" and after.get("deemed_accepted"):
            detail = _("受理期限届满后作出，自收到申请材料之日起视为受理")
        elif event.action in _CLOCK_DETAILS:
            detail = _CLOCK_DETAILS[event.action](after)
        entries.append(TimelineEntry(at=event.occurred_at, label=str(label), detail=detail))
    return entries
