"""In headless Chromium: a citizen downloads a licence from 我的证照, verifies the file, opens the QR address,
and sees it revoked after the department revokes it — without a single CSP violation."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.licences.conftest import issue_shop
from zhengwu.licences.domain import licence_revoke, verification_url

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_download_verify_and_follow_the_qr_address(page, live_server, browser_log, screenshot_path, world, settings):
    settings.ZHENGWU_PUBLIC_URL = live_server.url
    licence = issue_shop(world)

    page.goto(live_server.url + reverse("portal:login"))
    page.locator("[name='username']").fill(world.citizen.username)
    page.locator("[name='password']").fill(PASSWORD)
    page.locator("main form [type='submit']").click()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的证照").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的证照")
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".licence-number")).to_have_text(licence.number)
    page.screenshot(path=screenshot_path("licences-mine"), full_page=True)
    with page.expect_download() as download_info:
        # The hidden part of the name is out of flow, so Chromium joins it with a space.
        row.get_by_role("link", name=re.compile(r"^下载 PDF\s*：个体工商户营业执照$")).click()
    download = download_info.value
    assert download.suggested_filename == f"{licence.number}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")

    page.goto(live_server.url + reverse("licences:verify_upload"))
    page.locator("[name='file']").set_input_files(
        files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": data}]
    )
    page.get_by_role("button", name="核验").click()
    expect(page.locator(".licence-status__word")).to_have_text("有效")
    expect(page.locator(".licence-number").first).to_have_text(licence.number)
    page.screenshot(path=screenshot_path("licences-upload-valid"), full_page=True)

    qr_address = verification_url(licence.token)
    assert qr_address.startswith(live_server.url)
    page.goto(qr_address)
    expect(page.locator(".licence-status__word")).to_have_text("有效")
    licence_revoke(actor=world.chief, licence=licence, reason="经营者申请注销登记后发现登记时提交虚假材料")
    page.reload()
    expect(page.locator(".licence-status__word")).to_have_text("已撤销")
    expect(page.locator(".licence-status")).to_contain_text("撤销原因：经营者申请注销登记后发现登记时提交虚假材料")
    page.screenshot(path=screenshot_path("licences-verify-revoked"), full_page=True)
    assert browser_log.problems == []
