from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    WORKDAY = "workday", _("工作日")
    WEEKEND = "weekend", _("休息日（周末）")
    HOLIDAY = "holiday", _("法定节假日")
    MAKEUP_WORKDAY = "makeup_workday", _("调休上班日")


WORKING_KINDS = frozenset({DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY})
REST_KINDS = frozenset({DayKind.WEEKEND, DayKind.HOLIDAY})


class CalendarSource(models.TextChoices):
    CHINESECALENDAR = "chinesecalendar", _("chinesecalendar 数据包")
    IMPORTED = "imported", _("导入国务院通知")
    EDITED = "edited", _("手工编辑")


class DeadlineUnit(models.TextChoices):
    WORKING = "working", _("工作日")
    CALENDAR = "calendar", _("自然日")
