"""Chinese full-text search. Public API for other apps."""

from zhengwu.search.domain.catalog import (
    CATALOG_ITEM,
    SearchHit,
    search_index_catalog_item,
    search_items,
    search_reindex_catalog,
)
from zhengwu.search.domain.engine import (
    DocumentHit,
    search_document_delete,
    search_document_upsert,
    search_documents,
    search_documents_rebuild,
)

__all__ = [
    "CATALOG_ITEM",
    "DocumentHit",
    "SearchHit",
    "search_document_delete",
    "search_document_upsert",
    "search_documents",
    "search_documents_rebuild",
    "search_index_catalog_item",
    "search_items",
    "search_reindex_catalog",
]
