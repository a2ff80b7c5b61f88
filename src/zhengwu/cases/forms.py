from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class LookupForm(forms.Form):
    number = forms.CharField(label=_("办件编号"), max_length=50, strip=True)
    query_code = forms.CharField(
        label=_("查询码"),
        max_length=6,
        min_length=6,
        strip=True,
        validators=[RegexValidator(r"^\d{6}$", _("查询码为 6 位数字。"))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
