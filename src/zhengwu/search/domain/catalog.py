"""The catalogue in the search index: one document per service item, showing its published version."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils.safestring import SafeString

from zhengwu.audit.domain import audit_record
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ItemMaterial, ItemVersion
from zhengwu.search.domain.engine import (
    search_document_delete,
    search_document_upsert,
    search_documents,
    search_documents_rebuild,
)

CATALOG_ITEM = "catalog.item"


@dataclass(frozen=True)
class SearchHit:
    version_id: int
    score: float
    title_highlight: SafeString  # HTML-safe: <mark> around matches, the rest escaped
    snippet: SafeString


def _published() -> Any:
    return (
        ItemVersion.objects.filter(state=VersionState.PUBLISHED)
        .select_related("item__department")
        .prefetch_related(
            Prefetch("materials", queryset=ItemMaterial.objects.only("version_id", "name", "position").order_by()),
            "fees",
        )
        .order_by("pk")
    )


def catalog_document(version: ItemVersion) -> dict[str, Any]:
    """What residents may search an item by: its name, then conditions, materials, result, department, basis."""
    materials = sorted(version.materials.all(), key=lambda m: (m.position, m.pk))
    parts = [
        version.acceptance_conditions,
        "、".join(m.name for m in materials),
        version.result_name,
        version.item.department.name,
        version.legal_basis,
        "、".join(f.name for f in version.fees.all()),
    ]
    return {
        "object_id": version.item_id,
        "target_id": version.pk,
        "title": version.name,
        "body": "\n".join(part.strip() for part in parts if part and part.strip()),
        "department_id": version.item.department_id,
        "updated_at": version.published_at,
    }


def search_index_catalog_item(*, item_id: int) -> bool:
    """Bring one item's document in line with its currently published version (none: remove it).

    Reads the database rather than trusting the signal's version, so late or repeated signals are harmless.
    """
    version = _published().filter(item_id=item_id).first()
    if version is None:
        search_document_delete(kind=CATALOG_ITEM, object_id=item_id)
        return False
    search_document_upsert(kind=CATALOG_ITEM, **catalog_document(version))
    return True


def search_reindex_catalog(*, actor: Any = "system:search") -> int:
    """Rebuild the catalogue's documents from every published version. Returns how many were indexed."""

    def rows() -> Iterator[dict[str, Any]]:
        for version in _published().iterator(chunk_size=500):
            yield catalog_document(version)

    count = search_documents_rebuild(kind=CATALOG_ITEM, rows=rows())
    audit_record(
        actor=actor, action="search.reindexed", object_type="search.searchdocument", after={CATALOG_ITEM: count}
    )
    return count


def search_items(query: str, *, limit: int = 50, department_id: int | None = None) -> list[SearchHit]:
    """Published catalogue items matching the query, best first (see engine.score for the order)."""
    hits = search_documents(CATALOG_ITEM, query, limit, {"department_id": department_id})
    if not hits:
        return []
    # The index follows publication after commit; never show a version that is no longer published.
    published = set(
        ItemVersion.objects.filter(
            pk__in=[hit.document.target_id for hit in hits], state=VersionState.PUBLISHED
        ).values_list("pk", flat=True)
    )
    return [
        SearchHit(
            version_id=hit.document.target_id,
            score=hit.score,
            title_highlight=hit.title_highlight,
            snippet=hit.snippet,
        )
        for hit in hits
        if hit.document.target_id in published
    ]
