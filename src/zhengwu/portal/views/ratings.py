"""好差评 from the applicant's case page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.cases.models import Case
from zhengwu.ratings.domain import rating_submit
from zhengwu.ratings.enums import RatingChannel


@login_required
@require_POST
def rate(request, number: str):
    case = get_object_or_404(Case.objects.select_related("department"), number=number, applicant=request.user)
    try:
        rating_submit(
            actor=request.user,
            case=case,
            level=request.POST.get("level", ""),
            comment=request.POST.get("comment", ""),
            channel=RatingChannel.ONLINE,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("感谢您的评价。"))
    return redirect("portal:case_detail", number=case.number)
