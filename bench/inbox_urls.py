"""URLs for bench/inbox.py's server: the project's URLs plus two baseline pages.

* /bench/one-select/<pk>/ — one SELECT by primary key rendered through a small template (the issue's baseline).
* /bench/staff-select/<pk>/ — the same SELECT on a staff page: logged-in staff check and the workbench layout
  (session, user, profile, roles and unread-count queries are the layout's), so the inbox's own cost shows.
* /bench/inbox-rendered/ — the inbox's 待办 tab rendered on every request, as on a cache miss (ADR 0023).
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from zhengwu.workbench.rules import staff_required

_TEMPLATE = engines["django"].from_string(
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>{{ case.number }}</title></head>'
    "<body><h1>{{ case.number }}</h1><p>{{ case.applicant_name }} · {{ case.get_state_display }}</p>"
    "<p>{{ case.received_at|date:'Y-m-d H:i' }}</p></body></html>"
)
_STAFF_TEMPLATE = engines["django"].from_string(
    '{% extends "workbench/base.html" %}{% block title %}{{ case.number }}{% endblock %}'
    "{% block content %}<h1>{{ case.number }}</h1><p>{{ case.applicant_name }} · {{ case.get_state_display }}</p>"
    "<p>{{ case.received_at|date:'Y-m-d H:i' }}</p>{% endblock %}"
)


def _case(pk: int):
    from zhengwu.cases.models import Case

    return Case.objects.get(pk=pk)


def one_select(request, pk: int):
    """The baseline: one SELECT by primary key, rendered through a template."""
    return HttpResponse(_TEMPLATE.render({"case": _case(pk)}, request))


@staff_required
def staff_select(request, pk: int):
    return HttpResponse(_STAFF_TEMPLATE.render({"case": _case(pk)}, request))


def inbox_rendered(request):
    from zhengwu.workbench.views.tasks import _inbox

    return _inbox(request, tab="todo", cacheable=False)


urlpatterns = [
    path("bench/inbox-rendered/", inbox_rendered),
    path("bench/one-select/<int:pk>/", one_select),
    path("bench/staff-select/<int:pk>/", staff_select),
    path("", include("zhengwu.urls")),
]
