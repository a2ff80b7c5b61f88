from zhengwu.supervision.domain.colour import colour_of, colour_status_counts, object_colour
from zhengwu.supervision.domain.escalation import alert_escalate, recipients_for
from zhengwu.supervision.domain.sweep import point_thresholds, supervision_points_sync, supervision_sweep

__all__ = [
    "alert_escalate",
    "colour_of",
    "colour_status_counts",
    "object_colour",
    "point_thresholds",
    "recipients_for",
    "supervision_points_sync",
    "supervision_sweep",
]
