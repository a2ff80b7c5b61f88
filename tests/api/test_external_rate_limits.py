"""Rate limits of the departmental systems API: per system, and per client address for failed authentications."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError

from tests.api.external_helpers import SignedClient, registration
from tests.api.test_external_api import MONDAY, world
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain.api_rate import api_rate_windows_purge
from zhengwu.cases.domain.external import external_system_create, external_system_update
from zhengwu.cases.enums import ApiRateScope
from zhengwu.cases.models import ApiNonce, ApiRateWindow, Case, ExternalSystem
from zhengwu.cases.tasks import purge_api_rate_windows

pytestmark = pytest.mark.django_db

TEN_PAST = MONDAY + timedelta(seconds=10)  # 10:00:10, 50 s before the minute's window ends
LIMITED = {"error": {"code": "rate_limited", "message": "请求过于频繁（本接入密钥限每分钟 3 次），请 50 秒后重试。"}}
FAILED_LIMITED = {
    "error": {"code": "rate_limited", "message": "认证失败次数过多（同一地址限每分钟 3 次），请 50 秒后重试。"}
}


@pytest.fixture
def rates(settings):
    settings.ZHENGWU_EXTERNAL_API_RATE = "3/min"
    settings.ZHENGWU_EXTERNAL_API_FAILED_AUTH_RATE = "3/min"
    return settings


@pytest.fixture
def api(client, hall, rates) -> SignedClient:
    system, secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    return SignedClient(client, system, secret)


def rate_of(response) -> tuple[str | None, str | None]:
    return response.headers.get("X-RateLimit-Limit"), response.headers.get("X-RateLimit-Remaining")


def messages(caplog) -> list[str]:
    """Our own log lines (Django's django.request logs every 4xx response besides)."""
    return [record.getMessage() for record in caplog.records if record.name.startswith("zhengwu.")]


def use_up(api: SignedClient, count: int = 3) -> None:
    for _ in range(count):
        assert api.get("NONE").status_code == 404


# ---- the system's limit -------------------------------------------------------------------------------------
@time_machine.travel(TEN_PAST, tick=False)
def test_requests_under_the_limit_are_served_and_say_how_many_remain(api, hall):
    registered = api.register(registration(hall))
    number = registered.json()["number"]

    assert registered.status_code == 201
    assert rate_of(registered) == ("3", "2")
    first, second = api.get(number), api.get(number)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (rate_of(first), rate_of(second)) == (("3", "1"), ("3", "0"))
    assert "Retry-After" not in second.headers


@time_machine.travel(TEN_PAST, tick=False)
def test_refusals_after_authentication_say_how_many_remain_too(api, hall):
    response = api.get("NONE")

    assert response.status_code == 404
    assert rate_of(response) == ("3", "2")


@time_machine.travel(TEN_PAST, tick=False)
def test_a_request_over_the_limit_is_429_with_retry_after(api, hall):
    use_up(api)

    response = api.get("NONE")

    assert response.status_code == 429
    assert response.json() == LIMITED
    assert response.headers["Retry-After"] == "50"
    assert rate_of(response) == ("3", "0")


@time_machine.travel(TEN_PAST, tick=False)
def test_a_throttled_request_changes_nothing_and_leaves_its_nonce_unused(api, hall):
    use_up(api)
    assert api.get("NONE").status_code == 429  # the window's first refusal is audited, once
    before = world()
    nonce, timestamp = "throttled-request-0001", str(int(TEN_PAST.timestamp()))

    response = api.register(registration(hall), nonce=nonce, timestamp=timestamp)

    assert response.status_code == 429
    assert world() == before
    assert not Case.objects.exists()
    assert not ApiNonce.objects.filter(nonce=nonce).exists()
    # The very same signed request, resent once the window has ended, is served.
    with time_machine.travel(TEN_PAST + timedelta(seconds=50), tick=False):
        again = api.register(registration(hall), nonce=nonce, timestamp=timestamp)
    assert again.status_code == 201
    assert ApiNonce.objects.filter(nonce=nonce).count() == 1


def test_the_window_rolls_over_at_the_minute(api, hall):
    with time_machine.travel(MONDAY + timedelta(seconds=59), tick=False):
        use_up(api)
        last = api.get("NONE")
        assert (last.status_code, last.headers["Retry-After"]) == (429, "1")
    with time_machine.travel(MONDAY + timedelta(seconds=60), tick=False):
        response = api.get("NONE")
    assert response.status_code == 404
    assert rate_of(response) == ("3", "2")


@time_machine.travel(TEN_PAST, tick=False)
def test_a_systems_own_limit_overrides_the_default_and_each_system_has_its_own_quota(api, client, hall):
    external_system_update(
        actor="system:test", system=api.system, name=api.system.name, is_active=True, rate_limit=" 5 / MIN "
    )
    other, secret = external_system_create(actor="system:test", department=hall.department, name="许可证业务系统")
    other_api = SignedClient(client, other, secret)

    use_up(api, 5)
    refused = api.get("NONE")
    use_up(other_api, 3)

    assert api.system.rate_limit == "5/min"
    assert refused.status_code == 429
    assert refused.json()["error"]["message"] == "请求过于频繁（本接入密钥限每分钟 5 次），请 50 秒后重试。"
    assert rate_of(refused) == ("5", "0")
    assert other_api.get("NONE").status_code == 429


@time_machine.travel(TEN_PAST, tick=False)
def test_an_hourly_limit_asks_to_wait_until_the_hour_ends(api, hall):
    external_system_update(
        actor="system:test", system=api.system, name=api.system.name, is_active=True, rate_limit="1/h"
    )
    use_up(api, 1)

    response = api.get("NONE")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(3600 - 10)
    assert response.json()["error"]["message"] == "请求过于频繁（本接入密钥限每小时 1 次），请 3590 秒后重试。"


def test_an_invalid_own_limit_is_refused_and_changes_nothing(api):
    with pytest.raises(ValidationError) as caught:
        external_system_update(
            actor="system:test", system=api.system, name=api.system.name, is_active=True, rate_limit="0/min"
        )

    assert caught.value.message_dict == {
        "rate_limit": [
            "格式应为“次数/时间单位”，次数至少为 1，时间单位为 s（秒）、min（分钟）或 h（小时），如 120/min。"
        ]
    }
    assert ExternalSystem.objects.get().rate_limit == ""
    assert not AuditEvent.objects.filter(action="cases.external_system_changed").exists()


@time_machine.travel(TEN_PAST, tick=False)
def test_requests_that_only_know_the_key_id_do_not_use_the_systems_quota(api, rates):
    rates.ZHENGWU_EXTERNAL_API_FAILED_AUTH_RATE = "100/min"
    for _ in range(5):
        assert api.get("NONE", secret="guessed-secret").status_code == 401

    assert rate_of(api.get("NONE")) == ("3", "2")


@time_machine.travel(TEN_PAST, tick=False)
def test_a_replayed_request_does_not_count_against_the_system(api):
    nonce = "replayed-request-0001"
    assert rate_of(api.get("NONE", nonce=nonce)) == ("3", "2")

    replay = api.get("NONE", nonce=nonce)

    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "nonce_reused")
    assert rate_of(replay) == (None, None)
    assert rate_of(api.get("NONE")) == ("3", "1")


@time_machine.travel(TEN_PAST, tick=False)
def test_the_first_refusal_of_a_window_is_logged_and_audited_once(api, caplog):
    use_up(api)
    with caplog.at_level(logging.WARNING, logger="zhengwu.cases.domain.external"):
        for _ in range(3):
            assert api.get("NONE").status_code == 429

    (event,) = AuditEvent.objects.filter(action="cases.external_api_throttled")
    assert (event.object_type, event.object_id, event.actor_repr, event.ip) == (
        "cases.externalsystem",
        str(api.system.pk),
        "",
        "127.0.0.1",
    )
    assert event.after == {
        "rate": "3/min",
        "window_start": "2026-03-02T10:00:00+08:00",
        "window_end": "2026-03-02T10:01:00+08:00",
    }
    assert messages(caplog) == [
        f"部门业务系统 {api.system.key_id}（市场监管业务系统）超过请求速率上限 3/min，"
        "至 2026-03-02T10:01:00+08:00 前的请求一律拒绝（429）。"
    ]
    assert ApiRateWindow.objects.get(scope=ApiRateScope.SYSTEM).hits == 6
    assert audit_verify() is None

    with time_machine.travel(TEN_PAST + timedelta(minutes=1), tick=False):
        use_up(api)
        assert api.get("NONE").status_code == 429
    assert AuditEvent.objects.filter(action="cases.external_api_throttled").count() == 2


@time_machine.travel(TEN_PAST, tick=False)
def test_the_count_is_in_the_database_not_in_a_cache(api, shared_cache):
    for remaining in ("2", "1", "0"):
        cache.clear()  # another process, or a cache that lost its keys
        assert rate_of(api.get("NONE")) == ("3", remaining)

    assert api.get("NONE").status_code == 429


# ---- failed authentications per client address --------------------------------------------------------------
@time_machine.travel(TEN_PAST, tick=False)
def test_an_address_that_fails_authentication_too_often_is_refused_before_verification(api, caplog):
    with caplog.at_level(logging.WARNING, logger="zhengwu.cases.domain.external"):
        for kwargs in ({"secret": "guessed"}, {"timestamp": "1"}, {"drop": ("X-Zhengwu-Signature",)}):
            assert api.get("NONE", **kwargs).status_code == 401

    refused = api.get("NONE")  # correctly signed, but its address is refused before its signature is looked at

    assert refused.status_code == 429
    assert refused.json() == FAILED_LIMITED
    assert refused.headers["Retry-After"] == "50"
    assert rate_of(refused) == (None, None)
    assert not ApiNonce.objects.exists()
    assert not ApiRateWindow.objects.filter(scope=ApiRateScope.SYSTEM).exists()
    assert ApiRateWindow.objects.get(scope=ApiRateScope.FAILED_AUTH, subject="127.0.0.1").hits == 3
    assert messages(caplog) == [
        "地址 127.0.0.1 访问部门业务系统接口认证失败已达 3/min，"
        "至 2026-03-02T10:01:00+08:00 前该地址的请求一律拒绝（429）。"
    ]
    assert not AuditEvent.objects.filter(action="cases.external_api_throttled").exists()
    # Another address is served; this one again once the window has ended.
    assert api.get("NONE", REMOTE_ADDR="10.20.30.40").status_code == 404
    with time_machine.travel(TEN_PAST + timedelta(seconds=50), tick=False):
        assert api.get("NONE").status_code == 404


@time_machine.travel(TEN_PAST, tick=False)
def test_behind_the_proxy_the_forwarded_address_is_counted(api, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for _ in range(3):
        assert api.get("NONE", secret="guessed", HTTP_X_FORWARDED_FOR="10.1.1.1").status_code == 401

    assert api.get("NONE", HTTP_X_FORWARDED_FOR="10.1.1.1").status_code == 429
    assert api.get("NONE", HTTP_X_FORWARDED_FOR="10.2.2.2").status_code == 404


@time_machine.travel(TEN_PAST, tick=False)
def test_a_system_refused_for_its_rate_is_not_a_failed_authentication(api):
    use_up(api)
    for _ in range(4):
        assert api.get("NONE").status_code == 429

    assert not ApiRateWindow.objects.filter(scope=ApiRateScope.FAILED_AUTH).exists()


# ---- purging ---------------------------------------------------------------------------------------------------
def test_ended_failure_windows_and_day_old_system_windows_are_purged(api, settings):
    with time_machine.travel(TEN_PAST, tick=False):
        api.get("NONE")
        api.get("NONE", secret="guessed")
    assert ApiRateWindow.objects.count() == 2
    with time_machine.travel(MONDAY + timedelta(seconds=59), tick=False):
        assert api_rate_windows_purge() == 0
    with time_machine.travel(MONDAY + timedelta(seconds=60), tick=False):
        assert api_rate_windows_purge() == 1
    assert ApiRateWindow.objects.get().scope == ApiRateScope.SYSTEM
    with time_machine.travel(MONDAY + timedelta(hours=24, seconds=59), tick=False):
        assert purge_api_rate_windows() == 0
    with time_machine.travel(MONDAY + timedelta(hours=24, seconds=60), tick=False):
        assert purge_api_rate_windows() == 1  # the hourly beat task
    assert not ApiRateWindow.objects.exists()
    assert settings.CELERY_BEAT_SCHEDULE["cases-purge-api-rate-windows"] == {
        "task": "zhengwu.cases.tasks.purge_api_rate_windows",
        "schedule": 3600.0,
    }
