from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.workcal.calendar_helpers import TEXT_2027, ensure_national_calendar
from zhengwu.audit.models import AuditEvent
from zhengwu.org.models import Region
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.enums import DayKind
from zhengwu.workcal.models import CalendarDay, CalendarYear
from zhengwu.workcal.signals import calendar_changed

D = date.fromisoformat
pytestmark = pytest.mark.django_db
MONTH = "admin:workcal_calendar_month"


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("calendar-admin", "a@example.org", "pw-123456", kind="staff")
    client.force_login(user)
    return client


def test_month_view_shows_kinds_with_text_labels(admin_client):
    response = admin_client.get(reverse(MONTH), {"year": 2025, "month": 10})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2025 年 10 月" in html
    assert html.count('class="wc-kind">法定节假日</span>') == 8
    assert html.count('class="wc-kind">调休上班日</span>') == 1  # 10/11 (9/28 is outside the month grid)
    assert '<span class="wc-name">中秋节</span>' in html
    assert "本月工作日 18 天" in html
    assert "<script" not in html.split('id="content"')[1]
    assert 'style="' not in html


def test_month_view_query_count_is_fixed(admin_client, django_assert_num_queries):
    admin_client.get(reverse(MONTH), {"year": 2025, "month": 10})  # warm the index cache
    with django_assert_num_queries(4):  # session, user, calendar version, region list
        assert admin_client.get(reverse(MONTH), {"year": 2025, "month": 10, "day": "2025-10-11"}).status_code == 200


def test_selected_day_shows_an_edit_form(admin_client):
    html = admin_client.get(reverse(MONTH), {"year": 2025, "month": 10, "day": "2025-10-11"}).content.decode()
    assert "2025-10-11（星期六）" in html
    assert 'action="/admin/workcal/calendaryear/month/day/"' in html
    assert '<option value="makeup_workday" selected>' in html


def test_posting_a_day_changes_the_index_and_signals(admin_client, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, years, **kwargs):
        received.append(years)

    calendar_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:workcal_calendar_day_set"),
                {"date": "2026-11-06", "kind": DayKind.HOLIDAY, "name": "调整放假", "region": ""},
            )
    finally:
        calendar_changed.disconnect(receiver)
    assert response.status_code == 302
    assert response["Location"] == reverse(MONTH) + "?year=2026&month=11&day=2026-11-06"
    assert received == [[2026]]
    assert current_index().day_info(D("2026-11-06")).kind == DayKind.HOLIDAY
    event = AuditEvent.objects.get(action="workcal.calendar_day.set")
    assert event.actor_repr == "calendar-admin"
    html = admin_client.get(response["Location"]).content.decode()
    assert "已将 2026-11-06 设为“法定节假日”。" in html
    assert '<span class="wc-name">调整放假</span>' in html


def test_invalid_post_shows_the_domain_error_and_changes_nothing(admin_client):
    rows = CalendarDay.objects.count()
    response = admin_client.post(
        reverse("admin:workcal_calendar_day_set"), {"date": "2026-11-04", "kind": DayKind.MAKEUP_WORKDAY}, follow=True
    )
    assert "调休上班日必须是星期六或星期日。" in response.content.decode()
    assert CalendarDay.objects.count() == rows


def test_get_on_the_day_endpoint_is_refused(admin_client):
    assert admin_client.get(reverse("admin:workcal_calendar_day_set")).status_code == 405


def test_staff_without_permission_cannot_edit(client):
    user = get_user_model().objects.create_user("clerk", password="pw-123456", kind="staff", is_staff=True)
    client.force_login(user)
    assert client.get(reverse(MONTH)).status_code == 403
    response = client.post(reverse("admin:workcal_calendar_day_set"), {"date": "2026-11-06", "kind": "holiday"})
    assert response.status_code == 403
    assert current_index().is_working_day(D("2026-11-06"))


def test_local_override_via_region(admin_client):
    county = Region.objects.create(name="示例县", code="330100000000", level="district")
    response = admin_client.post(
        reverse("admin:workcal_calendar_day_set"),
        {"date": "2026-11-06", "kind": DayKind.HOLIDAY, "name": "县庆", "region": county.pk},
    )
    assert response.status_code == 302
    html = admin_client.get(reverse(MONTH), {"year": 2026, "month": 11, "region": county.pk}).content.decode()
    assert '<span class="wc-tag">本地调整</span>' in html
    assert current_index().is_working_day(D("2026-11-06"))
    assert not current_index(county).is_working_day(D("2026-11-06"))


def test_unloaded_month_is_marked(admin_client):
    html = admin_client.get(reverse(MONTH), {"year": 2027, "month": 1}).content.decode()
    assert "2027 年工作日历尚未导入，本月按周一至周五临时显示" in html


def test_import_page(admin_client):
    response = admin_client.post(reverse("admin:workcal_calendar_import"), {"text": "year: 2027\n元旦: 2027-02-30\n"})
    assert "第 2 行：无法识别的日期“2027-02-30”。" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    response = admin_client.post(reverse("admin:workcal_calendar_import"), {"text": TEXT_2027})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).loaded_by.username == "calendar-admin"


def test_an_uploaded_file_with_a_nul_is_refused_with_its_line_and_imports_nothing(admin_client):
    """The file's text is kept on the year row: PostgreSQL's text cannot hold a NUL (it was a 500 there)."""
    upload = SimpleUploadedFile("2027.txt", (TEXT_2027 + "# 备注\x00\n").encode())
    events = AuditEvent.objects.count()

    response = admin_client.post(reverse("admin:workcal_calendar_import"), {"file": upload})

    assert response.status_code == 200
    lines = TEXT_2027.count("\n") + 1
    assert f"第 {lines} 行：含有空字符（U+0000），不是节假日安排文本，无法导入。" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert AuditEvent.objects.count() == events


@time_machine.travel(D("2026-11-23"), tick=False)
def test_year_list_and_admin_index_warn_about_the_missing_year(admin_client, django_assert_num_queries):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "2027 年工作日历尚未导入，相关时限按周一至周五临时计算" in html
    with django_assert_num_queries(6):  # session, user, missing years, 2 counts, rows (loaded_by joined)
        html = admin_client.get(reverse("admin:workcal_calendaryear_changelist")).content.decode()
    assert "2027 年：未导入。" in html
    assert "chinesecalendar 数据包" in html
    admin_client.post(reverse("admin:workcal_calendar_import"), {"text": TEXT_2027})
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "工作日历尚未导入" not in html
