"""Read helpers over the organisation tree (no writes)."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from zhengwu.org.enums import PositionRank
from zhengwu.org.models import Department, Position, Region, Section, Window

if TYPE_CHECKING:
    from zhengwu.accounts.models import User

# How far up one query reaches when a line has to be loaded (a full line has four posts).
_LINE_SELECT = ("department", "reports_to__department", "reports_to__reports_to__department")


def reporting_line(*, position: Position) -> list[Position]:
    """The position and its superiors upward (承办人 → 科长 → 分管领导 → 单位负责人).

    Stops before a post seen already, so bad data with a cycle never loops. Uses related
    objects already loaded with select_related; otherwise at most one query per three levels.
    """
    line = [position]
    seen = {position.pk}
    current = position
    reports_to = Position._meta.get_field("reports_to")
    while current.reports_to_id is not None and current.reports_to_id not in seen:
        if not reports_to.is_cached(current):
            current.reports_to = Position.objects.select_related(*_LINE_SELECT).get(pk=current.reports_to_id)
        current = current.reports_to
        line.append(current)
        seen.add(current.pk)
    return line


def reporting_line_label(*, position: Position) -> str:
    """Titles along the line, e.g. “登记注册科承办人 → 登记注册科科长 → 副局长 → 局长”."""
    return " → ".join(p.title for p in reporting_line(position=position))


def superiors(*, position: Position, up_to_rank: int | None = None) -> list[Position]:
    """Posts above `position` on its line, lowest first, up to and including `up_to_rank`."""
    return [p for p in reporting_line(position=position)[1:] if up_to_rank is None or p.rank <= up_to_rank]


def escalation_recipients(*, position: Position, up_to_rank: int = PositionRank.UNIT_HEAD) -> list["User"]:
    """Active holders of the posts above `position`, up to `up_to_rank`, lowest post first.

    The holders of `position` itself are not included: escalation goes to their superiors.
    """
    from zhengwu.accounts.models import User  # accounts depends on org, not the reverse

    posts = superiors(position=position, up_to_rank=up_to_rank)
    if not posts:
        return []
    order = {p.pk: i for i, p in enumerate(posts)}
    users = User.objects.filter(staff__position__in=posts, is_active=True).select_related("staff")
    return sorted(users, key=lambda u: (order[u.staff.position_id], u.pk))


def unit_head_position(*, department: Department) -> Position | None:
    return Position.objects.filter(department=department, rank=PositionRank.UNIT_HEAD).first()


@dataclass
class SectionNode:
    section: Section
    positions: list[Position] = field(default_factory=list)


@dataclass
class DepartmentNode:
    department: Department
    leaders: list[Position] = field(default_factory=list)  # posts outside any section, highest first
    sections: list[SectionNode] = field(default_factory=list)


def department_tree(*, region: Region | None = None, active_only: bool = True) -> list[DepartmentNode]:
    """Departments with their leaders and sections with posts, in display order. Three queries."""
    departments = Department.objects.select_related("region")
    if region is not None:
        departments = departments.filter(region=region)
    if active_only:
        departments = departments.filter(is_active=True)
    nodes = {d.pk: DepartmentNode(department=d) for d in departments}
    sections: dict[int, SectionNode] = {}
    for section in Section.objects.filter(department_id__in=nodes).order_by("department_id", "sort_order", "id"):
        sections[section.pk] = node = SectionNode(section=section)
        nodes[section.department_id].sections.append(node)
    for position in Position.objects.filter(department_id__in=nodes).order_by("-rank", "id"):
        if position.section_id in sections:
            sections[position.section_id].positions.append(position)
        else:
            nodes[position.department_id].leaders.append(position)
    return list(nodes.values())


@dataclass
class RegionNode:
    region: Region
    children: list["RegionNode"] = field(default_factory=list)


def region_tree() -> list[RegionNode]:
    """All regions as a forest (one root per district), children ordered by sort order and code. One query."""
    regions = list(Region.objects.order_by("sort_order", "code"))
    nodes = {r.pk: RegionNode(region=r) for r in regions}
    roots = []
    for region in regions:
        parent = nodes.get(region.parent_id)
        (parent.children if parent else roots).append(nodes[region.pk])
    return roots


def region_descendant_ids(*, region: Region) -> set[int]:
    """The region and everything below it (at most three levels, so at most two queries)."""
    ids = {region.pk}
    frontier = {region.pk}
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return ids


def windows_serving(*, department: Department) -> QuerySet[Window]:
    """Active windows that accept cases for `department` (its own windows and general intake windows)."""
    return (
        Window.objects.filter(departments=department, is_active=True)
        .select_related("hall")
        .order_by("hall__region__code", "hall__name", "number")
    )


def departments_by_window() -> dict[int, list[int]]:
    """Window id → ids of the departments it serves. One query."""
    result: dict[int, list[int]] = defaultdict(list)
    for window_id, department_id in Window.departments.through.objects.values_list("window_id", "department_id"):
        result[window_id].append(department_id)
    return dict(result)
