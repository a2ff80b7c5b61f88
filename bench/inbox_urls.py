"""URLs for bench/inbox.py's server: the project's URLs plus the one-SELECT baseline page."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

_TEMPLATE = engines["django"].from_string(
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>{{ case.number }}</title></head>'
    "<body><h1>{{ case.number }}</h1><p>{{ case.applicant_name }} · {{ case.get_state_display }}</p>"
    "<p>{{ case.received_at|date:'Y-m-d H:i' }}</p></body></html>"
)


def one_select(request, pk: int):
    """The baseline: one SELECT by primary key, rendered through a template."""
    from zhengwu.cases.models import Case

    case = Case.objects.get(pk=pk)
    return HttpResponse(_TEMPLATE.render({"case": case}, request))


urlpatterns = [
    path("bench/one-select/<int:pk>/", one_select),
    path("", include("zhengwu.urls")),
]
