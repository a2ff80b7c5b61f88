from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    DISTRICT = "district", _("区/县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")


REGION_PARENT_LEVEL = {
    RegionLevel.DISTRICT: None,
    RegionLevel.STREET: RegionLevel.DISTRICT,
    RegionLevel.COMMUNITY: RegionLevel.STREET,
}


class HallKind(models.TextChoices):
    CENTRE = "centre", _("政务服务中心")
    STREET_STATION = "street_station", _("街道便民服务中心")
    COMMUNITY_STATION = "community_station", _("社区便民服务站")


class WindowKind(models.TextChoices):
    GENERAL_INTAKE = "general_intake", _("综合受理窗口")
    REGISTRATION = "registration", _("登记验证窗口")
    DEPARTMENT = "department", _("部门专窗")
    FEE = "fee", _("统一收费窗口")
    PICKUP = "pickup", _("统一出件窗口")
    CONSULTATION = "consultation", _("咨询导办")


class PositionRank(models.IntegerChoices):
    """Reporting line, bottom to top; escalation climbs by rank."""

    HANDLER = 10, _("承办人")
    SECTION_HEAD = 20, _("科长")
    LEADER_IN_CHARGE = 30, _("分管领导")
    UNIT_HEAD = 40, _("单位负责人")


# Positions that sit inside a section; the leaders above them do not.
SECTION_RANKS = frozenset({PositionRank.HANDLER, PositionRank.SECTION_HEAD})
LEADER_RANKS = frozenset({PositionRank.LEADER_IN_CHARGE, PositionRank.UNIT_HEAD})

# 12-digit statistical division codes (6 county + 3 town + 3 village): a child shares this many leading digits.
REGION_CODE_PREFIX = {
    RegionLevel.STREET: 6,
    RegionLevel.COMMUNITY: 9,
}
