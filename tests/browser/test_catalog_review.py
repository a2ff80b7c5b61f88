"""Catalogue curation in headless Chromium: an editor submits a draft, a legal reviewer returns it with a comment,
and the editor reads the comment on the item page; the draft form's preset help, ratio and added rows work."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.browser.test_journeys import submit
from tests.catalog.factories import Curation
from zhengwu.catalog.domain.versions import version_draft_create, version_update
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ItemVersion

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

COMMENT = "受理条件缺少经营场所面积要求，请补充后重新提交。"


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("workbench:login"))
    page.locator("[name='username']").fill(username)
    page.locator("[name='password']").fill(PASSWORD)
    submit(page, "username")
    expect(page).to_have_url(live_server.url + reverse("workbench:home"))


def log_out(page) -> None:
    page.get_by_role("banner").get_by_role("button", name="退出").click()


def test_reviewer_returns_a_draft_and_the_editor_sees_the_comment(page, live_server, browser_log, screenshot_path):
    cur = Curation()
    published = cur.published()
    draft = version_draft_create(actor=cur.editor, item=published.item)
    version_update(actor=cur.editor, version=draft, fields={"promised_limit_days": 3})
    nav = page.get_by_role("navigation", name="工作台导航")

    log_in(page, live_server, "editor")
    nav.get_by_role("link", name="事项管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("事项管理")
    page.screenshot(path=screenshot_path("cat-items"), full_page=True)
    page.get_by_role("link", name="食品经营许可证核发").click()
    page.get_by_role("link", name="查看第 2 版").click()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".messages")).to_contain_text("已提交法制审核。")
    log_out(page)

    log_in(page, live_server, "reviewer")
    nav.get_by_role("link", name="事项审核").click()
    queue = page.get_by_role("table")
    expect(queue.get_by_role("row")).to_have_count(2)
    expect(queue).to_contain_text("食品经营许可证核发")
    page.screenshot(path=screenshot_path("cat-review-queue"), full_page=True)
    queue.get_by_role("link", name=re.compile("^审核")).click()
    changes = page.locator("table.diff")
    expect(changes.locator("tbody th")).to_have_text(["承诺办结时限"])
    expect(changes.locator("del")).to_have_text("删除：5")
    expect(changes.locator("ins")).to_have_text("新增：3")
    page.locator("form[action$='/return/'] [name='comment']").fill(COMMENT)
    page.screenshot(path=screenshot_path("cat-review"), full_page=True)
    page.get_by_role("button", name="退回修改").click()
    expect(page).to_have_url(live_server.url + reverse("workbench:catalog_review_queue"))
    expect(page.locator(".messages")).to_contain_text("已退回修改，审核意见已送达编辑人员。")
    log_out(page)

    log_in(page, live_server, "editor")
    page.goto(live_server.url + reverse("workbench:catalog_item", args=[published.item_id]))
    returned = page.locator(".review-comment")
    expect(returned.get_by_role("heading")).to_have_text("第 2 版已退回修改")
    expect(returned.locator(".review-comment__text")).to_have_text(COMMENT)
    expect(returned).to_contain_text("钱审核")
    page.screenshot(path=screenshot_path("cat-item-returned"), full_page=True)
    page.get_by_role("link", name="与上一版对比").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("第 2 版修改内容")
    expect(page.locator("table.diff tbody th")).to_have_text(["承诺办结时限"])
    page.screenshot(path=screenshot_path("cat-diff"), full_page=True)
    assert ItemVersion.objects.get(pk=draft.pk).state == VersionState.RETURNED
    assert browser_log.problems == []


def test_the_draft_form_explains_the_preset_updates_the_ratio_and_adds_rows(
    page, live_server, browser_log, screenshot_path
):
    cur = Curation()
    draft = cur.draft(statutory_preset="", statutory_limit_days=30, promised_limit_days=10)
    log_in(page, live_server, "editor")
    page.goto(live_server.url + reverse("workbench:catalog_version_edit", args=[draft.item_id, 1]))
    ratio = page.locator("#compression-ratio")
    help_box = page.locator("#preset-help")
    expect(ratio).to_have_text("33%")
    expect(help_box).to_be_hidden()

    page.get_by_label("法定时限依据（预设）").select_option("licence_decision")

    expect(help_box).to_be_visible()
    expect(help_box.locator("[data-preset]:visible")).to_have_count(1)
    expect(help_box).to_contain_text("《行政许可法》第四十二条第一款、第八十二条")
    expect(page.locator("[name='statutory_limit_days']")).to_have_value("20")
    expect(ratio).to_have_text("50%")
    page.locator("[name='promised_limit_days']").fill("5")
    expect(ratio).to_have_text("25%")

    materials = page.locator("[data-formset='materials']")
    expect(materials.locator("fieldset.formset-row")).to_have_count(4)  # three materials and one blank row
    materials.get_by_role("button", name="添加一项材料").click()
    expect(materials.locator("fieldset.formset-row")).to_have_count(5)
    expect(materials.locator("fieldset.formset-row legend").last).to_have_text("材料 5")
    page.locator("[name='materials-3-name']").fill("食品安全管理制度")
    page.locator("[name='materials-4-name']").fill("从业人员健康证明")
    page.screenshot(path=screenshot_path("cat-edit"), full_page=True)
    page.get_by_role("button", name="保存草稿").click()

    expect(page.locator(".messages")).to_contain_text("草稿已保存。")
    draft.refresh_from_db()
    limits = (draft.statutory_preset, draft.statutory_limit_days, draft.promised_limit_days)
    assert limits == ("licence_decision", 20, 5)
    assert [m.name for m in draft.materials.all()][-2:] == ["食品安全管理制度", "从业人员健康证明"]
    assert browser_log.problems == []


def test_a_new_item_with_bad_limits_shows_chinese_errors_on_the_fields(page, live_server, browser_log, screenshot_path):
    Curation()
    log_in(page, live_server, "editor")
    page.goto(live_server.url + reverse("workbench:catalog_items"))
    page.get_by_role("link", name="新建事项").click()
    page.wait_for_url(live_server.url + reverse("workbench:catalog_item_create"))  # its script has run
    page.get_by_label("事项类型").select_option("01")
    page.get_by_label("基本编码").fill("000201001000")
    page.get_by_label("事项名称").fill("小餐饮经营许可")
    page.get_by_label("法定时限依据（预设）").select_option("licence_decision")
    expect(page.locator("[name='statutory_limit_days']")).to_have_value("20")
    page.locator("[name='promised_limit_days']").fill("30")
    page.get_by_role("button", name="创建事项").click()

    expect(page.get_by_role("alert")).to_contain_text("内容未保存，请修改下列标出的问题。")
    expect(page.locator("#id_promised_limit_days_error")).to_have_text(
        "承诺办结时限（30 天）不得超过法定办结时限（20 天）。"
    )
    expect(page.locator("#id_acceptance_conditions_error")).to_have_text("这个字段是必填项。")
    expect(page.locator("[name='name']")).to_have_value("小餐饮经营许可")
    page.screenshot(path=screenshot_path("cat-create-errors"), full_page=True)
    assert browser_log.problems == []
