"""The full-text index beside search_searchdocument (docs/adr/0009-chinese-search.md).

SQLite: an external-content FTS5 table over the pre-segmented tokens, kept in step by triggers.
PostgreSQL: a stored generated tsvector column over the same tokens ('simple' configuration, title
weighted A, body B) with a GIN index.

Django rebuilds a SQLite table to alter it, which drops its triggers: a later migration that alters
SearchDocument must run `sqlite_install` again (tests/search/test_migrations.py checks the triggers).
On PostgreSQL, changing the type of title_tokens/body_tokens needs search_vector dropped first.
"""

from django.db import migrations

SQLITE_INSTALL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title_tokens, body_tokens, content='search_searchdocument', content_rowid='id', tokenize='unicode61')",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_au",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_searchdocument BEGIN "
    "INSERT INTO search_fts(rowid, title_tokens, body_tokens) VALUES (new.id, new.title_tokens, new.body_tokens); "
    "END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_searchdocument BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title_tokens, body_tokens) "
    "VALUES ('delete', old.id, old.title_tokens, old.body_tokens); "
    "END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_searchdocument BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title_tokens, body_tokens) "
    "VALUES ('delete', old.id, old.title_tokens, old.body_tokens); "
    "INSERT INTO search_fts(rowid, title_tokens, body_tokens) VALUES (new.id, new.title_tokens, new.body_tokens); "
    "END",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TABLE IF EXISTS search_fts",
]
# A stored generated column, so that neither matching (GIN recheck of phrases) nor ranking re-parses
# the token text of every candidate row; Django never names it, so ORM writes leave it to the server.
POSTGRES_INSTALL = [
    "ALTER TABLE search_searchdocument ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_tokens), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_tokens), 'B')) STORED",
    "CREATE INDEX IF NOT EXISTS search_document_fts_gin ON search_searchdocument USING gin (search_vector)",
]
POSTGRES_REMOVE = [
    "DROP INDEX IF EXISTS search_document_fts_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
]

def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def sqlite_install(schema_editor) -> None:
    _run(schema_editor, SQLITE_INSTALL)


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        sqlite_install(schema_editor)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_INSTALL)


def remove(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_REMOVE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
