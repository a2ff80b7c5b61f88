"""Admin: licence types are edited (and audited) there; licences and signing keys are only looked at."""

import json

import pytest
from django.urls import reverse

from tests.licences.conftest import CITIZEN_ID, issue_shop
from zhengwu.audit.models import AuditEvent
from zhengwu.licences.models import LicenceType, SigningKey

pytestmark = pytest.mark.django_db

BAD_KEY = "第 1 项的 key 应为小写英文字母开头的字母、数字或下划线。"


def type_form(world, **overrides):
    values = {
        "code": "NYJY",
        "name": "农药经营许可证",
        "department": str(world.department.pk),
        "validity_years": "5",
        "holder_label": "经营者名称",
        "for_legal_persons": "on",
        "fields": json.dumps([{"key": "premises", "label": "经营场所"}], ensure_ascii=False),
        "template_name": "standard",
        "is_active": "on",
        "sort_order": "3",
    }
    return {**values, **overrides}


def test_adding_a_licence_type_is_audited(admin_client, world):
    response = admin_client.post(reverse("admin:licences_licencetype_add"), type_form(world))
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = LicenceType.objects.get(code="NYJY")
    assert created.fields == [{"key": "premises", "label": "经营场所"}]
    event = AuditEvent.objects.get(action="licences.licencetype.created")
    assert event.object_id == str(created.pk) and event.after["name"] == "农药经营许可证"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"fields": '{"key": "a"}'}, "fields", "证面信息项应为 JSON 列表。"),
        ({"fields": '[{"key": "Premises", "label": "经营场所"}]'}, "fields", BAD_KEY),
        ({"fields": '[{"key": "a", "label": "甲"}, {"key": "a", "label": "乙"}]'}, "fields", "信息项 key “a”重复。"),
        ({"code": "nyjy"}, "code", "代码应为 2 至 10 位大写字母或数字，以字母开头。"),
        ({"for_legal_persons": ""}, "for_legal_persons", "至少选择一类发证对象（自然人或法人）。"),
    ],
)
def test_a_malformed_licence_type_is_refused(admin_client, world, overrides, field, message):
    response = admin_client.post(reverse("admin:licences_licencetype_add"), type_form(world, **overrides))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert not LicenceType.objects.filter(name="农药经营许可证").exists()


def test_licences_are_read_only_and_show_no_full_id_number(admin_client, world):
    licence = issue_shop(world)
    changelist = admin_client.get(reverse("admin:licences_licence_changelist"))
    assert changelist.status_code == 200 and "张**" in changelist.content.decode()
    page = admin_client.get(reverse("admin:licences_licence_change", args=[licence.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "370***********3013" in html and CITIZEN_ID not in html and licence.token in html
    assert admin_client.get(reverse("admin:licences_licence_add")).status_code == 403
    response = admin_client.post(reverse("admin:licences_licence_delete", args=[licence.pk]), {"post": "yes"})
    assert response.status_code == 403
    history = admin_client.get(reverse("admin:licences_licence_history", args=[licence.pk]))
    assert [e.action for e in history.context["events"]] == ["licences.issued"]


def test_signing_keys_never_show_the_private_key(admin_client, world):
    issue_shop(world)
    key = SigningKey.objects.get(department=world.department)
    html = admin_client.get(reverse("admin:licences_signingkey_change", args=[key.pk])).content.decode()
    assert "BEGIN CERTIFICATE" in html
    assert "PRIVATE KEY" not in html and key.encrypted_key_pem[40:80] not in html
