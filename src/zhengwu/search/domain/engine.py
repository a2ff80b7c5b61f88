"""The search engine over SearchDocument: indexing and ranked queries, on SQLite FTS5 or PostgreSQL.

The database finds the candidates (every query term as a phrase of character grams) and pre-ranks
them (bm25 / ts_rank_cd, title weighted above body); the final order is computed here, the same on
both databases, so a resident sees the same ranking whatever the deployment runs on.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString

from zhengwu.search.domain import tokens as tk
from zhengwu.search.domain.highlight import find_spans, highlight, snippet
from zhengwu.search.models import SearchDocument

FILTER_FIELDS = frozenset({"department_id"})
MIN_CANDIDATES = 200
REBUILD_BATCH = 500

FTS_TABLE = "search_fts"
PG_VECTOR = "d.search_vector"  # generated column with a GIN index, created by migration 0002 (PostgreSQL only)


@dataclass(frozen=True)
class DocumentHit:
    document: SearchDocument
    score: float
    title_highlight: SafeString
    snippet: SafeString


# --- indexing -------------------------------------------------------------------------------------


def _document_values(*, title: str, body: str) -> dict[str, Any]:
    title = title[:500]
    return {
        "title": title,
        "body": body,
        "title_tokens": tk.index_tokens(title),
        "body_tokens": tk.index_tokens(body),
    }


def search_document_upsert(
    *,
    kind: str,
    object_id: int,
    target_id: int,
    title: str,
    body: str,
    department_id: int | None = None,
    updated_at: datetime | None = None,
) -> SearchDocument:
    """Index (or re-index) one record. Derived data: not audited; a full rebuild restores it."""
    values = _document_values(title=title, body=body) | {
        "target_id": target_id,
        "department_id": department_id,
        "updated_at": updated_at,
        "indexed_at": timezone.now(),
    }
    with transaction.atomic():
        document, _ = SearchDocument.objects.update_or_create(kind=kind, object_id=object_id, defaults=values)
    return document


def search_document_delete(*, kind: str, object_id: int) -> int:
    with transaction.atomic():
        deleted, _ = SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()
    return deleted


def search_documents_rebuild(*, kind: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace every document of a kind by `rows` (dicts of search_document_upsert's arguments).

    Batches are upserted in their own short transactions (SQLite has one writer), then documents not
    refreshed by this run are removed. Returns the number of documents indexed.
    """
    started = timezone.now()
    count = 0
    batch: list[SearchDocument] = []

    def flush() -> None:
        with transaction.atomic():
            SearchDocument.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["kind", "object_id"],
                update_fields=[
                    "target_id",
                    "title",
                    "body",
                    "title_tokens",
                    "body_tokens",
                    "department",
                    "updated_at",
                    "indexed_at",
                ],
            )
        batch.clear()

    for row in rows:
        values = _document_values(title=row["title"], body=row["body"])
        batch.append(
            SearchDocument(
                kind=kind,
                object_id=row["object_id"],
                target_id=row["target_id"],
                department_id=row.get("department_id"),
                updated_at=row.get("updated_at"),
                indexed_at=timezone.now(),
                **values,
            )
        )
        count += 1
        if len(batch) >= REBUILD_BATCH:
            flush()
    if batch:
        flush()
    with transaction.atomic():
        SearchDocument.objects.filter(kind=kind, indexed_at__lt=started).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, so the planner picks the GIN index at once
            cursor.execute(f"ANALYZE {SearchDocument._meta.db_table}")
    return count


# --- querying -------------------------------------------------------------------------------------


def _query_grams(alternative: str) -> tuple[list[str], bool]:
    """The grams an alternative must match consecutively, and whether the last one is a prefix.

    A CJK run's trailing single character is dropped when the run has two or more characters (the
    bigram before it already covers it, and in a document that character may be followed by more);
    a one-character run at the end becomes a prefix (证 matches the grams 证明, 证书 and 证).
    """
    pieces = tk.runs(alternative)
    grams: list[str] = []
    prefix = False
    for position, (is_cjk, run) in enumerate(pieces):
        if not is_cjk:
            grams.append(run)
        elif position < len(pieces) - 1:
            grams.extend(tk.grams_of_run(run))
        elif len(run) > 1:
            grams.extend(tk.grams_of_run(run)[:-1])
        else:
            grams.append(run)
            prefix = True
    return grams, prefix


def _is_long_word(alternative: str) -> bool:
    return len(alternative) > 2 and tk.runs(alternative) == [(True, alternative)]


def fts5_expression(parsed: tk.ParsedQuery) -> str:
    """An FTS5 MATCH expression. Tokens hold only letters, digits and CJK characters and are always
    quoted, so nothing a user types can become an operator (NEAR, *, :, parentheses, quotes)."""
    clauses = []
    for term in parsed.terms:
        options = []
        for alternative in term.alternatives:
            grams, prefix = _query_grams(alternative)
            options.append('"' + " ".join(grams) + '"' + (" *" if prefix else ""))
            if _is_long_word(alternative):
                options.append(f'"{alternative}"')  # the jieba word: bm25 prefers real words
        clauses.append("(" + " OR ".join(options) + ")")
    return " AND ".join(clauses)


def tsquery_expression(parsed: tk.ParsedQuery) -> str:
    """The same query for PostgreSQL's to_tsquery('simple', …)."""
    clauses = []
    for term in parsed.terms:
        options = []
        for alternative in term.alternatives:
            grams, prefix = _query_grams(alternative)
            options.append(" <-> ".join(f"'{gram}'" for gram in grams) + (":*" if prefix else ""))
            if _is_long_word(alternative):
                options.append(f"'{alternative}'")
        clauses.append("(" + " | ".join(options) + ")")
    return " & ".join(clauses)


def _where(kind: str, filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    sql, params = ["d.kind = %s"], [kind]
    for name, value in filters.items():
        if value is not None:
            sql.append(f"d.{name} = %s")  # name is checked against FILTER_FIELDS
            params.append(value)
    return " AND ".join(sql), params


def _candidates(kind: str, parsed: tk.ParsedQuery, limit: int, filters: Mapping[str, Any]) -> list[SearchDocument]:
    table = SearchDocument._meta.db_table
    columns = ", ".join(f"d.{field.column}" for field in SearchDocument._meta.concrete_fields)
    where, params = _where(kind, filters)
    if connection.vendor == "sqlite":
        sql = (
            f"SELECT {columns} FROM {FTS_TABLE} JOIN {table} d ON d.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND {where} ORDER BY bm25({FTS_TABLE}, 10.0, 1.0), d.id LIMIT %s"
        )
        return list(SearchDocument.objects.raw(sql, [fts5_expression(parsed), *params, limit]))
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT {columns} FROM {table} d, to_tsquery('simple'::regconfig, %s) q "
            f"WHERE {PG_VECTOR} @@ q AND {where} ORDER BY ts_rank_cd({PG_VECTOR}, q) DESC, d.id LIMIT %s"
        )
        return list(SearchDocument.objects.raw(sql, [tsquery_expression(parsed), *params, limit]))
    # Any other database: substring scan (correct, unindexed).
    queryset = SearchDocument.objects.filter(kind=kind, **{k: v for k, v in filters.items() if v is not None})
    for term in parsed.terms:
        match = Q()
        for alternative in term.alternatives:
            match |= Q(title__icontains=alternative) | Q(body__icontains=alternative)
        queryset = queryset.filter(match)
    return list(queryset.order_by("id")[:limit])


def score(document: SearchDocument, parsed: tk.ParsedQuery) -> float:
    """Rank by tiers, each dominating all below it:

    the title is exactly the query › the query occurs in the title as typed › more terms in the title ›
    more of them whole words there (低保 in 低保边缘, not in 降低保费) › the query occurs in the body as
    typed › more terms whole words of the body › how often the terms occur (capped) › the share of the
    title the terms cover (specific titles first).
    """
    title, body = tk.squash(document.title), tk.squash(document.body)
    title_words = tk.stored_words(document.title_tokens)
    body_words = tk.stored_words(document.body_tokens)
    phrase = parsed.phrase
    in_title = title_as_word = body_as_word = frequency = 0
    for term in parsed.terms:
        alternatives = term.alternatives
        in_title += any(alt in title for alt in alternatives)
        title_as_word += any(alt in title_words for alt in alternatives)
        body_as_word += any(alt in body_words for alt in alternatives)
        frequency += sum(title.count(alt) + body.count(alt) for alt in alternatives)
    needles = [alt for term in parsed.terms for alt in term.alternatives]
    coverage = sum(end - start for start, end in find_spans(title, needles)) / len(title) if title else 0.0
    value = (
        1_000_000 * (phrase == title)
        + 100_000 * (phrase in title)
        + 10_000 * in_title
        + 1_000 * title_as_word
        + 100 * (phrase in body)
        + 10 * body_as_word
        + min(frequency, 9)
        + 0.99 * coverage
    )
    return round(value, 4)


def search_documents(
    kind: str, query: str, limit: int = 50, filters: Mapping[str, Any] | None = None
) -> list[DocumentHit]:
    """Documents of one kind matching every term of the query, best first. Never raises on odd input."""
    filters = dict(filters or {})
    unknown = set(filters) - FILTER_FIELDS
    if unknown:
        raise ValueError(f"unknown search filters: {sorted(unknown)}")
    parsed = tk.parse_query(query if isinstance(query, str) else "")
    if not parsed.terms or limit <= 0:
        return []
    candidates = _candidates(kind, parsed, max(limit * 4, MIN_CANDIDATES), filters)
    needles = [alt for term in parsed.terms for alt in term.alternatives]
    ranked = sorted(
        ((score(document, parsed), document) for document in candidates),
        key=lambda pair: (-pair[0], pair[1].title, pair[1].pk),
    )
    return [
        DocumentHit(
            document=document,
            score=value,
            title_highlight=highlight(document.title, needles),
            snippet=snippet(document.body, needles),
        )
        for value, document in ranked[:limit]
    ]
