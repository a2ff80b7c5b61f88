from zhengwu.supervision.models.alerts import Alert, MonitoringPoint, SweepRun

__all__ = ["Alert", "MonitoringPoint", "SweepRun"]
