"""A resident finds an item by a 2-character term, opens its guide and reads the materials — in headless Chromium."""

import pytest
from playwright.sync_api import expect

from tests.catalog.factories import INSURANCE_MATERIALS, Curation, make_theme, newborn_scenario, publish

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

NO_HORIZONTAL_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
PASSPORT_MATERIALS = [
    {"name": "中国公民出入境证件申请表", "form": "original", "copies": 1, "necessity": "required"},
    {"name": "居民身份证", "form": "original", "copies": 1, "necessity": "required", "licence_type": "居民身份证"},
    {"name": "近期免冠彩色照片", "form": "original", "copies": 2, "necessity": "required"},
    {"name": "监护人身份证明", "form": "original", "necessity": "conditional", "condition": "未满十六周岁的"},
]


def passport_catalogue():
    cur = Curation()
    cur.department.name = "区公安分局出入境管理大队"
    cur.department.save()
    passport = publish(
        cur,
        "000201011000",
        name="普通护照签发",
        materials=PASSPORT_MATERIALS,
        statutory_preset="",
        statutory_limit_days=15,
        promised_limit_days=7,
        result_name="中华人民共和国普通护照",
        legal_basis="《中华人民共和国护照法》第五条、第六条",
        is_free=False,
        fees=[
            {
                "name": "普通护照工本费",
                "standard_amount": "120.00",
                "unit": "元/本",
                "legal_basis": "发改价格规〔2019〕914号",
            }
        ],
        steps=[
            {"name": "申请", "description": "本人到出入境窗口申请并现场采集指纹", "limit_days": 1},
            {"name": "审批", "description": "审核申请材料", "limit_days": 6},
            {"name": "制证送达", "description": "邮寄或窗口领取", "limit_days": None},
        ],
    )
    publish(cur, "002005001000", name="城乡居民基本医疗保险参保登记", item_type="20", materials=INSURANCE_MATERIALS)
    return cur, passport


def test_resident_searches_a_two_character_term_opens_the_guide_and_sees_its_materials(
    page, live_server, browser_log, screenshot_path
):
    _cur, passport = passport_catalogue()

    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="办事服务").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("办事服务")
    page.get_by_role("searchbox", name="搜索事项").fill("护照")
    page.get_by_role("search").get_by_role("button", name="搜索").click()

    expect(page.locator("#results-title")).to_have_text("找到 1 个事项")
    hit = page.locator(".search-hit__title")
    expect(hit).to_have_text("普通护照签发")
    expect(hit.locator("mark")).to_have_text("护照")
    page.screenshot(path=screenshot_path("guide-search"), full_page=True)
    hit.click()

    expect(page).to_have_url(f"{live_server.url}/services/item/{passport.item.implementation_code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("普通护照签发")
    table = page.get_by_role("table", name="“普通护照签发”申请材料")
    expect(table.locator("tbody th[scope='row']")).to_have_text(
        ["中国公民出入境证件申请表", "居民身份证", "近期免冠彩色照片", "监护人身份证明"]
    )
    expect(table.locator("tbody tr").nth(3)).to_contain_text("适用情形：未满十六周岁的")
    expect(page.get_by_role("img", name="扫码在手机上查看本办事指南")).to_be_visible()
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    page.screenshot(path=screenshot_path("guide"), full_page=True)
    assert browser_log.problems == []


def test_guide_fits_a_phone_screen_and_prints_without_the_site_chrome(page, live_server, browser_log, screenshot_path):
    _cur, passport = passport_catalogue()
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(f"{live_server.url}/services/item/{passport.item.implementation_code}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("普通护照签发")
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    # On a phone every material is a card whose cells name their column.
    label = page.locator("table.materials tbody td[data-label='份数']").nth(2)
    assert label.evaluate("cell => getComputedStyle(cell, '::before').content") == '"份数"'
    page.screenshot(path=screenshot_path("guide-phone"), full_page=True)

    page.emulate_media(media="print")
    expect(page.get_by_role("banner")).to_be_hidden()
    expect(page.get_by_role("navigation", name="指南目录")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.get_by_role("img", name="扫码在手机上查看本办事指南")).to_be_visible()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=screenshot_path("guide-print"), full_page=True)
    assert browser_log.problems == []


def test_scenario_checklist_fits_a_phone_screen(page, live_server, browser_log, screenshot_path):
    cur = Curation()
    newborn_scenario(cur)
    make_theme("life_event", "birth", "出生", [])
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(live_server.url + "/services/scenario/newborn/")

    expect(page.get_by_role("heading", level=1)).to_have_text("新生儿出生一件事")
    names = page.locator("table.checklist tbody th[scope='row']")
    expect(names).to_have_count(4)
    expect(names.first).to_contain_text("居民身份证")
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    page.screenshot(path=screenshot_path("guide-checklist-phone"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/services/")
    page.screenshot(path=screenshot_path("guide-services-index"), full_page=True)
    assert browser_log.problems == []
