from django.shortcuts import render
from django.utils import timezone

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import can_manage_accounts, is_county_wide, staff_profile, user_roles
from zhengwu.workbench.rules import staff_required
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.domain.calendar import calendar_missing_years


@staff_required
def home(request):
    user = request.user
    assigned = user_roles(user)
    today = timezone.localdate()
    index = current_index()
    can_admin = user.is_staff and can_manage_accounts(user)
    return render(
        request,
        "workbench/home.html",
        {
            "display_name": user.display_name or user.get_username(),
            "profile": staff_profile(user),
            "roles": [role.label for role in Role if role in assigned],
            "today": today,
            "today_info": index.day_info(today),
            "next_working_day": index.next_working_day(today),
            "missing_calendar_years": calendar_missing_years(today) if can_admin else [],
            "can_oversee": is_county_wide(user),
            "can_admin": can_admin,
        },
    )
