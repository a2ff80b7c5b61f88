"""Entry to the supervision centre: county-wide staff and department leaders (supervision/rules.py)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from zhengwu.accounts.rules import staff_profile
from zhengwu.supervision import rules


def oversight_required(view_func):
    """Anonymous → the staff login (with next); anyone who may not enter → 403."""

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("workbench:login"))
        if not rules.can_enter_oversight(user):
            raise PermissionDenied
        staff_profile(user)  # the header's department, in one query
        return view_func(request, *args, **kwargs)

    return wrapper


def supervisor_only(user) -> None:
    if not rules.is_supervisor(user):
        raise PermissionDenied
