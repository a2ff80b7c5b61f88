from django.shortcuts import render
from django.utils import timezone

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import can_manage_accounts, is_county_wide, staff_profile, user_roles
from zhengwu.workbench.rules import staff_required


@staff_required
def home(request):
    user = request.user
    assigned = user_roles(user)
    return render(
        request,
        "workbench/home.html",
        {
            "display_name": user.display_name or user.get_username(),
            "profile": staff_profile(user),
            "roles": [role.label for role in Role if role in assigned],
            "today": timezone.localdate(),
            "can_oversee": is_county_wide(user),
            "can_admin": user.is_staff and can_manage_accounts(user),
        },
    )
