"""The clock table's indexes (ADR 0019, seventh pass): the content type's foreign key is served by the subject
index; the supervision sweep's two live beside the clock's own."""

import pytest

from tests.indexes import TableIndex, table_indexes

pytestmark = pytest.mark.django_db


def test_the_clock_table_has_only_the_indexes_its_queries_read_through():
    assert table_indexes("workcal_clock") == {
        TableIndex("workcal_clock_subject_idx", ("content_type_id", "object_id")),
        TableIndex("workcal_clock_status_due_idx", ("status", "due_at")),
        TableIndex("workcal_clock_due_at_bd6388b0", ("due_at",)),
        TableIndex("workcal_clock_region_id_ae296090", ("region_id",)),
        TableIndex("supervision_clock_updated_idx", ("updated_at",)),
        TableIndex("supervision_clock_warn_idx", ("warn_at",)),
    }
