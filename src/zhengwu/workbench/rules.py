"""Access to the workbench: staff only. Predicates live in zhengwu.accounts.rules."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from zhengwu.accounts.rules import has_role, is_staff_member, staff_profile


def _public_user_refusal() -> str:
    return _("工作台仅供政务服务工作人员使用。您当前以公众账户登录；如需办理工作，请退出后用工作人员账户登录。")


def _refuse(request, *, roles: tuple[str, ...] = ()):
    """A response refusing the request, or None when the user may enter."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("workbench:login"))
    if not is_staff_member(user):
        raise PermissionDenied(_public_user_refusal())
    if roles and not (user.is_superuser or any(has_role(user, role) for role in roles)):
        raise PermissionDenied
    staff_profile(user)  # one query for the profile the layout shows
    return None


def staff_required(view=None, *, roles: tuple[str, ...] = ()):
    """Anonymous → workbench login (with next); logged-in non-staff → 403. With roles: any one of them."""

    def decorate(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            refusal = _refuse(request, roles=roles)
            if refusal is not None:
                return refusal
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


class StaffRequiredMixin:
    """Class-based equivalent of staff_required; set `required_roles` to demand any one of them."""

    required_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        refusal = _refuse(request, roles=tuple(self.required_roles))
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)
