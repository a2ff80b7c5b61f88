"""Deployment warnings for settings a county must not leave at their defaults."""

from zhengwu.licences.checks import licence_settings_check


def test_production_without_public_url_or_passphrase_is_warned(settings):
    settings.DEBUG = False
    settings.ZHENGWU_PUBLIC_URL = ""
    settings.ZHENGWU_SIGNING_PASSPHRASE = ""
    assert [w.id for w in licence_settings_check()] == ["licences.W001", "licences.W002"]
    settings.ZHENGWU_PUBLIC_URL = "https://zwfw.qingchuan.example.gov.cn"
    settings.ZHENGWU_SIGNING_PASSPHRASE = "a long random passphrase"
    assert licence_settings_check() == []


def test_development_is_not_warned(settings):
    settings.DEBUG = True
    settings.ZHENGWU_PUBLIC_URL = ""
    assert licence_settings_check() == []
