"""Hand-written whole-row reads build what the ORM builds (ADR 0019, sixth pass)."""

import pytest

from tests.accounts.factories import make_department
from zhengwu.org.domain.rows import department_read
from zhengwu.org.models import Department, Region

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_department_is_read_with_its_region_as_the_orm_reads_it(django_assert_num_queries):
    department = make_department("区市场监督管理局", "SC01")
    orm = Department.objects.select_related("region").get(pk=department.pk)

    with django_assert_num_queries(1):
        read = department_read(department.pk)
        region = read.region

    assert type(read) is Department and type(region) is Region
    assert _fields(read) == _fields(orm)
    assert _fields(region) == _fields(orm.region)
    assert (read._state.adding, read._state.db, region._state.adding) == (False, "default", False)


def test_a_missing_department_reads_as_none():
    assert department_read(987654) is None
