"""Forms of the applicant's side of cases: online application and correction, one field pair per material."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.catalog.enums import MaterialNecessity
from zhengwu.licences.enums import LicenceState
from zhengwu.licences.models import Licence

FILE_ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.ofd"


def own_valid_licences(user, type_name: str):
    """The user's own licences of the type that are valid today (not revoked, not expired)."""
    today = timezone.localdate()
    return (
        Licence.objects.filter(holder=user, licence_type__name=type_name, state=LicenceState.VALID)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("licence_type")
        .order_by("-issued_at", "pk")
    )


class LicenceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.licence_type.name} {obj.number}（{obj.holder_name}）"


class MaterialsForm(forms.Form):
    """One upload per material, or (where the material names a licence type) one of the user's own licences."""

    def __init__(self, *args, materials, user, required_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.materials = list(materials)
        self.rows = []
        for material in self.materials:
            required = (
                material.pk in required_ids
                if required_ids is not None
                else material.necessity == MaterialNecessity.REQUIRED
            )
            file_name, licence_name = f"m{material.pk}_file", f"m{material.pk}_licence"
            self.fields[file_name] = forms.FileField(
                label=_("上传文件"),
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": FILE_ACCEPT}),
            )
            has_licence = False
            if material.licence_type:
                choices = own_valid_licences(user, material.licence_type)
                self.fields[licence_name] = LicenceChoiceField(
                    label=_("或选用我的电子证照"),
                    queryset=choices,
                    required=False,
                    empty_label=_("（不选用，上传文件）"),
                    error_messages={"invalid_choice": _("只能选用您本人有效的电子证照。")},
                )
                has_licence = True
            self.rows.append(
                {
                    "material": material,
                    "required": required,
                    "file": self[file_name],
                    "licence": self[licence_name] if has_licence else None,
                }
            )

    def clean(self):
        data = super().clean()
        for row in self.rows:
            material = row["material"]
            file_name, licence_name = f"m{material.pk}_file", f"m{material.pk}_licence"
            if file_name in self.errors or licence_name in self.errors:
                continue
            upload, licence = data.get(file_name), data.get(licence_name)
            if upload and licence:
                self.add_error(file_name, _("请上传文件或选用电子证照，二者选其一。"))
            elif row["required"] and not upload and not licence:
                self.add_error(
                    file_name,
                    _("请上传此材料或选用电子证照。") if row["licence"] is not None else _("请上传此材料。"),
                )
        return data

    def chosen(self):
        """(material, upload or None, licence or None) for every material the user provided."""
        for row in self.rows:
            material = row["material"]
            upload = self.cleaned_data.get(f"m{material.pk}_file")
            licence = self.cleaned_data.get(f"m{material.pk}_licence")
            if upload or licence:
                yield material, upload, licence


class ApplicationFieldsMixin:
    """The item's application form (申请表) entries as `f_<key>` text fields; `answers()` gives form_data."""

    def add_application_fields(self, fields) -> None:
        self.application_fields = []
        for field in fields:
            name = f"f_{field.key}"
            self.fields[name] = forms.CharField(
                label=field.label,
                required=field.required,
                max_length=200,
                error_messages={"required": _("请填写%(label)s。") % {"label": field.label}},
            )
            self.application_fields.append(self[name])

    def answers(self) -> dict[str, str]:
        return {
            name.removeprefix("f_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("f_") and value
        }


class ApplyForm(ApplicationFieldsMixin, MaterialsForm):
    def __init__(self, *args, form_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_application_fields(form_fields)

    confirm = forms.BooleanField(
        label_suffix="",
        label=_("本人承诺所填信息和所交材料真实、准确、完整，如有虚假愿承担相应法律责任。"),
        error_messages={"required": _("请确认申报信息真实准确。")},
    )
