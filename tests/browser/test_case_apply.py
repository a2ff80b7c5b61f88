"""In headless Chromium: a citizen opens a guide, applies online uploading PDFs, sees the case number, then finds
the case in 我的办件 — without a single CSP violation."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD, make_citizen
from tests.catalog.factories import Curation
from zhengwu.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill_in_an_application(page, live_server):
    """Log a citizen in, open an item's 在线申报 form from its guide and fill it in; the item's version."""
    version = Curation().published()
    citizen = make_citizen(phone="13953600001", real_name="张晓明")
    materials = {m.name: m for m in version.materials.all()}

    page.goto(live_server.url + reverse("portal:login"))
    page.locator("[name='username']").fill(citizen.username)
    page.locator("[name='password']").fill(PASSWORD)
    page.locator("main form [type='submit']").click()
    page.goto(live_server.url + reverse("portal:services_item", args=[version.item.implementation_code]))
    page.get_by_role("link", name="在线申报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"在线申报：{version.name}")

    for name, marker in (("食品经营许可申请书", b"form"), ("营业执照", b"licence")):
        page.locator(f"[name='m{materials[name].pk}_file']").set_input_files(
            files=[{"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": PDF + marker}]
        )
    page.get_by_label(re.compile("本人承诺所填信息")).check()
    return version


def test_citizen_applies_online_and_finds_the_case_in_my_cases(page, live_server, browser_log, screenshot_path):
    version = fill_in_an_application(page, live_server)
    page.screenshot(path=screenshot_path("case-apply-form"), full_page=True)
    page.get_by_role("button", name="提交申报").click()

    case = Case.objects.get()
    expect(page.locator(".message--success")).to_contain_text(f"办件编号：{case.number}，查询码：{case.query_code}")
    expect(page.get_by_role("heading", level=1)).to_have_text(version.name)
    expect(page.locator(".case-state")).to_have_text("待受理")
    page.screenshot(path=screenshot_path("case-detail"), full_page=True)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的办件").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的办件")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator(".case-number")).to_have_text(case.number)
    expect(rows.locator(".clock-badge")).to_have_text("计时中")
    page.screenshot(path=screenshot_path("cases-mine"), full_page=True)
    assert browser_log.problems == []


def test_a_double_click_on_submit_files_one_application(page, live_server, browser_log):
    version = fill_in_an_application(page, live_server)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    page.get_by_role("button", name="提交申报").dblclick()

    expect(page.locator(".message--success")).to_contain_text("申报成功。")
    case = Case.objects.get()
    expect(page.locator(".message--success")).to_have_text(
        f"成功：申报成功。办件编号：{case.number}，查询码：{case.query_code}。请牢记查询码，凭办件编号和查询码可查询办理进度。"
    )
    assert posts == [live_server.url + reverse("portal:services_apply", args=[version.item.implementation_code])]
    assert browser_log.problems == []
