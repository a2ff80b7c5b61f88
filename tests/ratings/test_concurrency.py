"""Two ratings of the same case at once: exactly one is kept, the other is told. PostgreSQL only (row locks)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.concurrency import race
from tests.ratings.conftest import case_in
from zhengwu.audit.domain import audit_verify
from zhengwu.ratings.domain import rating_follow_up_verify, rating_submit
from zhengwu.ratings.enums import FollowUpState, Level, RatingChannel
from zhengwu.ratings.models import Rating, RatingFollowUp

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")


def test_two_ratings_at_once_keep_exactly_one(hall):
    case = case_in(hall, walk_in=False)

    results = race(
        lambda: rating_submit(actor=hall.citizen, case=case, level=Level.VERY_SATISFIED),
        lambda: rating_submit(
            actor=hall.clerk, case=case, level=Level.DISSATISFIED, comment="慢", channel=RatingChannel.WINDOW
        ),
    )

    assert results["contender_waited"] is True
    assert results["first"] == "ok"
    assert isinstance(results["second"], ValidationError)
    assert results["second"].messages == ["该办件已经评价过，每个办件只能评价一次。"]
    assert list(Rating.objects.values_list("level", "rated_by")) == [(5, hall.citizen.pk)]
    assert RatingFollowUp.objects.count() == 0
    assert audit_verify() is None


def test_two_verifications_at_once_record_one(hall):
    rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.VERY_DISSATISFIED, comment="态度差")
    follow_up = RatingFollowUp.objects.get()

    results = race(
        lambda: rating_follow_up_verify(actor=hall.handler, follow_up=follow_up, finding="属实", substantiated=True),
        lambda: rating_follow_up_verify(
            actor=hall.section_head, follow_up=follow_up, finding="不属实", substantiated=False
        ),
    )

    assert results["contender_waited"] is True
    assert results["second"].messages == ["差评整改当前状态为“已核实”，不能核实。"]
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.verification_finding, follow_up.verified_by) == (
        FollowUpState.VERIFIED,
        "属实",
        hall.handler,
    )
