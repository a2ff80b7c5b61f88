"""违规通报: violations a supervisor decided to make public, with the published text only (no personal data)."""

from django.core.paginator import Paginator
from django.shortcuts import render

from zhengwu.supervision.enums import ViolationState
from zhengwu.supervision.models import Violation


def violations(request):
    queryset = (
        Violation.objects.filter(state=ViolationState.PUBLISHED)
        .order_by("-published_at", "-id")
        .values("published_at", "published_text", "department__name")
    )
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(request, "portal/supervision/violations.html", {"page": page})
