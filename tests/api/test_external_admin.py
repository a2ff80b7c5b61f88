"""Managing departmental systems: the admin and the command show a new secret once; rotation replaces it."""

import re

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from tests.api.external_helpers import SignedClient, registration
from tests.api.test_external_api import MONDAY, assert_error
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain.external import external_system_create, external_system_secret
from zhengwu.cases.models import ExternalSystem

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'<code class="external-secret">([^<]+)</code>')


def test_creating_a_system_in_the_admin_shows_its_secret_once(admin_client, hall):
    response = admin_client.post(
        reverse("admin:cases_externalsystem_add"), {"name": "市场监管业务系统", "department": hall.department.pk}
    )

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    system = ExternalSystem.objects.get()
    body = response.content.decode()
    secret = SECRET.search(body).group(1)
    assert system.key_id in body
    assert external_system_secret(system) == secret
    assert (system.department, system.is_active) == (hall.department, True)
    event = AuditEvent.objects.get(action="cases.external_system_created")
    assert secret not in str(event.after) and secret not in system.secret_encrypted

    page = admin_client.get(reverse("admin:cases_externalsystem_change", args=[system.pk])).content.decode()
    assert system.key_id in page
    assert secret not in page


def test_disabling_a_system_in_the_admin_is_audited(admin_client, hall):
    system, _secret = external_system_create(actor="system:test", department=hall.department, name="旧系统")

    response = admin_client.post(
        reverse("admin:cases_externalsystem_change", args=[system.pk]), {"name": "旧系统", "is_active": ""}
    )

    assert response.status_code == 302
    system.refresh_from_db()
    assert system.is_active is False
    event = AuditEvent.objects.get(action="cases.external_system_changed")
    assert (event.before["is_active"], event.after["is_active"]) == (True, False)


@time_machine.travel(MONDAY, tick=False)
def test_rotating_a_key_shows_the_new_secret_and_the_old_one_stops_working(admin_client, client, hall):
    system, old = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")

    response = admin_client.post(
        reverse("admin:cases_externalsystem_changelist"),
        {"action": "rotate_secret", "_selected_action": [system.pk]},
    )

    assert response.status_code == 200
    new = SECRET.search(response.content.decode()).group(1)
    system.refresh_from_db()
    assert new != old
    assert system.rotated_at == MONDAY
    assert AuditEvent.objects.filter(action="cases.external_system_rotated").count() == 1
    assert_error(SignedClient(client, system, old).register(registration(hall)), 401, "invalid_signature")
    assert SignedClient(client, system, new).register(registration(hall)).status_code == 201


def test_the_command_creates_a_system_and_prints_its_credentials(hall, capsys):
    call_command("external_system_create", "--department", hall.department.code, "--name", "市场监管业务系统")

    out = capsys.readouterr().out
    system = ExternalSystem.objects.get()
    assert f"接入密钥 ID（X-Zhengwu-Key）：{system.key_id}" in out
    secret = re.search(r"签名密钥（只显示这一次，请妥善保管）：(\S+)", out).group(1)
    assert external_system_secret(system) == secret
    assert AuditEvent.objects.get(action="cases.external_system_created").actor_repr == "system:cli"


def test_the_command_refuses_an_unknown_department(db):
    with pytest.raises(CommandError, match="没有编码为 NOPE 的部门。"):
        call_command("external_system_create", "--department", "NOPE", "--name", "某系统")
    assert not ExternalSystem.objects.exists()


def test_a_systems_own_rate_limit_is_set_in_the_admin_and_audited(admin_client, hall):
    system, _secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    url = reverse("admin:cases_externalsystem_change", args=[system.pk])

    invalid = admin_client.post(url, {"name": system.name, "is_active": "on", "rate_limit": "很多"})
    response = admin_client.post(url, {"name": system.name, "is_active": "on", "rate_limit": "300/MIN"})

    assert invalid.status_code == 200
    assert "格式应为“次数/时间单位”，次数至少为 1，时间单位为 s（秒）、min（分钟）或 h（小时），如 120/min。" in (
        invalid.content.decode()
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.rate_limit == "300/min"
    event = AuditEvent.objects.get(action="cases.external_system_changed")
    assert (event.before["rate_limit"], event.after["rate_limit"]) == ("", "300/min")


@time_machine.travel(MONDAY, tick=False)
def test_the_admin_shows_a_systems_limit_and_when_it_was_throttled(admin_client, client, hall, settings):
    settings.ZHENGWU_EXTERNAL_API_RATE = "2/min"
    throttled, secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    quiet, _secret = external_system_create(actor="system:test", department=hall.department, name="许可证业务系统")
    api = SignedClient(client, throttled, secret)
    statuses = [api.get("NONE").status_code for _ in range(5)]

    page = admin_client.get(reverse("admin:cases_externalsystem_change", args=[throttled.pk])).content.decode()
    quiet_page = admin_client.get(reverse("admin:cases_externalsystem_change", args=[quiet.pk])).content.decode()
    listing = admin_client.get(reverse("admin:cases_externalsystem_changelist"))

    assert statuses == [404, 404, 429, 429, 429]
    assert "2/min（每分钟 2 次，平台默认）" in page
    assert "最近 24 小时有 1 个时段超限，共拒绝 3 次请求；最近一次在 2026-03-02 10:00:00。" in page
    assert "最近 24 小时未被限流。" in quiet_page
    assert listing.status_code == 200
    rows = {system.pk: system for system in listing.context["cl"].result_list}
    assert rows[throttled.pk].last_throttled_at == MONDAY
    assert rows[quiet.pk].last_throttled_at is None
