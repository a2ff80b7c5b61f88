import unicodedata

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from zhengwu.cases.domain.intake import submission_key_new, submission_key_valid


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


class SubmissionKeyForm(forms.Form):
    """The one-time key of a filing form, a hidden field: a fresh key when the form is first rendered, the posted one
    when it is shown again (with errors), so the same form posted twice files one case (`cases.domain.intake`).
    A post without a key this platform could have given out (a page from before keys, a tampered field) is taken as
    one without: the form then gets a fresh key and the post none, and is never refused for it."""

    # autocomplete off: a browser restoring the page's fields (reload, Back) must not bring the used key back
    submission_key = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"autocomplete": "off"}))

    def __init__(self, data=None):
        if data is not None and not submission_key_valid(data.get("submission_key")):
            data = None
        super().__init__(data, initial={"submission_key": submission_key_new()})

    @property
    def key(self) -> str | None:
        """The posted key, or None."""
        return self.data["submission_key"] if self.is_bound else None
