"""The whole journey of one licensing case in headless Chromium, without a single CSP violation:

an enterprise applies online → a window clerk accepts → two departments review in parallel (并联审批) → the
leader in charge grants → the fee notice issued on the grant is paid at the unified fee window → the handler
issues the certificate → the applicant downloads it from 我的办件 and verifies it (QR page and signed file),
chooses pickup → the handler hands it over and completes the case (办结) → the applicant rates it (好差评)."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.browser.test_journeys import submit
from tests.cases.conftest import PDF, hall  # noqa: F401
from tests.cases.fee_setup import TOTAL, make_fee_setup
from tests.cases.outcome import BASIS, food_type
from zhengwu.cases.domain.certificates import item_certificate_map
from zhengwu.cases.domain.completion import case_clocks
from zhengwu.cases.enums import CaseState, DecisionOutcome, DeliveryMethod, DeliveryState, FeeNoticeState
from zhengwu.cases.models import Case, CaseCertificate, CaseDecision, FeePayment, ItemProcess
from zhengwu.licences.domain import verification_url
from zhengwu.licences.enums import LicenceState
from zhengwu.ratings.enums import Level, RatingChannel
from zhengwu.ratings.models import Rating
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workflow.domain.definitions import shipped_process_definition
from zhengwu.workflow.enums import TaskState
from zhengwu.workflow.models import WorkTask

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# Online applications carry no form data, so the certificate is filled from fixed values and the case.
CERTIFICATE_SOURCES = {
    "legal_representative": "fixed:李四",
    "premises": "fixed:青川区青河大道 18 号",
    "business_form": "fixed:食品销售经营者",
    "scope": "fixed:预包装食品销售",
    "remarks": "case:number",
}
REASONS = "材料齐全，经营场所和设施符合法定条件。"


@pytest.fixture
def journey(hall, settings, live_server):
    """The charging item of the fee setup, run through the shipped parallel flow with the other department as
    co-approver, and mapped to a 食品经营许可证."""
    settings.ZHENGWU_PUBLIC_URL = live_server.url  # the QR code's address must open on the live server
    fees = make_fee_setup(hall)
    mapping = ItemProcess.objects.create(
        item=fees.version.item, definition=shipped_process_definition("parallel_approval")
    )
    mapping.co_departments.add(hall.other_department)
    item_certificate_map(item=fees.version.item, licence_type=food_type(hall), field_sources=CERTIFICATE_SOURCES)
    return fees


def portal_login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + reverse("portal:login"))
    page.locator("[name='username']").fill(username)
    page.locator("[name='password']").fill(PASSWORD)
    page.locator("main form [type='submit']").click()
    expect(page).to_have_url(live_server.url + reverse("portal:home"))


def workbench_login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + reverse("workbench:login"))
    page.locator("[name='username']").fill(username)
    page.locator("[name='password']").fill(PASSWORD)
    submit(page, "username")
    expect(page).to_have_url(live_server.url + reverse("workbench:home"))


def open_my_case(page, number: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的办件").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的办件")
    page.locator("tbody tr .case-number").get_by_role("link", name=number).click()


def review_from_inbox(page, task_name: str, comment: str) -> None:
    """A handler opens the review step from 我的待办, agrees and completes it."""
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="我的待办").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    page.get_by_role("link", name=task_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(task_name)
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("办理意见").fill(comment)
    page.get_by_role("button", name="办理完成").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    expect(page.get_by_role("link", name=task_name, exact=True)).to_have_count(0)


def test_a_case_goes_from_online_application_to_rating(page, live_server, browser_log, screenshot_path, hall, journey):
    version = journey.version
    materials = {m.name: m for m in version.materials.all()}

    # 1. The enterprise applies online, uploading the required materials.
    portal_login(page, live_server, hall.enterprise.username)
    page.goto(live_server.url + reverse("portal:services_item", args=[version.item.implementation_code]))
    page.get_by_role("link", name="在线申报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"在线申报：{version.name}")
    for name, marker in (("食品经营许可申请书", b"form"), ("营业执照", b"licence")):
        page.locator(f"[name='m{materials[name].pk}_file']").set_input_files(
            files=[{"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": PDF + marker}]
        )
    page.get_by_label(re.compile("本人承诺所填信息")).check()
    page.get_by_role("button", name="提交申报").click()
    case = Case.objects.get()
    expect(page.locator(".message--success")).to_contain_text(f"办件编号：{case.number}")
    expect(page.locator(".case-state")).to_have_text("待受理")
    page.screenshot(path=screenshot_path("journey-1-applied"), full_page=True)

    # 2. The clerk at the general intake window accepts it from the acceptance queue.
    workbench_login(page, live_server, hall.clerk.username)
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="待受理").click()
    page.get_by_role("link", name=case.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"办件 {case.number}")
    expect(page.locator("#case-state")).to_have_text("待受理")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator(".message--success")).to_contain_text("已受理。")
    expect(page.locator("#case-state")).to_have_text("办理中")
    page.screenshot(path=screenshot_path("journey-2-accepted"), full_page=True)

    # 3. Both departments review in parallel, each from its own 我的待办.
    workbench_login(page, live_server, hall.outsider.username)  # handler of the co-approving department
    review_from_inbox(page, "协办部门审查", "经核查，消防和卫生条件符合要求，同意。")
    workbench_login(page, live_server, hall.handler.username)
    review_from_inbox(page, "主办部门审查", "材料齐全，现场核查合格，同意准予许可。")
    page.screenshot(path=screenshot_path("journey-3-reviewed"), full_page=True)

    # 4. The leader in charge grants, with reasons and legal basis.
    workbench_login(page, live_server, journey.leader.username)
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name="决定", exact=True).click()
    expect(page.get_by_role("heading", name="作出决定")).to_be_visible()
    history = page.locator("table.task-table tbody tr")
    expect(history.filter(has_text="协办部门审查")).to_contain_text("已办结周婷同意 经核查")
    expect(history.filter(has_text="主办部门审查")).to_contain_text("已办结卢帆同意 材料齐全")
    page.get_by_label("准予许可").check()
    page.get_by_label("决定理由").fill(REASONS)
    page.get_by_label("法律依据").fill(BASIS)
    page.screenshot(path=screenshot_path("journey-4-decide"), full_page=True)
    page.get_by_role("button", name="作出决定").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    page.goto(live_server.url + reverse("workbench:case_detail", args=[case.number]))
    expect(page.locator("#case-state")).to_have_text("已决定")
    expect(page.locator("#decision-outcome")).to_contain_text("准予许可")
    expect(page.locator("#case-outcome")).to_contain_text("尚有未缴清的费用")

    # 5. The fee notice issued on the grant is paid at the unified fee window.
    workbench_login(page, live_server, journey.fee_clerk.username)
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="统一收费窗口").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("统一收费窗口")
    row = page.locator("tbody tr", has_text=case.number)
    expect(row).to_contain_text("90.00")
    row.get_by_role("link", name="收费", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"缴费通知 {case.number}")
    expect(page.locator("#notice-state")).to_have_text("待缴费")
    expect(page.locator("#notice-total")).to_have_text("90.00")
    page.get_by_label("现金（统一收费窗口）").check()
    expect(page.get_by_label("实收金额（元）")).to_have_value("90.00")
    page.get_by_role("button", name="确认收费").click()
    payment = FeePayment.objects.get()
    expect(page.locator(".message--success")).to_contain_text(f"已收费 90.00 元，票据号 {payment.receipt_number}。")
    expect(page.locator("#notice-state")).to_have_text("已缴费")
    expect(page.get_by_role("heading", name="缴费记录")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"票据号 {payment.receipt_number}")
    page.screenshot(path=screenshot_path("journey-5-paid"), full_page=True)

    # 6. The handler issues the certificate from the case page.
    workbench_login(page, live_server, hall.handler.username)
    page.goto(live_server.url + reverse("workbench:case_detail", args=[case.number]))
    expect(page.locator("#case-certificate")).to_contain_text("食品经营许可证，尚未签发")
    page.get_by_role("button", name="签发证照").click()
    expect(page.locator(".message--success")).to_contain_text("电子证照已签发。")
    licence = CaseCertificate.objects.select_related("licence").get(case=case).licence
    expect(page.locator("#case-certificate")).to_contain_text(f"食品经营许可证 {licence.number}")
    page.screenshot(path=screenshot_path("journey-6-certificate"), full_page=True)

    # 7. The applicant downloads the certificate from 我的办件 and verifies it, then chooses pickup.
    portal_login(page, live_server, hall.enterprise.username)
    open_my_case(page, case.number)
    expect(page.locator(".case-state").first).to_have_text("已决定")
    expect(page.get_by_role("heading", name="缴费通知：90.00 元 已缴费")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"票据号 {payment.receipt_number}")
    outcome = page.locator("#case-outcome")
    expect(outcome).to_contain_text(f"食品经营许可证 {licence.number}")
    pdf_href = outcome.get_by_role("link", name="下载证照（PDF）").get_attribute("href")
    assert pdf_href == reverse("portal:case_certificate_pdf", args=[case.number])
    download = page.context.request.get(live_server.url + pdf_href)
    assert download.status == 200
    assert download.headers["content-type"] == "application/pdf"
    certificate_pdf = download.body()
    assert certificate_pdf.startswith(b"%PDF-")
    page.screenshot(path=screenshot_path("journey-7-my-case"), full_page=True)

    outcome.get_by_role("link", name="在线核验").click()
    expect(page).to_have_url(verification_url(licence.token))
    expect(page.locator(".licence-status__word")).to_have_text("有效")
    page.screenshot(path=screenshot_path("journey-7-verify-qr"), full_page=True)

    page.goto(live_server.url + reverse("licences:verify_upload"))
    page.locator("[name='file']").set_input_files(
        files=[{"name": f"{licence.number}.pdf", "mimeType": "application/pdf", "buffer": certificate_pdf}]
    )
    page.get_by_role("button", name="核验").click()
    expect(page.locator(".licence-status__word")).to_have_text("有效")
    expect(page.locator(".licence-number").first).to_have_text(licence.number)
    expect(page.locator(".verification")).to_contain_text("完整，文件签名后未被修改")
    expect(page.locator(".verification")).to_contain_text("本平台根证书签发")
    page.screenshot(path=screenshot_path("journey-7-verify-upload"), full_page=True)

    open_my_case(page, case.number)
    page.get_by_label(re.compile("^窗口领取")).check()
    page.get_by_role("button", name="保存送达方式").click()
    expect(page.locator("#delivery-status")).to_have_text("窗口领取：待送达")

    # 8. The handler hands the certificate over at the window and completes the case.
    workbench_login(page, live_server, hall.handler.username)
    page.goto(live_server.url + reverse("workbench:case_detail", args=[case.number]))
    expect(page.locator("#delivery-method")).to_have_text("窗口领取（待送达）")
    expect(page.get_by_label("领取人姓名")).to_have_value(hall.enterprise.display_name)
    page.get_by_label(re.compile("^已核验领取人身份证件")).check()
    page.get_by_role("button", name="登记领取").click()
    expect(page.locator(".message--success")).to_contain_text("已登记窗口领取。")
    expect(page.locator("#delivery-method")).to_have_text("窗口领取（已领取）")
    page.get_by_role("button", name="办结", exact=True).click()
    expect(page.locator(".message--success")).to_contain_text("办件已办结。")
    expect(page.locator("#case-state")).to_have_text("办结")
    staff_timeline = page.locator("section[aria-labelledby='timeline-heading'] li")
    expect(staff_timeline).to_have_text(
        [
            re.compile(r"收件 · 青川绿源农业科技有限公司$"),
            re.compile(r"受理 · 窗口甲$"),
            re.compile(r"启动办理流程 · 窗口甲$"),
            re.compile(r"作出决定 · 分管领导：准予许可$"),
            re.compile(r"开具缴费通知 · 系统"),
            re.compile(r"缴费 · 收费员$"),
            re.compile(r"签发电子证照 · 卢帆"),
            re.compile(r"选择送达方式 · 青川绿源农业科技有限公司"),
            re.compile(r"办理结果已领取 · 卢帆$"),
            re.compile(r"出具行政许可决定书 · 卢帆$"),
            re.compile(r"办结 · 卢帆$"),
        ]
    )
    page.screenshot(path=screenshot_path("journey-8-completed"), full_page=True)

    # 9. The applicant sees the case completed and rates it.
    portal_login(page, live_server, hall.enterprise.username)
    open_my_case(page, case.number)
    expect(page.locator(".case-state").first).to_have_text("办结")
    rating_panel = page.locator("#rating")
    expect(rating_panel.get_by_role("heading", level=2)).to_have_text("服务评价（好差评）")
    rating_panel.get_by_label("非常满意").check()
    rating_panel.get_by_label("评价意见").fill("网上申报、并联审批，一次都没跑冤枉路。")
    rating_panel.get_by_role("button", name="提交评价").click()
    expect(page.locator("#rating")).to_contain_text("评价：非常满意")
    applicant_steps = "收件 受理 作出决定 开具缴费通知 缴费 签发电子证照 选择送达方式 办理结果已领取 出具行政许可决定书"
    expect(page.locator(".timeline .timeline__label")).to_have_text([*applicant_steps.split(), "办结", "服务评价"])
    expect(page.locator(".timeline li").nth(2)).to_contain_text("（准予许可）")
    page.screenshot(path=screenshot_path("journey-9-rated"), full_page=True)

    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert case.completed_at is not None
    clocks = list(case_clocks(case))
    # acceptance and handling, plus one per timed step (2 reviews, decide); the acceptance step, done by the
    # acceptance itself, has none (ADR 0019 third pass)
    assert len(clocks) == 2 + 3
    assert WorkTask.objects.get(instance__object_id=str(case.pk), bpmn_id="accept").clock_id is None
    assert {clock.status for clock in clocks} == {ClockStatus.STOPPED}
    reviews = WorkTask.objects.filter(instance__object_id=str(case.pk), bpmn_id__in=["review_lead", "review_co"])
    assert sorted((t.bpmn_id, t.department, t.state, t.completed_by) for t in reviews) == [
        ("review_co", hall.other_department, TaskState.COMPLETED, hall.outsider),
        ("review_lead", hall.department, TaskState.COMPLETED, hall.handler),
    ]
    decision = CaseDecision.objects.get(case=case)
    assert (decision.outcome, decision.decided_by, decision.reasons, decision.legal_basis) == (
        DecisionOutcome.GRANT,
        journey.leader,
        REASONS,
        BASIS,
    )
    payment.refresh_from_db()
    assert (payment.notice.case, payment.notice.state, payment.amount, payment.method) == (
        case,
        FeeNoticeState.PAID,
        TOTAL,
        "cash",
    )
    assert (payment.collected_by, payment.window) == (journey.fee_clerk, journey.fee_window)
    assert re.fullmatch(r"SF\d{8}\d{6}", payment.receipt_number)
    licence.refresh_from_db()
    assert (licence.state, licence.holder, licence.department) == (LicenceState.VALID, hall.enterprise, hall.department)
    assert licence.data["remarks"] == case.number
    delivery = case.delivery
    assert (delivery.method, delivery.state, delivery.handed_over_to) == (
        DeliveryMethod.PICKUP,
        DeliveryState.HANDED_OVER,
        hall.enterprise.display_name,
    )
    rating = Rating.objects.get(case=case)
    assert (rating.level, rating.channel, rating.rated_by, rating.department) == (
        Level.VERY_SATISFIED,
        RatingChannel.ONLINE,
        hall.enterprise,
        hall.department,
    )
    assert browser_log.problems == []
