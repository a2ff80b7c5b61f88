"""The 好差评 section of the staff case page."""

from django import template

from zhengwu.ratings import rules
from zhengwu.ratings.enums import Level, RatingChannel
from zhengwu.ratings.models import Rating

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_case_rating(context, case) -> dict:
    """The case's rating, its follow-up when this user may open it, and whether the window may rate now."""
    rating = Rating.objects.filter(case=case).select_related("follow_up", "recorded_by").first()
    user = context.get("user")
    follow_up = getattr(rating, "follow_up", None) if rating is not None else None
    return {
        "rating": rating,
        "follow_up": follow_up if follow_up is not None and rules.can_view_follow_up(user, follow_up) else None,
        "can_rate": rating is None
        and case.state in rules.RATEABLE_STATES
        and rules.can_rate_case(user, case, RatingChannel.WINDOW),
        "levels": Level.choices,
    }
