from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemType(models.TextChoices):
    """GB/T 39554.1 item types with their codes."""

    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    ENFORCEMENT = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


class ExerciseLevel(models.TextChoices):
    NATIONAL = "1", _("国家级")
    PROVINCIAL = "2", _("省级")
    MUNICIPAL = "3", _("市级")
    COUNTY = "4", _("县级")
    TOWNSHIP = "5", _("乡镇（街道）级")


class ServiceObject(models.TextChoices):
    NATURAL_PERSON = "natural", _("自然人")
    LEGAL_PERSON = "legal", _("法人")


class HandlingKind(models.TextChoices):
    IMMEDIATE = "immediate", _("即办件")
    PROMISED = "promised", _("承诺件")


class OnlineDepth(models.IntegerChoices):
    LEVEL_1 = 1, _("Ⅰ级：网上发布办事指南")
    LEVEL_2 = 2, _("Ⅱ级：网上下载表格、咨询")
    LEVEL_3 = 3, _("Ⅲ级：网上预审、办理")
    LEVEL_4 = 4, _("Ⅳ级：全程网办")


class HandlingScope(models.TextChoices):
    LOCAL = "local", _("本级")
    COUNTY = "county", _("全区（县）通办")
    CITY = "city", _("全市通办")
    PROVINCE = "province", _("全省通办")
    NATIONAL = "national", _("跨省通办")


class ResultKind(models.TextChoices):
    LICENCE = "licence", _("证照")
    APPROVAL_DOCUMENT = "approval_document", _("批文")
    OTHER = "other", _("其他")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")
    INTERMEDIARY = "intermediary", _("中介机构出具")
    OTHER = "other", _("其他")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ELECTRONIC = "electronic", _("电子材料")
    ORIGINAL_AND_COPY = "original_and_copy", _("原件和复印件")


class MaterialNecessity(models.TextChoices):
    REQUIRED = "required", _("必要")
    OPTIONAL = "optional", _("非必要")
    CONDITIONAL = "conditional", _("容缺/情形必要")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("待审核")
    RETURNED = "returned", _("已退回")
    PUBLISHED = "published", _("已发布（现行）")
    SUPERSEDED = "superseded", _("已被新版本替代")
    WITHDRAWN = "withdrawn", _("已停用")


# Editable by the curating staff; every other state is frozen.
EDITABLE_STATES = frozenset({VersionState.DRAFT, VersionState.RETURNED})
# Versions that were once in force and must never change again.
FROZEN_STATES = frozenset({VersionState.PUBLISHED, VersionState.SUPERSEDED, VersionState.WITHDRAWN})
OPEN_STATES = frozenset({VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.RETURNED})


class ThemeKind(models.TextChoices):
    LIFE_EVENT = "life_event", _("个人生命周期")
    IDENTITY = "identity", _("特定人群")
    ENTERPRISE = "enterprise", _("企业全生命周期")
    SCENARIO = "scenario", _("场景式服务（一件事）")
