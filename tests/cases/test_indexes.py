"""The indexes of the tables every case writes (ADR 0019, seventh pass): each is written on every insert and, for
the case row, on every update, so only those a query reads through are there."""

import pytest

from tests.indexes import TableIndex, table_indexes

pytestmark = pytest.mark.django_db


def test_the_case_table_has_only_the_indexes_its_queries_read_through():
    assert table_indexes("cases_case") == {
        TableIndex(None, ("number",), unique=True),
        TableIndex("cases_case_item_version_id_c68d90d3", ("item_version_id",)),
        TableIndex("cases_case_acceptance_clock_id_a4205206", ("acceptance_clock_id",)),
        TableIndex("cases_case_handling_clock_id_2cf0a4ae", ("handling_clock_id",)),
        TableIndex("cases_dept_state_idx", ("department_id", "state")),
        TableIndex("cases_applicant_created_idx", ("applicant_id", "created_at")),
        TableIndex("cases_agent_created_idx", ("proxy_agent_id", "created_at")),
        TableIndex("supervision_case_updated_idx", ("updated_at",)),
        TableIndex("cases_case_registered_by_idx", ("registered_by_id",), where="registered_by_id IS NOT NULL"),
        TableIndex("cases_case_window_idx", ("window_id",), where="window_id IS NOT NULL"),
        TableIndex("cases_case_consent_file_idx", ("consent_file_id",), where="consent_file_id IS NOT NULL"),
        # a form's one-time key: unique where set, read by the lookup of a form posted again
        TableIndex(
            "cases_case_submission_key_uniq", ("submission_key",), unique=True, where="submission_key IS NOT NULL"
        ),
    }


def test_a_case_material_indexes_its_reused_licence_only_where_there_is_one():
    assert table_indexes("cases_casematerial") == {
        TableIndex("cases_casematerial_case_id_66fd4cfb", ("case_id",)),
        TableIndex("cases_casematerial_file_id_9c275b7f", ("file_id",)),
        TableIndex("cases_casematerial_item_material_id_1673b92c", ("item_material_id",)),
        TableIndex("cases_material_licence_idx", ("licence_id",), where="licence_id IS NOT NULL"),
    }


def test_only_negative_decisions_are_indexed_by_their_flag():
    assert table_indexes("cases_casedecision") == {
        TableIndex(None, ("case_id",), unique=True),
        TableIndex("cases_casedecision_decided_by_id_bf60127b", ("decided_by_id",)),
        TableIndex("cases_casedecision_task_id_0bd48475", ("task_id",)),
        TableIndex("cases_decision_negative_idx", ("id",), where="negative"),
    }
