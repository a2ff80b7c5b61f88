"""好差评 (国办发〔2019〕51号; GB/T 39734-2020): five levels, 差评 = the lowest two, and the follow-up loop."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


# 差评: each one opens a follow-up (核实、整改、回访).
NEGATIVE_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})
POSITIVE_LEVELS = frozenset(set(Level) - NEGATIVE_LEVELS)


class RatingChannel(models.TextChoices):
    ONLINE = "online", _("网上评价")
    WINDOW = "window", _("窗口评价器")
    SMS = "sms", _("短信评价")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("待核实")
    VERIFIED = "verified", _("已核实")
    RECTIFIED = "rectified", _("已整改")
    CLOSED = "closed", _("已办结")


OPEN_FOLLOW_UP_STATES = frozenset({FollowUpState.OPEN, FollowUpState.VERIFIED, FollowUpState.RECTIFIED})
# A rectification may be redone after a callback in which the applicant was still dissatisfied.
RECTIFIABLE_STATES = frozenset({FollowUpState.VERIFIED, FollowUpState.RECTIFIED})

# The workcal preset of the rectification clock (15 working days; WORKCAL_PRESET_OVERRIDES may change it).
RECTIFICATION_PRESET = "rating_bad_rectification"
