"""Forms for curating the catalogue. They check types only; the domain (catalog.domain.versions) validates
the guide, and its ValidationErrors are put back on these forms by `domain_errors_apply`."""

import os

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from zhengwu.catalog.domain.versions import (
    FEE_FIELDS,
    MATERIAL_FIELDS,
    MATERIAL_FILE_FIELDS,
    STEP_FIELDS,
    UPLOAD_KINDS,
    VERSION_FIELDS,
    fees_validate,
    materials_validate,
    version_fields_validate,
)
from zhengwu.catalog.enums import ExerciseLevel, ItemType, VersionState
from zhengwu.catalog.models import FeeItem, ItemMaterial, ItemVersion
from zhengwu.org.models import Department
from zhengwu.workcal.presets import get_preset, preset_choices

UPLOAD_ACCEPT = ",".join(f".{extension}" for extension in UPLOAD_KINDS)
UPLOAD_HELP = _("PDF、Word、Excel、JPG、PNG，不超过 10 MB。")


class StoredFile:
    """A file already attached, as the file inputs show it: its name, linked to the permission-checked download."""

    def __init__(self, name: str, url: str):
        self.name = name
        self.url = url

    def __str__(self) -> str:
        return os.path.basename(self.name)

    def __bool__(self) -> bool:
        return bool(self.name)


def upload_field() -> forms.FileField:
    return forms.FileField(
        required=False,
        help_text=UPLOAD_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
    )


def file_argument(value):
    """A cleaned file field as the domain takes it: an upload, a stored name to keep, or "" for none."""
    if isinstance(value, UploadedFile):
        return value
    if isinstance(value, StoredFile):
        return value.name
    return ""


class _DomainValidatedModelForm(forms.ModelForm):
    """Model fields give labels, choices and widgets; the domain validates, so no model instance is ever built."""

    def _post_clean(self):
        pass


def _preset_choices():
    return [("", _("（不使用预设）")), *preset_choices()]


class GuideForm(_DomainValidatedModelForm):
    """A version's guide fields (办事指南)."""

    statutory_preset = forms.ChoiceField(
        label=_("法定时限依据（预设）"),
        choices=_preset_choices,
        required=False,
        help_text=_("选择后显示其法律依据，并填入法定时限和时限单位。"),
    )

    class Meta:
        model = ItemVersion
        fields = VERSION_FIELDS
        widgets = {
            "acceptance_conditions": forms.Textarea(attrs={"rows": 4}),
            "process_description": forms.Textarea(attrs={"rows": 3}),
            "intermediary_services": forms.Textarea(attrs={"rows": 2}),
            "legal_basis": forms.Textarea(attrs={"rows": 3}),
            "statutory_limit_days": forms.NumberInput(attrs={"min": 0}),
            "promised_limit_days": forms.NumberInput(attrs={"min": 0}),
            "visits_required": forms.NumberInput(attrs={"min": 0, "max": 9}),
        }

    def __init__(self, *args, with_result_sample: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self._fill_limit_from_preset()
        if with_result_sample:
            self.fields["result_sample"] = upload_field()
            self.fields["result_sample"].label = ItemVersion._meta.get_field("result_sample").verbose_name

    def _fill_limit_from_preset(self) -> None:
        """Without JavaScript, a chosen preset with the limit left empty fills the limit and its unit."""
        days_key, unit_key = self.add_prefix("statutory_limit_days"), self.add_prefix("limit_unit")
        if str(self.data.get(days_key) or "").strip():
            return
        try:
            preset = get_preset(self.data.get(self.add_prefix("statutory_preset")) or "")
        except KeyError:
            return
        self.data = self.data.copy()
        self.data[days_key] = str(preset.days)
        self.data[unit_key] = preset.unit

    def guide_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in VERSION_FIELDS}


class ItemForm(forms.Form):
    """What identifies a new item; the implementation code is built from the department, level and basic code."""

    department = forms.ModelChoiceField(label=_("实施主体"), queryset=Department.objects.none())
    item_type = forms.ChoiceField(label=_("事项类型"), choices=ItemType.choices)
    level = forms.ChoiceField(label=_("行使层级"), choices=ExerciseLevel.choices, initial=ExerciseLevel.COUNTY)
    basic_code = forms.CharField(
        label=_("基本编码"),
        max_length=12,
        help_text=_("12 位数字或大写字母；实施编码由实施主体的统一社会信用代码、行使层级和基本编码组成。"),
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments

    def clean_basic_code(self):
        return self.cleaned_data["basic_code"].strip().upper()


class MaterialForm(_DomainValidatedModelForm):
    blank_form = upload_field()
    sample = upload_field()

    class Meta:
        model = ItemMaterial
        fields = (*MATERIAL_FIELDS, *MATERIAL_FILE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blank_form"].label = ItemMaterial._meta.get_field("blank_form").verbose_name
        self.fields["sample"].label = ItemMaterial._meta.get_field("sample").verbose_name
        self.fields["licence_type"].help_text = _("已有电子证照可替代本材料时，填写证照名称。")
        self.fields["copies"].widget.attrs["min"] = 1

    def material(self) -> dict:
        data = {name: self.cleaned_data[name] for name in MATERIAL_FIELDS}
        for name in MATERIAL_FILE_FIELDS:
            data[name] = file_argument(self.cleaned_data.get(name))
        return data


class FeeForm(_DomainValidatedModelForm):
    class Meta:
        model = FeeItem
        fields = FEE_FIELDS

    def fee(self) -> dict:
        return {name: self.cleaned_data[name] for name in FEE_FIELDS}


class StepForm(forms.Form):
    name = forms.CharField(label=_("环节名称"), max_length=100)
    description = forms.CharField(label=_("办理内容"), max_length=500, required=False)
    limit_days = forms.IntegerField(label=_("环节时限（日）"), min_value=0, max_value=999, required=False)

    def step(self) -> dict:
        return {name: self.cleaned_data[name] for name in STEP_FIELDS}


MaterialFormSet = formset_factory(MaterialForm, extra=1, can_delete=True, can_delete_extra=False)
FeeFormSet = formset_factory(FeeForm, extra=1, can_delete=True, can_delete_extra=False)
StepFormSet = formset_factory(StepForm, extra=1, can_delete=True, can_delete_extra=False)

FORMSET_PREFIXES = ("materials", "fees", "steps")


def kept_forms(formset) -> list[forms.Form]:
    """The rows to save, in order: existing rows not marked for deletion, and new rows that were filled in."""
    kept = []
    for index, form in enumerate(formset.forms):
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if index >= formset.initial_form_count() and not form.has_changed():
            continue
        kept.append(form)
    return kept


def domain_errors_apply(error: ValidationError, *, forms_: list[forms.Form], rows: dict[str, tuple]) -> None:
    """Put a domain ValidationError back on the forms.

    Keys name a form field ("promised_limit_days"), a formset row field ("materials-0-name", counting the
    rows that were sent to the domain), or a whole list ("materials"). `rows` maps a prefix to
    (formset, the forms whose data was sent, in order).
    """
    if not hasattr(error, "error_dict"):
        forms_[0].add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        prefix, _sep, rest = key.partition("-")
        if prefix in rows:
            formset, sent = rows[prefix]
            index, _sep, field = rest.partition("-")
            if index.isdecimal() and int(index) < len(sent) and field in sent[int(index)].fields:
                sent[int(index)].add_error(field, messages)
            else:
                formset.non_form_errors().extend(messages)
            continue
        if key == "implementation_code":
            key = "basic_code"
        for form in forms_:
            if key in form.fields:
                form.add_error(key, messages)
                break
        else:
            forms_[0].add_error(None, messages)


def domain_precheck(guide: "GuideForm", formsets: dict) -> None:
    """The forms found problems, so the domain is not asked yet; still show what it would refuse in the parts
    that are well-formed, so that one submission reports every problem at once."""
    guide.is_valid()
    data = guide.cleaned_data
    errors = {
        name: message
        for name, message in version_fields_validate(data).items()
        if name in data and name not in guide.errors
    }
    rows = {}
    for prefix, check in (
        ("materials", lambda sent: materials_validate([form.material() for form in sent])),
        ("fees", lambda sent: fees_validate([form.fee() for form in sent], is_free=bool(data.get("is_free")))),
    ):
        formset = formsets[prefix]
        if not formset.is_valid():
            continue
        sent = kept_forms(formset)
        rows[prefix] = (formset, sent)
        for index, problems in check(sent).items():
            errors |= {f"{prefix}-{index}-{field}": message for field, message in problems.items()}
    if errors:
        domain_errors_apply(ValidationError(errors), forms_=[guide], rows=rows)


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("审核意见"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明需要修改的内容，编辑人员将在事项页面看到。"),
        error_messages={"required": _("退回时必须填写审核意见。")},
    )


class ApproveForm(forms.Form):
    comment = forms.CharField(label=_("审核意见（可选）"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("停用理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("停用事项必须说明理由。")},
    )


ITEM_STATE_FILTERS = (
    (VersionState.PUBLISHED, _("已发布")),
    (VersionState.DRAFT, _("有草稿")),
    (VersionState.IN_REVIEW, _("待审核")),
    (VersionState.RETURNED, _("已退回")),
    (VersionState.WITHDRAWN, _("已停用")),
)


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或编码"), required=False, max_length=100, widget=forms.SearchInput)
    state = forms.ChoiceField(label=_("状态"), choices=[("", _("全部")), *ITEM_STATE_FILTERS], required=False)
    item_type = forms.ChoiceField(label=_("事项类型"), choices=[("", _("全部")), *ItemType.choices], required=False)
    department = forms.ModelChoiceField(
        label=_("实施主体"), queryset=Department.objects.none(), required=False, empty_label=_("全部")
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments
