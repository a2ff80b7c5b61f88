"""Workbench pages for the catalogue xlsx import (with its report) and export."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.accounts.factories import make_department, make_staff
from tests.catalog.factories import Curation
from tests.catalog.test_excel import set_cell, to_bytes
from tests.html import assert_navigation_labelled, assert_page_shell, audit_page
from zhengwu.accounts.enums import Role
from zhengwu.catalog.domain.excel import catalog_export_xlsx
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ItemVersion, ServiceItem

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("workbench:catalog_excel_import")
EXPORT_URL = reverse("workbench:catalog_excel_export")


@pytest.fixture
def cur():
    return Curation()


def upload(data: bytes, name: str = "目录.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def report_rows(html: str) -> list[list[str]]:
    body = html.split('id="import-report"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows
    ]


def test_anonymous_visitors_go_to_the_staff_login(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workbench:login"))


def test_staff_without_the_catalogue_role_are_refused(client, cur):
    client.force_login(cur.reviewer)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    client.force_login(make_staff("clerk", department=cur.department, roles=(Role.WINDOW_CLERK,)))
    assert client.post(IMPORT_URL, {"file": upload(b"x")}).status_code == 403


def test_an_editor_sees_the_upload_form_and_the_export_link(client, cur, django_assert_max_num_queries):
    client.force_login(cur.editor)
    with django_assert_max_num_queries(8):
        response = client.get(IMPORT_URL)
    html = response.content.decode()
    page = assert_page_shell(html)
    assert_navigation_labelled(page)
    [file_input] = page.find_all("input", type="file")
    assert (file_input["name"], file_input["accept"]) == (
        "file",
        ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert page.find_all("input", name="publish") == []
    assert f'href="{EXPORT_URL}"' in html
    assert 'id="import-report"' not in html


def test_an_administrator_may_choose_to_publish_directly(client):
    admin = make_staff("admin1", department=make_department("区政务服务管理局", "ZW09"), roles=(Role.ADMINISTRATOR,))
    client.force_login(admin)
    page = audit_page(client.get(IMPORT_URL).content.decode())
    assert [field["type"] for field in page.find_all("input", name="publish")] == ["checkbox"]


def test_a_bad_file_shows_the_report_table_and_imports_nothing(client, cur):
    cur.published()
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    ServiceItem.objects.all().delete()
    set_cell(workbook["事项"], 2, "承诺办结时限", 30)
    set_cell(workbook["申请材料"], 3, "材料形式", "传真件")
    client.force_login(cur.editor)
    response = client.post(IMPORT_URL, {"file": upload(to_bytes(workbook))})
    assert response.status_code == 200
    html = response.content.decode()
    assert_page_shell(html)
    assert "文件未导入：发现 2 处问题" in html
    assert report_rows(html) == [
        ["事项", "2", "承诺办结时限", "承诺办结时限（30 天）不得超过法定办结时限（20 天）。"],
        ["申请材料", "3", "材料形式", "“传真件”不是有效的选项，应为：原件、复印件、电子材料、原件和复印件。"],
    ]
    assert ServiceItem.objects.count() == 0


def test_a_file_that_is_not_a_workbook_gets_one_report_line(client, cur):
    client.force_login(cur.editor)
    response = client.post(IMPORT_URL, {"file": upload("实施编码,事项名称\n".encode(), "目录.csv")})
    assert report_rows(response.content.decode()) == [
        ["（整个文件）", "—", "—", "文件不是 Excel 工作簿（.xlsx）。请用 Excel 或 WPS 另存为 .xlsx 格式后再导入。"]
    ]


def test_a_missing_file_is_a_form_error(client, cur):
    client.force_login(cur.editor)
    response = client.post(IMPORT_URL, {})
    assert response.status_code == 200
    assert "这个字段是必填项。" in response.content.decode()


def test_a_good_file_is_imported_as_drafts_with_a_summary(client, cur):
    cur.published()
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    client.force_login(cur.editor)
    response = client.post(IMPORT_URL, {"file": upload(exported)}, follow=True)
    assert response.redirect_chain == [(IMPORT_URL, 302)]
    assert "导入成功：新建 1 个事项，更新 0 个事项。导入的内容为草稿，请在“事项管理”中核对后提交审核。" in (
        response.content.decode()
    )
    assert list(ItemVersion.objects.values_list("state", flat=True)) == [VersionState.DRAFT]


def test_an_editor_cannot_publish_directly_even_by_posting_the_flag(client, cur):
    cur.published()
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    client.force_login(cur.editor)
    client.post(IMPORT_URL, {"file": upload(exported), "publish": "on"})
    assert list(ItemVersion.objects.values_list("state", flat=True)) == [VersionState.DRAFT]


def test_export_downloads_the_published_catalogue(client, cur):
    version = cur.published()
    client.force_login(cur.editor)
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["事项", "申请材料", "收费项目", "办理环节"]
    assert workbook["事项"]["A2"].value == version.item.implementation_code
