import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cases.conftest import PDF, PNG, office_bytes, pdf_upload
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import stored_file_open, stored_file_save
from zhengwu.cases.domain.files import MAX_UPLOAD_BYTES
from zhengwu.cases.models import StoredFile

pytestmark = pytest.mark.django_db


def _error(upload) -> str:
    with pytest.raises(ValidationError) as caught:
        stored_file_save(upload=upload)
    return caught.value.message_dict["upload"][0]


def test_pdf_is_stored_under_its_hash_outside_the_web_root(settings):
    stored = stored_file_save(upload=pdf_upload("营业执照.pdf"))
    assert stored.content_type == "application/pdf"
    assert stored.size == len(PDF)
    assert stored.original_name == "营业执照.pdf"
    assert stored.path == f"cases/{stored.sha256[:2]}/{stored.sha256}"
    assert (settings.MEDIA_ROOT / stored.path).read_bytes() == PDF
    with stored_file_open(stored) as handle:
        assert handle.read() == PDF
    assert AuditEvent.objects.filter(action="cases.file_stored", object_id=str(stored.pk)).count() == 1


def test_same_content_is_kept_once():
    first = stored_file_save(upload=pdf_upload("a.pdf"))
    second = stored_file_save(upload=pdf_upload("b.pdf"))
    assert second.pk == first.pk
    assert StoredFile.objects.count() == 1
    assert default_storage.listdir(f"cases/{first.sha256[:2]}")[1] == [first.sha256]
    assert AuditEvent.objects.filter(action="cases.file_stored").count() == 1


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        ("photo.jpeg", b"\xff\xd8\xff\xe1" + b"\x00" * 16, "image/jpeg"),
        ("scan.png", PNG, "image/png"),
        ("form.docx", office_bytes("word"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("table.xlsx", office_bytes("xl"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_accepted_kinds_are_recognised_by_content(name, data, kind):
    assert stored_file_save(upload=SimpleUploadedFile(name, data)).content_type == kind


def test_ofd_is_recognised():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD/>")
    assert stored_file_save(upload=SimpleUploadedFile("证明.ofd", buffer.getvalue())).content_type == "application/ofd"


def test_extension_that_lies_about_the_content_is_refused():
    assert _error(SimpleUploadedFile("photo.png", PDF)) == "文件内容为 PDF 格式，与文件名“photo.png”不符。"
    assert StoredFile.objects.count() == 0
    assert not default_storage.exists("cases")


def test_unknown_content_is_refused_whatever_the_name():
    message = "不支持的文件类型，请上传 PDF、JPG、PNG、DOCX、XLSX 或 OFD 文件。"
    assert _error(SimpleUploadedFile("evil.pdf", b"MZ\x90\x00 windows executable")) == message
    assert _error(SimpleUploadedFile("page.pdf", b"<html><script>alert(1)</script>")) == message
    assert _error(SimpleUploadedFile("plain.docx", office_bytes("other"))) == message
    assert StoredFile.objects.count() == 0


def test_oversize_upload_is_refused():
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (MAX_UPLOAD_BYTES - len(PDF) + 1))
    assert _error(big) == "文件不能超过 20 MB。"
    assert StoredFile.objects.count() == 0


def test_upload_of_exactly_20_mb_is_accepted():
    exact = SimpleUploadedFile("exact.pdf", PDF + b"0" * (MAX_UPLOAD_BYTES - len(PDF)))
    assert stored_file_save(upload=exact).size == MAX_UPLOAD_BYTES


def test_empty_and_nameless_uploads_are_refused():
    assert _error(SimpleUploadedFile("empty.pdf", b"")) == "文件为空。"
    nameless = io.BytesIO(PDF)
    assert _error(nameless) == "请选择要上传的文件。"


def test_path_in_the_upload_name_is_dropped():
    stored = stored_file_save(upload=SimpleUploadedFile("../../etc/申请书.pdf", PDF))
    assert stored.original_name == "申请书.pdf"
