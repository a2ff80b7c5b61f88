"""Two sweeps at once remove each orphan once; a sweep never removes a file an upload in progress is about to use
(PostgreSQL only: SQLite serialises writers)."""

import os
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from tests.cases.conftest import PDF, pdf_upload
from tests.concurrency import race
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain.files import stored_file_save
from zhengwu.cases.domain.retention import stored_files_purge_orphans
from zhengwu.cases.models import StoredFile

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are only meaningful on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

TZ = timezone.get_default_timezone()
UPLOADED = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
LATER = UPLOADED + timedelta(days=2)


def test_two_sweeps_at_once_remove_an_orphan_once():
    with time_machine.travel(UPLOADED, tick=False):
        stored = stored_file_save(upload=pdf_upload())
    results = []
    outcome = race(
        lambda: results.append(stored_files_purge_orphans(now=LATER)),
        lambda: results.append(stored_files_purge_orphans(now=LATER)),
    )
    assert (outcome["first"], outcome["second"], outcome["contender_waited"]) == ("ok", "ok", True)
    assert [(r.count, r.files_removed, len(r.leftovers)) for r in results] == [(1, 1, 0), (0, 0, 0)]
    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert not default_storage.exists(stored.path)
    assert AuditEvent.objects.filter(action="cases.files_purged").count() == 1
    assert audit_verify() is None


def test_the_sweep_waits_for_an_upload_of_the_same_content_and_leaves_its_file():
    """A file left without a row (its row was purged, the sweep stopped before removing it) is old enough to go;
    the same bytes are being uploaded and their new row is not committed yet when the sweep looks."""
    with time_machine.travel(UPLOADED, tick=False):
        stored = stored_file_save(upload=pdf_upload())
    StoredFile.objects.filter(pk=stored.pk).delete()
    os.utime(default_storage.path(stored.path), (UPLOADED.timestamp(), UPLOADED.timestamp()))
    results, uploads = [], []
    outcome = race(
        lambda: uploads.append(stored_file_save(upload=pdf_upload("再次上传.pdf"))),
        lambda: results.append(stored_files_purge_orphans(now=LATER)),
    )
    assert (outcome["first"], outcome["second"], outcome["contender_waited"]) == ("ok", "ok", True)
    assert [(r.count, r.files_removed, r.leftovers) for r in results] == [(0, 0, [])]
    assert StoredFile.objects.filter(pk=uploads[0].pk).exists()
    assert default_storage.open(stored.path).read() == PDF
