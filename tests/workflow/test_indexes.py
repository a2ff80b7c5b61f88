"""The indexes of the process instance and task tables (ADR 0019, seventh pass): foreign keys served by their
composites have none of their own, and `completed_by` is indexed only once a step is completed."""

import pytest

from tests.indexes import TableIndex, table_indexes

pytestmark = pytest.mark.django_db


def test_the_instance_table_has_only_the_indexes_its_queries_read_through():
    assert table_indexes("workflow_processinstance") == {
        TableIndex("workflow_instance_subject", ("content_type_id", "object_id")),
        TableIndex(
            "workflow_instance_one_running", ("content_type_id", "object_id"), unique=True, where="status = 'running'"
        ),
        TableIndex("workflow_processinstance_definition_id_79db6947", ("definition_id",)),
        TableIndex("workflow_processinstance_started_by_id_90cf944f", ("started_by_id",)),
    }


def test_the_task_table_has_only_the_indexes_its_queries_read_through():
    assert table_indexes("workflow_worktask") == {
        TableIndex("workflow_task_inbox", ("state", "department_id", "role")),
        TableIndex("workflow_task_assignee", ("assignee_id", "state")),
        TableIndex("workflow_task_instance", ("instance_id", "state")),
        TableIndex("workflow_worktask_clock_id_ffc61c45", ("clock_id",)),
        TableIndex("workflow_worktask_department_id_d469c671", ("department_id",)),
        TableIndex("workflow_task_completed_by", ("completed_by_id",), where="completed_by_id IS NOT NULL"),
    }
