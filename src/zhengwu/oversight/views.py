from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse

from zhengwu.accounts.rules import is_county_wide, staff_profile


def home(request):
    """Supervisors, administrators and superusers only; anonymous visitors go to the staff login."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("workbench:login"))
    if not is_county_wide(user):
        raise PermissionDenied
    staff_profile(user)  # the header's department, in one query
    return render(request, "oversight/home.html")
