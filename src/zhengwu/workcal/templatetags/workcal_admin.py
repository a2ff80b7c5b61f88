from django import template
from django.utils import timezone

from zhengwu.workcal.domain.calendar import calendar_missing_years

register = template.Library()


@register.inclusion_tag("admin/workcal/calendar_tags/missing_years.html", takes_context=True)
def workcal_missing_years_warning(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "years": calendar_missing_years(timezone.localdate()),
        "can_import": bool(user and user.has_perm("workcal.change_calendarday")),
    }
