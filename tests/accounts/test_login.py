"""Login throttling (database-backed), login records, and the backend's username-or-phone lookup."""

import datetime

import pytest
import time_machine
from django.contrib.auth import authenticate

from tests.accounts.factories import PASSWORD, credit_code, make_citizen, make_department, make_enterprise, make_staff
from zhengwu.accounts.domain import (
    login_failure_record,
    login_is_throttled,
    login_success_record,
    login_throttled_message,
    logout_record,
)
from zhengwu.accounts.models import LoginFailure
from zhengwu.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=datetime.UTC)


def fail(times: int, *, username: str = "13812345678", ip: str | None = "10.0.0.1") -> None:
    for _ in range(times):
        login_failure_record(username=username, ip=ip)


def test_five_failures_within_the_window_throttle_the_account_and_are_audited_once():
    user = make_citizen(phone="13812345678")
    with time_machine.travel(T0, tick=False):
        fail(4)
        assert not login_is_throttled(username="13812345678", ip="10.0.0.2")
        fail(1)
        assert login_is_throttled(username="13812345678", ip="10.0.0.2")
        fail(3)

    event = AuditEvent.objects.get(action="accounts.login_throttled")
    assert (event.object_type, event.object_id, event.actor_id, event.ip) == (
        "accounts.user",
        str(user.pk),
        None,
        "10.0.0.1",
    )
    assert event.after == {"scope": "username", "failures": 5, "window_seconds": 900}


def test_throttle_lifts_once_the_window_has_passed():
    make_citizen(phone="13812345678")
    with time_machine.travel(T0, tick=False) as traveller:
        fail(5)
        traveller.shift(datetime.timedelta(seconds=899))
        assert login_is_throttled(username="13812345678", ip=None)
        traveller.shift(datetime.timedelta(seconds=2))
        assert not login_is_throttled(username="13812345678", ip=None)


def test_sliding_window_counts_only_recent_failures():
    make_citizen(phone="13812345678")
    with time_machine.travel(T0, tick=False) as traveller:
        fail(3)
        traveller.shift(datetime.timedelta(minutes=10))
        fail(2)
        assert login_is_throttled(username="13812345678", ip=None)
        traveller.shift(datetime.timedelta(minutes=5, seconds=1))  # the first three are now older than 15 minutes
        assert not login_is_throttled(username="13812345678", ip=None)


def test_failures_by_username_and_by_phone_count_for_the_same_account():
    make_staff("wangfang", department=make_department(), phone="13700001111")

    fail(3, username="wangfang")
    fail(2, username="13700001111")

    assert login_is_throttled(username="wangfang", ip=None)
    assert login_is_throttled(username="13700001111", ip=None)
    assert set(LoginFailure.objects.values_list("username", flat=True)) == {"wangfang"}


def test_unknown_usernames_are_throttled_too_and_audited_with_a_masked_name():
    fail(5, username="nobody-here")

    assert login_is_throttled(username="nobody-here", ip=None)
    event = AuditEvent.objects.get(action="accounts.login_throttled")
    assert (event.object_type, event.object_id, event.object_repr) == ("accounts.loginfailure", "", "nob****here")


def test_twenty_failures_from_one_address_throttle_that_address_for_every_account():
    for n in range(20):
        login_failure_record(username=f"guess{n}", ip="10.0.0.9")

    assert login_is_throttled(username="someone-else", ip="10.0.0.9")
    assert not login_is_throttled(username="someone-else", ip="10.0.0.10")
    event = AuditEvent.objects.get(action="accounts.login_throttled")
    assert event.after == {"scope": "ip", "failures": 20, "window_seconds": 900}


def test_limits_come_from_settings(settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 60

    fail(2, username="x")

    assert login_is_throttled(username="x", ip=None)
    assert login_throttled_message() == "登录失败次数过多，为保护账户安全，请1分钟后再试。"


def test_default_throttle_message_names_the_window():
    assert login_throttled_message() == "登录失败次数过多，为保护账户安全，请15分钟后再试。"


def test_success_clears_the_accounts_failures_only():
    user = make_citizen(phone="13812345678")
    fail(4, username="13812345678")
    fail(2, username="other")

    login_success_record(user=user, username="13812345678", ip="10.0.0.1", channel="portal")

    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["other", "other"]
    event = AuditEvent.objects.get(action="accounts.login")
    assert (event.actor_id, event.object_id, event.after, event.ip) == (
        user.pk,
        str(user.pk),
        {"channel": "portal"},
        "10.0.0.1",
    )


def test_old_failures_are_pruned_when_new_ones_are_recorded():
    with time_machine.travel(T0, tick=False) as traveller:
        fail(3, username="a")
        traveller.shift(datetime.timedelta(hours=1))
        fail(1, username="b")

    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["b"]


def test_logout_is_audited():
    user = make_citizen()

    logout_record(user=user)

    assert AuditEvent.objects.filter(action="accounts.logout", actor_id=user.pk).count() == 1


def test_backend_accepts_username_or_phone():
    citizen = make_citizen(phone="13812345678")
    staff = make_staff("wangfang", department=make_department(), phone="13700001111")
    code = credit_code()
    enterprise = make_enterprise(code=code, phone="13912345678")

    assert authenticate(username="13812345678", password=PASSWORD) == citizen
    assert authenticate(username=" wangfang ", password=PASSWORD) == staff
    assert authenticate(username="13700001111", password=PASSWORD) == staff
    assert authenticate(username=code, password=PASSWORD) == enterprise
    assert authenticate(username=code.lower(), password=PASSWORD) == enterprise
    assert authenticate(username="13912345678", password=PASSWORD) == enterprise
    assert authenticate(username="wangfang", password="wrong-password") is None
    assert authenticate(username="nobody", password=PASSWORD) is None


def test_a_username_match_wins_over_another_accounts_phone():
    # A staff member's own citizen account uses the same mobile number as their staff account.
    staff = make_staff("wangfang", department=make_department(), phone="13812345678")
    citizen = make_citizen(phone="13812345678")

    assert authenticate(username="13812345678", password=PASSWORD) == citizen
    assert authenticate(username="wangfang", password=PASSWORD) == staff


def test_inactive_accounts_cannot_log_in():
    user = make_citizen()
    user.is_active = False
    user.save()

    assert authenticate(username="13812345678", password=PASSWORD) is None
