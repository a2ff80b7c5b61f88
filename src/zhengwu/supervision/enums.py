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


# ---- supervisors' work (ADR 0021) -------------------------------------------------------------


class OrderState(models.TextChoices):
    """A supervision order (督办): issued → reported (整改报告) → closed, or returned and reported again."""

    ISSUED = "issued", _("待整改")
    REPORTED = "reported", _("待核查")
    RETURNED = "returned", _("退回整改")
    CLOSED = "closed", _("已办结")


ORDER_AWAITING_REPORT = frozenset({OrderState.ISSUED, OrderState.RETURNED})


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", _("核查通过")
    RETURNED = "returned", _("退回整改")


class Finding(models.TextChoices):
    PENDING = "pending", _("待核查")
    OK = "ok", _("未发现问题")
    PROBLEM = "problem", _("发现问题")


class ViolationState(models.TextChoices):
    CONFIRMED = "confirmed", _("已认定")
    PUBLISHED = "published", _("已公开")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NO_DATA = "no_data", _("无数据")


class Metric(models.TextChoices):
    """The assessment's measures, each scored 0–100 and weighted by the scheme."""

    ON_TIME = "on_time", _("按期办结率")
    TIME_RATIO = "time_ratio", _("用时比")
    ALERTS = "alerts", _("每百件告警")
    ONE_TIME_CORRECTION = "one_time_correction", _("一次性告知率")
    BAD_RATINGS = "bad_ratings", _("差评率及整改")
    ONLINE_SHARE = "online_share", _("网上申报占比")
