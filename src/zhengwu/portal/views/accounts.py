"""Public accounts: login, logout, registration of citizens and enterprises, and the account page."""

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from zhengwu.accounts.domain import citizen_register, enterprise_register, login_success_record, logout_record
from zhengwu.accounts.enums import Role
from zhengwu.accounts.forms import LoginForm
from zhengwu.accounts.rules import is_citizen, is_enterprise, is_staff_member, staff_profile, user_roles
from zhengwu.core.middleware import client_ip
from zhengwu.portal.forms import CitizenRegistrationForm, EnterpriseRegistrationForm

BACKEND = "zhengwu.accounts.backends.ZhengwuAuthBackend"


class LoginView(auth_views.LoginView):
    """One login for every subsystem: staff land on the workbench, the public on the portal."""

    form_class = LoginForm
    template_name = "portal/accounts/login.html"
    channel = "portal"

    def get_default_redirect_url(self):
        if is_staff_member(self.request.user):
            return reverse("workbench:home")
        return reverse("portal:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        login_success_record(
            user=form.get_user(),
            username=form.cleaned_data["username"],
            ip=client_ip(self.request),
            channel=self.channel,
        )
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView answers GET with 405)."""

    next_page = "portal:home"

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            logout_record(user=request.user)
        return super().post(request, *args, **kwargs)


login = LoginView.as_view()
logout = LogoutView.as_view()


def _already_registered(request):
    if request.user.is_authenticated:
        messages.info(request, _("您已登录，无需重复注册。"))
        return redirect("portal:account")
    return None


def register(request):
    if (response := _already_registered(request)) is not None:
        return response
    return render(request, "portal/accounts/register.html")


def _register(request, *, form_class, register_fn, template: str, success: str):
    if (response := _already_registered(request)) is not None:
        return response
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_fn(**form.domain_kwargs())
        except ValidationError as exc:  # lost a race with a concurrent registration
            form.add_domain_errors(exc)
        else:
            auth_login(request, user, backend=BACKEND)
            login_success_record(user=user, ip=client_ip(request), channel="registration")
            messages.success(request, success)
            return redirect("portal:home")
    return render(request, template, {"form": form})


@sensitive_post_parameters("password1", "password2", "id_number")
@csrf_protect
@never_cache
def register_citizen(request):
    return _register(
        request,
        form_class=CitizenRegistrationForm,
        register_fn=citizen_register,
        template="portal/accounts/register_citizen.html",
        success=_("注册成功，欢迎使用！您可以使用手机号码登录。"),
    )


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
def register_enterprise(request):
    return _register(
        request,
        form_class=EnterpriseRegistrationForm,
        register_fn=enterprise_register,
        template="portal/accounts/register_enterprise.html",
        success=_("注册成功，欢迎使用！您可以使用统一社会信用代码或手机号码登录。"),
    )


@login_required
@never_cache
def account(request):
    user = request.user
    context = {"citizen": None, "enterprise": None, "staff": None, "roles": []}
    if is_citizen(user):
        context["citizen"] = getattr(user, "citizen", None)
    elif is_enterprise(user):
        context["enterprise"] = getattr(user, "enterprise", None)
    elif is_staff_member(user):
        context["staff"] = staff_profile(user)
        held = user_roles(user)
        context["roles"] = [role.label for role in Role if role in held]
    return render(request, "portal/accounts/account.html", context)
