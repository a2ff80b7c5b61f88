"""Forms of the task page: complete (办理完成), decide (决定), return (退回), reassign (转办)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengwu.cases.enums import DecisionOutcome

STEP_OUTCOMES = [("approve", _("同意")), ("disapprove", _("不同意"))]
# How a finished step's outcome reads on the task page (the engine stores the identifiers).
OUTCOME_LABELS = {
    "accept": _("受理"),
    "refuse": _("不予受理"),
    "returned": _("退回"),
    **dict(STEP_OUTCOMES),
    **dict(DecisionOutcome.choices),
}


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("办理结果"), choices=STEP_OUTCOMES, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("办理意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("决定"), choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("决定理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(label=_("法律依据"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    comment = forms.CharField(
        label=_("办理意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(forms.Form):
    to_task_id = forms.ChoiceField(label=_("退回到"))
    reason = forms.CharField(label=_("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_task_id"].choices = list(steps)


class ReassignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("转办给"), coerce=int)
    reason = forms.CharField(label=_("转办原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(user.pk, str(user)) for user in colleagues]
