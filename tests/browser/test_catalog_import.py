"""A catalogue editor uploads a bad xlsx in headless Chromium: the file is refused with its report, nothing imported."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.catalog.factories import Curation
from zhengwu.catalog.models import ServiceItem

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def bad_catalogue(credit_code: str) -> bytes:
    """A workbook typed by hand: the promised limit exceeds the statutory one, and a material names no item."""
    workbook = Workbook()
    items = workbook.active
    items.title = "事项"
    items.append(
        [
            "基本编码",
            "事项类型",
            "行使层级",
            "实施主体",
            "事项名称",
            "服务对象：自然人",
            "服务对象：法人",
            "受理条件",
            "时限单位",
            "法定办结时限",
            "承诺办结时限",
            "办件类型",
            "办理地点",
            "办理时间",
            "咨询电话",
            "监督投诉电话",
            "不收费",
            "办理结果名称",
            "办理结果类型",
            "到办事现场次数",
            "网上办理深度",
            "通办范围",
            "设定依据",
        ]
    )
    items.append(
        [
            "000201001000",
            "行政许可",
            "县级",
            "区市场监督管理局",
            "食品经营许可证核发",
            "是",
            "是",
            "有与经营相适应的场所。",
            "工作日",
            20,
            25,
            "承诺件",
            "政务服务中心 9 号窗口",
            "工作日 9:00-17:00",
            "12345",
            "12345",
            "是",
            "食品经营许可证",
            "证照",
            1,
            "Ⅳ级：全程网办",
            "全区（县）通办",
            "《食品安全法》",
        ]
    )
    materials = workbook.create_sheet("申请材料")
    materials.append(["实施编码", "材料名称", "来源渠道", "材料形式", "份数", "必要性"])
    materials.append([f"{credit_code}4000201001000", "食品经营许可申请书", "申请人自备", "原件", 1, "必要"])
    materials.append([f"{credit_code}4000201999000", "营业执照", "政府部门核发", "复印件", 1, "必要"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_bad_xlsx_is_refused_with_its_report(page, live_server, browser_log, screenshot_path):
    cur = Curation()
    page.goto(live_server.url + reverse("workbench:catalog_excel_import"))
    page.locator("[name='username']").fill("editor")
    page.locator("[name='password']").fill(PASSWORD)
    page.locator("main form:has([name='username'])").locator("[type='submit']").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("事项目录导入导出")
    page.get_by_label("事项目录文件（.xlsx）").set_input_files(
        {
            "name": "事项清单.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": bad_catalogue(cur.department.credit_code),
        }
    )
    page.get_by_role("button", name="校验并导入").click()

    expect(page.get_by_role("heading", level=2, name="文件未导入：发现 2 处问题")).to_be_visible()
    report = page.locator("#import-report")
    expect(report.locator("thead th")).to_have_text(["工作表", "行", "列", "问题"])
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report.locator("tbody tr").nth(0).locator("td")).to_have_text(
        ["事项", "2", "承诺办结时限", "承诺办结时限（25 天）不得超过法定办结时限（20 天）。"]
    )
    expect(report.locator("tbody tr").nth(1).locator("td")).to_have_text(
        [
            "申请材料",
            "3",
            "实施编码",
            f"“事项”工作表中没有实施编码为 {cur.department.credit_code}4000201999000 的事项。",
        ]
    )
    page.screenshot(path=screenshot_path("catalog-import-report"), full_page=True)
    assert ServiceItem.objects.count() == 0
    assert browser_log.problems == []
