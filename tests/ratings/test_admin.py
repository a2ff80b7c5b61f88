"""Admin: ratings and their follow-ups are looked at there, never edited."""

import pytest
from django.urls import reverse

from tests.ratings.conftest import case_in
from zhengwu.ratings.domain import rating_submit
from zhengwu.ratings.enums import Level
from zhengwu.ratings.models import Rating, RatingFollowUp

pytestmark = pytest.mark.django_db


def test_ratings_and_follow_ups_are_read_only(admin_client, hall):
    rating_submit(actor=hall.citizen, case=case_in(hall), level=Level.VERY_DISSATISFIED, comment="态度差")
    rating, follow_up = Rating.objects.get(), RatingFollowUp.objects.get()

    listing = admin_client.get(reverse("admin:ratings_rating_changelist")).content.decode()
    assert rating.case.number in listing
    page = admin_client.get(reverse("admin:ratings_ratingfollowup_change", args=[follow_up.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    history = admin_client.get(reverse("admin:ratings_ratingfollowup_history", args=[follow_up.pk]))
    assert "ratings.follow_up_opened" in history.content.decode()
    assert admin_client.get(reverse("admin:ratings_rating_add")).status_code == 403
    assert admin_client.post(reverse("admin:ratings_rating_delete", args=[rating.pk])).status_code == 403
