"""licence_issue: a signed PDF in the holder's library, numbered, audited, with nothing personal in the audit."""

import hashlib
import json
from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.licences.conftest import CITIZEN_ID, ENTERPRISE_CODE, FOOD_DATA, issue_food, issue_shop, pdf_bytes
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.licences.domain import licence_issue, pdf_font_names, verification_url
from zhengwu.licences.domain.issue import _add_years
from zhengwu.licences.enums import LicenceState
from zhengwu.licences.models import Licence, LicenceCounter
from zhengwu.org.models import Department

pytestmark = pytest.mark.django_db

ISSUED = "2026-11-23 10:00:00+08:00"


def link_uris(pdf: bytes) -> list[str]:
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    annotations = [annot.get_object() for annot in page.get("/Annots", [])]
    return [str(annot["/A"]["/URI"]) for annot in annotations if annot["/Subtype"] == "/Link"]


@time_machine.travel(ISSUED, tick=False)
def test_issue_stores_a_signed_pdf_with_cjk_fonts_and_the_verification_link(world):
    licence = issue_food(world)
    data = pdf_bytes(licence)
    assert data.startswith(b"%PDF-")
    assert licence.pdf.name == "licences/2026/SPJY2026000001.pdf"
    assert any("CJK" in name for name in pdf_font_names(data)), pdf_font_names(data)
    url = verification_url(licence.token)
    assert url == f"https://zwfw.qingchuan.example.gov.cn/licences/verify/{licence.token}/"
    assert len(licence.token) == 24
    assert link_uris(data) == [url]
    assert licence.pdf_sha256 == hashlib.sha256(data).hexdigest()
    assert len(licence.signer_fingerprint) == 64


@time_machine.travel(ISSUED, tick=False)
def test_issue_records_holder_department_dates_and_data(world):
    licence = issue_food(world, data={**FOOD_DATA, "remarks": "  "})
    licence.refresh_from_db()
    assert licence.number == "SPJY2026000001"
    assert (licence.holder, licence.holder_kind, licence.holder_name, licence.holder_id_number) == (
        world.enterprise,
        "enterprise",
        "青川区绿源农业科技有限公司",
        ENTERPRISE_CODE,
    )
    assert licence.department == world.department
    assert licence.issued_by == world.handler
    assert licence.state == LicenceState.VALID
    assert licence.issued_at.isoformat() == "2026-11-23T02:00:00+00:00"
    assert licence.valid_until == date(2031, 11, 22)  # five years, the last day included
    assert licence.data == FOOD_DATA  # blank optional fields are left out
    assert list(world.enterprise.licences.all()) == [licence]


@time_machine.travel(ISSUED, tick=False)
def test_issue_is_audited_without_the_id_number_in_clear(world):
    licence = issue_shop(world)
    [event] = AuditEvent.objects.filter(action="licences.issued")
    assert (event.object_type, event.object_id, event.object_repr) == (
        "licences.licence",
        str(licence.pk),
        "个体工商户营业执照 GTGSH2026000001",
    )
    assert event.actor_repr == "卢帆"
    assert event.after["holder_id_number"] == "370***********3013"
    assert event.after["number"] == "GTGSH2026000001" and event.after["valid_until"] is None
    assert CITIZEN_ID not in json.dumps(event.after, ensure_ascii=False) + event.object_repr
    assert audit_verify() is None


def test_numbers_are_unique_and_consecutive_per_type_and_year(world):
    with time_machine.travel("2026-12-31 23:00:00+08:00", tick=False):
        numbers = [issue_food(world).number for _ in range(20)]
    assert numbers == [f"SPJY2026{n:06d}" for n in range(1, 21)]
    with time_machine.travel("2027-01-01 09:00:00+08:00", tick=False):
        assert issue_food(world).number == "SPJY2027000001"
        assert issue_shop(world).number == "GTGSH2027000001"
    assert Licence.objects.count() == 22
    assert list(LicenceCounter.objects.order_by("year", "licence_type__code").values_list("year", "last_serial")) == [
        (2026, 20),
        (2027, 1),
        (2027, 1),
    ]


def test_a_number_already_taken_is_skipped(world):
    first = issue_food(world)
    LicenceCounter.objects.update(last_serial=0)  # e.g. a counter lost in a restore
    assert issue_food(world).number == first.number[:-1] + "2"


def test_source_is_kept_as_a_generic_reference(world):
    licence = issue_food(world, source=world.department)
    licence.refresh_from_db()
    assert licence.content_type == ContentType.objects.get_for_model(Department)
    assert licence.object_id == str(world.department.pk)
    assert licence.source == world.department


def test_explicit_validity_and_another_department(world):
    other = world.other_department
    licence = issue_food(world, actor=world.administrator, department=other, valid_until=date(2030, 1, 31))
    assert (licence.department, licence.valid_until) == (world.other_department, date(2030, 1, 31))


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (date(2026, 11, 23), 5, date(2031, 11, 22)),
        (date(2028, 2, 29), 1, date(2029, 2, 28)),
        (date(2028, 3, 1), 4, date(2032, 2, 29)),
    ],
)
def test_validity_years_end_the_day_before_the_anniversary(start, years, end):
    assert _add_years(start, years) == end


def _refused(world, error_type=ValidationError, **overrides):
    before = (Licence.objects.count(), AuditEvent.objects.count(), LicenceCounter.objects.count())
    with pytest.raises(error_type) as caught:
        issue_food(world, **overrides)
    assert (Licence.objects.count(), AuditEvent.objects.count(), LicenceCounter.objects.count()) == before
    return caught.value


def test_holder_of_the_wrong_kind_is_refused(world):
    error = _refused(world, holder=world.citizen)
    assert error.message_dict == {"holder": ["“食品经营许可证”只能发给法人。"]}
    error = _refused(world, holder=world.handler)
    assert error.message_dict == {"holder": ["“食品经营许可证”只能发给法人。"]}


def test_unknown_and_missing_data_are_refused_with_every_problem_listed(world):
    data = {**FOOD_DATA, "colour": "红", "scope": " "}
    del data["premises"]
    error = _refused(world, data=data)
    assert error.message_dict == {
        "data": ["“食品经营许可证”没有这些信息项：colour。", "请填写经营场所。", "请填写经营项目。"]
    }
    error = _refused(world, data={**FOOD_DATA, "scope": ["a"]})
    assert error.message_dict == {"data": ["经营项目应为文字。"]}


def test_validity_before_today_is_refused(world):
    error = _refused(world, valid_until=date(2000, 1, 1))
    assert error.message_dict == {"valid_until": ["有效期截止日期不能早于签发日期。"]}


def test_inactive_type_is_refused(world):
    world.food.is_active = False
    world.food.save()
    assert _refused(world).message_dict == {"licence_type": ["该证照类型已停用。"]}


@pytest.mark.parametrize("who", ["other_handler", "supervisor", "citizen"])
def test_only_the_issuing_department_or_an_administrator_may_issue(world, who):
    error = _refused(world, error_type=PermissionDenied, actor=getattr(world, who))
    assert str(error) == "您没有以该部门名义签发证照的权限。"


def test_a_section_head_and_a_system_actor_may_issue(world):
    assert issue_food(world, actor=world.chief).issued_by == world.chief
    licence = licence_issue(actor="system:test", licence_type=world.food, holder=world.enterprise, data=FOOD_DATA)
    assert licence.issued_by is None
    assert AuditEvent.objects.filter(action="licences.issued").last().actor_repr == "system:test"


@time_machine.travel(ISSUED, tick=False)
def test_the_first_issue_appends_its_signing_key_and_licence_events_together_at_the_end(world):
    from tests.audit.appends import assert_one_append, audit_appends

    with audit_appends() as appends:
        issue_food(world)
    assert_one_append(appends)
    assert appends.actions() == ["licences.signing_key_created"] * 2 + ["licences.issued"]
    assert audit_verify() is None


@time_machine.travel(ISSUED, tick=False)
def test_an_issue_whose_audit_append_fails_leaves_no_licence_and_no_pdf(world, monkeypatch):
    from django.core.files.storage import default_storage

    from zhengwu.audit.domain import chain

    issue_food(world)  # keys and the first number exist

    def fail(connection, events):
        raise RuntimeError("the chain head could not be locked")

    monkeypatch.setattr(chain, "_append", fail)
    with pytest.raises(RuntimeError):
        issue_food(world)
    assert Licence.objects.count() == 1
    assert not default_storage.exists("licences/2026/SPJY2026000002.pdf")
    assert default_storage.exists("licences/2026/SPJY2026000001.pdf")
