"""办件公示: the public board of accepted, decided and completed licensing cases, personal data masked."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from zhengwu.cases.enums import CaseState
from zhengwu.cases.masking import public_applicant_name
from zhengwu.cases.models import Case
from zhengwu.catalog.enums import ItemType
from zhengwu.org.models import Department

PER_PAGE = 20
MAX_QUERY = 50
# Accepted cases and what became of them; refused, withdrawn and not yet accepted cases are not published.
BOARD_STATES = (
    CaseState.ACCEPTED,
    CaseState.IN_PROGRESS,
    CaseState.SUSPENDED,
    CaseState.DECIDED,
    CaseState.COMPLETED,
)
# Only what the board shows is loaded: the identity number and contact details never leave the database.
BOARD_FIELDS = (
    "number",
    "applicant_kind",
    "applicant_name",
    "state",
    "received_at",
    "accepted_at",
    "completed_at",
    "item_version__name",
    "department__name",
    "decision__outcome",
    "decision__decided_at",
)


def board_cases():
    return (
        Case.objects.filter(item_version__item__item_type=ItemType.LICENSING, state__in=BOARD_STATES)
        .select_related("item_version", "department", "decision")
        .only(*BOARD_FIELDS)
        .order_by("-accepted_at", "-pk")
    )


def _result(case: Case) -> str:
    decision = getattr(case, "decision", None)
    if decision is not None:
        return decision.get_outcome_display()
    if case.state == CaseState.COMPLETED:
        return _("已办结")
    return ""


def case_board(request):
    departments = list(
        Department.objects.filter(is_active=True, service_items__item_type=ItemType.LICENSING)
        .distinct()
        .order_by("sort_order", "code")
        .only("pk", "name")
    )
    cases = board_cases()
    # Only a department of the list filters; any other value ("²", digits past the id range) finds no row.
    department = request.GET.get("department", "")
    if department:
        chosen = next((dept.pk for dept in departments if str(dept.pk) == department), None)
        cases = cases.filter(department_id=chosen) if chosen is not None else cases.none()
    item = " ".join(request.GET.get("item", "").split())[:MAX_QUERY]
    if item:
        cases = cases.filter(item_version__name__icontains=item)
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "case": case,
            "applicant": public_applicant_name(case.applicant_kind, case.applicant_name),
            "decided_at": case.decision.decided_at if getattr(case, "decision", None) else None,
            "result": _result(case),
        }
        for case in page.object_list
    ]
    query = urlencode({key: value for key, value in (("department", department), ("item", item)) if value})
    context = {
        "page": page,
        "rows": rows,
        "departments": departments,
        "department": department,
        "item": item,
        "query": query,
    }
    return render(request, "portal/cases/board.html", context)
