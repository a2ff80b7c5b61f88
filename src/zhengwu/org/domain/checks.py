"""Consistency checks over the whole organisation tree, beyond what one row's clean() can see."""

from dataclasses import dataclass

from django.db.models import Count, Q

from zhengwu.org.enums import REGION_PARENT_LEVEL, SECTION_RANKS, PositionRank, RegionLevel
from zhengwu.org.models import Department, Position, Region


@dataclass(frozen=True)
class OrgProblem:
    object_type: str  # "org.region" | "org.position" | "org.department"
    object_id: int
    message: str


def org_check() -> list[OrgProblem]:
    """Every inconsistency found: region levels, position ranks and lines, departments without a head."""
    problems: list[OrgProblem] = []
    regions = {r.pk: r for r in Region.objects.all()}
    for region in regions.values():
        expected = REGION_PARENT_LEVEL.get(region.level) if region.level in RegionLevel.values else None
        parent = regions.get(region.parent_id)
        if region.level not in RegionLevel.values:
            problems.append(OrgProblem("org.region", region.pk, f"{region.name}：层级“{region.level}”无效"))
        elif expected is None and parent is not None:
            problems.append(OrgProblem("org.region", region.pk, f"{region.name}：区/县不能有上级区划"))
        elif expected is not None and (parent is None or parent.level != expected):
            label = RegionLevel(expected).label
            problems.append(OrgProblem("org.region", region.pk, f"{region.name}：上级区划必须是“{label}”"))

    positions = {p.pk: p for p in Position.objects.select_related("department", "section")}
    for position in positions.values():
        name = str(position)
        boss = positions.get(position.reports_to_id)
        if position.section_id and position.section.department_id != position.department_id:
            problems.append(OrgProblem("org.position", position.pk, f"{name}：科室不属于本部门"))
        if position.rank == PositionRank.SECTION_HEAD and not position.section_id:
            problems.append(OrgProblem("org.position", position.pk, f"{name}：科长岗位没有科室"))
        if position.rank not in SECTION_RANKS and position.section_id:
            problems.append(OrgProblem("org.position", position.pk, f"{name}：领导岗位不应属于科室"))
        if boss is not None:
            if boss.department_id != position.department_id:
                problems.append(OrgProblem("org.position", position.pk, f"{name}：上级岗位不属于本部门"))
            if boss.rank <= position.rank:
                problems.append(OrgProblem("org.position", position.pk, f"{name}：上级岗位的层级不高于本岗位"))
        # Walk up: the line must end at a unit head without revisiting a post.
        seen, top = {position.pk}, position
        while top.reports_to_id in positions and top.reports_to_id not in seen:
            top = positions[top.reports_to_id]
            seen.add(top.pk)
        if top.reports_to_id in seen:
            problems.append(OrgProblem("org.position", position.pk, f"{name}：汇报线形成循环"))
        elif top.rank != PositionRank.UNIT_HEAD:
            problems.append(OrgProblem("org.position", position.pk, f"{name}：汇报线未到达单位负责人"))

    headless = Department.objects.filter(is_active=True).annotate(
        heads=Count("positions", filter=Q(positions__rank=PositionRank.UNIT_HEAD))
    )
    for department in headless.filter(heads=0):
        problems.append(OrgProblem("org.department", department.pk, f"{department.name}：未设单位负责人岗位"))
    return problems
