"""The 好差评 panel of the applicant's case page."""

from django import template

from zhengwu.ratings.enums import Level, RatingChannel
from zhengwu.ratings.models import Rating
from zhengwu.ratings.rules import RATEABLE_STATES, can_rate_case

register = template.Library()


@register.simple_tag(takes_context=True)
def case_rating(context, case) -> dict:
    """{"rating": the case's rating or None, "can_rate": whether this user may rate it now, "levels"}."""
    rating = Rating.objects.filter(case=case).first()
    user = context.get("user")
    can_rate = rating is None and case.state in RATEABLE_STATES and can_rate_case(user, case, RatingChannel.ONLINE)
    return {"rating": rating, "can_rate": can_rate, "levels": Level.choices}
