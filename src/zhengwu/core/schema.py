"""A migration operation for changes that only drop, add or rename indexes (ADR 0019, seventh pass)."""

from django.db import migrations


class IndexChanges(migrations.SeparateDatabaseAndState):
    """`operations` (index-only changes: `db_index`/`unique` off, `AddIndex`, `AddConstraint`; or a foreign key
    made nullable) applied to the migration state; on a database named in `sql` the schema is changed by its
    statements (undone by `reverse_sql`'s) instead of by the operations. Django's `AlterField` drops and re-adds (so
    re-validates) a foreign key's constraint on PostgreSQL when only its index or its nullability changes, and
    remakes the table on SQLite, which loses the indexes other apps' migrations created by hand (supervision's on
    cases and clocks); a renamed index is not rebuilt. Other databases run the operations."""

    def __init__(self, operations: list, sql: dict[str, list[str]], reverse_sql: dict[str, list[str]]) -> None:
        super().__init__(database_operations=operations, state_operations=operations)
        self.sql = sql
        self.reverse_sql = reverse_sql

    def deconstruct(self):
        kwargs = {"operations": self.state_operations, "sql": self.sql, "reverse_sql": self.reverse_sql}
        return self.__class__.__qualname__, [], kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        statements = self.sql.get(schema_editor.connection.vendor)
        if statements is None:
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        for statement in statements:
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        statements = self.reverse_sql.get(schema_editor.connection.vendor)
        if statements is None:
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        for statement in statements:
            schema_editor.execute(statement)

    def describe(self) -> str:
        return "Index changes (hand-written statements where given)"
