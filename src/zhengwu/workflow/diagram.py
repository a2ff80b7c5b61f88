"""Server-side SVG of a BPMN definition, drawn from its diagram interchange (BPMNShape bounds, BPMNEdge
waypoints): pools and lanes as bands with labels, tasks as rounded rectangles, events as circles,
gateways as diamonds (+ parallel, × exclusive, ○ inclusive), sequence flows as polylines with arrowheads.

Elements carry CSS classes (static workflow/diagram.css, linked by an xml-stylesheet instruction) and the
same paint as SVG presentation attributes, because an SVG shown through <img> may not load stylesheets.
No style attributes are written. An instance's completed and active elements get `is-completed` /
`is-active`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from zhengwu.accounts.enums import Role
from zhengwu.workflow.engine import NS, parse_xml
from zhengwu.workflow.lanes import LaneSyntaxError, parse_lane_name

SVG = "http://www.w3.org/2000/svg"
FONT_FAMILY = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
FONT_SIZE = 12
LINE_HEIGHT = 15
BAND = 30  # width of the label band of a pool or lane
PAD = 12

TASK_TAGS = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
    }
)
EVENT_TAGS = frozenset({"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"})
GATEWAY_TAGS = frozenset(
    {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
)

# Presentation attributes per class; workflow/static/workflow/diagram.css holds the same values
# (tests/workflow/test_diagram.py checks they agree).
PAINT: dict[str, dict[str, str]] = {
    "bpmn-pool": {"fill": "#ffffff", "stroke": "#3e4c59", "stroke-width": "1.5"},
    "bpmn-lane": {"fill": "none", "stroke": "#7b8794", "stroke-width": "1"},
    "bpmn-band": {"fill": "none", "stroke": "#7b8794", "stroke-width": "1"},
    "bpmn-task": {"fill": "#ffffff", "stroke": "#1f2933", "stroke-width": "1.5"},
    "bpmn-event": {"fill": "#ffffff", "stroke": "#1f2933", "stroke-width": "1.5"},
    "bpmn-end": {"fill": "#ffffff", "stroke": "#1f2933", "stroke-width": "4"},
    "bpmn-gateway": {"fill": "#ffffff", "stroke": "#1f2933", "stroke-width": "1.5"},
    "bpmn-marker": {"fill": "none", "stroke": "#1f2933", "stroke-width": "3"},
    "bpmn-flow": {"fill": "none", "stroke": "#1f2933", "stroke-width": "1.5"},
    "bpmn-arrowhead": {"fill": "#1f2933", "stroke": "none"},
    "bpmn-annotation": {"fill": "none", "stroke": "#7b8794", "stroke-width": "1"},
    "bpmn-label": {"fill": "#1f2933"},
    "bpmn-lane-label": {"fill": "#1f2933"},
    "is-completed": {"fill": "#e3f4e8", "stroke": "#2f855a"},
    "is-active": {"fill": "#fff3c4", "stroke": "#b44d12", "stroke-width": "3"},
}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _bounds(element: etree._Element | None) -> Box | None:
    if element is None:
        return None
    try:
        return Box(*(float(element.get(k, "0")) for k in ("x", "y", "width", "height")))
    except ValueError:
        return None


def _text_width(text: str) -> float:
    return sum(FONT_SIZE if ord(ch) > 0x2E7F else FONT_SIZE * 0.6 for ch in text)


def wrap(text: str, width: float, max_lines: int) -> list[str]:
    """Break text into lines that fit `width` (CJK characters count full width), ellipsis when cut."""
    lines: list[str] = []
    current = ""
    for ch in " ".join((text or "").split()):
        if current and _text_width(current + ch) > width:
            lines.append(current)
            current = "" if ch == " " else ch
        else:
            current += ch
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


class _Canvas:
    def __init__(self, title: str):
        self.root = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG})
        self.root.set("role", "img")
        self.root.set("aria-label", title)
        self.root.set("class", "bpmn-diagram")
        self.root.set("font-family", FONT_FAMILY)
        self.root.set("font-size", str(FONT_SIZE))
        etree.SubElement(self.root, f"{{{SVG}}}title").text = title
        defs = etree.SubElement(self.root, f"{{{SVG}}}defs")
        marker = etree.SubElement(
            defs,
            f"{{{SVG}}}marker",
            id="bpmn-arrow",
            viewBox="0 0 10 10",
            refX="10",
            refY="5",
            markerWidth="9",
            markerHeight="9",
            markerUnits="userSpaceOnUse",
            orient="auto",
        )
        self.add(marker, "path", "bpmn-arrowhead", d="M0,0 L10,5 L0,10 z")
        self.layers = {name: self.group(name) for name in ("pools", "lanes", "flows", "shapes", "labels")}
        self.xs: list[float] = []
        self.ys: list[float] = []

    def group(self, name: str) -> etree._Element:
        return etree.SubElement(self.root, f"{{{SVG}}}g", {"class": f"bpmn-{name}"})

    def add(self, parent: etree._Element, tag: str, classes: str = "", **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{SVG}}}{tag}")
        paint: dict[str, str] = {}
        for name in classes.split():
            paint.update(PAINT.get(name, {}))
        for key, value in {**paint, **attrs}.items():
            element.set(key.replace("_", "-") if key not in ("viewBox",) else key, value)
        if classes:
            element.set("class", classes)
        return element

    def extend(self, box: Box) -> None:
        self.xs += [box.x, box.x + box.w]
        self.ys += [box.y, box.y + box.h]

    def text(self, parent, lines: list[str], x: float, y: float, classes: str = "bpmn-label", **attrs) -> None:
        if not lines:
            return
        top = y - (len(lines) - 1) * LINE_HEIGHT / 2
        element = self.add(parent, "text", classes, x=_num(x), y=_num(top), text_anchor="middle", **attrs)
        element.set("dominant-baseline", "central")
        for i, line in enumerate(lines):
            span = etree.SubElement(element, f"{{{SVG}}}tspan", x=_num(x), y=_num(top + i * LINE_HEIGHT))
            span.text = line
        width = max(_text_width(line) for line in lines)
        self.extend(Box(x - width / 2, top - LINE_HEIGHT / 2, width, len(lines) * LINE_HEIGHT))


def _lane_title(name: str, titles: dict[str, str] | None) -> str:
    if titles and name in titles:
        return titles[name]
    try:
        lane = parse_lane_name(name)
    except LaneSyntaxError:
        return name
    role = Role(lane.role).label if lane.role else ""
    return f"{lane.label}（{role}）" if role else lane.label


def _band(canvas: _Canvas, layer, box: Box, title: str, classes: str, horizontal: bool) -> None:
    rect_attrs = {"x": _num(box.x), "y": _num(box.y), "width": _num(box.w), "height": _num(box.h)}
    canvas.add(layer, "rect", classes, **rect_attrs)
    canvas.extend(box)
    if horizontal:
        canvas.add(layer, "path", "bpmn-band", d=f"M{_num(box.x + BAND)},{_num(box.y)} v{_num(box.h)}")
        cx, cy = box.x + BAND / 2, box.cy
        lines = wrap(title, max(box.h - 10, FONT_SIZE), 2)
        canvas.text(layer, lines, cx, cy, "bpmn-lane-label", transform=f"rotate(-90 {_num(cx)} {_num(cy)})")
    else:
        canvas.add(layer, "path", "bpmn-band", d=f"M{_num(box.x)},{_num(box.y + BAND)} h{_num(box.w)}")
        canvas.text(layer, wrap(title, box.w - 10, 1), box.cx, box.y + BAND / 2, "bpmn-lane-label")


def _state_class(element_id: str, completed: Iterable[str], active: Iterable[str]) -> str:
    if element_id in active:
        return " is-active"
    if element_id in completed:
        return " is-completed"
    return ""


def _task(canvas: _Canvas, element, box: Box, state: str) -> None:
    layer = canvas.layers["shapes"]
    group = canvas.add(layer, "g", f"bpmn-node bpmn-{_local(element)}", id=f"node-{element.get('id')}")
    canvas.add(
        group,
        "rect",
        f"bpmn-task{state}",
        x=_num(box.x),
        y=_num(box.y),
        width=_num(box.w),
        height=_num(box.h),
        rx="10",
        ry="10",
    )
    mi = element.find("bpmn:multiInstanceLoopCharacteristics", namespaces=NS)
    text_height = box.h - 10 - (14 if mi is not None else 0)
    lines = wrap(element.get("name") or element.get("id") or "", box.w - 12, max(1, int(text_height // LINE_HEIGHT)))
    canvas.text(group, lines, box.cx, box.cy - (6 if mi is not None else 0))
    if mi is not None:
        sequential = mi.get("isSequential") == "true"
        bottom = box.y + box.h - 5
        for i in (-1, 0, 1):
            if sequential:
                d = f"M{_num(box.cx - 6)},{_num(bottom - 6 + (i + 1) * 3)} h12"
            else:
                d = f"M{_num(box.cx + i * 4)},{_num(bottom - 10)} v10"
            canvas.add(group, "path", "bpmn-marker", d=d, stroke_width="1.5")


def _event(canvas: _Canvas, element, box: Box, label: Box | None, state: str) -> None:
    tag = _local(element)
    layer = canvas.layers["shapes"]
    group = canvas.add(layer, "g", f"bpmn-node bpmn-{tag}", id=f"node-{element.get('id')}")
    r = min(box.w, box.h) / 2
    kind = "bpmn-end" if tag == "endEvent" else "bpmn-event"
    canvas.add(group, "circle", f"{kind}{state}", cx=_num(box.cx), cy=_num(box.cy), r=_num(r))
    if tag.startswith("intermediate") or tag == "boundaryEvent":
        canvas.add(group, "circle", "bpmn-event", cx=_num(box.cx), cy=_num(box.cy), r=_num(r - 3), fill="none")
    if element.find("bpmn:terminateEventDefinition", namespaces=NS) is not None:
        canvas.add(group, "circle", "bpmn-arrowhead", cx=_num(box.cx), cy=_num(box.cy), r=_num(r - 7))
    _outside_label(canvas, element, box, label)


def _outside_label(canvas: _Canvas, element, box: Box, label: Box | None) -> None:
    name = element.get("name")
    if not name:
        return
    if label is not None:
        canvas.text(canvas.layers["labels"], wrap(name, max(label.w, 60), 3), label.cx, label.cy)
    else:
        lines = wrap(name, 90, 2)
        canvas.text(canvas.layers["labels"], lines, box.cx, box.y + box.h + 6 + len(lines) * LINE_HEIGHT / 2)


def _gateway(canvas: _Canvas, element, box: Box, label: Box | None, state: str) -> None:
    tag = _local(element)
    layer = canvas.layers["shapes"]
    group = canvas.add(layer, "g", f"bpmn-node bpmn-{tag}", id=f"node-{element.get('id')}")
    points = [(box.cx, box.y), (box.x + box.w, box.cy), (box.cx, box.y + box.h), (box.x, box.cy)]
    canvas.add(group, "polygon", f"bpmn-gateway{state}", points=" ".join(f"{_num(x)},{_num(y)}" for x, y in points))
    s = min(box.w, box.h) * 0.22
    cx, cy = box.cx, box.cy
    if tag == "parallelGateway":
        d = f"M{_num(cx - s)},{_num(cy)} h{_num(2 * s)} M{_num(cx)},{_num(cy - s)} v{_num(2 * s)}"
        canvas.add(group, "path", "bpmn-marker", d=d)
    elif tag == "exclusiveGateway":
        k = s * 0.8
        d = (
            f"M{_num(cx - k)},{_num(cy - k)} L{_num(cx + k)},{_num(cy + k)} "
            f"M{_num(cx + k)},{_num(cy - k)} L{_num(cx - k)},{_num(cy + k)}"
        )
        canvas.add(group, "path", "bpmn-marker", d=d)
    elif tag == "inclusiveGateway":
        canvas.add(group, "circle", "bpmn-marker", cx=_num(cx), cy=_num(cy), r=_num(s))
    _outside_label(canvas, element, box, label)


def _annotation(canvas: _Canvas, element, box: Box) -> None:
    layer = canvas.layers["shapes"]
    d = f"M{_num(box.x + 10)},{_num(box.y)} h-10 v{_num(box.h)} h10"
    canvas.add(layer, "path", "bpmn-annotation", d=d)
    text = element.findtext("bpmn:text", namespaces=NS) or ""
    lines = wrap(text, box.w - 10, max(1, int((box.h - 4) // LINE_HEIGHT)))
    canvas.text(layer, lines, box.cx, box.cy)


def _flow(canvas: _Canvas, element, points: list[tuple[float, float]], label: Box | None) -> None:
    if len(points) < 2:
        return
    layer = canvas.layers["flows"]
    classes = "bpmn-flow" if _local(element) == "sequenceFlow" else "bpmn-flow bpmn-association"
    attrs = {"points": " ".join(f"{_num(x)},{_num(y)}" for x, y in points)}
    if _local(element) == "sequenceFlow":
        attrs["marker-end"] = "url(#bpmn-arrow)"
    else:
        attrs["stroke-dasharray"] = "4 3"
    line = canvas.add(layer, "polyline", classes, **attrs)
    line.set("id", f"flow-{element.get('id')}")
    for x, y in points:
        canvas.xs.append(x)
        canvas.ys.append(y)
    name = element.get("name")
    if name:
        if label is not None:
            canvas.text(canvas.layers["labels"], wrap(name, max(label.w, 50), 2), label.cx, label.cy)
        else:
            (x1, y1), (x2, y2) = points[0], points[1]
            horizontal = abs(x2 - x1) >= abs(y2 - y1)
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            offset = (0, -10) if horizontal else (8 + _text_width(name) / 2, 0)
            canvas.text(canvas.layers["labels"], [name], mx + offset[0], my + offset[1])


def render_svg(
    bpmn_xml: str | bytes,
    *,
    completed: Iterable[str] = (),
    active: Iterable[str] = (),
    lane_titles: dict[str, str] | None = None,
    stylesheet_href: str | None = None,
) -> str:
    """The SVG document (text) of the definition's first diagram."""
    root = parse_xml(bpmn_xml)
    completed, active = frozenset(completed), frozenset(active)
    elements = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    process = root.find("bpmn:process", namespaces=NS)
    title = (process.get("name") if process is not None else None) or "BPMN"
    canvas = _Canvas(title)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", namespaces=NS)
    for shape in plane.iterfind("bpmndi:BPMNShape", namespaces=NS) if plane is not None else ():
        element = elements.get(shape.get("bpmnElement"))
        box = _bounds(shape.find("dc:Bounds", namespaces=NS))
        if element is None or box is None:
            continue
        label = _bounds(shape.find("bpmndi:BPMNLabel/dc:Bounds", namespaces=NS))
        tag = _local(element)
        state = _state_class(element.get("id"), completed, active)
        horizontal = shape.get("isHorizontal", "true") != "false"
        if tag == "participant":
            _band(canvas, canvas.layers["pools"], box, element.get("name") or "", "bpmn-pool", horizontal)
        elif tag == "lane":
            name = element.get("name") or ""
            _band(canvas, canvas.layers["lanes"], box, _lane_title(name, lane_titles), "bpmn-lane", horizontal)
        elif tag in TASK_TAGS:
            _task(canvas, element, box, state)
        elif tag in EVENT_TAGS:
            _event(canvas, element, box, label, state)
        elif tag in GATEWAY_TAGS:
            _gateway(canvas, element, box, label, state)
        elif tag == "textAnnotation":
            _annotation(canvas, element, box)
        else:
            continue
        canvas.extend(box)
    for edge in plane.iterfind("bpmndi:BPMNEdge", namespaces=NS) if plane is not None else ():
        element = elements.get(edge.get("bpmnElement"))
        if element is None:
            continue
        points = []
        for point in edge.iterfind("di:waypoint", namespaces=NS):
            try:
                points.append((float(point.get("x", "0")), float(point.get("y", "0"))))
            except ValueError:
                continue
        _flow(canvas, element, points, _bounds(edge.find("bpmndi:BPMNLabel/dc:Bounds", namespaces=NS)))

    if canvas.xs:
        x0, y0 = math.floor(min(canvas.xs)) - PAD, math.floor(min(canvas.ys)) - PAD
        x1, y1 = math.ceil(max(canvas.xs)) + PAD, math.ceil(max(canvas.ys)) + PAD
    else:
        x0, y0, x1, y1 = 0, 0, 200, 60
        canvas.text(canvas.layers["labels"], ["该流程没有图形信息（BPMN DI）"], 100, 30)
    canvas.root.set("viewBox", f"{x0} {y0} {x1 - x0} {y1 - y0}")
    canvas.root.set("width", str(x1 - x0))
    canvas.root.set("height", str(y1 - y0))
    for name, layer in canvas.layers.items():
        if len(layer) == 0:
            canvas.root.remove(layer)
        else:
            layer.set("data-layer", name)
    tree = etree.ElementTree(canvas.root)
    if stylesheet_href:
        pi = etree.ProcessingInstruction("xml-stylesheet", f'href="{stylesheet_href}" type="text/css"')
        canvas.root.addprevious(pi)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8").decode("utf-8")
