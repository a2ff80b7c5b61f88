"""Rated cases: the cases fixture's hall, a leader in charge, and cases put straight into a state."""

from datetime import datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from tests.accounts.factories import make_staff
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import Hall
from zhengwu.accounts.enums import Role
from zhengwu.cases.enums import ApplicantIdType, ApplicantKind, CaseState, Channel
from zhengwu.cases.models import Case

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)

hall = cases_conftest.hall
_serial = count(1)


@pytest.fixture
def leader(hall):
    return make_staff("fenguan", department=hall.department, display_name="分管领导", roles=(Role.LEADER_IN_CHARGE,))


def case_in(hall: Hall, state: str = CaseState.DECIDED, *, applicant=None, walk_in: bool = False, **fields) -> Case:
    """A case of the hall's licensing item written straight in `state` (rating only looks at the state)."""
    applicant = None if walk_in else (applicant or hall.citizen)
    received = fields.pop("received_at", timezone.now() - timedelta(days=10))
    values = {
        "number": f"TEST{next(_serial):06d}",
        "query_code": "123456",
        "item_version": hall.version,
        "department": hall.department,
        "applicant": applicant,
        "applicant_kind": ApplicantKind.NATURAL,
        "applicant_name": getattr(applicant, "display_name", "") or "李四",
        "applicant_id_type": ApplicantIdType.RESIDENT_ID,
        "applicant_id_number": "110101199003071234",
        "channel": Channel.WINDOW if walk_in else Channel.ONLINE,
        "state": state,
        "received_at": received,
        "accepted_at": received + timedelta(hours=1) if state not in (CaseState.SUBMITTED, CaseState.REFUSED) else None,
    }
    if state == CaseState.REFUSED:
        values["refusal_reason"] = "不属于本机关职权范围"
    return Case.objects.create(**(values | fields))
