from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengwu.catalog.enums import (
    ExerciseLevel,
    HandlingKind,
    HandlingScope,
    ItemType,
    MaterialForm,
    MaterialNecessity,
    MaterialSource,
    OnlineDepth,
    ResultKind,
    ThemeKind,
    VersionState,
)
from zhengwu.workcal.enums import DeadlineUnit


class ServiceItem(models.Model):
    """The stable identity of an item as one department implements it (实施清单).

    What residents read lives in versions; identifiers that define the item live here, so that
    changing them means a different item, never a new version.
    """

    implementation_code = models.CharField(_("实施编码"), max_length=31, unique=True)
    basic_code = models.CharField(_("基本编码"), max_length=12, db_index=True)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    level = models.CharField(_("行使层级"), max_length=1, choices=ExerciseLevel.choices)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("实施主体"), on_delete=models.PROTECT, related_name="service_items"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["department", "implementation_code"]

    def __str__(self) -> str:
        return self.implementation_code


class ItemVersion(models.Model):
    """One version of an item's guide (办事指南). Published versions never change."""

    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    state = models.CharField(_("状态"), max_length=16, choices=VersionState.choices, default=VersionState.DRAFT)

    name = models.CharField(_("事项名称"), max_length=200)
    for_natural_persons = models.BooleanField(_("服务对象：自然人"), default=True)
    for_legal_persons = models.BooleanField(_("服务对象：法人"), default=False)
    acceptance_conditions = models.TextField(_("受理条件"))
    process_description = models.TextField(_("办理流程"), blank=True)
    limit_unit = models.CharField(
        _("时限单位"), max_length=10, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING
    )
    statutory_limit_days = models.PositiveIntegerField(_("法定办结时限"))
    promised_limit_days = models.PositiveIntegerField(_("承诺办结时限"))
    statutory_preset = models.CharField(_("法定时限依据（预设）"), max_length=50, blank=True)
    handling_kind = models.CharField(_("办件类型"), max_length=10, choices=HandlingKind.choices)
    place = models.CharField(_("办理地点"), max_length=200)
    office_hours = models.CharField(_("办理时间"), max_length=200)
    consultation_phone = models.CharField(_("咨询电话"), max_length=40)
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=40)
    is_free = models.BooleanField(_("不收费"), default=True)
    online_payment = models.BooleanField(_("支持网上支付"), default=False)
    result_name = models.CharField(_("办理结果名称"), max_length=200)
    result_kind = models.CharField(_("办理结果类型"), max_length=20, choices=ResultKind.choices)
    result_sample = models.FileField(_("结果样本"), upload_to="catalog/results/%Y/", blank=True)
    visits_required = models.PositiveSmallIntegerField(_("到办事现场次数"), default=1)
    online_depth = models.PositiveSmallIntegerField(_("网上办理深度"), choices=OnlineDepth.choices)
    handling_scope = models.CharField(_("通办范围"), max_length=10, choices=HandlingScope.choices)
    express_delivery = models.BooleanField(_("支持物流快递"), default=False)
    intermediary_services = models.TextField(_("中介服务"), blank=True)
    legal_basis = models.TextField(_("设定依据"))

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编辑人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalog_version_unique_number"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(state=VersionState.PUBLISHED), name="catalog_one_published_version"
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(state__in=[VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.RETURNED]),
                name="catalog_one_open_version",
            ),
            models.CheckConstraint(
                condition=Q(promised_limit_days__lte=models.F("statutory_limit_days")),
                name="catalog_promised_within_statutory",
            ),
        ]
        indexes = [models.Index(fields=["state", "item"], name="catalog_version_state_idx")]

    def __str__(self) -> str:
        return f"{self.name}（第 {self.number} 版）"

    @property
    def compression_ratio(self) -> Decimal | None:
        """Promised limit as a share of the statutory one (承诺时限压缩比)."""
        if not self.statutory_limit_days:
            return None
        return (Decimal(self.promised_limit_days) / Decimal(self.statutory_limit_days)).quantize(Decimal("0.01"))


class ItemMaterial(models.Model):
    version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="materials"
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    source = models.CharField(
        _("来源渠道"), max_length=16, choices=MaterialSource.choices, default=MaterialSource.APPLICANT
    )
    form = models.CharField(_("材料形式"), max_length=20, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL)
    copies = models.PositiveSmallIntegerField(
        _("份数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    necessity = models.CharField(
        _("必要性"), max_length=12, choices=MaterialNecessity.choices, default=MaterialNecessity.REQUIRED
    )
    condition = models.CharField(_("适用情形"), max_length=300, blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/%Y/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalog/samples/%Y/", blank=True)
    licence_type = models.CharField(_("可用电子证照替代"), max_length=100, blank=True)
    notes = models.CharField(_("填报须知"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.name


class FeeItem(models.Model):
    version = models.ForeignKey(ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="fees")
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("收费项目"), max_length=200)
    standard_amount = models.DecimalField(_("收费标准（元）"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("计费单位"), max_length=30, default="元/件")
    legal_basis = models.CharField(_("收费依据"), max_length=500)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.standard_amount}{self.unit}"


class ProcessStep(models.Model):
    version = models.ForeignKey(ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("环节名称"), max_length=100)
    description = models.CharField(_("办理内容"), max_length=500, blank=True)
    limit_days = models.PositiveSmallIntegerField(_("环节时限（日）"), null=True, blank=True)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.name


class Theme(models.Model):
    """A life event, an identity group, an enterprise stage, or a scenario (一件事) bundling items."""

    kind = models.CharField(_("类别"), max_length=16, choices=ThemeKind.choices)
    slug = models.SlugField(_("标识"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    items = models.ManyToManyField(ServiceItem, verbose_name=_("事项"), through="ThemeItem", related_name="themes")

    class Meta:
        verbose_name = _("主题/场景")
        verbose_name_plural = _("主题/场景")
        ordering = ["kind", "position", "id"]

    def __str__(self) -> str:
        return self.name


class ThemeItem(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="theme_items")
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="theme_items")
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("主题事项")
        verbose_name_plural = _("主题事项")
        ordering = ["theme", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["theme", "item"], name="catalog_theme_item_unique")]

    def __str__(self) -> str:
        return f"{self.theme} · {self.item}"
