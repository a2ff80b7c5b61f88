"""The case page's fee section loads its own data: `{% case_fees case as fees %}`."""

from django import template

from zhengwu.workbench.views.fees import CaseFees, case_fees_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def case_fees(context, case) -> CaseFees:
    return case_fees_panel(context["request"].user, case)
