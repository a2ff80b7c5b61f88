"""Public verification pages, the upload form, 我的证照 and permission-checked downloads."""

import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.licences.conftest import CITIZEN_ID, ENTERPRISE_CODE, issue_food, issue_shop, pdf_bytes
from zhengwu.licences.domain import licence_revoke

pytestmark = pytest.mark.django_db

ISSUED = "2026-11-23 10:00:00+08:00"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def status_word(response) -> str:
    match = re.search(r'<p class="licence-status__word">(.*?)</p>', response.content.decode())
    return match.group(1) if match else ""


@time_machine.travel(ISSUED, tick=False)
def test_verification_page_shows_a_valid_licence_with_personal_data_masked(client, world):
    licence = issue_shop(world)
    response = client.get(f"/licences/verify/{licence.token}/")
    assert response.status_code == 200
    page = text(response)
    assert status_word(response) == "有效"
    assert "licence-status--valid" in page
    shown = ["个体工商户营业执照", "GTGSH2026000001", "张**", "370***********3013", "区市场监督管理局"]
    for expected in [*shown, "2026年11月23日", "长期", licence.pdf_sha256]:
        assert expected in page, expected
    assert CITIZEN_ID not in page and "张晓明" not in page
    assert 'name="robots" content="noindex, nofollow"' in page
    assert "no-store" in response["Cache-Control"]


def test_verification_page_of_an_enterprise_licence_masks_the_credit_code(client, world):
    licence = issue_food(world)
    page = text(client.get(reverse("licences:verify", args=[licence.token])))
    assert "青川区绿源农业科技有限公司" in page
    assert "913***********5E65" in page and ENTERPRISE_CODE not in page


def test_verification_page_of_a_revoked_licence_says_so_with_date_and_reason(client, world):
    licence = issue_food(world)
    with time_machine.travel("2027-03-01 15:30:00+08:00", tick=False):
        licence_revoke(actor=world.chief, licence=licence, reason="以欺骗手段取得许可")
    response = client.get(f"/licences/verify/{licence.token}/")
    page = text(response)
    assert status_word(response) == "已撤销"
    assert "licence-status--revoked" in page
    assert "该证照已于 2027年3月1日 被发证机关撤销，不再有效。" in page
    assert "撤销原因：以欺骗手段取得许可" in page


def test_verification_page_of_an_expired_licence(client, world):
    with time_machine.travel(ISSUED, tick=False):
        licence = issue_food(world)
    with time_machine.travel("2031-11-23 09:00:00+08:00", tick=False):
        response = client.get(f"/licences/verify/{licence.token}/")
    assert status_word(response) == "已过期"
    assert "该证照的有效期已于 2031年11月22日 届满。" in text(response)


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAAAA", "x", "not-a-token-at-all"])
def test_unknown_tokens_get_the_plain_404_page(client, world, token):
    issue_food(world)
    response = client.get(f"/licences/verify/{token}/")
    assert response.status_code == 404
    page = text(response)
    assert "页面不存在" in page
    assert "证照" not in page.split("<main", 1)[1]


def upload(client, content: bytes, name: str = "licence.pdf", **extra):
    return client.post(reverse("licences:verify_upload"), {"file": SimpleUploadedFile(name, content)}, **extra)


def field_errors(response) -> list[str]:
    match = re.search(r'<ul class="errorlist" id="id_file_error">(.*?)</ul>', response.content.decode(), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def test_upload_form_is_offered(client, world):
    response = client.get("/licences/verify/")
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()
    assert 'accept="application/pdf,.pdf"' in response.content.decode()


def test_uploading_a_genuine_licence_shows_it_valid(client, world):
    licence = issue_food(world)
    response = upload(client, pdf_bytes(licence))
    page = text(response)
    assert status_word(response) == "有效"
    assert licence.number in page and licence.pdf_sha256 in page and "ECDSA P-256 / SHA-256" in page
    assert "本平台根证书签发" in page
    assert reverse("licences:verify", args=[licence.token]) in page


def test_uploading_a_revoked_licence_shows_it_revoked(client, world):
    licence = issue_food(world)
    licence_revoke(actor=world.chief, licence=licence, reason="许可证被依法吊销")
    response = upload(client, pdf_bytes(licence))
    assert status_word(response) == "已撤销"
    assert "撤销原因：许可证被依法吊销" in text(response)


def test_uploading_a_tampered_file_fails_verification(client, world):
    data = bytearray(pdf_bytes(issue_food(world)))
    data[len(data) // 2] ^= 0x01
    response = upload(client, bytes(data))
    assert status_word(response) == "核验未通过"
    assert "签名无效，文件已被修改" in text(response)


def test_upload_rejects_a_file_that_is_not_a_pdf(client, world):
    response = upload(client, b"\x89PNG\r\n\x1a\n....", name="licence.pdf")
    assert response.status_code == 200
    assert field_errors(response) == ["只能核验 PDF 文件：所选文件不是 PDF 格式。"]
    assert status_word(response) == ""


def test_upload_rejects_an_oversized_file(client, world):
    response = upload(client, b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    assert field_errors(response) == ["文件不能超过 10 MB。"]


def test_upload_accepts_exactly_10_mb_and_reports_it_damaged(client, world):
    response = upload(client, b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 - 9))
    assert field_errors(response) == []
    assert status_word(response) == "核验未通过"


def test_upload_without_a_file_or_with_an_empty_one(client, world):
    response = client.post(reverse("licences:verify_upload"), {})
    assert field_errors(response) == ["请选择要核验的 PDF 文件。"]
    assert field_errors(upload(client, b"")) == ["文件是空的，请重新选择。"]


def test_upload_checks_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    assert upload(client, b"%PDF-1.7").status_code == 403


def test_my_licences_lists_only_my_own(client, world, django_assert_num_queries):
    mine = [issue_shop(world), issue_shop(world)]
    licence_revoke(actor=world.chief, licence=mine[0], reason="注销登记")
    issue_shop(world, holder=world.other_citizen)
    client.force_login(world.citizen)
    client.get("/licences/mine/")  # warm the session
    with django_assert_num_queries(QUERIES_MINE):
        response = client.get("/licences/mine/")
    page = text(response)
    assert response.status_code == 200
    assert re.findall(r'<td class="licence-number">(.*?)</td>', page) == [mine[1].number, mine[0].number]
    assert '<span class="licence-badge licence-badge--revoked">已撤销</span>' in page
    assert reverse("licences:download", args=[mine[1].number]) in page
    assert reverse("licences:verify", args=[mine[1].token]) in page
    assert '<a href="/licences/mine/" aria-current="page">我的证照</a>' in page
    for _ in range(3):
        issue_shop(world)
    with django_assert_num_queries(QUERIES_MINE):  # one query for the list whatever its length
        client.get("/licences/mine/")


QUERIES_MINE = 4  # session, user, licences, unread messages badge


def test_my_licences_needs_a_login_and_is_empty_for_staff(client, world):
    response = client.get("/licences/mine/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/licences/mine/")
    client.force_login(world.handler)
    assert "您还没有电子证照。" in text(client.get("/licences/mine/"))


def test_nav_links_to_my_licences_only_for_public_users(client, world):
    assert "我的证照" not in text(client.get("/"))
    client.force_login(world.handler)
    assert "我的证照" not in text(client.get("/"))
    client.force_login(world.enterprise)
    assert '<a href="/licences/mine/">我的证照</a>' in text(client.get("/"))


def test_the_holder_downloads_the_pdf(client, world):
    licence = issue_shop(world)
    client.force_login(world.citizen)
    response = client.get(f"/licences/{licence.number}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{licence.number}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes(licence)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("citizen", 200),
        ("other_citizen", 404),
        ("enterprise", 404),
        ("handler", 200),
        ("chief", 200),
        ("other_handler", 404),
        ("supervisor", 200),
        ("administrator", 200),
    ],
)
def test_download_permissions(client, world, who, status):
    licence = issue_shop(world)
    client.force_login(getattr(world, who))
    assert client.get(f"/licences/{licence.number}/pdf").status_code == status


def test_anonymous_download_goes_to_login_and_unknown_numbers_are_404(client, world):
    licence = issue_shop(world)
    response = client.get(f"/licences/{licence.number}/pdf")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/licences/{licence.number}/pdf"
    client.force_login(world.citizen)
    assert client.get("/licences/GTGSH2026999999/pdf").status_code == 404


def test_a_missing_file_is_404_not_500(client, world):
    licence = issue_shop(world)
    licence.pdf.storage.delete(licence.pdf.name)
    client.force_login(world.citizen)
    assert client.get(f"/licences/{licence.number}/pdf").status_code == 404
