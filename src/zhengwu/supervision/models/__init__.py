from zhengwu.supervision.models.alerts import Alert, MonitoringPoint, SweepRun
from zhengwu.supervision.models.assessment import AssessmentResult, AssessmentScheme
from zhengwu.supervision.models.work import (
    Callback,
    RectificationReport,
    SpotCheck,
    SpotCheckItem,
    SupervisionOrder,
    Violation,
)

__all__ = [
    "Alert",
    "AssessmentResult",
    "AssessmentScheme",
    "Callback",
    "MonitoringPoint",
    "RectificationReport",
    "SpotCheck",
    "SpotCheckItem",
    "SupervisionOrder",
    "SweepRun",
    "Violation",
]
