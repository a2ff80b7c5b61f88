"""Indexes the incremental sweep reads through (on tables of other apps, hence plain SQL)."""

from django.db import migrations

INDEXES = {
    "supervision_clock_updated_idx": ("workcal_clock", "updated_at"),
    "supervision_clock_warn_idx": ("workcal_clock", "warn_at"),
    "supervision_case_updated_idx": ("cases_case", "updated_at"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0002_work"),
        ("cases", "0002_processing"),
        ("workcal", "0003_clock"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, (table, column) in INDEXES.items()
    ]
