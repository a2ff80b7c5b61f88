"""The catalogue reads of every application (ADR 0019, sixth pass): a version read whole by one statement, and the
materials of a published version kept per process — they never change once it is published."""

import pytest

from tests.catalog.factories import Curation
from zhengwu.catalog.domain.reads import version_materials, version_read
from zhengwu.catalog.domain.versions import version_draft_create, version_update, version_withdraw
from zhengwu.catalog.models import ItemMaterial, ItemVersion

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _orm_materials(version) -> list[dict]:
    return [_fields(m) for m in ItemMaterial.objects.filter(version=version).order_by("position", "pk")]


def test_a_version_is_read_with_its_item_department_and_region_as_the_orm_reads_it(django_assert_num_queries):
    version = Curation().published()
    orm = ItemVersion.objects.select_related("item__department__region").get(pk=version.pk)

    with django_assert_num_queries(1):
        read = version_read(version.pk)
        chain = (read.item, read.item.department, read.item.department.region)

    assert _fields(read) == _fields(orm)
    assert [_fields(x) for x in chain] == [
        _fields(orm.item),
        _fields(orm.item.department),
        _fields(orm.item.department.region),
    ]
    assert not read._state.adding


def test_a_missing_version_raises_does_not_exist():
    with pytest.raises(ItemVersion.DoesNotExist):
        version_read(987654)


def test_a_published_versions_materials_are_read_once_and_handed_out_fresh(django_assert_num_queries):
    version = version_read(Curation().published().pk)

    with django_assert_num_queries(1):
        first = version_materials(version)
    with django_assert_num_queries(0):
        second = version_materials(version)

    assert [_fields(m) for m in first] == [_fields(m) for m in second] == _orm_materials(version)
    assert [m.name for m in first] == ["食品经营许可申请书", "营业执照", "法定代表人授权委托书"]
    assert all(a is not b for a, b in zip(first, second, strict=True))


def test_a_withdrawn_versions_materials_stay_what_they_were():
    cur = Curation()
    version = cur.published()
    version_materials(version_read(version.pk))

    version_withdraw(actor=cur.editor, version=version, reason="停止办理")

    withdrawn = version_read(version.pk)
    assert [_fields(m) for m in version_materials(withdrawn)] == _orm_materials(withdrawn)


def test_a_drafts_materials_are_read_every_time(django_assert_num_queries):
    cur = Curation()
    draft = version_read(version_draft_create(actor=cur.editor, item=cur.published().item).pk)
    with django_assert_num_queries(1):
        version_materials(draft)

    version_update(actor=cur.editor, version=draft, fields={}, materials=[{"name": "申请书"}])

    with django_assert_num_queries(1):
        assert [m.name for m in version_materials(draft)] == ["申请书"]
