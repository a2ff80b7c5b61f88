"""The supervision centre's pages: dashboard drill-down, alert inbox, orders, spot checks, callbacks, violations,
the ranking; a department leader sees their own department only."""

from datetime import date, timedelta
from io import BytesIO

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from openpyxl import load_workbook

from tests.html import assert_page_shell, audit_page
from tests.supervision.factories import at, give_handling_clock, make_alert, make_case, make_point
from zhengwu.cases.enums import Channel
from zhengwu.cases.models import Case
from zhengwu.supervision.enums import AlertLevel, AlertStatus, OrderState
from zhengwu.supervision.models import Alert, AssessmentResult, Callback, SpotCheck, SupervisionOrder, Violation

pytestmark = pytest.mark.django_db

NOW = at(2026, 12, 2, 10)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def board(office):
    """Open cases of both departments on every colour, and their alerts."""
    hall = office.hall
    mine, other = hall.department, hall.other_department
    overdue = make_point("approval.overdue", "办理超时")
    suspended = make_point("approval.suspension", "流程挂起")

    def case(department, received_days_ago, **clock):
        c = make_case(hall.version, department, received_at=NOW - timedelta(days=received_days_ago))
        give_handling_clock(c, **clock)
        return c

    cases = {
        "red": case(mine, 20),
        "yellow": case(mine, 12),
        "warning": case(mine, 6),
        "paused": case(mine, 1, paused=True),
        "on_track": case(mine, 0),
        "other_red": case(other, 20),
    }
    alerts = {
        "red": make_alert(subject=cases["red"], point=overdue, level=AlertLevel.RED, opened_at=NOW - timedelta(days=3)),
        "red_report": make_alert(
            subject=cases["red"], point=suspended, level=AlertLevel.REPORT, opened_at=NOW - timedelta(days=3)
        ),
        "yellow": make_alert(subject=cases["yellow"], point=overdue, level=AlertLevel.YELLOW, opened_at=NOW),
        "other_red": make_alert(
            subject=cases["other_red"], point=overdue, level=AlertLevel.RED, opened_at=NOW - timedelta(days=1)
        ),
        "dismissed": make_alert(
            subject=cases["on_track"],
            point=suspended,
            level=AlertLevel.RED,
            status=AlertStatus.DISMISSED,
            handling_note="误报",
            opened_at=NOW - timedelta(days=1),
        ),
    }
    return cases, alerts


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def link_texts(html: str, href: str) -> list[str]:
    return [a.get("id", "") for a in audit_page(html).find_all("a", href=href)]


# ---- dashboard ---------------------------------------------------------------------------------


def test_dashboard_counts_by_colour_and_links_each_number(client, office, board):
    client.force_login(office.supervisor)

    html = html_of(client.get("/oversight/"))

    assert_page_shell(html)
    for colour, count in [("red", 2), ("yellow", 1), ("warning", 1), ("paused", 1), ("on_track", 1)]:
        assert f'<a href="/oversight/objects/?colour={colour}" id="colour-{colour}">' in html
        assert f'id="colour-{colour}"><span class="colour-card__label">' in html
        assert f'<span class="colour-card__count">{count}</span>' in html.split(f'id="colour-{colour}"')[1][:120]
    assert 'id="dashboard-data" type="application/json"' in html


def test_a_leader_sees_only_their_own_department_on_the_dashboard(client, office, board):
    client.force_login(office.unit_head)

    html = html_of(client.get("/oversight/"))

    red = html.split('id="colour-red"')[1][:120]
    assert '<span class="colour-card__count">1</span>' in red
    assert "区民政局" not in html.split("<main")[1]


def test_the_objects_behind_a_colour_link_to_their_case_pages(client, office, board):
    cases, _alerts = board
    client.force_login(office.supervisor)

    html = html_of(client.get("/oversight/objects/?colour=red"))

    numbers = {cases["red"].number, cases["other_red"].number}
    for number in numbers:
        assert f'<a href="/workbench/cases/{number}/">{number}</a>' in html
    assert cases["yellow"].number not in html


def test_alerts_by_point_and_department_link_to_the_filtered_inbox(client, office, board):
    _cases, alerts = board
    client.force_login(office.supervisor)

    html = html_of(client.get("/oversight/"))

    point = alerts["red"].point_id
    assert f'<a href="/oversight/alerts/?point={point}">3</a>' in html  # 办理超时: two reds and a yellow
    department = office.hall.department.pk
    assert f'<a href="/oversight/alerts/?department={department}">3</a>' in html
    assert f'href="/oversight/alerts/?department={department}&amp;level=3"' in html


# ---- alert inbox -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"red", "red_report", "yellow", "other_red"}),
        ("?level=3", {"red", "other_red"}),
        ("?status=dismissed", {"dismissed"}),
        ("?status=all&level=3", {"red", "other_red", "dismissed"}),
        ("?opened=2026-12-02&status=all", {"yellow"}),
    ],
)
def test_the_inbox_filters(client, office, board, query, expected):
    _cases, alerts = board
    client.force_login(office.supervisor)

    html = html_of(client.get("/oversight/alerts/" + query))

    shown = {name for name, alert in alerts.items() if f'href="/oversight/alerts/{alert.pk}/"' in html}
    assert shown == expected


@pytest.mark.parametrize(
    "query",
    [
        "point=²&department=²&case=²&level=²",
        "point={n}&department={n}&case={n}&level={n}".format(n="9" * 23),
        "opened=0001-01-01",
        "opened=9999-12-31",
    ],
)
def test_the_inbox_reads_an_odd_filter_value_as_no_filter_not_an_error(client, office, board, query):
    _cases, alerts = board
    client.force_login(office.supervisor)

    response = client.get(f"/oversight/alerts/?{query}")

    assert response.status_code == 200
    html = html_of(response)
    shown = {name for name, alert in alerts.items() if f'href="/oversight/alerts/{alert.pk}/"' in html}
    assert shown == {"red", "red_report", "yellow", "other_red"}


def test_a_new_order_ignores_an_odd_alert_key(client, office, board):
    _cases, alerts = board
    client.force_login(office.supervisor)

    response = client.get(f"/oversight/orders/new/?alert=²&alert=99999999999999999999999&alert={alerts['red'].pk}")

    assert response.status_code == 200
    assert f'value="{alerts["red"].pk}"' in response.content.decode()


def test_the_inbox_of_a_leader_is_scoped_and_foreign_alerts_are_404(client, office, board):
    _cases, alerts = board
    client.force_login(office.unit_head)

    html = html_of(client.get(f"/oversight/alerts/?department={office.hall.other_department.pk}"))

    assert f'href="/oversight/alerts/{alerts["other_red"].pk}/"' not in html
    assert client.get(f"/oversight/alerts/{alerts['other_red'].pk}/").status_code == 404
    assert client.post(f"/oversight/alerts/{alerts['other_red'].pk}/dismiss/", {"reason": "x"}).status_code == 404
    # Their own: visible, but handling alerts is for supervisors.
    assert client.get(f"/oversight/alerts/{alerts['red'].pk}/").status_code == 200
    assert client.post(f"/oversight/alerts/{alerts['red'].pk}/dismiss/", {"reason": "x"}).status_code == 403
    assert Alert.objects.get(pk=alerts["red"].pk).status == AlertStatus.OPEN


def test_the_inbox_query_count_does_not_grow_with_alerts(client, office, board, django_assert_num_queries):
    client.force_login(office.supervisor)
    ContentType.objects.get_for_model(Case)
    client.get("/oversight/alerts/")  # warm the session

    # session, user with roles and profile; count, page of alerts, case numbers, points, departments
    with django_assert_num_queries(7):
        client.get("/oversight/alerts/")
    cases, _alerts = board
    for i in range(5):
        make_alert(subject=cases["yellow"], point=make_point(f"p{i}", f"点{i}"), level=AlertLevel.WARNING)
    with django_assert_num_queries(7):
        client.get("/oversight/alerts/")


def test_alert_page_links_to_the_case_and_explains_the_clock(client, office, board):
    cases, alerts = board
    client.force_login(office.supervisor)

    html = html_of(client.get(f"/oversight/alerts/{alerts['red'].pk}/"))

    number = cases["red"].number
    assert f'<a href="/workbench/cases/{number}/" id="alert-case-link">办件 {number}</a>' in html
    assert '<h2 id="clock-heading">计时说明</h2>' in html
    assert "发现情形" not in html  # a clock ladder's alert is explained by its clock


def test_alert_page_says_what_was_found(client, office, board):
    cases, _alerts = board
    alert = make_alert(
        subject=cases["red"],
        point=make_point("approval.fees", "行政收费"),
        level=AlertLevel.WARNING,
        details={"action": "cases.fee_paid", "occurred_at": "2026-03-02T02:00:00+00:00", "fee_override": "true"},
    )
    client.force_login(office.supervisor)

    html = html_of(client.get(f"/oversight/alerts/{alert.pk}/"))

    assert (
        '<dt>发现情形</dt><dd><ul class="found-lines"><li>收费：2026-03-02 10:00。</li>'
        "<li>收费金额与收费标准不符（已填写调整理由）。</li></ul></dd>"
    ) in html


def test_acknowledge_and_dismiss_from_the_alert_page(client, office, board):
    _cases, alerts = board
    client.force_login(office.supervisor)
    url = f"/oversight/alerts/{alerts['red'].pk}/"

    response = client.post(url + "acknowledge/", {"note": "已提醒"}, headers={"HX-Request": "true"})
    assert '<p id="alert-status">告警状态：已确认</p>' in html_of(response)
    assert "<html" not in response.content.decode()

    response = client.post(url + "dismiss/", {"reason": ""})
    assert response.status_code == 400
    assert "请填写排除该告警的理由。" in response.content.decode()

    response = client.post(url + "dismiss/", {"reason": "申请人书面撤回诉求"})
    assert response.status_code == 302
    alert = Alert.objects.get(pk=alerts["red"].pk)
    assert (alert.status, alert.handling_note) == (AlertStatus.DISMISSED, "申请人书面撤回诉求")


# ---- orders ------------------------------------------------------------------------------------


def test_order_issued_answered_and_closed_through_the_pages(client, office, board):
    _cases, alerts = board
    client.force_login(office.supervisor)
    form = html_of(client.get(f"/oversight/orders/new/?alert={alerts['red'].pk}"))
    assert f'<option value="{office.hall.department.pk}" selected>' in form

    response = client.post(
        "/oversight/orders/new/",
        {
            "alert": alerts["red"].pk,
            "department": office.hall.department.pk,
            "requirement": "三个工作日内办结并报告。",
            "due_working_days": "3",
        },
    )
    order = SupervisionOrder.objects.get()
    assert response["Location"] == f"/oversight/orders/{order.pk}/"
    assert order.number in html_of(client.get(response["Location"]))  # and the flash message is shown

    client.force_login(office.other_leader)
    assert client.get(f"/oversight/orders/{order.pk}/").status_code == 404
    assert str(order.number) not in html_of(client.get("/oversight/orders/"))

    client.force_login(office.unit_head)
    html = html_of(client.get(f"/oversight/orders/{order.pk}/"))
    assert "报送整改情况" in html and "核查通过" not in html
    assert client.post(f"/oversight/orders/{order.pk}/report/", {"text": "已办结。"}).status_code == 302

    client.force_login(office.supervisor)
    assert client.post(f"/oversight/orders/{order.pk}/close/", {"note": "到位"}).status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED


def test_order_form_errors_are_shown_in_chinese(client, office, board):
    client.force_login(office.supervisor)

    response = client.post("/oversight/orders/new/", {"department": office.hall.department.pk, "requirement": ""})

    assert response.status_code == 400
    assert "请填写督办要求。" in response.content.decode()
    assert not SupervisionOrder.objects.exists()


def test_leaders_cannot_issue_orders(client, office):
    client.force_login(office.unit_head)

    assert client.get("/oversight/orders/new/").status_code == 403


def test_the_orders_list_query_count_is_fixed(client, office, board, django_assert_num_queries):
    _cases, alerts = board
    from zhengwu.supervision.domain.work import supervision_order_issue

    client.force_login(office.supervisor)
    client.get("/oversight/orders/")
    for _i in range(3):
        supervision_order_issue(
            actor=office.supervisor,
            department=office.hall.department,
            alerts=[alerts["red"]],
            requirement="整改",
            due_working_days=2,
        )
    # session, user with roles and profile; count, page of orders
    with django_assert_num_queries(4):
        client.get("/oversight/orders/")


# ---- spot checks, callbacks, violations --------------------------------------------------------


def test_spot_check_drawn_and_recorded_through_the_pages(client, office):
    hall = office.hall
    done = make_case(hall.version, hall.department, received_at=at(2026, 11, 2))
    give_handling_clock(done, stopped_at=at(2026, 11, 4))
    client.force_login(office.supervisor)

    response = client.post(
        "/oversight/spot-checks/", {"period_start": "2026-11-01", "period_end": "2026-11-30", "sample_size": "3"}
    )
    check = SpotCheck.objects.get()
    assert response["Location"] == f"/oversight/spot-checks/{check.pk}/"
    item = check.items.get()
    assert f'<a href="/workbench/cases/{done.number}/">' in html_of(client.get(response["Location"]))
    client.post(f"/oversight/spot-checks/items/{item.pk}/finding/", {"finding": "problem", "text": "未告知救济途径"})
    item.refresh_from_db()
    assert (item.finding, item.finding_text) == ("problem", "未告知救济途径")

    client.force_login(office.other_leader)
    assert client.get(f"/oversight/spot-checks/{check.pk}/").status_code == 404


def test_callback_recorded_through_the_page(client, office, board):
    cases, _alerts = board
    client.force_login(office.supervisor)

    response = client.post(
        "/oversight/callbacks/",
        {"case": cases["yellow"].number, "reached": "yes", "satisfied": "no", "comment": "多次补正"},
    )

    assert response.status_code == 302
    callback = Callback.objects.get()
    assert (callback.case, callback.satisfied) == (cases["yellow"], False)
    assert "多次补正" in html_of(client.get("/oversight/callbacks/"))
    client.force_login(office.other_leader)
    assert "多次补正" not in html_of(client.get("/oversight/callbacks/"))


def test_only_published_violations_reach_the_portal_without_personal_data(client, office, board):
    cases, alerts = board
    client.force_login(office.supervisor)
    client.post("/oversight/violations/", {"alert": alerts["red"].pk, "summary": "承办人卢帆超期未办结"})
    client.post("/oversight/violations/", {"alert": alerts["yellow"].pk, "summary": "内部认定，不公开"})
    first = Violation.objects.get(alert=alerts["red"])
    client.post(f"/oversight/violations/{first.pk}/publish/", {"published_text": "某许可办件超期办结，已责令整改。"})
    client.logout()

    html = html_of(client.get("/supervision/violations/"))

    assert_page_shell(html)
    assert "某许可办件超期办结，已责令整改。" in html
    assert "区市场监督管理局" in html
    for private in ("卢帆", "内部认定", cases["red"].number, cases["red"].applicant_name):
        assert private not in html


# ---- assessment --------------------------------------------------------------------------------


@pytest.fixture
def november(office):
    hall = office.hall
    for i, channel in enumerate([Channel.ONLINE, Channel.WINDOW]):
        case = make_case(hall.version, hall.department, received_at=at(2026, 11, 2 + i), channel=channel)
        give_handling_clock(case, stopped_at=at(2026, 11, 5))


def test_the_ranking_is_computed_shown_and_exported(client, office, november):
    client.force_login(office.supervisor)

    response = client.post("/oversight/assessment/compute/", {"kind": "month", "day": "2026-11-01"})
    assert response["Location"] == "/oversight/assessment/?kind=month&day=2026-11-01"
    html = html_of(client.get(response["Location"]))
    assert "2026年11月部门绩效考核" in html
    assert AssessmentResult.objects.filter(period_start="2026-11-01").count() == 2

    xlsx = client.get("/oversight/assessment/export.xlsx?kind=month&day=2026-11-01")
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "2026年11月部门绩效考核"
    assert [c.value for c in sheet[2]][:2] == ["排名", "部门"]
    assert sheet["B3"].value == "区市场监督管理局"
    pdf = client.get("/oversight/assessment/export.pdf?kind=month&day=2026-11-01")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_assessment_day_out_of_range_shows_last_month_not_an_error(client, office, november, day):
    client.force_login(office.supervisor)
    client.post("/oversight/assessment/compute/", {"kind": "month", "day": "2026-11-01"})

    response = client.get(f"/oversight/assessment/?kind=month&day={day}")

    assert response.status_code == 200
    html = html_of(response)
    assert "2026年11月部门绩效考核" in html
    assert "区市场监督管理局" in html.split("<tbody>")[1]
    sheet = load_workbook(BytesIO(client.get(f"/oversight/assessment/export.xlsx?kind=month&day={day}").content))
    assert sheet.active["A1"].value == "2026年11月部门绩效考核"
    computed = client.post("/oversight/assessment/compute/", {"kind": "month", "day": day})
    assert computed["Location"] == "/oversight/assessment/?kind=month&day=2026-11-01"
    assert set(AssessmentResult.objects.values_list("period_start", flat=True)) == {date(2026, 11, 1)}


def test_a_leader_sees_only_their_departments_result_and_cannot_compute(client, office, november):
    client.force_login(office.supervisor)
    client.post("/oversight/assessment/compute/", {"kind": "month", "day": "2026-11-01"})
    client.force_login(office.other_leader)

    html = html_of(client.get("/oversight/assessment/?kind=month&day=2026-11-01"))

    assert "区民政局" in html.split("<tbody>")[1]
    assert "区市场监督管理局" not in html.split("<tbody>")[1]
    assert client.post("/oversight/assessment/compute/", {"kind": "month", "day": "2026-11-01"}).status_code == 403
    sheet = load_workbook(BytesIO(client.get("/oversight/assessment/export.xlsx?kind=month&day=2026-11-01").content))
    assert [row[1].value for row in sheet.active.iter_rows(min_row=3)] == ["区民政局"]


@pytest.mark.parametrize("url", ["/oversight/", "/oversight/alerts/", "/oversight/assessment/", "/oversight/orders/"])
def test_other_staff_are_refused(client, office, url):
    client.force_login(office.hall.handler)

    assert client.get(url).status_code == 403


def test_department_leaders_get_the_supervision_centre_in_their_navigation(client, office):
    client.force_login(office.leader_in_charge)
    html = html_of(client.get("/workbench/"))
    assert '<a href="/oversight/">电子监察中心</a>' in html

    client.force_login(office.hall.handler)
    assert "/oversight/" not in html_of(client.get("/workbench/"))


def test_callbacks_and_violations_lists_query_counts_do_not_grow(client, office, board, django_assert_num_queries):
    from zhengwu.supervision.domain.work import callback_record, violation_confirm

    cases, alerts = board
    client.force_login(office.supervisor)

    def add(n):
        for _i in range(n):
            callback_record(actor=office.supervisor, case=cases["yellow"], reached=False)
            violation_confirm(actor=office.supervisor, alert=alerts["red"], summary="超期")

    add(1)
    client.get("/oversight/callbacks/")
    # session, user with roles and profile; count, page
    with django_assert_num_queries(4):
        client.get("/oversight/callbacks/")
    with django_assert_num_queries(4):
        client.get("/oversight/violations/")
    add(3)
    with django_assert_num_queries(4):
        client.get("/oversight/callbacks/")
    with django_assert_num_queries(4):
        client.get("/oversight/violations/")


def test_the_objects_list_query_count_does_not_grow(client, office, board, django_assert_num_queries):
    client.force_login(office.supervisor)
    ContentType.objects.get_for_model(Case)
    client.get("/oversight/objects/")

    # session, user with roles and profile; count, page of cases with their clocks and departments
    with django_assert_num_queries(4):
        client.get("/oversight/objects/")
    hall = office.hall
    for _i in range(4):
        give_handling_clock(make_case(hall.version, hall.department, received_at=NOW - timedelta(days=9)))
    with django_assert_num_queries(4):
        html = client.get("/oversight/objects/").content.decode()
    assert "共 10 件在办办件。" in html
