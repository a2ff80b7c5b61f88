"""Blank forms, filled samples and result samples attached to a draft: type by extension and content, at most
10 MB, kept across edits, downloaded only by those who may see the item."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.accounts.factories import make_citizen, make_department, make_staff
from tests.accounts.pages import field_errors
from tests.catalog.factories import Curation
from tests.workbench.test_catalog import MATERIAL_ROWS, NEW_ITEM, edit_data, follow_messages, form_data, url
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.domain.versions import (
    UPLOAD_MAX_BYTES,
    uploaded_file_error,
    version_approve,
    version_draft_create,
    version_submit,
)
from zhengwu.catalog.models import ItemVersion

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
JPG = b"\xff\xd8\xff\xe0" + bytes(24)
ONLY = "仅限 PDF、Word（doc、docx）、Excel（xls、xlsx）、JPG、PNG 文件。"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def office_zip(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def cur():
    return Curation()


@pytest.fixture
def draft(cur, client):
    client.force_login(cur.editor)
    return cur.draft()


def post_files(client, version, **files):
    """Edit the draft, attaching files to the rows named in the keys (e.g. materials-0-blank_form)."""
    data = edit_data(version) | files
    return client.post(url("catalog_version_edit", version.item_id, version.number), data)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("申请书.pdf", PDF),
        ("申请书.docx", office_zip("word/document.xml")),
        ("清单.xlsx", office_zip("xl/workbook.xml")),
        ("申请书.doc", OLE2),
        ("清单.xls", OLE2),
        ("样表.jpg", JPG),
        ("样表.JPEG", JPG),
        ("样表.png", PNG),
    ],
)
def test_real_files_of_the_allowed_types_pass(name, content):
    assert uploaded_file_error(upload(name, content)) is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("说明.txt", b"hello", "不支持的文件类型（“.txt”），" + ONLY),
        ("setup.exe", b"MZ\x90\x00", "不支持的文件类型（“.exe”），" + ONLY),
        ("README", b"hello", "不支持的文件类型（无扩展名），" + ONLY),
        ("伪装.pdf", b"<html>not a pdf</html>", "文件内容与扩展名“.pdf”不符，请上传真实的 PDF 文件。"),
        ("伪装.docx", PDF, "文件内容与扩展名“.docx”不符，请上传真实的 Word 文件。"),
        ("伪装.xlsx", office_zip("word/document.xml"), "文件内容与扩展名“.xlsx”不符，请上传真实的 Excel 文件。"),
        ("伪装.png", JPG, "文件内容与扩展名“.png”不符，请上传真实的 PNG 文件。"),
        ("空.pdf", b"", "文件为空。"),
    ],
)
def test_wrong_types_and_disguised_files_are_refused(name, content, message):
    assert uploaded_file_error(upload(name, content)) == message


def test_a_file_over_10_mb_is_refused_and_one_of_exactly_10_mb_passes():
    assert uploaded_file_error(upload("大.pdf", PDF + bytes(UPLOAD_MAX_BYTES - len(PDF)))) is None
    too_big = upload("大.pdf", PDF + bytes(11 * 1024 * 1024 - len(PDF)))
    assert uploaded_file_error(too_big) == "文件过大（11.0 MB），单个文件不得超过 10 MB。"


def test_a_blank_form_and_a_sample_are_attached_and_shown_on_the_version_page(client, draft, settings):
    response = post_files(
        client,
        draft,
        **{
            "materials-0-blank_form": upload("申请书.pdf", PDF),
            "materials-0-sample": upload("申请书样表.docx", office_zip("word/document.xml")),
        },
    )

    assert follow_messages(client, response) == ["草稿已保存。"]
    material = draft.materials.get(position=0)
    assert material.blank_form.name.startswith("catalog/forms/")
    assert material.blank_form.name.endswith(".pdf")
    assert material.sample.name.startswith("catalog/samples/")
    assert len(stored_files(settings)) == 2
    html = client.get(url("catalog_version", draft.item_id, 1)).content.decode()
    assert f'<a href="{url("catalog_material_file", draft.item_id, 1, "blank_form", material.pk)}">空白表格</a>' in html
    download = client.get(url("catalog_material_file", draft.item_id, 1, "blank_form", material.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    event = AuditEvent.objects.filter(action="catalog.draft_updated").get()
    assert event.after["material_files"] == {
        "0": {"blank_form": material.blank_form.name, "sample": material.sample.name}
    }


def test_attached_files_survive_later_edits_and_a_new_draft_and_can_be_cleared(client, cur, draft):
    follow_messages(client, post_files(client, draft, **{"materials-1-blank_form": upload("执照.pdf", PDF)}))
    stored = draft.materials.get(position=1).blank_form.name

    follow_messages(client, post_files(client, draft, name="食品经营许可证核发（改）"))
    assert draft.materials.get(position=1).blank_form.name == stored

    edit_page = client.get(url("catalog_version_edit", draft.item_id, 1)).content.decode()
    assert 'name="materials-1-blank_form-clear"' in edit_page
    follow_messages(client, post_files(client, draft, **{"materials-1-blank_form-clear": "on"}))
    assert draft.materials.get(position=1).blank_form.name == ""


def test_a_new_draft_keeps_the_files_of_the_published_version(client, cur, draft):
    follow_messages(client, post_files(client, draft, **{"materials-0-blank_form": upload("申请书.pdf", PDF)}))
    stored = draft.materials.get(position=0).blank_form.name
    version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=draft))

    second = version_draft_create(actor=cur.editor, item=draft.item)

    assert second.materials.get(position=0).blank_form.name == stored


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("说明.txt", b"hello", "不支持的文件类型（“.txt”），" + ONLY),
        ("伪装.pdf", b"MZ\x90\x00 executable", "文件内容与扩展名“.pdf”不符，请上传真实的 PDF 文件。"),
        ("大.pdf", PDF + bytes(11 * 1024 * 1024), "文件过大（11.0 MB），单个文件不得超过 10 MB。"),
    ],
)
def test_a_refused_upload_is_shown_on_its_field_and_nothing_is_saved(client, draft, settings, name, content, message):
    response = post_files(client, draft, name="改名", **{"materials-1-sample": upload(name, content)})

    assert response.status_code == 200
    assert field_errors(response.content.decode(), "materials-1-sample") == [message]
    assert stored_files(settings) == []
    assert ItemVersion.objects.get(pk=draft.pk).name == "食品经营许可证核发"
    assert AuditEvent.objects.filter(action="catalog.draft_updated").count() == 0


def test_a_result_sample_is_uploaded_checked_and_downloadable(client, draft):
    refused = post_files(client, draft, result_sample=upload("证照样本.png", JPG))
    assert field_errors(refused.content.decode(), "result_sample") == [
        "文件内容与扩展名“.png”不符，请上传真实的 PNG 文件。"
    ]

    follow_messages(client, post_files(client, draft, result_sample=upload("证照样本.png", PNG)))

    draft.refresh_from_db()
    assert draft.result_sample.name.startswith("catalog/results/")
    download = client.get(url("catalog_version_file", draft.item_id, 1, "result_sample"))
    assert b"".join(download.streaming_content) == PNG
    event = AuditEvent.objects.filter(action="catalog.draft_updated").get()
    assert (event.before["result_sample"], event.after["result_sample"]) == ("", draft.result_sample.name)


def test_files_can_be_attached_when_the_item_is_created(client, cur):
    client.force_login(cur.editor)
    data = form_data(item=NEW_ITEM, materials=MATERIAL_ROWS) | {"materials-0-blank_form": upload("申请书.pdf", PDF)}

    response = client.post(url("catalog_item_create"), data)

    assert response.status_code == 302
    assert ItemVersion.objects.get().materials.get(position=0).blank_form.name.endswith(".pdf")


def test_downloads_are_only_for_those_who_may_see_the_item(client, cur, draft):
    follow_messages(client, post_files(client, draft, **{"materials-0-blank_form": upload("申请书.pdf", PDF)}))
    material = draft.materials.get(position=0)
    link = url("catalog_material_file", draft.item_id, 1, "blank_form", material.pk)

    client.logout()
    assert client.get(link)["Location"] == f"/workbench/login/?next={link}"
    client.force_login(make_citizen())
    assert client.get(link).status_code == 403
    client.force_login(
        make_staff("other", department=make_department("区卫生健康局", "WS02"), roles=("catalog_editor",))
    )
    assert client.get(link).status_code == 404
    client.force_login(cur.reviewer)
    assert client.get(link).status_code == 200
    assert client.get(url("catalog_material_file", draft.item_id, 1, "password", material.pk)).status_code == 404
    assert client.get(url("catalog_version_file", draft.item_id, 1, "blank_form")).status_code == 404
