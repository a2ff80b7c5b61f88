"""Demo licences: five county licence types and ten licences for demo people, idempotent and quick."""

import pytest
from django.db import transaction
from django.test import override_settings

from zhengwu.accounts.models import CitizenProfile, User
from zhengwu.audit.models import AuditEvent
from zhengwu.core.demo import data
from zhengwu.core.demo.loader import _Loader
from zhengwu.licences.demo import licences_demo_load
from zhengwu.licences.domain import licence_verify_pdf
from zhengwu.licences.enums import LicenceState, VerificationOutcome
from zhengwu.licences.models import Licence, LicenceType

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo people (without the catalogue), then the licences, once for the module and rolled back after."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        loader = _Loader()
        for step in (
            loader.regions,
            loader.departments,
            loader.halls,
            loader.staff,
            loader.citizens,
            loader.enterprises,
        ):
            step()
        changes = licences_demo_load()
        changes.media = media  # each test gets its own MEDIA_ROOT (tests/conftest.py); the PDFs are here
        yield changes
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_first_run_creates_five_types_and_ten_licences(demo):
    assert dict(demo) == {"licences.licencetype": 5, "licences.licence": 10}
    assert list(LicenceType.objects.values_list("code", "department__code")) == [
        ("SPJY", "SPJ"),
        ("GTGSH", "SCJG"),
        ("NYJY", "NYJ"),
        ("JZSG", "ZJJ"),
        ("DLYS", "JTJ"),
    ]
    assert AuditEvent.objects.filter(action="licences.issued").count() == 10
    assert AuditEvent.objects.filter(action="licences.revoked").count() == 1


def test_the_featured_citizen_and_enterprise_have_licences_to_show(demo):
    citizen = User.objects.get(username=data.FEATURED_CITIZEN[1])
    assert [(lic.licence_type.code, lic.data["trade_name"]) for lic in citizen.licences.all()] == [
        ("GTGSH", "青川区晓明百货店")
    ]
    enterprise = User.objects.get(enterprise__name=data.FEATURED_ENTERPRISE)
    assert sorted(enterprise.licences.values_list("licence_type__code", flat=True)) == ["NYJY", "SPJY"]


def test_every_demo_licence_verifies_and_one_is_revoked(demo):
    outcomes = []
    for licence in Licence.objects.order_by("number"):
        outcomes.append(licence_verify_pdf((demo.media / licence.pdf.name).read_bytes()).outcome)
    assert outcomes.count(VerificationOutcome.VALID) == 9
    assert outcomes.count(VerificationOutcome.REVOKED) == 1
    revoked = Licence.objects.get(state=LicenceState.REVOKED)
    assert "行政许可法" in revoked.revocation_reason and "餐饮管理" in revoked.holder_name


def test_a_second_run_changes_nothing(demo, django_assert_num_queries):
    licences, events = Licence.objects.count(), AuditEvent.objects.count()
    with django_assert_num_queries(5):
        again = licences_demo_load()
    assert dict(again) == {}
    assert (Licence.objects.count(), AuditEvent.objects.count()) == (licences, events)


def test_a_recreated_demo_account_gets_its_licence_back(demo):
    phone = data.FEATURED_CITIZEN[1]
    licence = User.objects.get(username=phone).licences.get()
    CitizenProfile.objects.filter(user__username=phone).delete()
    User.objects.filter(username=phone).delete()
    licence.refresh_from_db()
    assert licence.holder is None and licence.holder_name == data.FEATURED_CITIZEN[0]  # the licence outlives it
    _Loader().citizens()
    assert dict(licences_demo_load()) == {"licences.licence": 1}
    assert list(User.objects.get(username=phone).licences.all()) == [licence]
