"""Uploads: type recognised from content, size capped, stored once per SHA-256 outside the web root."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.enums import FILE_EXTENSIONS, FileKind
from zhengwu.cases.models import StoredFile

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024
LOCK_NAMESPACE = 0x5A57  # first key of the advisory locks on storage directories ("ZW")


def sniff(data: bytes) -> str | None:
    """The FileKind of `data` judged by its content, or None when it is none of the accepted kinds."""
    if data.startswith(b"%PDF-"):
        return FileKind.PDF
    if data.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "OFD.xml" in names:
            return FileKind.OFD
        if "[Content_Types].xml" in names:
            if any(name.startswith("word/") for name in names):
                return FileKind.DOCX
            if any(name.startswith("xl/") for name in names):
                return FileKind.XLSX
    return None


def _read_capped(upload: Any) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    chunks = upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK), b"")
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise ValidationError({"upload": _("文件不能超过 20 MB。")})
        parts.append(chunk)
    return b"".join(parts)


def storage_path(sha256: str) -> str:
    return f"cases/{sha256[:2]}/{sha256}"


def stored_file_save(*, upload: Any, actor: Any = None) -> StoredFile:
    """Keep an uploaded file (a Django UploadedFile or any object with `name` and `read`).

    Accepted: PDF, JPG, PNG, DOCX, XLSX and OFD, recognised by content; the name's extension must agree.
    The same content uploaded again returns the existing record."""
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        raise ValidationError({"upload": _("请选择要上传的文件。")})
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > MAX_UPLOAD_BYTES:
        raise ValidationError({"upload": _("文件不能超过 20 MB。")})
    data = _read_capped(upload)
    if not data:
        raise ValidationError({"upload": _("文件为空。")})
    kind = sniff(data)
    if kind is None:
        raise ValidationError({"upload": _("不支持的文件类型，请上传 PDF、JPG、PNG、DOCX、XLSX 或 OFD 文件。")})
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FILE_EXTENSIONS[kind]:
        raise ValidationError(
            {
                "upload": _("文件内容为 %(kind)s 格式，与文件名“%(name)s”不符。")
                % {"kind": FileKind(kind).label, "name": name}
            }
        )
    sha256 = hashlib.sha256(data).hexdigest()
    existing = StoredFile.objects.filter(sha256=sha256).first()
    # Reusing a row restarts its grace period; 0 rows means the orphan sweep removed it just now: store anew.
    now = timezone.now()
    if existing is not None and StoredFile.objects.filter(pk=existing.pk).update(last_uploaded_at=now):
        existing.last_uploaded_at = now
        return existing
    path = storage_path(sha256)
    uploader = actor if isinstance(actor, AbstractBaseUser) and actor.pk else None
    try:
        with audited_atomic():
            # Writing the file and inserting its row under the directory's lock: the sweep removes a file only
            # under the same lock after seeing no row, so it never removes one a new row is about to use.
            lock_directory(sha256, exclusive=False)
            if not default_storage.exists(path):
                saved = default_storage.save(path, ContentFile(data))
                if saved != path:  # a concurrent upload of the same content won the race
                    default_storage.delete(saved)
            stored = StoredFile.objects.create(
                sha256=sha256,
                size=len(data),
                content_type=kind,
                original_name=name[:255],
                path=path,
                uploaded_by=uploader,
                created_at=now,
                last_uploaded_at=now,
            )
            audit_record(
                actor=actor,
                action="cases.file_stored",
                obj=stored,
                after={"sha256": sha256, "size": len(data), "content_type": kind, "name": name[:255]},
            )
    except IntegrityError:
        return StoredFile.objects.get(sha256=sha256)
    return stored


def lock_directory(sha256: str, *, exclusive: bool) -> None:
    """Serialise writing and removing files of one storage directory (`cases/<sha[:2]>/`) for the current
    transaction. Uploads take it shared (they never wait for each other), the orphan sweep exclusive.
    PostgreSQL: a transaction-level advisory lock; SQLite: transactions already begin IMMEDIATE, holding the
    database's write lock, so they are serialised without it."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_NAMESPACE, int(sha256[:2], 16)])


def stored_file_open(stored: StoredFile):
    return default_storage.open(stored.path, "rb")
