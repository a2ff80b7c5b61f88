"""The full-text machinery migration 0002 installs beside search_searchdocument (no skips: one branch per database)."""

import pytest
from django.db import connection

from zhengwu.search.domain import search_items
from zhengwu.search.domain.engine import PG_VECTOR
from zhengwu.search.models import SearchDocument

pytestmark = pytest.mark.django_db


def test_the_fulltext_index_exists_beside_the_documents_table():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'search_searchdocument'"
            )
            assert sorted(row[0] for row in cursor.fetchall()) == [
                "search_document_ad",
                "search_document_ai",
                "search_document_au",
            ]
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search_searchdocument'")
            assert "search_document_fts_gin" in {row[0] for row in cursor.fetchall()}


def test_the_fulltext_index_follows_the_table_and_serves_the_queries(catalogue):
    SearchDocument.objects.filter(object_id=catalogue.food.item_id).delete()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # raises (SQLITE_CORRUPT_VTAB) if the FTS index differs from the table it indexes
            cursor.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                f"EXPLAIN SELECT d.id FROM search_searchdocument d "
                f"WHERE {PG_VECTOR} @@ to_tsquery('simple', '''护照''')"
            )
            assert "search_document_fts_gin" in "\n".join(row[0] for row in cursor.fetchall())
    assert [h.version_id for h in search_items("营业执照")] == [catalogue.licence_replace.pk, catalogue.sole_trader.pk]
