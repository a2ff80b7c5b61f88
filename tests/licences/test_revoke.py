"""licence_revoke: only valid → revoked, with a reason, by the issuing department's leaders; audited."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tests.licences.conftest import issue_food
from zhengwu.audit.models import AuditEvent
from zhengwu.licences.domain import licence_revoke
from zhengwu.licences.enums import LicenceState, LicenceStatus
from zhengwu.licences.models import Licence

pytestmark = pytest.mark.django_db


def test_revoke_records_who_when_and_why_and_audits_it(world):
    licence = issue_food(world)
    with time_machine.travel("2027-03-01 15:30:00+08:00", tick=False):
        returned = licence_revoke(actor=world.chief, licence=licence, reason="  以欺骗手段取得许可  ")
    stored = Licence.objects.get(pk=licence.pk)
    for obj in (returned, licence, stored):
        assert obj.state == LicenceState.REVOKED
        assert obj.revoked_at.isoformat() == "2027-03-01T07:30:00+00:00"
        assert obj.revoked_by == world.chief
        assert obj.revocation_reason == "以欺骗手段取得许可"
    assert stored.status() == LicenceStatus.REVOKED
    [event] = AuditEvent.objects.filter(action="licences.revoked")
    assert (event.actor_repr, event.object_id) == ("毛春娟", str(licence.pk))
    assert (event.before, event.after) == (
        {"state": "valid"},
        {"state": "revoked", "reason": "以欺骗手段取得许可"},
    )


def _unchanged(licence: Licence) -> None:
    stored = Licence.objects.get(pk=licence.pk)
    fields = ("state", "revoked_at", "revocation_reason")
    assert [getattr(stored, name) for name in fields] == [getattr(licence, name) for name in fields]


def test_revoking_twice_is_refused_and_changes_nothing(world):
    licence = issue_food(world)
    licence_revoke(actor=world.chief, licence=licence, reason="许可有效期内停业超过一年")
    events = AuditEvent.objects.count()
    stale = Licence.objects.get(pk=licence.pk)
    stale.state = LicenceState.VALID  # a copy loaded before the first revocation
    with pytest.raises(ValidationError) as caught:
        licence_revoke(actor=world.administrator, licence=stale, reason="再次撤销")
    assert caught.value.messages == ["该证照已撤销，不能重复撤销。"]
    assert AuditEvent.objects.count() == events
    assert Licence.objects.get(pk=licence.pk).revocation_reason == "许可有效期内停业超过一年"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(world, reason):
    licence = issue_food(world)
    with pytest.raises(ValidationError) as caught:
        licence_revoke(actor=world.chief, licence=licence, reason=reason)
    assert caught.value.message_dict == {"reason": ["请填写撤销原因。"]}
    _unchanged(licence)


@pytest.mark.parametrize("who", ["handler", "other_handler", "supervisor", "citizen", "enterprise"])
def test_only_leaders_of_the_issuing_department_or_an_administrator_may_revoke(world, who):
    licence = issue_food(world)
    with pytest.raises(PermissionDenied):
        licence_revoke(actor=getattr(world, who), licence=licence, reason="撤销")
    _unchanged(licence)


def test_an_administrator_and_a_system_actor_may_revoke(world):
    licence_revoke(actor=world.administrator, licence=issue_food(world), reason="依法撤销")
    revoked = licence_revoke(actor="system:court-order", licence=issue_food(world), reason="法院判决撤销")
    assert revoked.revoked_by is None
    assert Licence.objects.filter(state=LicenceState.REVOKED).count() == 2
