"""Public registration forms. The domain validates; these forms collect input and show its errors by field."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain import citizen_registration_validate, enterprise_registration_validate
from zhengwu.accounts.domain.passwords import password_help_text
from zhengwu.accounts.enums import IdType

# Domain argument → form field, where they differ.
_DOMAIN_FIELD = {"password": "password1"}


class _RegistrationForm(forms.Form):
    """Shared: phone and the password pair; subclasses name their domain validator."""

    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        help_text=_("11位中国大陆手机号码，可用于登录。"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        help_text=_("请再次输入相同的密码。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_help_text()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", ValidationError(_("两次输入的密码不一致。"), code="password_mismatch"))
        try:
            self.validated = self.domain_validate(**self.domain_kwargs())
        except ValidationError as exc:
            self.add_domain_errors(exc)
        return cleaned

    def domain_validate(self, **kwargs):
        raise NotImplementedError

    def domain_kwargs(self) -> dict:
        raise NotImplementedError

    def add_domain_errors(self, exc: ValidationError) -> None:
        """Attach the domain's errors to their fields; a field that already has an error keeps only its own."""
        for field, errors in exc.update_error_dict({}).items():
            name = _DOMAIN_FIELD.get(field, field)
            if name not in self.fields:
                name = None
            elif name in self._errors:
                continue
            for error in errors:
                self.add_error(name, error)


class CitizenRegistrationForm(_RegistrationForm):
    real_name = forms.CharField(
        label=_("真实姓名"),
        max_length=50,
        help_text=_("与证件上的姓名一致。"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdType.choices, initial=IdType.RESIDENT_ID)
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=30,
        help_text=_("居民身份证为18位，最后一位可能是X。证件号码仅以部分隐藏的形式显示。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    field_order = ["real_name", "id_type", "id_number", "phone", "password1", "password2"]

    def domain_validate(self, **kwargs):
        return citizen_registration_validate(**kwargs)

    def domain_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "real_name": data.get("real_name", ""),
            "id_type": data.get("id_type", ""),
            "id_number": data.get("id_number", ""),
            "phone": data.get("phone", ""),
            "password": data.get("password1", ""),
        }


class EnterpriseRegistrationForm(_RegistrationForm):
    name = forms.CharField(
        label=_("单位名称"),
        max_length=150,
        help_text=_("与营业执照或登记证书上的名称一致。"),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        help_text=_("18位，见营业执照或登记证书。注册后用作登录名。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50)

    field_order = ["name", "credit_code", "legal_representative", "phone", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = _("经办人的11位中国大陆手机号码，也可用于登录。")

    def domain_validate(self, **kwargs):
        return enterprise_registration_validate(**kwargs)

    def domain_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data.get("name", ""),
            "credit_code": data.get("credit_code", ""),
            "legal_representative": data.get("legal_representative", ""),
            "phone": data.get("phone", ""),
            "password": data.get("password1", ""),
        }
