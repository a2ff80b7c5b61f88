"""Diagram endpoints (staff only). Pages that show diagrams live in the interface apps and the admin."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from zhengwu.accounts.enums import Role
from zhengwu.org.models import Department
from zhengwu.workbench.rules import staff_required
from zhengwu.workflow import engine
from zhengwu.workflow.diagram import render_svg
from zhengwu.workflow.domain import workflow_load
from zhengwu.workflow.models import ProcessDefinition, ProcessInstance
from zhengwu.workflow.rules import can_view_instance

SVG_TYPE = "image/svg+xml; charset=utf-8"


def _svg(content: str, *, cache: str) -> HttpResponse:
    response = HttpResponse(content, content_type=SVG_TYPE)
    response["Cache-Control"] = cache
    return response


@require_GET
@staff_required
def definition_diagram(request, definition_id: int) -> HttpResponse:
    definition = get_object_or_404(ProcessDefinition.objects.only("id", "bpmn_xml"), pk=definition_id)
    svg = render_svg(definition.bpmn_xml, stylesheet_href=static("workflow/diagram.css"))
    return _svg(svg, cache="private, max-age=3600")  # a definition version never changes


@require_GET
@staff_required
def instance_diagram(request, instance_id: int) -> HttpResponse:
    instance = get_object_or_404(ProcessInstance, pk=instance_id)
    if not can_view_instance(request.user, instance):
        raise Http404
    return instance_diagram_response(instance)


def instance_diagram_response(instance: ProcessInstance) -> HttpResponse:
    """The instance's diagram with its progress marked; the caller has checked that the user may see it."""
    definition = ProcessDefinition.objects.get(pk=instance.definition_id)
    completed, active = engine.element_states(workflow_load(instance, definition))
    departments = Department.objects.in_bulk([lane["department"] for lane in instance.lane_map.values()])
    titles = {}
    for name, lane in instance.lane_map.items():
        department = departments.get(lane["department"])
        where = (department.short_name or department.name) if department else ""
        titles[name] = f"{lane['label']} · {where}（{Role(lane['role']).label}）"
    svg = render_svg(
        definition.bpmn_xml,
        completed=completed,
        active=active,
        lane_titles=titles,
        stylesheet_href=static("workflow/diagram.css"),
    )
    return _svg(svg, cache="private, no-cache")
