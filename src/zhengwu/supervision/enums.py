from django.db import models
from django.utils.translation import gettext_lazy as _


class Module(models.TextChoices):
    """Which part of the platform a monitoring point watches."""

    APPROVAL = "approval", _("行政审批")
    PENALTY = "penalty", _("行政处罚")
    DISCLOSURE = "disclosure", _("政务公开")
    APPEALS = "appeals", _("诉求办理")
    GENERAL = "general", _("综合")


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    MEDIUM = "medium", _("较重")
    HIGH = "high", _("严重")


class AlertLevel(models.IntegerChoices):
    """The ladder. REPORT is a filing (报备) with no ladder; the others climb 预警 → 黄牌 → 红牌."""

    REPORT = 0, _("报备")
    WARNING = 1, _("预警")
    YELLOW = 2, _("黄牌")
    RED = 3, _("红牌")


LADDER_LEVELS = frozenset({AlertLevel.WARNING, AlertLevel.YELLOW, AlertLevel.RED})


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    DISMISSED = "dismissed", _("已排除")
    RESOLVED = "resolved", _("已消除")


# The sweep updates and resolves alerts in these states; a dismissed alert stays dismissed.
ACTIVE_ALERT_STATUSES = frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED})
CLOSED_ALERT_STATUSES = frozenset({AlertStatus.DISMISSED, AlertStatus.RESOLVED})


class ColourStatus(models.TextChoices):
    """The status card of a supervised object (default colours in settings/the colour mapping)."""

    ON_TRACK = "on_track", _("正常")
    PAUSED = "paused", _("暂停")
    WARNING = "warning", _("预警")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class SweepKind(models.TextChoices):
    FULL = "full", _("全量")
    INCREMENTAL = "incremental", _("增量")
