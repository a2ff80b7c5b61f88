"""Choices of the statutory clock (the calendar's own enums live in workcal/enums.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockStatus(models.TextChoices):
    """Stored state. "Due soon" and "overdue" are derived from due_at at read time (see DisplayStatus)."""

    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    STOPPED = "stopped", _("已停止")


OPEN_STATUSES = frozenset({ClockStatus.RUNNING, ClockStatus.PAUSED})


class ClockOutcome(models.TextChoices):
    ON_TIME = "on_time", _("按期")
    LATE = "late", _("超期")


class DisplayStatus(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已超期")
    STOPPED_ON_TIME = "stopped_on_time", _("按期办结")
    STOPPED_LATE = "stopped_late", _("超期办结")


class PauseReason(models.TextChoices):
    """Why a period is suspended: each reason is a statutory "time not counted"."""

    CORRECTION = "correction", _("补正")
    HEARING = "hearing", _("听证")
    TENDERING = "tendering", _("招标")
    AUCTION = "auction", _("拍卖")
    INSPECTION = "inspection", _("检验")
    TESTING = "testing", _("检测")
    QUARANTINE = "quarantine", _("检疫")
    APPRAISAL = "appraisal", _("鉴定")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    THIRD_PARTY = "third_party", _("征求第三方意见")
    AWAITING_PAYMENT = "awaiting_payment", _("等待缴费")
    OTHER = "other", _("其他")


PAUSE_REASON_BASIS: dict[str, str] = {
    PauseReason.CORRECTION: "《政府信息公开条例》第三十条；《行政许可法》第三十二条（补正期间）",
    PauseReason.HEARING: "《行政许可法》第四十五条",
    PauseReason.TENDERING: "《行政许可法》第四十五条",
    PauseReason.AUCTION: "《行政许可法》第四十五条",
    PauseReason.INSPECTION: "《行政许可法》第四十五条",
    PauseReason.TESTING: "《行政许可法》第四十五条",
    PauseReason.QUARANTINE: "《行政许可法》第四十五条",
    PauseReason.APPRAISAL: "《行政许可法》第四十五条",
    PauseReason.EXPERT_REVIEW: "《行政许可法》第四十五条",
    PauseReason.THIRD_PARTY: "《政府信息公开条例》第三十二条、第三十三条第三款",
    PauseReason.AWAITING_PAYMENT: "《政府信息公开条例》第四十二条；国办函〔2020〕109号",
    PauseReason.OTHER: "法律、法规规定不计入期限的其他情形",
}

# Art. 45 of the licensing law: the applicant must be told in writing how long these take.
LICENCE_ART45_REASONS = frozenset(
    {
        PauseReason.HEARING,
        PauseReason.TENDERING,
        PauseReason.AUCTION,
        PauseReason.INSPECTION,
        PauseReason.TESTING,
        PauseReason.QUARANTINE,
        PauseReason.APPRAISAL,
        PauseReason.EXPERT_REVIEW,
    }
)


def pause_reason_basis(reason: str) -> str:
    return PAUSE_REASON_BASIS.get(reason, "")
