from .checks import OrgProblem, org_check
from .queries import (
    DepartmentNode,
    RegionNode,
    SectionNode,
    department_tree,
    departments_by_window,
    escalation_recipients,
    region_descendant_ids,
    region_tree,
    reporting_line,
    reporting_line_label,
    superiors,
    unit_head_position,
    windows_serving,
)

__all__ = [
    "DepartmentNode",
    "OrgProblem",
    "RegionNode",
    "SectionNode",
    "department_tree",
    "departments_by_window",
    "escalation_recipients",
    "org_check",
    "region_descendant_ids",
    "region_tree",
    "reporting_line",
    "reporting_line_label",
    "superiors",
    "unit_head_position",
    "windows_serving",
]
