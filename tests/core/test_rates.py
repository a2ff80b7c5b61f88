"""Rates written as "<count>/<unit>" (zhengwu.core.rates) and the settings that hold them."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from zhengwu.core.rates import Rate, parse_rate, validate_rate
from zhengwu.settings import env_rate


@pytest.mark.parametrize(
    ("text", "rate", "canonical", "described"),
    [
        ("120/min", Rate(120, 60), "120/min", "每分钟 120 次"),
        (" 20 / S ", Rate(20, 1), "20/s", "每秒 20 次"),
        ("5000/hour", Rate(5000, 3600), "5000/h", "每小时 5000 次"),
        ("1/minute", Rate(1, 60), "1/min", "每分钟 1 次"),
    ],
)
def test_a_rate_is_a_count_per_second_minute_or_hour(text, rate, canonical, described):
    assert parse_rate(text) == rate
    assert (str(rate), rate.describe()) == (canonical, described)


@pytest.mark.parametrize(
    ("rate", "shown", "described"),
    [(Rate(10, 600), "10 per 600 s", "每 10 分钟 10 次"), (Rate(3, 90), "3 per 90 s", "每 90 秒 3 次")],
)
def test_a_rate_built_in_code_may_have_any_window(rate, shown, described):
    assert (str(rate), rate.describe()) == (shown, described)


@pytest.mark.parametrize("text", ["", "120", "0/min", "120/day", "120/5min", "-1/s", "1.5/s", "12345678/s"])
def test_anything_else_is_not_a_rate(text):
    with pytest.raises(ValueError):
        parse_rate(text)
    if text:
        with pytest.raises(ValidationError) as caught:
            validate_rate(text)
        assert caught.value.messages == [
            "格式应为“次数/时间单位”，次数至少为 1，时间单位为 s（秒）、min（分钟）或 h（小时），如 120/min。"
        ]


def test_a_rate_setting_is_checked_at_startup(monkeypatch):
    monkeypatch.setenv("ZHENGWU_EXTERNAL_API_RATE", "300/MIN")
    assert env_rate("ZHENGWU_EXTERNAL_API_RATE", "120/min") == "300/min"
    monkeypatch.setenv("ZHENGWU_EXTERNAL_API_RATE", "")
    assert env_rate("ZHENGWU_EXTERNAL_API_RATE", "120/min") == "120/min"
    monkeypatch.setenv("ZHENGWU_EXTERNAL_API_RATE", "many")
    with pytest.raises(
        ImproperlyConfigured,
        match=re.escape("ZHENGWU_EXTERNAL_API_RATE must be <count>/<s|min|h>, e.g. 120/min, not 'many'"),
    ):
        env_rate("ZHENGWU_EXTERNAL_API_RATE", "120/min")
