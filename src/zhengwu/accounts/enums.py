from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("自然人")
    ENTERPRISE = "enterprise", _("法人")
    STAFF = "staff", _("工作人员")


PUBLIC_KINDS = frozenset({UserKind.CITIZEN, UserKind.ENTERPRISE})


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan_permit", _("台湾居民来往大陆通行证")
    PASSPORT = "passport", _("护照")
    FOREIGNER_PR = "foreigner_pr", _("外国人永久居留身份证")


class Role(models.TextChoices):
    """Staff roles. Object scope (own department) comes from the staff profile."""

    WINDOW_CLERK = "window_clerk", _("窗口人员")
    FEE_CLERK = "fee_clerk", _("收费人员")
    STATION_AGENT = "station_agent", _("便民服务站代办员")
    HANDLER = "handler", _("承办人")
    SECTION_HEAD = "section_head", _("科长")
    LEADER_IN_CHARGE = "leader_in_charge", _("分管领导")
    UNIT_HEAD = "unit_head", _("单位负责人")
    CATALOG_EDITOR = "catalog_editor", _("事项编辑")
    LEGAL_REVIEWER = "legal_reviewer", _("法制审核员")
    DISCLOSURE_OFFICER = "disclosure_officer", _("政务公开专员")
    SUPERVISOR = "supervisor", _("监察人员")
    ADMINISTRATOR = "administrator", _("系统管理员")


# Roles whose holders see the whole county rather than their own department.
COUNTY_WIDE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})
