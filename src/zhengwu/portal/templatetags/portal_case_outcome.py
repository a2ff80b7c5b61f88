from django import template

from zhengwu.cases.domain.outcome import case_outcome as load_case_outcome

register = template.Library()


@register.simple_tag(takes_context=True)
def case_outcome(context):
    """The decided case's result side for the applicant (None before the decision)."""
    return load_case_outcome(context["case"], context["request"].user)
