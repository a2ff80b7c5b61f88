from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from tests.cases.test_acceptance import notice_items, online, registered
from zhengwu.cases.domain import case_accept, case_refuse, case_request_correction
from zhengwu.cases.domain.api_rate import api_rate_windows_purge
from zhengwu.cases.models import ApiRateWindow

pytestmark = pytest.mark.django_db

URL = "/cases/lookup/"
TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_form_is_shown_without_login(client):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "办件进度查询" in body
    assert 'name="number"' in body and 'name="query_code"' in body
    assert '<a href="/cases/lookup/" aria-current="page">办件查询</a>' in body  # in the main navigation
    assert "style=" not in body and "<script>" not in body


def test_status_and_timeline_of_an_accepted_case(client, hall):
    with time_machine.travel(MONDAY, tick=False):
        case = online(hall)
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        case_accept(actor=hall.handler, case=case)
    response = client.post(URL, {"number": case.number, "query_code": case.query_code})
    assert response.status_code == 200
    body = response.content.decode()
    assert "食品经营许可证核发" in body
    assert "<dd>青***********</dd>" in body  # masked applicant name
    assert "青川绿源" not in body
    assert "已受理" in body
    assert '2026年3月2日 10:00</time> 收件<span class="muted">（网上申报）</span>' in body
    assert "2026年3月2日 12:00</time> 受理" in body
    assert "承诺办结期限</dt><dd>2026年3月9日" in body
    assert hall.handler.display_name not in body


def test_correction_notice_items_are_listed(client, hall):
    case = registered(hall)
    case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "营业执照", problem="缺少"))
    body = client.post(URL, {"number": case.number, "query_code": case.query_code}).content.decode()
    assert "待补正" in body
    assert "<strong>营业执照</strong>：缺少营业执照" in body


def test_refusal_reason_is_shown(client, hall):
    case = case_refuse(actor=hall.handler, case=online(hall), reason="不属于本机关职权范围")
    body = client.post(URL, {"number": case.number, "query_code": case.query_code}).content.decode()
    assert "不予受理理由</dt><dd>不属于本机关职权范围" in body


def test_wrong_code_shows_one_message_for_every_mismatch(client, hall):
    case = online(hall)
    wrong = f"{(int(case.query_code) + 1) % 1_000_000:06d}"
    for data in ({"number": case.number, "query_code": wrong}, {"number": "X" * 43, "query_code": case.query_code}):
        response = client.post(URL, data)
        assert response.status_code == 200
        body = response.content.decode()
        assert "办件编号或查询码不正确。" in body
        assert "食品经营许可证核发" not in body
    assert "查询码为 6 位数字。" in client.post(URL, {"number": case.number, "query_code": "12ab56"}).content.decode()


def test_repeated_failures_are_throttled(client, hall):
    case = online(hall)
    wrong = f"{(int(case.query_code) + 1) % 1_000_000:06d}"
    for _ in range(10):
        client.post(URL, {"number": case.number, "query_code": wrong})
    response = client.post(URL, {"number": case.number, "query_code": case.query_code})
    assert response.status_code == 429
    body = response.content.decode()
    assert "查询失败次数过多，请 10 分钟后再试。" in body
    assert "办理过程" not in body


def test_failures_are_counted_for_every_web_process_not_in_its_own_cache(client, hall):
    case = online(hall)
    wrong = f"{(int(case.query_code) + 1) % 1_000_000:06d}"
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(10):
            client.post(URL, {"number": case.number, "query_code": wrong})
            cache.clear()  # another process's local cache knows nothing
        assert client.post(URL, {"number": case.number, "query_code": case.query_code}).status_code == 429
        other = client.post(URL, {"number": case.number, "query_code": case.query_code}, REMOTE_ADDR="10.0.0.9")
        assert other.status_code == 200


def test_the_failure_window_ends_after_ten_minutes_and_is_purged(client, hall):
    case = online(hall)
    wrong = f"{(int(case.query_code) + 1) % 1_000_000:06d}"
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(10):
            client.post(URL, {"number": case.number, "query_code": wrong})
    with time_machine.travel(MONDAY + timedelta(minutes=9, seconds=59), tick=False):
        assert client.post(URL, {"number": case.number, "query_code": case.query_code}).status_code == 429
    with time_machine.travel(MONDAY + timedelta(minutes=10), tick=False):
        assert api_rate_windows_purge() == 1
        response = client.post(URL, {"number": case.number, "query_code": case.query_code})
    assert response.status_code == 200
    assert "办理过程" in response.content.decode()
    assert not ApiRateWindow.objects.exists()


def test_lookup_query_count(client, hall, django_assert_num_queries):
    case = case_accept(actor=hall.handler, case=online(hall))
    data = {"number": case.number, "query_code": case.query_code}
    client.post(URL, data)  # warm caches (content types)
    # the address's failures; case with item version and department, timeline events, handling clock
    with django_assert_num_queries(4):
        assert client.post(URL, data).status_code == 200


def test_a_number_and_code_typed_in_full_width_find_the_case(client, hall):
    case = registered(hall)
    full_width = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}  # ０-９, Ａ-Ｚ, …

    response = client.post(
        URL, {"number": case.number.translate(full_width), "query_code": case.query_code.translate(full_width)}
    )

    assert response.status_code == 200
    assert response.context["case"] == case
    assert not ApiRateWindow.objects.exists()  # not counted as a failed guess
