"""Lane names say who works in a lane (ADR 0012).

    lane name = label [ "@" department ] [ ":" role ]

* label: what the diagram shows and what `lane_map` keys refer to, e.g. "审查".
* department: a Department code (preferred), full name or short name, e.g. "@SCJG". Optional: without it
  the lane belongs to the department given at start time (`process_start(department=...)`) or in `lane_map`.
* role: an accounts Role value, e.g. ":handler". Optional in the file if `lane_map` gives it at start.

Full-width "＠" and "：" are accepted as well. Examples: "受理:window_clerk", "审查@SCJG:handler",
"协办部门审查:handler" (department from lane_map at start).
"""

from __future__ import annotations

from dataclasses import dataclass

from zhengwu.accounts.enums import Role


@dataclass(frozen=True)
class LaneSpec:
    name: str  # as written in the BPMN file
    label: str
    department: str  # a reference to resolve (code, name or short name), or ""
    role: str  # a Role value, or ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label, "department": self.department, "role": self.role}


class LaneSyntaxError(ValueError):
    pass


def parse_lane_name(name: str) -> LaneSpec:
    raw = (name or "").strip()
    text = raw.replace("＠", "@").replace("：", ":")
    role = ""
    if ":" in text:
        text, role = text.rsplit(":", 1)
        role = role.strip()
        if role not in Role.values:
            choices = "、".join(f"{value}（{label}）" for value, label in Role.choices)
            raise LaneSyntaxError(f"泳道“{raw}”的角色“{role}”不存在。可用的角色：{choices}。")
    department = ""
    if "@" in text:
        text, department = text.split("@", 1)
        department = department.strip()
        if not department:
            raise LaneSyntaxError(f"泳道“{raw}”的“@”后缺少部门。")
    label = text.strip()
    if not label:
        raise LaneSyntaxError(f"泳道“{raw}”缺少名称（应为“名称[@部门][:角色]”）。")
    return LaneSpec(name=name or "", label=label, department=department, role=role)
