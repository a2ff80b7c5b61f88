"""办事服务 pages: browsing, the guide of an item, the scenario checklist — published versions only."""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import qrcode
import qrcode.constants
import time_machine
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile

from tests.catalog.factories import MATERIALS, Curation, make_theme, newborn_scenario, publish, republish
from tests.html import assert_navigation_labelled, assert_page_shell, audit_page
from zhengwu.catalog.domain.versions import version_draft_create, version_update, version_withdraw
from zhengwu.portal.views.catalog import qr_svg
from zhengwu.workcal.presets import get_preset

pytestmark = pytest.mark.django_db

PUBLISHED_AT = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
FEES = [
    {
        "name": "食品经营许可证工本费",
        "standard_amount": "10.00",
        "unit": "元/本",
        "legal_basis": "《示范省行政事业性收费标准》",
    }
]
STEPS = [
    {"name": "受理", "description": "窗口核对材料，当场受理", "limit_days": 1},
    {"name": "审查", "description": "审查材料并现场核查", "limit_days": 3},
    {"name": "决定", "description": "", "limit_days": None},
]


class PageText(HTMLParser):
    """The text of a page's definition lists and tables, cell by cell."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.facts: list[tuple[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._dt: str | None = None
        self._text: list[str] | None = None
        self._table: list[list[str]] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attributes.get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("dt", "dd", "th", "td") and self._text is None:
            self._text = []
            self._open = tag

    def handle_endtag(self, tag):
        if self._text is not None and tag == self._open:
            text = "".join(self._text).strip()
            self._text = None
            if tag == "dt":
                self._dt = text
            elif tag == "dd":
                self.facts.append((self._dt, text))
            elif self._row is not None:
                self._row.append(text)
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def page_text(html: str) -> PageText:
    parser = PageText()
    parser.feed(html)
    parser.close()
    return parser


def main_text(html: str) -> str:
    main = re.sub(r"</?mark>", "", html[html.index("<main") : html.index("</main>")])
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def assert_catalog_shell(html: str, *, print_css: bool = False):
    """The shared page shell with exactly the catalogue's own assets (and a guide's print stylesheet and script)."""
    page = assert_page_shell(
        html,
        stylesheets=[
            "/static/zhengwu/css/catalog.css",
            *(["/static/zhengwu/css/guide-print.css"] if print_css else []),
        ],
        scripts=["/static/zhengwu/js/print.js"] if print_css else [],
    )
    assert_navigation_labelled(page)
    return page


@pytest.fixture
def catalogue():
    with time_machine.travel(PUBLISHED_AT, tick=False):
        cur = Curation()
        food = publish(
            cur,
            "000201001000",
            materials=[MATERIALS[0] | {"notes": "使用黑色签字笔填写"}, *MATERIALS[1:]],
            is_free=False,
            online_payment=True,
            fees=FEES,
            steps=STEPS,
            intermediary_services="食品检验检测（申请人自主选择具备资质的机构）",
        )
        scenario, birth, insurance = newborn_scenario(cur)
        birth_event = make_theme("life_event", "birth", "出生", [insurance, birth], description="孩子出生后要办的事")
        elderly = make_theme("identity", "elderly", "老年人", [insurance])
        opening = make_theme("enterprise", "opening", "企业开办", [food])
    return SimpleNamespace(
        cur=cur,
        food=food,
        birth=birth,
        insurance=insurance,
        scenario=scenario,
        birth_event=birth_event,
        elderly=elderly,
        opening=opening,
    )


def guide_url(version) -> str:
    return f"/services/item/{version.item.implementation_code}/"


# --- The guide of an item ---------------------------------------------------------------------------------------


def test_guide_shows_every_field_of_the_published_version(client, catalogue):
    food = catalogue.food
    code = food.item.implementation_code

    response = client.get(guide_url(food))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>食品经营许可证核发 - 办事指南 - 政务服务平台</title>" in html
    assert '<h1 id="guide-title">食品经营许可证核发</h1>' in html
    assert '<p class="guide__version muted">第 1 版，2026年3月2日发布</p>' in html
    text = page_text(html)
    assert text.facts == [
        ("事项名称", "食品经营许可证核发"),
        ("事项类型", "行政许可（01）"),
        ("基本编码", "000201001000"),
        ("实施编码", code),
        ("实施主体", "区市场监督管理局"),
        ("行使层级", "县级"),
        ("服务对象", "自然人、法人"),
        ("办件类型", "承诺件"),
        ("网上办理深度", "Ⅳ级：全程网办"),
        ("到办事现场次数", "0 次"),
        ("通办范围", "全区（县）通办"),
        ("物流快递", "支持，办理结果可免费寄递"),
        ("中介服务", "食品检验检测（申请人自主选择具备资质的机构）"),
        ("法定办结时限", "20 个工作日"),
        ("承诺办结时限", "5 个工作日"),
        ("时限压缩", "承诺时限为法定时限的 25%（压缩 75%）"),
        ("法定时限依据", get_preset("licence_decision").summary()),
        ("结果名称", "食品经营许可证"),
        ("结果类型", "证照"),
        ("办理地点", "区政务服务中心一楼 A05 窗口"),
        ("办理时间", "工作日 9:00-12:00，13:30-17:30"),
        ("咨询电话", "0000-12345678"),
        ("监督投诉电话", "0000-12345"),
    ]
    assert get_preset("licence_decision").summary() == (
        "行政许可决定：20 个工作日，经本行政机关负责人批准可延长 10 个工作日"
        "（《行政许可法》第四十二条第一款、第八十二条）"
    )
    assert text.tables["materials"] == [
        ["序号", "材料名称", "来源渠道", "形式", "份数", "必要性", "表格与样表", "电子证照"],
        ["1", "食品经营许可申请书使用黑色签字笔填写", "申请人自备", "原件", "1", "必要", "—", "—"],
        ["2", "营业执照", "申请人自备", "电子材料", "1", "必要", "—", "可用电子证照“营业执照”替代，无需提交纸质材料"],
        ["3", "法定代表人授权委托书", "申请人自备", "原件", "1", "容缺/情形必要适用情形：委托他人办理的", "—", "—"],
    ]
    assert text.tables["fees"] == [
        ["收费项目", "收费标准", "收费依据"],
        ["食品经营许可证工本费", "10.00 元/本", "《示范省行政事业性收费标准》"],
    ]
    body = main_text(html)
    assert "受理条件 申请人具有与经营的食品品种、数量相适应的经营场所。" in body
    assert (
        "办理流程 申请、受理、审查、决定、送达。 受理 （1 日） 窗口核对材料，当场受理 "
        "审查 （3 日） 审查材料并现场核查 决定" in body
    )
    assert "支持网上支付。" in body
    assert "设定依据 《中华人民共和国食品安全法》第三十五条" in body
    assert "相关主题 企业开办" in body
    assert 'href="/services/department/SC01/"' in html
    assert 'href="/services/theme/opening/"' in html


def test_guide_of_a_free_immediate_item_says_so(client, catalogue):
    version = publish(
        catalogue.cur,
        "000207009000",
        name="食品小作坊登记信息查询",
        handling_kind="immediate",
        statutory_limit_days=5,
        promised_limit_days=0,
        statutory_preset="",
        for_legal_persons=False,
        express_delivery=False,
        visits_required=1,
        online_depth=2,
        handling_scope="local",
        result_kind="other",
    )

    html = client.get(guide_url(version)).content.decode()

    facts = dict(page_text(html).facts)
    assert facts["服务对象"] == "自然人"
    assert facts["办件类型"] == "即办件"
    assert facts["承诺办结时限"] == "当场办结"
    assert facts["时限压缩"] == "承诺时限为法定时限的 0%（压缩 100%）"
    assert "法定时限依据" not in facts
    assert facts["中介服务"] == "无"
    assert facts["物流快递"] == "不支持，请到现场领取"
    assert facts["网上办理深度"] == "Ⅱ级：网上下载表格、咨询"
    assert '<p class="fee-free">不收费</p>' in html
    assert "fees" not in page_text(html).tables
    assert "全程网办</li>" not in html


def test_guide_offers_the_blank_form_sample_and_result_sample_of_the_published_version(client, catalogue):
    food = catalogue.food
    material = food.materials.get(position=0)
    material.blank_form.save("申请书.docx", ContentFile(b"blank form"), save=False)
    material.sample.save("申请书样表.pdf", ContentFile(b"sample"), save=False)
    material.save()
    food.result_sample.save("许可证样本.pdf", ContentFile(b"result"), save=True)
    code = food.item.implementation_code
    draft = version_draft_create(actor=catalogue.cur.editor, item=food.item)
    draft_material = draft.materials.get(position=0)

    html = client.get(guide_url(food)).content.decode()

    blank_url = f"/services/item/{code}/materials/{material.pk}/blank-form/"
    sample_url = f"/services/item/{code}/materials/{material.pk}/sample/"
    assert (
        page_text(html).tables["materials"][1][6] == "下载空白表格：食品经营许可申请书下载填写样表：食品经营许可申请书"
    )
    assert f'href="{blank_url}"' in html
    assert f'href="{sample_url}"' in html
    assert f'<dd><a href="/services/item/{code}/result-sample/">下载结果样本</a></dd>' in html
    response = client.get(blank_url)
    assert (response.status_code, b"".join(response.streaming_content)) == (200, b"blank form")
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(client.get(sample_url).streaming_content) == b"sample"
    assert b"".join(client.get(f"/services/item/{code}/result-sample/").streaming_content) == b"result"
    # The draft's copy of the same file, another material's file and unknown kinds are not public.
    assert client.get(f"/services/item/{code}/materials/{draft_material.pk}/blank-form/").status_code == 404
    other = food.materials.get(position=1)
    assert client.get(f"/services/item/{code}/materials/{other.pk}/blank-form/").status_code == 404
    assert client.get(f"/services/item/{code}/materials/{material.pk}/notes/").status_code == 404


def test_guide_shows_only_the_published_version_never_a_draft_or_a_superseded_one(client, catalogue):
    cur, food = catalogue.cur, catalogue.food
    newer = republish(cur, food, name="食品经营许可证核发（新版）", promised_limit_days=3)
    draft = version_draft_create(actor=cur.editor, item=food.item)
    version_update(actor=cur.editor, version=draft, fields={"name": "草稿中的名称"})

    html = client.get(guide_url(food)).content.decode()

    assert '<h1 id="guide-title">食品经营许可证核发（新版）</h1>' in html
    assert f"第 {newer.number} 版" in html
    assert dict(page_text(html).facts)["承诺办结时限"] == "3 个工作日"
    assert "草稿中的名称" not in html
    assert "食品经营许可证核发</h1>" not in html


def test_items_without_a_published_version_are_not_found(client, catalogue):
    cur = catalogue.cur
    draft = cur.draft("000201005000", name="只有草稿的事项")
    version_withdraw(actor=cur.editor, version=catalogue.food, reason="职能调整")

    for url in [guide_url(draft), guide_url(catalogue.food), "/services/item/NO-SUCH-ITEM/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "只有草稿的事项" not in response.content.decode()


def test_guide_qr_code_encodes_the_absolute_page_url_and_has_no_style_attribute(client, catalogue):
    food = catalogue.food
    absolute = f"http://testserver{guide_url(food)}"

    html = client.get(guide_url(food)).content.decode()

    svg = html[html.index('<svg class="qr-code"') : html.index("</svg>") + len("</svg>")]
    assert svg == qr_svg(absolute, title="扫码在手机上查看本办事指南")
    assert "style" not in svg
    assert svg.startswith(
        '<svg class="qr-code" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 41 41" role="img" '
        'aria-labelledby="qr-title" shape-rendering="crispEdges">'
        '<title id="qr-title">扫码在手机上查看本办事指南</title>'
    )
    assert f'<p class="guide__url">{absolute}</p>' in html


def test_qr_code_path_draws_exactly_the_dark_modules_of_the_qr_matrix():
    url = "http://testserver/services/item/11330102MB0000001N4000201001000/"
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    expected = {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}

    svg = qr_svg(url, title="二维码")

    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    drawn = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path):
        drawn |= {(int(x) + dx, int(y)) for dx in range(int(width))}
    assert len(re.findall(r"M", path)) == len(re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path))
    assert drawn == expected


def test_qr_code_marks_the_three_finder_patterns():
    svg = qr_svg("http://testserver/services/item/X/", title="二维码")

    # After the 4-module quiet zone the top-left finder pattern starts at (4, 4) with a run of 7 dark modules.
    assert "M4 4h7v1h-7z" in svg
    assert svg.count("<path ") == 1
    assert "style" not in svg


def test_guide_links_a_print_stylesheet_and_keeps_the_page_shell(client, catalogue):
    html = client.get(guide_url(catalogue.food)).content.decode()

    page = assert_catalog_shell(html, print_css=True)
    assert page.find_all("link", rel="stylesheet", media="print") == [
        {"rel": "stylesheet", "href": "/static/zhengwu/css/guide-print.css", "media": "print"}
    ]
    css = Path(finders.find("zhengwu/css/guide-print.css")).read_text(encoding="utf-8")
    assert "@page" in css
    assert ".site-header" in css
    assert page.find_all("button", type="button", **{"class": "button--secondary", "data-print": "", "hidden": ""})


def test_guide_page_query_count_is_fixed(client, catalogue, django_assert_num_queries):
    url = guide_url(catalogue.food)
    # version with item and department, materials, fees, steps, themes
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


# --- Browsing ---------------------------------------------------------------------------------------------------


def test_services_index_browses_by_audience_scenario_theme_identity_and_department(client, catalogue):
    catalogue.cur.draft("000201005000", name="只有草稿的事项", for_natural_persons=False)

    response = client.get("/services/")

    html = response.content.decode()
    assert_catalog_shell(html)
    assert "<title>办事服务 - 政务服务平台</title>" in html
    assert main_text(html) == (
        "办事服务 查找政务服务事项，办事之前一次了解要带的材料、办理时限、收费和地点。 搜索事项 搜索 "
        "按服务对象 个人办事 3 项 法人办事 3 项 "
        "场景式服务（一件事） 把一件事涉及的多个事项合在一起，一张清单告诉您需要准备的全部材料。 新生儿出生一件事 2 项 "
        "个人生命周期 出生 2 项 "
        "企业全生命周期 企业开办 1 项 "
        "特定人群 老年人 1 项 "
        "按部门 区市场监督管理局 3 项"
    )
    page = audit_page(html)
    links = [a["href"] for tag, a in page.elements if tag == "a" and a.get("class") == "tile"]
    assert links == [
        "/services/for/natural/",
        "/services/for/legal/",
        "/services/scenario/newborn/",
        "/services/theme/birth/",
        "/services/theme/opening/",
        "/services/identity/elderly/",
        "/services/department/SC01/",
    ]
    assert page.find_all("form", action="/services/search/", method="get", role="search")


def test_services_index_without_published_items_says_so(client):
    Curation().draft()

    html = client.get("/services/").content.decode()

    assert "按部门 暂无已发布的事项。" in main_text(html)
    assert "场景式服务" not in html


def test_services_index_query_count_is_fixed(client, catalogue, django_assert_num_queries):
    # departments, themes, audience counts
    with django_assert_num_queries(3):
        assert client.get("/services/").status_code == 200


def test_portal_navigation_links_the_services_and_marks_them_current(client, catalogue):
    home = audit_page(client.get("/").content.decode())
    services = audit_page(client.get("/services/").content.decode())

    assert home.find_all("a", href="/services/") == [{"href": "/services/"}] * 2  # the nav and the home card
    assert {"href": "/services/", "aria-current": "page"} in services.find_all("a", href="/services/")


def test_department_page_lists_its_published_items_by_type(client, catalogue):
    cur = catalogue.cur
    cur.draft("000201005000", name="只有草稿的事项")

    response = client.get("/services/department/SC01/")

    html = response.content.decode()
    assert_catalog_shell(html)
    assert "<title>区市场监督管理局 - 办事服务 - 政务服务平台</title>" in html
    assert main_text(html) == (
        "区市场监督管理局 本部门共有 3 项已发布的政务服务事项。 在本部门事项中搜索 搜索 "
        "行政许可 食品经营许可证核发 承诺件 全程网办 零跑动 "
        "行政确认 出生登记（户口登记） 承诺件 全程网办 零跑动 "
        "公共服务 城乡居民基本医疗保险参保登记 承诺件 全程网办 零跑动"
    )
    assert f'href="{guide_url(catalogue.food)}"' in html
    assert "只有草稿的事项" not in html


def test_unknown_or_inactive_department_is_not_found(client, catalogue):
    department = catalogue.cur.department
    department.is_active = False
    department.save()

    assert client.get("/services/department/SC01/").status_code == 404
    assert client.get("/services/department/NOPE/").status_code == 404


def test_department_page_query_count_is_fixed(client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert client.get("/services/department/SC01/").status_code == 200


def test_theme_page_lists_published_items_in_theme_order(client, catalogue):
    cur = catalogue.cur
    draft = cur.draft("000201005000", name="只有草稿的事项")
    catalogue.birth_event.theme_items.create(item=draft.item, position=9)

    html = client.get("/services/theme/birth/").content.decode()

    assert_catalog_shell(html)
    assert main_text(html) == (
        "个人生命周期 出生 孩子出生后要办的事 相关事项（2 项） "
        "城乡居民基本医疗保险参保登记 区市场监督管理局 公共服务 承诺件 全程网办 零跑动 "
        "出生登记（户口登记） 区市场监督管理局 行政确认 承诺件 全程网办 零跑动"
    )


def test_theme_identity_and_scenario_pages_answer_only_for_their_kind(client, catalogue):
    assert client.get("/services/theme/opening/").status_code == 200
    assert client.get("/services/identity/elderly/").status_code == 200
    assert client.get("/services/scenario/newborn/").status_code == 200
    for url in [
        "/services/theme/elderly/",
        "/services/theme/newborn/",
        "/services/identity/birth/",
        "/services/scenario/birth/",
        "/services/theme/nothing/",
    ]:
        assert client.get(url).status_code == 404, url


def test_identity_page_lists_the_group_items(client, catalogue):
    html = client.get("/services/identity/elderly/").content.decode()

    assert main_text(html) == (
        "特定人群 老年人 相关事项（1 项） 城乡居民基本医疗保险参保登记 区市场监督管理局 公共服务 承诺件 全程网办 零跑动"
    )


def test_theme_page_query_count_is_fixed(client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert client.get("/services/theme/birth/").status_code == 200


def test_audience_pages_list_items_for_natural_or_legal_persons(client, catalogue):
    publish(catalogue.cur, "000201006000", name="仅面向法人的事项", for_natural_persons=False)

    natural = main_text(client.get("/services/for/natural/").content.decode())
    legal = main_text(client.get("/services/for/legal/").content.decode())

    assert natural.startswith("个人办事 共 3 项。")
    assert "仅面向法人的事项" not in natural
    assert legal.startswith("法人办事 共 4 项。")
    assert "仅面向法人的事项" in legal
    assert client.get("/services/for/aliens/").status_code == 404


# --- Scenario: "what do I need" ------------------------------------------------------------------------------


def test_scenario_page_lists_merged_materials_with_the_items_that_need_them(client, catalogue):
    birth, insurance = catalogue.birth, catalogue.insurance

    html = client.get("/services/scenario/newborn/").content.decode()

    assert_catalog_shell(html, print_css=True)
    assert "<title>新生儿出生一件事 - 办事服务 - 政务服务平台</title>" in html
    assert page_text(html).tables["materials checklist"] == [
        ["序号", "材料名称", "形式", "份数", "必要性", "需要该材料的事项", "电子证照"],
        [
            "1",
            "居民身份证指南中的名称：身份证复印件",
            "原件和复印件",
            "2",
            "必要",
            "出生登记（户口登记）城乡居民基本医疗保险参保登记",
            "可用电子证照“居民身份证”替代；城乡居民基本医疗保险参保登记仍需提交纸质材料",
        ],
        [
            "2",
            "户口簿指南中的名称：户口本（复印件）",
            "原件和复印件",
            "1",
            "必要",
            "出生登记（户口登记）城乡居民基本医疗保险参保登记",
            "—",
        ],
        [
            "3",
            "出生医学证明",
            "原件",
            "1",
            "必要",
            "出生登记（户口登记）",
            "可用电子证照“出生医学证明”替代，无需提交纸质材料",
        ],
        [
            "4",
            "银行卡",
            "原件",
            "1",
            "容缺/情形必要城乡居民基本医疗保险参保登记：选择银行代扣缴费的",
            "城乡居民基本医疗保险参保登记",
            "—",
        ],
    ]
    assert "包含的事项（2 项） 出生登记（户口登记） 区市场监督管理局 城乡居民基本医疗保险参保登记" in main_text(html)
    assert html.count(f'href="{guide_url(birth)}"') == 4
    assert html.count(f'href="{guide_url(insurance)}"') == 4


def test_scenario_page_ignores_drafts_and_uses_the_current_version(client, catalogue):
    cur = catalogue.cur
    republish(cur, catalogue.insurance, name="城乡居民医保参保登记")
    draft = version_draft_create(actor=cur.editor, item=catalogue.birth.item)
    version_update(
        actor=cur.editor, version=draft, fields={}, materials=[{"name": "草稿里的新材料", "necessity": "required"}]
    )

    html = client.get("/services/scenario/newborn/").content.decode()

    rows = page_text(html).tables["materials checklist"]
    assert [row[1] for row in rows[1:]] == [
        "居民身份证指南中的名称：身份证复印件",
        "户口簿指南中的名称：户口本（复印件）",
        "出生医学证明",
        "银行卡",
    ]
    assert rows[1][5] == "出生登记（户口登记）城乡居民医保参保登记"
    assert "草稿里的新材料" not in html
    assert "城乡居民基本医疗保险参保登记" not in html


def test_scenario_page_says_which_material_an_item_of_the_scenario_produces(client, catalogue):
    cur = catalogue.cur
    opening = publish(
        cur, "000201007000", name="有限责任公司设立登记", result_name="营业执照", materials=[{"name": "公司章程"}]
    )
    seal = publish(
        cur,
        "000201008000",
        name="公章刻制备案",
        result_name="备案回执",
        result_kind="other",
        materials=[{"name": "营业执照（副本）", "form": "copy"}],
    )
    make_theme("scenario", "open-business", "开办企业一件事", [opening, seal])

    rows = page_text(client.get("/services/scenario/open-business/").content.decode()).tables["materials checklist"]

    assert [row[1] for row in rows[1:]] == [
        "公司章程",
        "营业执照指南中的名称：营业执照（副本）由本场景“有限责任公司设立登记”的办理结果取得",
    ]


def test_scenario_page_query_count_is_fixed(client, catalogue, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert client.get("/services/scenario/newborn/").status_code == 200


def test_scenario_without_published_items_says_so(client, catalogue):
    make_theme("scenario", "empty", "空场景", [])

    body = main_text(client.get("/services/scenario/empty/").content.decode())

    assert "包含的事项（0 项） 暂无已发布的事项。" in body
    assert "需要准备的材料 暂无材料信息。" in body
