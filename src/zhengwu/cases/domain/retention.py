"""Orphaned uploads: stored files nothing refers to are removed once a grace period has passed (ADR 0013,
"Orphaned uploads").

A stored file is referenced by any foreign key (or many-to-many) pointing at `StoredFile`, in any app; the list is
read from the models, so a new reference protects its files without touching this module. Rows go first, in one
conditional statement; their files are removed after that commits, under the storage directory's lock, and only
when no row for the same content exists by then. A crash in between leaves a file without a row, never a row
without its file; the next run removes such files (and those of uploads whose form was rolled back) once they
are older than the grace period."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import SYSTEM_ACTOR
from zhengwu.cases.domain.files import lock_directory, storage_path
from zhengwu.cases.models import StoredFile

logger = logging.getLogger(__name__)

ROOT = "cases"
_DIRECTORY = re.compile(r"[0-9a-f]{2}")
_NAME = re.compile(r"[0-9a-f]{64}")
_CHUNK = 500


@dataclass(frozen=True)
class OrphanFile:
    sha256: str
    size: int
    name: str = ""  # the original name; empty for a file on disk without a row
    stored_file_id: int | None = None


@dataclass
class OrphanPurge:
    """What a run removed (or, in a dry run, would remove)."""

    dry_run: bool
    cutoff: datetime
    rows: list[OrphanFile] = field(default_factory=list)  # StoredFile rows nothing refers to
    leftovers: list[OrphanFile] = field(default_factory=list)  # files on disk without a row
    files_removed: int = 0
    bytes_removed: int = 0

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def bytes(self) -> int:
        return sum(row.size for row in self.rows)


def orphan_grace() -> timedelta:
    return timedelta(hours=settings.ZHENGWU_ORPHAN_UPLOAD_GRACE_HOURS)


def stored_file_references() -> list[tuple[type[models.Model], str]]:
    """Every (model, column) that points at a StoredFile, found through the models' relations."""
    references = []
    for relation in StoredFile._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        if relation.many_to_many:
            through = relation.through
            references += [
                (through, f.attname) for f in through._meta.fields if f.is_relation and f.related_model is StoredFile
            ]
        elif relation.one_to_many or relation.one_to_one:
            references.append((relation.related_model, relation.field.attname))
    return sorted(references, key=lambda ref: (ref[0]._meta.label, ref[1]))


def orphaned_stored_files(*, cutoff: datetime) -> QuerySet[StoredFile]:
    """Stored files nothing refers to whose latest upload is older than `cutoff`."""
    orphans = StoredFile.objects.filter(last_uploaded_at__lt=cutoff)
    for model, column in stored_file_references():
        orphans = orphans.filter(~Exists(model._base_manager.filter(**{column: OuterRef("pk")})))
    return orphans


def stored_files_purge_orphans(
    *, now: datetime | None = None, grace: timedelta | None = None, dry_run: bool = False
) -> OrphanPurge:
    """Remove stored files nothing refers to and whose latest upload is older than the grace period (setting
    ZHENGWU_ORPHAN_UPLOAD_GRACE_HOURS, 24 by default: a form may still be on its way), then files on disk
    without a row that are older than it. Safe to run twice at once: a row or file is removed by one run only."""
    cutoff = (now or timezone.now()) - (orphan_grace() if grace is None else grace)
    result = OrphanPurge(dry_run=dry_run, cutoff=cutoff)
    if dry_run:
        result.rows = [
            OrphanFile(sha256=sha, size=size, name=name, stored_file_id=pk)
            for pk, sha, size, name in orphaned_stored_files(cutoff=cutoff)
            .order_by("pk")
            .values_list("pk", "sha256", "size", "original_name")
        ]
    else:
        result.rows = _delete_rows(cutoff)
        by_directory: dict[str, set[str]] = {}
        for row in result.rows:
            by_directory.setdefault(row.sha256[:2], set()).add(row.sha256)
        for directory, names in sorted(by_directory.items()):
            _remove_files(result, directory, names)
    purged = {row.sha256 for row in result.rows}
    for directory, leftovers in _leftovers(cutoff, skip=purged):
        if dry_run:
            result.leftovers += leftovers
        else:
            removed = _remove_files(result, directory, {f.sha256 for f in leftovers})
            result.leftovers += [f for f in leftovers if f.sha256 in removed]
    if not dry_run and (result.rows or result.leftovers):
        logger.info(
            "orphaned uploads: %d rows (%d bytes) and %d files without a row removed, %d bytes freed on disk",
            result.count,
            result.bytes,
            len(result.leftovers),
            result.bytes_removed,
        )
    return result


def _delete_rows(cutoff: datetime) -> list[OrphanFile]:
    """One conditional DELETE … RETURNING: what it returns was removed by this run and no other. The age is also
    a condition on the deleted row itself, so on PostgreSQL a concurrent re-upload (which moves
    `last_uploaded_at`) makes the re-checked row no longer qualify."""
    table = connection.ops.quote_name(StoredFile._meta.db_table)
    column = connection.ops.quote_name(StoredFile._meta.get_field("last_uploaded_at").column)
    pk = connection.ops.quote_name(StoredFile._meta.pk.column)
    select, params = orphaned_stored_files(cutoff=cutoff).order_by().values("pk").query.sql_with_params()
    statement = (
        f"DELETE FROM {table} WHERE {column} < %s AND {pk} IN ({select}) RETURNING {pk}, sha256, size, original_name"
    )
    with audited_atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, [connection.ops.adapt_datetimefield_value(cutoff), *params])
            rows = [
                OrphanFile(sha256=sha, size=size, name=name, stored_file_id=pk)
                for pk, sha, size, name in sorted(cursor.fetchall())
            ]
        if rows:
            audit_record(
                actor=SYSTEM_ACTOR,
                action="cases.files_purged",
                object_type=StoredFile._meta.label_lower,
                object_repr=_("未被引用的上传文件"),
                after={
                    "count": len(rows),
                    "bytes": sum(row.size for row in rows),
                    "cutoff": cutoff,
                    "stored_file_ids": [row.stored_file_id for row in rows],
                },
            )
    return rows


def _remove_files(result: OrphanPurge, directory: str, names: set[str]) -> set[str]:
    """Under the directory's exclusive lock, remove the files among `names` that no row uses (a row may have
    been created for the same content since). Returns the names this call removed."""
    removed = set()
    with transaction.atomic():
        lock_directory(directory, exclusive=True)
        used = set()
        ordered = sorted(names)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            used |= set(StoredFile.objects.filter(sha256__in=chunk).values_list("sha256", flat=True))
        for name in ordered:
            if name in used:
                continue
            path = storage_path(name)
            try:
                size = default_storage.size(path)
            except FileNotFoundError:  # another run got here first
                continue
            default_storage.delete(path)
            removed.add(name)
            result.files_removed += 1
            result.bytes_removed += size
    return removed


def _leftovers(cutoff: datetime, *, skip: set[str]):
    """Per storage directory, the files without a row last written before `cutoff`."""
    if not default_storage.exists(ROOT):
        return
    directories, _files = default_storage.listdir(ROOT)
    for directory in sorted(d for d in directories if _DIRECTORY.fullmatch(d)):
        _dirs, names = default_storage.listdir(f"{ROOT}/{directory}")
        names = sorted(n for n in names if _NAME.fullmatch(n) and n.startswith(directory) and n not in skip)
        old = []
        for name in names:
            try:
                if default_storage.get_modified_time(storage_path(name)) < cutoff:
                    old.append(name)
            except FileNotFoundError:
                continue
        found = []
        for start in range(0, len(old), _CHUNK):
            chunk = old[start : start + _CHUNK]
            used = set(StoredFile.objects.filter(sha256__in=chunk).values_list("sha256", flat=True))
            for name in chunk:
                if name not in used:
                    try:
                        found.append(OrphanFile(sha256=name, size=default_storage.size(storage_path(name))))
                    except FileNotFoundError:
                        continue
        if found:
            yield directory, found
