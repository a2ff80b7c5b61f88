import pytest
from django.core.exceptions import ValidationError

from tests.catalog.factories import MATERIALS, Curation, guide_fields
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.domain.versions import (
    version_approve,
    version_diff,
    version_draft_create,
    version_return,
    version_submit,
    version_update,
)
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ItemVersion, ServiceItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def cur():
    return Curation()


def test_a_new_item_is_a_draft_with_a_31_character_implementation_code(cur):
    version = cur.draft()
    assert version.state == VersionState.DRAFT
    assert version.number == 1
    assert version.item.implementation_code == cur.department.credit_code + "4" + "000201001000"
    assert [m.name for m in version.materials.all()] == [m["name"] for m in MATERIALS]
    assert version.compression_ratio == pytest.approx(0.25)


def test_promised_limit_longer_than_statutory_is_refused_and_nothing_is_created(cur):
    with pytest.raises(ValidationError) as excinfo:
        cur.draft(promised_limit_days=25)
    assert excinfo.value.message_dict["promised_limit_days"] == ["承诺办结时限（25 天）不得超过法定办结时限（20 天）。"]
    assert ServiceItem.objects.count() == 0


def test_a_reviewer_returns_a_draft_with_comments_and_the_editor_fixes_it(cur):
    version = version_submit(actor=cur.editor, version=cur.draft())
    version = version_return(actor=cur.reviewer, version=version, comment="受理条件表述不完整")
    assert (version.state, version.review_comment) == (VersionState.RETURNED, "受理条件表述不完整")
    version = version_update(actor=cur.editor, version=version, fields={"acceptance_conditions": "完整的受理条件。"})
    version = version_submit(actor=cur.editor, version=version)
    assert version.state == VersionState.IN_REVIEW
    actions = list(AuditEvent.objects.filter(object_id=str(version.pk)).values_list("action", flat=True))
    assert actions[-4:] == ["catalog.submitted", "catalog.returned", "catalog.draft_updated", "catalog.submitted"]


def test_return_without_a_comment_is_refused(cur):
    version = version_submit(actor=cur.editor, version=cur.draft())
    with pytest.raises(ValidationError, match="退回时必须填写审核意见"):
        version_return(actor=cur.reviewer, version=version, comment="  ")
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.IN_REVIEW


def test_the_editor_cannot_review_their_own_draft(cur):
    from zhengwu.accounts.domain import role_grant

    role_grant(actor="system:test", user=cur.editor, role="legal_reviewer")
    version = version_submit(actor=cur.editor, version=cur.draft())
    with pytest.raises(ValidationError, match="不能审核自己编辑的版本"):
        version_approve(actor=cur.editor, version=version)


def test_publishing_a_new_version_supersedes_the_old_one_without_changing_it(cur):
    first = cur.published()
    draft = version_draft_create(actor=cur.editor, item=first.item)
    assert draft.number == 2
    assert [m.name for m in draft.materials.all()] == [m["name"] for m in MATERIALS]
    version_update(actor=cur.editor, version=draft, fields={"promised_limit_days": 3})
    version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=draft))
    first.refresh_from_db()
    assert first.state == VersionState.SUPERSEDED
    assert first.promised_limit_days == 5
    assert ItemVersion.objects.get(item=first.item, state=VersionState.PUBLISHED).number == 2
    changes = version_diff(first, ItemVersion.objects.get(pk=draft.pk))
    assert [(c.field, c.old, c.new) for c in changes] == [("promised_limit_days", "5", "3")]


def test_published_versions_cannot_be_edited(cur):
    version = cur.published()
    with pytest.raises(ValidationError, match="不能修改"):
        version_update(actor=cur.editor, version=version, fields={"name": "改名"})
    assert ItemVersion.objects.get(pk=version.pk).name == guide_fields()["name"]


def test_a_second_open_draft_is_refused(cur):
    version = cur.published()
    version_draft_create(actor=cur.editor, item=version.item)
    with pytest.raises(ValidationError, match="已有未发布的版本"):
        version_draft_create(actor=cur.editor, item=version.item)
