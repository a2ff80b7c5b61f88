"""The case page's fee section loads its own data: `{% applicant_case_fees case as fees %}`."""

from django import template

from zhengwu.portal.views.fees import ApplicantFees, applicant_fees

register = template.Library()


@register.simple_tag(takes_context=True)
def applicant_case_fees(context, case) -> ApplicantFees:
    return applicant_fees(context["request"].user, case)
