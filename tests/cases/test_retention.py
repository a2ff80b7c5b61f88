"""Uploads nothing refers to are removed after their grace period: rows set-based, files after commit, never a
file another row of the same content still uses."""

import io
import os
from datetime import datetime, timedelta

import pytest
import time_machine
from celery.schedules import crontab
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from tests.cases.conftest import PDF, pdf_upload
from tests.cases.test_acceptance import notice_items, online
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_correction_submit, case_request_correction, case_submit_by_proxy, retention
from zhengwu.cases.domain.files import storage_path, stored_file_save
from zhengwu.cases.domain.retention import stored_file_references, stored_files_purge_orphans
from zhengwu.cases.enums import MaterialStatus
from zhengwu.cases.models import Case, CaseMaterial, ReplacedMaterial, StoredFile
from zhengwu.cases.tasks import purge_orphan_files

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
UPLOADED = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
AFTER_GRACE = UPLOADED + timedelta(hours=24, microseconds=1)
JUST_IN_GRACE = UPLOADED + timedelta(hours=24)


def upload(marker: str = "", name: str = "申请书.pdf") -> StoredFile:
    with time_machine.travel(UPLOADED, tick=False):
        return stored_file_save(upload=pdf_upload(name, extra=marker.encode()))


def on_disk(stored_or_sha) -> bool:
    sha = getattr(stored_or_sha, "sha256", stored_or_sha)
    return default_storage.exists(storage_path(sha))


def leftover(marker: str, written_at: datetime) -> str:
    """A file on disk without a row, as a rolled-back form leaves it."""
    import hashlib

    data = PDF + marker.encode()
    sha = hashlib.sha256(data).hexdigest()
    path = default_storage.save(storage_path(sha), io.BytesIO(data))
    os.utime(default_storage.path(path), (written_at.timestamp(), written_at.timestamp()))
    return sha


def purged_events() -> list[dict]:
    return list(AuditEvent.objects.filter(action="cases.files_purged").order_by("seq").values_list("after", flat=True))


# ---- what refers to a stored file ---------------------------------------------------------------------------
def test_every_foreign_key_to_a_stored_file_counts_as_a_reference():
    """Found through the models: a new model pointing at StoredFile protects its files without further code.
    (Catalogue attachments and licence PDFs are FileFields of their own, not StoredFile rows.)"""
    assert stored_file_references() == [
        (Case, "consent_file_id"),
        (CaseMaterial, "file_id"),
        (ReplacedMaterial, "file_id"),
    ]


# ---- age -----------------------------------------------------------------------------------------------------
def test_orphan_older_than_the_grace_period_is_removed_row_and_file():
    stored = upload()
    result = stored_files_purge_orphans(now=AFTER_GRACE)
    assert (result.count, result.bytes, result.files_removed, result.bytes_removed) == (1, len(PDF), 1, len(PDF))
    assert [row.stored_file_id for row in result.rows] == [stored.pk]
    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert not on_disk(stored)
    assert purged_events() == [
        {
            "count": 1,
            "bytes": len(PDF),
            "cutoff": "2026-03-02T10:00:00.000+08:00",  # audit times are kept to the millisecond
            "stored_file_ids": [stored.pk],
        }
    ]
    assert audit_verify() is None


def test_orphan_within_the_grace_period_is_kept():
    stored = upload()
    result = stored_files_purge_orphans(now=JUST_IN_GRACE)
    assert (result.count, result.files_removed) == (0, 0)
    assert StoredFile.objects.filter(pk=stored.pk).exists() and on_disk(stored)
    assert purged_events() == []


def test_the_grace_period_is_a_setting(settings):
    stored = upload()
    settings.ZHENGWU_ORPHAN_UPLOAD_GRACE_HOURS = 2
    assert stored_files_purge_orphans(now=UPLOADED + timedelta(hours=1)).count == 0
    assert stored_files_purge_orphans(now=UPLOADED + timedelta(hours=3)).count == 1
    assert not on_disk(stored)
    assert django_settings.ZHENGWU_ORPHAN_UPLOAD_GRACE_HOURS == 2


def test_uploading_the_same_content_again_restarts_the_grace_period():
    stored = upload()
    with time_machine.travel(UPLOADED + timedelta(hours=20), tick=False):
        again = stored_file_save(upload=pdf_upload("另一个名字.pdf"))
    assert again.pk == stored.pk
    assert stored_files_purge_orphans(now=AFTER_GRACE).count == 0
    assert stored_files_purge_orphans(now=AFTER_GRACE + timedelta(hours=20)).count == 1


def test_a_row_removed_under_a_reupload_is_stored_anew(monkeypatch):
    """The sweep deletes the row between the re-upload's lookup and its touch: the upload stores a new row."""
    stored = upload()
    real_filter = StoredFile.objects.filter

    def purge_first(*args, **kwargs):
        if kwargs.get("pk") == stored.pk:
            StoredFile.objects.filter = real_filter
            stored_files_purge_orphans(now=AFTER_GRACE)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(StoredFile.objects, "filter", purge_first)
    with time_machine.travel(AFTER_GRACE, tick=False):
        again = stored_file_save(upload=pdf_upload())
    assert again.pk != stored.pk
    assert default_storage.open(again.path).read() == PDF


# ---- references ----------------------------------------------------------------------------------------------
def test_files_referenced_by_materials_consent_and_replaced_materials_are_kept(hall):
    with time_machine.travel(UPLOADED, tick=False):
        case = online(hall)  # every material a case material
        proxied = case_submit_by_proxy(
            agent=hall.agent,
            applicant=hall.citizen,
            item_version=hall.version,
            materials=[{"material": hall.form, "file": hall.pdf("proxy form")}],
            consent_text="本人同意由便民服务站代办员代为申报。",
            consent_file=hall.pdf("consent"),
        )
        case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "食品经营许可申请书"))
        replaced = case.materials.get(name="食品经营许可申请书").file
        case_correction_submit(
            applicant_or_clerk=hall.enterprise,
            case=case,
            materials=[{"material": hall.form, "file": hall.pdf("corrected form")}],
        )
        orphan = hall.pdf("never attached")
    referenced = {
        "material": case.materials.get(name="食品经营许可申请书").file,
        "proxy material": proxied.materials.get(name="食品经营许可申请书").file,
        "consent": proxied.consent_file,
        "replaced": replaced,
    }
    result = stored_files_purge_orphans(now=UPLOADED + timedelta(days=30))
    assert [row.stored_file_id for row in result.rows] == [orphan.pk]
    for stored in referenced.values():
        assert StoredFile.objects.filter(pk=stored.pk).exists() and on_disk(stored)
    assert not on_disk(orphan)


def test_a_correction_keeps_what_the_material_held_before(hall):
    with time_machine.travel(UPLOADED, tick=False):
        case = online(hall)
        case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "食品经营许可申请书"))
        material = case.materials.get(name="食品经营许可申请书")
        before = material.file
        case_correction_submit(
            applicant_or_clerk=hall.enterprise,
            case=case,
            materials=[{"material": hall.form, "file": hall.pdf("corrected")}],
        )
    kept = ReplacedMaterial.objects.get(material=material)
    notice = case.correction_notices.get()
    assert (kept.file, kept.licence, kept.status, kept.note, kept.notice, kept.replaced_at) == (
        before,
        None,
        MaterialStatus.DEFECTIVE,
        "请补充食品经营许可申请书",
        notice,
        UPLOADED,
    )


def test_the_migration_recovers_files_replaced_before_it_from_the_audit_trail(hall):
    from importlib import import_module

    migration = import_module("zhengwu.cases.migrations.0008_orphaned_uploads")
    with time_machine.travel(UPLOADED, tick=False):
        case = online(hall)
        case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "食品经营许可申请书"))
        material = case.materials.get(name="食品经营许可申请书")
        before = material.file
    with time_machine.travel(UPLOADED + timedelta(days=1), tick=False):
        case_correction_submit(
            applicant_or_clerk=hall.enterprise,
            case=case,
            materials=[{"material": hall.form, "file": hall.pdf("corrected")}],
        )
    ReplacedMaterial.objects.all().delete()
    migration.keep_files_replaced_by_corrections(apps, None)
    kept = ReplacedMaterial.objects.get()
    assert (kept.material, kept.file, kept.notice, kept.replaced_at) == (
        material,
        before,
        case.correction_notices.get(),
        UPLOADED + timedelta(days=1),
    )


# ---- shared content --------------------------------------------------------------------------------------------
def test_a_file_whose_content_was_stored_again_after_the_row_was_deleted_stays_on_disk(monkeypatch):
    """Between deleting the rows and removing their files, the same bytes are uploaded again: the new row uses
    the file already on disk, so the sweep must leave it."""
    stored = upload()
    real_remove = retention._remove_files
    stored_again = []

    def upload_in_between(result, directory, names):
        stored_again.append(stored_file_save(upload=pdf_upload("再次上传.pdf")))
        return real_remove(result, directory, names)

    monkeypatch.setattr(retention, "_remove_files", upload_in_between)
    with time_machine.travel(AFTER_GRACE, tick=False):
        result = stored_files_purge_orphans()
    assert (result.count, result.files_removed) == (1, 0)
    (again,) = stored_again
    assert again.pk != stored.pk and again.path == stored.path
    assert default_storage.open(again.path).read() == PDF


def test_a_file_removed_before_its_content_is_stored_again_is_written_anew():
    stored = upload()
    stored_files_purge_orphans(now=AFTER_GRACE)
    assert not on_disk(stored)
    again = stored_file_save(upload=pdf_upload())
    assert default_storage.open(again.path).read() == PDF


# ---- files on disk without a row --------------------------------------------------------------------------------
def test_files_without_a_row_are_removed_once_older_than_the_grace_period():
    old = leftover("rolled back", UPLOADED)
    young = leftover("in flight", UPLOADED + timedelta(hours=1))
    with time_machine.travel(UPLOADED + timedelta(hours=2), tick=False):
        kept = stored_file_save(upload=pdf_upload(extra=b"has a row"))
    os.utime(default_storage.path(kept.path), (UPLOADED.timestamp(), UPLOADED.timestamp()))
    result = stored_files_purge_orphans(now=AFTER_GRACE)
    assert result.count == 0
    assert [(f.sha256, f.size) for f in result.leftovers] == [(old, len(PDF) + len("rolled back"))]
    assert (result.files_removed, result.bytes_removed) == (1, len(PDF) + len("rolled back"))
    assert not on_disk(old) and on_disk(young) and on_disk(kept)
    assert purged_events() == []  # no record was removed


def test_a_second_run_finds_nothing_left():
    upload()
    leftover("rolled back", UPLOADED)
    first = stored_files_purge_orphans(now=AFTER_GRACE)
    second = stored_files_purge_orphans(now=AFTER_GRACE)
    assert (first.count, len(first.leftovers)) == (1, 1)
    assert (second.count, len(second.leftovers), second.files_removed) == (0, 0, 0)
    assert len(purged_events()) == 1


# ---- dry run, task, command, schedule ------------------------------------------------------------------------
def test_a_dry_run_lists_what_would_go_and_changes_nothing():
    stored = upload()
    sha = leftover("rolled back", UPLOADED)
    result = stored_files_purge_orphans(now=AFTER_GRACE, dry_run=True)
    assert [row.stored_file_id for row in result.rows] == [stored.pk]
    assert [f.sha256 for f in result.leftovers] == [sha]
    assert (result.files_removed, result.bytes_removed) == (0, 0)
    assert StoredFile.objects.filter(pk=stored.pk).exists() and on_disk(stored) and on_disk(sha)
    assert purged_events() == []


def test_the_task_runs_the_sweep_with_the_current_time():
    stored = upload()
    with time_machine.travel(JUST_IN_GRACE, tick=False):
        assert purge_orphan_files.apply().get() == 0
    with time_machine.travel(AFTER_GRACE, tick=False):
        assert purge_orphan_files.apply().get() == 1
    assert not StoredFile.objects.filter(pk=stored.pk).exists()


def test_the_sweep_is_scheduled_nightly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["cases-purge-orphan-files"]
    assert entry["task"] == purge_orphan_files.name == "zhengwu.cases.tasks.purge_orphan_files"
    assert entry["schedule"] == crontab(hour=3, minute=30)


def test_the_command_prints_what_it_would_remove_and_then_removes_it():
    stored = upload(name="营业执照.pdf")
    sha = leftover("rolled back", UPLOADED)
    with time_machine.travel(AFTER_GRACE, tick=False):
        out = io.StringIO()
        call_command("files", "purge-orphans", "--dry-run", stdout=out)
        assert out.getvalue().splitlines() == [
            "保留期 24 小时：最近上传早于 2026-03-02 10:00 的文件。",
            f"将清理  #{stored.pk}  {stored.sha256[:12]}  营业执照.pdf  45 字节",
            f"将清理  （无记录）  {sha[:12]}  56 字节",
            "将清理未被引用的上传文件 1 个（45 字节），磁盘上无记录的文件 1 个（56 字节）。未做任何改动。",
        ]
        assert StoredFile.objects.filter(pk=stored.pk).exists()
        out = io.StringIO()
        call_command("files", "purge-orphans", stdout=out)
        assert out.getvalue().splitlines() == [
            "保留期 24 小时：最近上传早于 2026-03-02 10:00 的文件。",
            f"已清理  #{stored.pk}  {stored.sha256[:12]}  营业执照.pdf  45 字节",
            f"已清理  （无记录）  {sha[:12]}  56 字节",
            "已清理未被引用的上传文件 1 个（45 字节），磁盘上无记录的文件 1 个（56 字节）。",
        ]
    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert not on_disk(stored) and not on_disk(sha)
