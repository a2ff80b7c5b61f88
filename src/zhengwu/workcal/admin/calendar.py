"""Admin for the working-day calendar: year list, month-view editor, import page.

Nothing here writes rows itself: edits go through calendar_day_set and calendar_year_import.
"""

import calendar as pycalendar
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from zhengwu.audit.admin import AuditHistoryMixin
from zhengwu.org.models import Region
from zhengwu.workcal.arith import current_index, weekday_label
from zhengwu.workcal.domain.calendar import calendar_day_set, calendar_missing_years, calendar_year_import
from zhengwu.workcal.enums import DayKind
from zhengwu.workcal.models import CalendarDay, CalendarYear

WEEKDAY_HEADERS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
KIND_CSS = {
    DayKind.WORKDAY: "wc-workday",
    DayKind.WEEKEND: "wc-weekend",
    DayKind.HOLIDAY: "wc-holiday",
    DayKind.MAKEUP_WORKDAY: "wc-makeup",
}


class DaySetForm(forms.Form):
    date = forms.DateField(widget=forms.HiddenInput)
    region = forms.ModelChoiceField(queryset=Region.objects.all(), required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("类型"), choices=DayKind.choices)
    name = forms.CharField(label=_("名称"), max_length=60, required=False, help_text=_("法定节假日必填，如“春节”。"))


class ImportForm(forms.Form):
    text = forms.CharField(
        label=_("节假日安排"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
        help_text=_("格式见 docs/calendar-format.md，例如“春节: 2027-02-05 ~ 2027-02-12; 调休上班: 2027-02-14”。"),
    )
    file = forms.FileField(label=_("或上传文件（UTF-8）"), required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError({"file": _("文件不是 UTF-8 编码。")}) from None
        if not (data.get("text") or "").strip():
            raise ValidationError(_("请粘贴节假日安排或上传文件。"))
        return data


def _int_param(request, name: str, default: int, lo: int, hi: int) -> int:
    try:
        value = int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if lo <= value <= hi else default


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("year", "source", "title", "loaded_at", "loaded_by", "month_link")
    list_filter = ("source",)
    readonly_fields = ("year", "source", "title", "loaded_at", "loaded_by", "text")
    list_select_related = ("loaded_by",)
    change_list_template = "admin/workcal/calendaryear/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("月历"))
    def month_link(self, obj):
        from django.utils.html import format_html

        url = reverse("admin:workcal_calendar_month") + "?" + urlencode({"year": obj.year, "month": 1})
        return format_html('<a href="{}">{}</a>', url, _("查看/编辑"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("month/", wrap(self.month_view), name="workcal_calendar_month"),
            path("month/day/", wrap(self.day_set_view), name="workcal_calendar_day_set"),
            path("import/", wrap(self.import_view), name="workcal_calendar_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {
            "missing_years": calendar_missing_years(timezone.localdate()),
            "can_edit_calendar": request.user.has_perm("workcal.change_calendarday"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    # ---- month view ------------------------------------------------------------------------
    def month_view(self, request):
        user = request.user
        if not (user.has_perm("workcal.view_calendarday") or user.has_perm("workcal.change_calendarday")):
            raise PermissionDenied
        today = timezone.localdate()
        year = _int_param(request, "year", today.year, 1900, 2200)
        month = _int_param(request, "month", today.month, 1, 12)
        region = None
        region_id = request.GET.get("region") or ""
        if region_id.isdecimal() and len(region_id) <= 18:
            region = Region.objects.filter(pk=int(region_id)).first()
        index = current_index(region)
        overrides = set()
        if region is not None:
            overrides = set(
                CalendarDay.objects.filter(region=region, date__year=year, date__month=month).values_list(
                    "date", flat=True
                )
            )
        selected = None
        try:
            selected = date.fromisoformat(request.GET.get("day", ""))
        except ValueError:
            selected = None
        if selected is not None and (selected.year, selected.month) != (year, month):
            selected = None
        base_query = {"year": year, "month": month, **({"region": region.pk} if region else {})}
        weeks = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for d in week:
                info = index.day_info(d)
                cells.append(
                    {
                        "date": d,
                        "in_month": d.month == month,
                        "info": info,
                        "kind_label": DayKind(info.kind).label,
                        "css": KIND_CSS[info.kind],
                        "override": d in overrides,
                        "selected": d == selected,
                        "url": "?" + urlencode({**base_query, "day": d.isoformat()}),
                    }
                )
            weeks.append(cells)
        form = None
        if selected is not None:
            info = index.day_info(selected)
            form = DaySetForm(
                initial={"date": selected, "region": region, "kind": info.kind, "name": info.name},
            )
        prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
        next_month = (year, month + 1) if month < 12 else (year + 1, 1)
        region_query = {"region": region.pk} if region else {}
        loaded = year in index.loaded_years
        context = {
            **self.admin_site.each_context(request),
            "title": _("工作日历：%(year)s 年 %(month)s 月") % {"year": year, "month": month},
            "opts": self.model._meta,
            "year": year,
            "month": month,
            "weeks": weeks,
            "weekday_headers": WEEKDAY_HEADERS,
            "loaded": loaded,
            "region": region,
            "regions": Region.objects.order_by("code"),
            "selected": selected,
            "selected_weekday": weekday_label(selected) if selected else "",
            "form": form,
            "can_edit": user.has_perm("workcal.change_calendarday"),
            "month_working_days": index.working_days_between(
                date(year, month, 1) - timedelta(days=1),
                date(year, month, pycalendar.monthrange(year, month)[1]),
            ),
            "prev_url": "?" + urlencode({"year": prev_month[0], "month": prev_month[1], **region_query}),
            "next_url": "?" + urlencode({"year": next_month[0], "month": next_month[1], **region_query}),
            "kinds": [(DayKind(kind).label, KIND_CSS[DayKind(kind)]) for kind in DayKind.values],
        }
        return TemplateResponse(request, "admin/workcal/calendaryear/month.html", context)

    def day_set_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return _day_set(request)

    # ---- import -----------------------------------------------------------------------------
    def import_view(self, request):
        if not request.user.has_perm("workcal.change_calendarday"):
            raise PermissionDenied
        errors: list[str] = []
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    result = calendar_year_import(actor=request.user, text=form.cleaned_data["text"])
                except ValidationError as exc:
                    errors = exc.messages
                else:
                    messages.success(
                        request,
                        _("已导入 %(year)s 年工作日历：放假 %(h)s 天，调休上班 %(m)s 天。")
                        % {"year": result.year, "h": result.holiday_days, "m": result.makeup_days},
                    )
                    url = reverse("admin:workcal_calendar_month") + "?" + urlencode({"year": result.year, "month": 1})
                    return HttpResponseRedirect(url)
        else:
            form = ImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入年度节假日安排"),
            "opts": self.model._meta,
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/workcal/calendaryear/import.html", context)


def _day_set(request):
    if not request.user.has_perm("workcal.change_calendarday"):
        raise PermissionDenied
    form = DaySetForm(request.POST)
    month_url = reverse("admin:workcal_calendar_month")
    if not form.is_valid():
        messages.error(request, _("提交的内容不完整：%(errors)s") % {"errors": form.errors.as_text()})
        return HttpResponseRedirect(month_url)
    data = form.cleaned_data
    day, region = data["date"], data["region"]
    query = {"year": day.year, "month": day.month, "day": day.isoformat(), **({"region": region.pk} if region else {})}
    try:
        calendar_day_set(actor=request.user, date=day, kind=data["kind"], name=data["name"], region=region)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("已将 %(date)s 设为“%(kind)s”。") % {"date": day.isoformat(), "kind": DayKind(data["kind"]).label},
        )
    return HttpResponseRedirect(month_url + "?" + urlencode(query))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Read-only list of the exceptional days; edit them in the month view."""

    list_display = ("date", "weekday", "kind", "name", "region")
    list_filter = ("kind", ("region", admin.EmptyFieldListFilter), "region")
    search_fields = ("name",)
    date_hierarchy = "date"
    list_select_related = ("region",)
    list_per_page = 100

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return weekday_label(obj.date)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
