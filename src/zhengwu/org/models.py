from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengwu.org.enums import (
    REGION_CODE_PREFIX,
    REGION_PARENT_LEVEL,
    SECTION_RANKS,
    HallKind,
    PositionRank,
    RegionLevel,
    WindowKind,
)


class Region(models.Model):
    """区/县 → 街道/乡镇 → 社区/村."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.level not in RegionLevel.values:
            return  # the field's own validation reports it
        level = RegionLevel(self.level)
        expected = REGION_PARENT_LEVEL[level]
        if expected is None and self.parent_id:
            raise ValidationError({"parent": _("区/县不能有上级区划。")})
        if expected is not None and (self.parent is None or self.parent.level != expected):
            raise ValidationError({"parent": _("上级区划必须是“%(level)s”。") % {"level": RegionLevel(expected).label}})
        prefix = REGION_CODE_PREFIX.get(level)
        same_format = prefix and self.code and len(self.code) == len(self.parent.code) == 12
        if same_format and (self.code[:prefix] != self.parent.code[:prefix] or self.code == self.parent.code):
            raise ValidationError({"code": _("区划代码必须以上级区划代码的前 %(n)d 位开头。") % {"n": prefix}})


class Department(models.Model):
    """委办局: a government department of the county (or a street office)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    code = models.CharField(_("部门编码"), max_length=20, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments")
    is_supervision_office = models.BooleanField(_("监察机构"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Section(models.Model):
    """科室 inside a department."""

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="sections"
    )
    name = models.CharField(_("名称"), max_length=100)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("科室")
        verbose_name_plural = _("科室")
        ordering = ["department", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["department", "name"], name="org_section_unique_name")]

    def __str__(self) -> str:
        return f"{self.department.short_name or self.department.name}·{self.name}"


class ServiceHall(models.Model):
    """政务服务中心, or a street/community convenience station (便民服务站)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=24, choices=HallKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="halls")
    address = models.CharField(_("地址"), max_length=200)
    opening_hours = models.CharField(_("办公时间"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("服务大厅/便民服务站")
        verbose_name_plural = _("服务大厅/便民服务站")
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    hall = models.ForeignKey(ServiceHall, verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="windows")
    number = models.CharField(_("窗口号"), max_length=10)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=WindowKind.choices)
    departments = models.ManyToManyField(Department, verbose_name=_("服务部门"), blank=True, related_name="windows")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["hall", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="org_window_unique_number")]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number} {self.name}"


class Position(models.Model):
    """A post on the reporting line (承办人 → 科长 → 分管领导 → 单位负责人)."""

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="positions"
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("科室"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="positions",
    )
    title = models.CharField(_("职务名称"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("层级"), choices=PositionRank.choices)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("上级岗位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subordinates",
    )

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["department", "-rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(rank=PositionRank.UNIT_HEAD),
                name="org_position_one_unit_head",
                violation_error_message=_("每个部门只能设一个单位负责人岗位。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.department.short_name or self.department.name}·{self.title}"

    def clean(self):
        if self.section_id and self.department_id and self.section.department_id != self.department_id:
            raise ValidationError({"section": _("科室必须属于本部门。")})
        if self.rank == PositionRank.SECTION_HEAD and not self.section_id:
            raise ValidationError({"section": _("科长岗位必须属于某个科室。")})
        if self.rank and self.rank not in SECTION_RANKS and self.section_id:
            raise ValidationError({"section": _("领导岗位不属于科室，请留空。")})
        if self.rank == PositionRank.UNIT_HEAD and self.reports_to_id:
            raise ValidationError({"reports_to": _("单位负责人是汇报线的顶端，不能再设上级岗位。")})
        if self.reports_to_id:
            if self.reports_to_id == self.pk:
                raise ValidationError({"reports_to": _("岗位不能向自己汇报。")})
            if self.department_id and self.reports_to.department_id != self.department_id:
                raise ValidationError({"reports_to": _("上级岗位必须属于本部门。")})
            if self.rank and self.reports_to.rank <= self.rank:
                raise ValidationError({"reports_to": _("上级岗位的层级必须高于本岗位。")})
