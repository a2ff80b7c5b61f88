from django import forms
from django.utils.translation import gettext_lazy as _

QUERY_MAX_LENGTH = 50


class ServiceSearchForm(forms.Form):
    q = forms.CharField(
        label=_("搜索事项"),
        required=False,
        max_length=QUERY_MAX_LENGTH,
        error_messages={
            "max_length": _("搜索词不能超过 %(limit_value)d 个字（当前 %(show_value)d 个字），请精简后再搜索。")
        },
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("如：护照、低保、公积金"), "autocomplete": "off"}
        ),
    )

    department = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Longer input is reported, not silently cut by the browser.
        self.fields["q"].widget.attrs.pop("maxlength", None)
