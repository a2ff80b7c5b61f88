"""The one login form, shared by the portal and the workbench."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain import login_failure_record, login_is_throttled, login_throttled_message
from zhengwu.accounts.rules import is_staff_member
from zhengwu.core.middleware import client_ip


class LoginForm(AuthenticationForm):
    """Username or mobile number, and password; refuses while the account or address is throttled."""

    username = forms.CharField(
        label=_("用户名或手机号码"),
        max_length=150,
        help_text=_("公众用户可使用手机号码登录，法人可使用统一社会信用代码登录。"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("用户名（手机号码）或密码不正确，请重新输入。"),
        "inactive": _("该账户已停用，请联系客服。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        ip = client_ip(self.request) if self.request is not None else None
        if login_is_throttled(username=username, ip=ip):
            raise ValidationError(login_throttled_message(), code="throttled")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            login_failure_record(username=username, ip=ip)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class StaffLoginForm(LoginForm):
    """The workbench login: the same accounts, staff only."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not is_staff_member(user):
            raise ValidationError(
                _("该账户不是工作人员账户，不能登录工作台。公众用户请在门户网站登录。"), code="not_staff"
            )
