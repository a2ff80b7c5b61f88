import unicodedata

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class HalfWidthCharField(forms.CharField):
    """Full-width digits and letters, as a Chinese input method types them, read as their ASCII forms."""

    def to_python(self, value):
        return unicodedata.normalize("NFKC", super().to_python(value))


class LookupForm(forms.Form):
    number = HalfWidthCharField(label=_("办件编号"), max_length=50, strip=True)
    query_code = HalfWidthCharField(
        label=_("查询码"),
        max_length=6,
        min_length=6,
        strip=True,
        validators=[RegexValidator(r"^[0-9]{6}$", _("查询码为 6 位数字。"))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
