"""The server-side SVG of a definition and of an instance, and the staff-only endpoints that serve them."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from lxml import etree

from tests.accounts.factories import credit_code, make_staff_record
from zhengwu.accounts.models import User
from zhengwu.workflow import diagram
from zhengwu.workflow.diagram import PAINT, render_svg, wrap
from zhengwu.workflow.domain import process_start, shipped_process_definition, task_complete

SVG = "{http://www.w3.org/2000/svg}"
BPMN_DIR = Path(diagram.__file__).resolve().parent / "bpmn"
CSS = (Path(diagram.__file__).resolve().parent / "static" / "workflow" / "diagram.css").read_text()


def _parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode("utf-8"))


def _texts(root) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("name", ["default_licensing", "parallel_approval", "countersign_review"])
def test_every_shipped_definition_renders_as_well_formed_svg_without_style_attributes(name):
    svg = render_svg((BPMN_DIR / f"{name}.bpmn").read_bytes(), stylesheet_href="/static/workflow/diagram.css")
    root = _parse(svg)  # well-formed, or this raises
    assert root.tag == f"{SVG}svg"
    assert svg.startswith(
        "<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet href=\"/static/workflow/diagram.css\""
    )
    assert not [el for el in root.iter() if isinstance(el.tag, str) and "style" in el.attrib]
    assert "<style" not in svg and "<script" not in svg and " on" not in re.sub(r'"[^"]*"', '""', svg)
    assert re.fullmatch(r"-?\d+ -?\d+ \d+ \d+", root.get("viewBox"))


def test_the_parallel_diagram_shows_tasks_lanes_gateways_and_flows():
    root = _parse(render_svg((BPMN_DIR / "parallel_approval.bpmn").read_bytes()))
    texts = _texts(root)
    for name in (
        "受理",
        "主办部门审查",
        "协办部门审查",
        "决定",
        "收件",
        "办结",
        "不予受理",
        "抄报相关部门",
        "审查汇总",
    ):
        assert name in texts
    # lanes: their label with the role's name, rotated in the lane's band; the pool's name likewise
    for title in (
        "受理（窗口人员）",
        "主办部门审查（承办人）",
        "协办部门审查（承办人）",
        "决定（分管领导）",
        "并联审批",
    ):
        assert title in texts
    nodes = {g.get("id"): g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("node-")}
    assert nodes["node-review_lead"].find(f"{SVG}rect").get("rx") == "10"
    assert nodes["node-start"].find(f"{SVG}circle") is not None
    assert nodes["node-end"].find(f"{SVG}circle").get("class") == "bpmn-end"
    assert nodes["node-fork"].find(f"{SVG}polygon") is not None
    fork_marker = nodes["node-fork"].find(f"{SVG}path").get("d")
    exclusive_marker = nodes["node-accepted"].find(f"{SVG}path").get("d")
    assert fork_marker.count("h") == 1 and fork_marker.count("v") == 1  # +
    assert exclusive_marker.count("L") == 2  # ×
    flows = {p.get("id"): p for p in root.iter(f"{SVG}polyline")}
    assert len(flows) == 10
    assert flows["flow-flow_co_join"].get("points") == "680,435 780,435 780,310"
    assert flows["flow-flow_co_join"].get("marker-end") == "url(#bpmn-arrow)"
    assert root.find(f"{SVG}defs/{SVG}marker").get("id") == "bpmn-arrow"


def test_an_instance_highlights_completed_and_active_elements():
    root = _parse(
        render_svg(
            (BPMN_DIR / "parallel_approval.bpmn").read_bytes(),
            completed={"start", "accept", "accepted", "fork", "review_lead"},
            active={"review_co"},
            lane_titles={"协办部门审查:handler": "协办部门审查 · 区民政局（承办人）"},
        )
    )
    shape = {g.get("id"): g[0] for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("node-")}
    assert shape["node-accept"].get("class") == "bpmn-task is-completed"
    assert shape["node-accept"].get("fill") == PAINT["is-completed"]["fill"]
    assert shape["node-review_co"].get("class") == "bpmn-task is-active"
    assert shape["node-review_co"].get("stroke-width") == "3"
    assert shape["node-decide"].get("class") == "bpmn-task"
    assert shape["node-fork"].get("class") == "bpmn-gateway is-completed"
    assert "协办部门审查 · 区民政局（承办人）" in _texts(root)


def test_the_countersign_task_shows_the_parallel_multi_instance_marker():
    root = _parse(render_svg((BPMN_DIR / "countersign_review.bpmn").read_bytes()))
    node = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "node-countersign")
    assert [p.get("d") for p in node.iter(f"{SVG}path")] == ["M466,310 v10", "M470,310 v10", "M474,310 v10"]


def test_text_is_escaped_and_long_names_wrap_inside_the_task():
    xml = (
        (BPMN_DIR / "default_licensing.bpmn")
        .read_text()
        .replace(
            'name="审查"',
            'name="审查&lt;script&gt;alert(1)&lt;/script&gt;与现场核查及专家论证意见汇总并报分管领导审定后送达申请人"',
        )
    )
    svg = render_svg(xml)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    node = next(g for g in _parse(svg).iter(f"{SVG}g") if g.get("id") == "node-review")
    lines = ["".join(t.itertext()) for t in node.iter(f"{SVG}tspan")]
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert wrap("受理", 100, 2) == ["受理"]
    assert wrap("一二三四五六七八九十", 48, 2) == ["一二三四", "五六七…"]


def test_the_paint_in_the_svg_matches_the_static_stylesheet():
    for name, paint in PAINT.items():
        rule = re.search(rf"\.{re.escape(name)} \{{([^}}]*)\}}", CSS)
        assert rule is not None, name
        declared = dict(
            (k.strip(), v.strip()) for k, v in (d.split(":") for d in rule.group(1).split(";") if d.strip())
        )
        assert declared == paint, name


def test_a_file_without_diagram_information_renders_a_note():
    xml = re.sub(
        r"  <bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>\n",
        "",
        (BPMN_DIR / "default_licensing.bpmn").read_text(),
        flags=re.S,
    )
    assert "该流程没有图形信息（BPMN DI）" in _texts(_parse(render_svg(xml)))


# ---- endpoints ----------------------------------------------------------------------------------
@pytest.fixture
def started(county, frozen, subject):
    instance = process_start(
        actor=county["clerk"],
        definition=shipped_process_definition("parallel_approval"),
        subject=subject,
        department=county.approval,
        lane_map={"协办部门审查": county.civil},
    )
    task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    return instance


@pytest.mark.django_db
def test_staff_get_the_definition_diagram(client, county, started):
    client.force_login(county["civil_handler"])
    response = client.get(reverse("workflow:definition_diagram", args=[started.definition_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert "主办部门审查" in _texts(_parse(response.content.decode()))
    assert reverse("workflow:definition_diagram", args=[7]) == "/workbench/workflow/definitions/7/diagram.svg"


@pytest.mark.django_db
def test_the_instance_diagram_highlights_progress_and_names_the_departments(client, county, started):
    task_complete(actor=county["handler"], task=started.tasks.open().get(bpmn_id="review_lead"), outcome="approve")
    client.force_login(county["civil_handler"])
    response = client.get(reverse("workflow:instance_diagram", args=[started.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    root = _parse(response.content.decode())
    shape = {g.get("id"): g[0] for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("node-")}
    assert shape["node-accept"].get("class") == "bpmn-task is-completed"
    assert shape["node-review_lead"].get("class") == "bpmn-task is-completed"
    assert shape["node-review_co"].get("class") == "bpmn-task is-active"
    assert shape["node-join"].get("class") == "bpmn-gateway"  # waiting for the other branch: not highlighted
    assert shape["node-decide"].get("class") == "bpmn-task"
    assert "协办部门审查 · 区民政局（承办人）" in _texts(root)
    assert "主办部门审查 · 区审批局（承办人）" in _texts(root)
    assert reverse("workflow:instance_diagram", args=[3]) == "/workbench/workflow/instances/3/diagram.svg"


@pytest.mark.django_db
def test_diagrams_are_for_staff_only(client, county, started):
    url = reverse("workflow:definition_diagram", args=[started.definition_id])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/workbench/login/")
    citizen = User.objects.create_user(username="13800000000", password="x" * 12, kind="citizen")
    client.force_login(citizen)
    assert client.get(url).status_code == 403
    assert client.get(reverse("workflow:instance_diagram", args=[started.pk])).status_code == 403


@pytest.mark.django_db
def test_staff_of_an_uninvolved_department_do_not_see_an_instance(client, county, started):
    from zhengwu.org.models import Department

    other = Department.objects.create(
        name="青川区文旅局", code="WLJ", credit_code=credit_code("11370799MB1000041"), region=county.district
    )
    client.force_login(make_staff_record("wenlv", "陈文旅", other, "handler"))
    assert client.get(reverse("workflow:instance_diagram", args=[started.pk])).status_code == 404
    assert client.get(reverse("workflow:definition_diagram", args=[started.definition_id])).status_code == 200
    client.force_login(county["supervisor"])  # county-wide
    assert client.get(reverse("workflow:instance_diagram", args=[started.pk])).status_code == 200
