"""Public progress lookup (办件查询): case number + query code, no login."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhengwu.accounts.domain.identity import mask_name
from zhengwu.cases.domain import case_lookup, case_timeline
from zhengwu.cases.domain.api_rate import LOOKUP_FAILURE_RATE, api_rate_count, api_rate_usage
from zhengwu.cases.enums import ApiRateScope, CaseState
from zhengwu.cases.forms import LookupForm
from zhengwu.cases.models import CorrectionNotice
from zhengwu.core.middleware import client_ip


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request):
    context: dict = {"form": LookupForm(), "case": None}
    status = 200
    if request.method == "POST":
        form = LookupForm(request.POST)
        context["form"] = form
        # Failures per address are counted in the database, so every web process sees the same count.
        failures = {"scope": ApiRateScope.LOOKUP_FAILURE, "subject": client_ip(request) or "unknown"}
        failures.update(rate=LOOKUP_FAILURE_RATE, now=timezone.now())
        if api_rate_usage(**failures).remaining == 0:
            form.add_error(None, _("查询失败次数过多，请 10 分钟后再试。"))
            status = 429
        elif form.is_valid():
            case = case_lookup(number=form.cleaned_data["number"], query_code=form.cleaned_data["query_code"])
            if case is None:
                api_rate_count(**failures)
                form.add_error(None, _("办件编号或查询码不正确。"))
            else:
                context.update(
                    case=case,
                    applicant=mask_name(case.applicant_name),
                    timeline=case_timeline(case),
                    handling_due=case.handling_clock.due_date if case.handling_clock_id else None,
                    acceptance_due=(
                        case.acceptance_clock.due_date
                        if case.acceptance_clock_id and case.state == CaseState.SUBMITTED
                        else None
                    ),
                    notice=(
                        CorrectionNotice.objects.filter(case=case).order_by("-sequence").first()
                        if case.state == CaseState.CORRECTION_REQUESTED
                        else None
                    ),
                )
    return render(request, "cases/lookup.html", context, status=status)
