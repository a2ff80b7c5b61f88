"""Window console (窗口登记), acceptance queue (待受理) and the staff case page."""

# ruff: noqa: F811 (the `hall` fixture is imported from tests/cases)

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import PDF, Hall, hall  # noqa: F401
from tests.html import assert_page_shell, submission_key
from zhengwu.cases.domain.acceptance import case_accept, case_request_correction
from zhengwu.cases.domain.external import case_register_external, external_system_create
from zhengwu.cases.domain.intake import case_register_at_window, submission_key_new
from zhengwu.cases.enums import CaseState, Channel, MaterialStatus
from zhengwu.cases.models import Case, CorrectionNotice, StoredFile
from zhengwu.workflow.models import ProcessInstance

CASE_CSS = ["/static/workbench/cases.css"]
WALK_IN = {"kind": "legal", "name": "青川绿源农业科技有限公司"}
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_default_timezone())


def upload(name: str = "申请书.pdf", marker: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + marker.encode(), content_type="application/pdf")


def registered(hall: Hall, **kwargs) -> Case:
    snapshot = WALK_IN | {"id_number": hall.enterprise.enterprise.credit_code}
    values = {"clerk": hall.clerk, "item_version": hall.version, "applicant_snapshot": snapshot}
    values |= {"materials": [{"material": hall.form, "file": hall.pdf()}]}
    return case_register_at_window(**(values | kwargs))


def case_url(case: Case, action: str = "") -> str:
    name = f"workbench:case_{action}" if action else "workbench:case_detail"
    return reverse(name, args=[case.number])


def window_post(hall: Hall, **overrides) -> dict:
    data = {
        "applicant-kind": "legal",
        "applicant-name": "青川绿源农业科技有限公司",
        "applicant-id_type": "resident_id",
        "applicant-id_number": hall.enterprise.enterprise.credit_code,
        "applicant-phone": "13953600003",
        f"material_{hall.form.pk}": upload(marker="form"),
        f"material_{hall.business_licence.pk}": upload("营业执照.pdf", marker="licence"),
    }
    return data | overrides


# ---------------------------------------------------------------- access


def test_citizen_is_refused_every_case_page(client, hall):
    case = registered(hall)
    client.force_login(hall.citizen)
    for url in (
        reverse("workbench:case_register_items"),
        reverse("workbench:case_acceptance_queue"),
        case_url(case),
    ):
        assert client.get(url).status_code == 403


def test_clerk_of_a_window_not_serving_the_department_cannot_register_for_it(client, hall):
    client.force_login(hall.other_clerk)
    listing = client.get(reverse("workbench:case_register_items"))
    assert listing.status_code == 200
    assert hall.version.name not in listing.content.decode()
    url = reverse("workbench:case_register", args=[hall.version.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, window_post(hall)).status_code == 404
    assert Case.objects.count() == 0


def test_handler_of_another_department_gets_404_for_the_case(client, hall):
    case = registered(hall)
    client.force_login(hall.outsider)
    assert client.get(case_url(case)).status_code == 404
    assert client.post(case_url(case, "accept")).status_code == 404
    material = case.materials.get(item_material=hall.form)
    assert client.get(reverse("workbench:case_material_file", args=[case.number, material.pk])).status_code == 404
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_side_nav_offers_window_console_and_queue_to_a_clerk_only_queue_to_a_handler(client, hall):
    client.force_login(hall.clerk)
    html = client.get(reverse("workbench:home")).content.decode()
    assert reverse("workbench:case_register_items") in html
    assert reverse("workbench:case_acceptance_queue") in html
    client.force_login(hall.handler)
    html = client.get(reverse("workbench:home")).content.decode()
    assert reverse("workbench:case_register_items") not in html
    assert reverse("workbench:case_acceptance_queue") in html


# ---------------------------------------------------------------- 窗口登记


def test_item_search_finds_the_item_by_name_and_by_code(client, hall):
    client.force_login(hall.clerk)
    by_name = client.get(reverse("workbench:case_register_items"), {"q": "食品经营"})
    assert_page_shell(by_name.content.decode(), stylesheets=CASE_CSS)
    assert reverse("workbench:case_register", args=[hall.version.pk]) in by_name.content.decode()
    by_code = client.get(reverse("workbench:case_register_items"), {"q": hall.version.item.implementation_code})
    assert reverse("workbench:case_register", args=[hall.version.pk]) in by_code.content.decode()
    nothing = client.get(reverse("workbench:case_register_items"), {"q": "不存在的事项"})
    assert "没有可登记的事项。" in nothing.content.decode()


def test_clerk_registers_a_walk_in_case_at_the_window(client, hall):
    client.force_login(hall.clerk)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    assert_page_shell(client.get(url).content.decode(), stylesheets=CASE_CSS)
    response = client.post(url, window_post(hall))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    assert case.channel == Channel.WINDOW
    assert case.registered_by == hall.clerk
    assert case.window == hall.intake_window
    assert case.applicant_name == "青川绿源农业科技有限公司"
    statuses = dict(case.materials.values_list("item_material_id", "status"))
    assert statuses == {
        hall.form.pk: MaterialStatus.PROVIDED,
        hall.business_licence.pk: MaterialStatus.PROVIDED,
        hall.proxy_letter.pk: MaterialStatus.MISSING,
    }


def test_window_registration_takes_the_application_form(client, hall):
    from tests.cases.outcome import map_food

    map_food(hall)
    client.force_login(hall.clerk)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    assert "<legend>申请表</legend>" in client.get(url).content.decode()
    answers = {"form-legal_representative": "李四", "form-scope": "预包装食品销售"}

    response = client.post(url, window_post(hall, **answers))
    assert response.status_code == 400
    assert response.context["application_form"].errors == {"premises": ["请填写经营场所。"]}
    assert not Case.objects.exists()

    client.post(url, window_post(hall, **answers, **{"form-premises": "青河大道 18 号"}))
    assert Case.objects.get().form_data == {
        "legal_representative": "李四",
        "premises": "青河大道 18 号",
        "scope": "预包装食品销售",
    }


def test_bad_applicant_id_is_refused_with_a_chinese_field_error_and_nothing_created(client, hall):
    client.force_login(hall.clerk)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    response = client.post(url, window_post(hall, **{"applicant-id_number": "91370700MA3C4D5E6X"}))
    assert response.status_code == 400
    assert response.context["applicant_form"].errors["id_number"]
    assert "统一社会信用代码" in response.context["applicant_form"].errors["id_number"][0]
    assert Case.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_upload_of_the_wrong_type_is_refused_on_its_material_and_nothing_created(client, hall):
    client.force_login(hall.clerk)
    fake = SimpleUploadedFile("营业执照.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, content_type="application/pdf")
    response = client.post(
        reverse("workbench:case_register", args=[hall.version.pk]),
        window_post(hall, **{f"material_{hall.business_licence.pk}": fake}),
    )
    assert response.status_code == 400
    assert response.context["materials_form"].errors[f"material_{hall.business_licence.pk}"] == [
        "文件内容为 PNG 格式，与文件名“营业执照.pdf”不符。"
    ]
    assert Case.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_station_agent_files_a_case_by_proxy_with_consent(client, hall):
    client.force_login(hall.agent)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    page = client.get(url).content.decode()
    assert "代办申报" in page
    response = client.post(
        url,
        {
            "proxy-applicant_id_number": hall.enterprise.enterprise.credit_code,
            "proxy-consent_text": "本单位同意委托代办员代为申报。",
            "proxy-consent_file": upload("委托书.pdf", marker="consent"),
            f"material_{hall.form.pk}": upload(marker="form"),
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.channel == Channel.PROXY
    assert case.applicant == hall.enterprise
    assert case.proxy_agent == hall.agent
    assert case.consent_text == "本单位同意委托代办员代为申报。"
    download = client.get(reverse("workbench:case_consent_file", args=[case.number]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_window_registration_posted_twice_registers_one_case_and_the_second_post_redirects_to_it(client, hall):
    client.force_login(hall.clerk)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    key = submission_key(client.get(url).content.decode())
    first = client.post(url, window_post(hall, submission_key=key), follow=True)
    case = Case.objects.get()
    assert first.redirect_chain == [(case_url(case), 302)]

    again = client.post(url, window_post(hall, submission_key=key), follow=True)

    assert again.redirect_chain == [(case_url(case), 302)]
    assert [str(message) for message in again.context["messages"]] == [
        f"该办件已登记，办件编号：{case.number}。请勿重复提交。"
    ]
    assert list(Case.objects.values_list("pk", flat=True)) == [case.pk]
    assert case.materials.filter(status=MaterialStatus.PROVIDED).count() == 2


def test_each_rendering_of_the_window_console_registers_a_new_case(client, hall):
    client.force_login(hall.clerk)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    pages = [client.get(url) for _ in range(2)]
    keys = [submission_key(page.content.decode()) for page in pages]
    assert keys[0] != keys[1]
    # never kept by the browser, nor its key restored: Back after filing gives the next applicant a fresh form
    assert "no-store" in pages[0]["Cache-Control"]
    assert (
        f'<input type="hidden" name="submission_key" value="{keys[0]}" autocomplete="off"' in pages[0].content.decode()
    )
    for key in keys:
        assert client.post(url, window_post(hall, submission_key=key)).status_code == 302
    assert sorted(Case.objects.values_list("submission_key", flat=True)) == sorted(keys)


def test_a_proxy_filing_posted_twice_files_one_case(client, hall):
    client.force_login(hall.agent)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    key = submission_key(client.get(url).content.decode())

    def post():
        return client.post(
            url,
            {
                "submission_key": key,
                "proxy-applicant_id_number": hall.enterprise.enterprise.credit_code,
                "proxy-consent_text": "本单位同意委托代办员代为申报。",
                f"material_{hall.form.pk}": upload(marker="form"),
            },
            follow=True,
        )

    post()
    case = Case.objects.get()
    again = post()
    assert again.redirect_chain == [(case_url(case), 302)]
    assert [str(message) for message in again.context["messages"]] == [
        f"该办件已登记，办件编号：{case.number}。请勿重复提交。"
    ]
    assert list(Case.objects.values_list("pk", flat=True)) == [case.pk]


def test_another_clerk_posting_a_registration_s_key_is_refused_and_told_nothing_of_the_case(client, hall):
    key = submission_key_new()
    registered(hall, submission_key=key)
    client.force_login(hall.registrar)
    url = reverse("workbench:case_register", args=[hall.version.pk])
    response = client.post(url, window_post(hall, submission_key=key))
    assert response.status_code == 400
    assert response.context["errors"] == ["提交凭据无效，请重新打开表单填写后提交。"]
    assert Case.objects.count() == 1
    assert Case.objects.get().number not in response.content.decode()


def test_proxy_for_an_unknown_resident_is_refused_and_nothing_created(client, hall):
    client.force_login(hall.agent)
    response = client.post(
        reverse("workbench:case_register", args=[hall.version.pk]),
        {"proxy-applicant_id_number": "91370799MA3C4D5E6Y", "proxy-consent_text": "同意"},
    )
    assert response.status_code == 400
    assert response.context["proxy_form"].errors["applicant_id_number"] == ["未找到该证件号码的实名注册用户。"]
    assert Case.objects.count() == 0


def test_immediate_item_is_registered_and_handled_in_one_sitting(client, hall):
    immediate = hall.curation.published("000201009000", handling_kind="immediate", promised_limit_days=0)
    client.force_login(hall.clerk)
    client.post(reverse("workbench:case_register", args=[immediate.pk]), window_post(hall))
    case = Case.objects.get()
    page = client.get(case_url(case)).content.decode()
    assert "当场办结" in page
    response = client.post(case_url(case, "immediate"), {"outcome_note": "当场出具证明"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert case.outcome_note == "当场出具证明"


# ---------------------------------------------------------------- 待受理


def test_queue_lists_cases_by_acceptance_due_date_with_clock_labels(client, hall, django_assert_num_queries):
    start = timezone.now() - timedelta(days=20)
    with time_machine.travel(start, tick=False):
        old = registered(hall)
    with time_machine.travel(start + timedelta(days=18), tick=False):
        recent = registered(hall)
    newest = registered(hall)
    client.force_login(hall.handler)
    url = reverse("workbench:case_acceptance_queue")
    client.get(url)
    with django_assert_num_queries(6):
        response = client.get(url)
    html = response.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert [row.case.number for row in response.context["rows"]] == [old.number, recent.number, newest.number]
    assert response.context["rows"][0].clock_label == "已超期"
    assert 'clock-status--overdue">已超期' in html


def test_queue_filters_by_state_and_hides_decided_cases(client, hall):
    waiting = registered(hall)
    accepted = registered(hall)
    case_accept(actor=hall.handler, case=accepted)
    sent_back = registered(hall)
    case_request_correction(
        actor=hall.handler,
        case=sent_back,
        items=[{"material": sent_back.materials.get(item_material=hall.business_licence).pk, "problem": "未提交"}],
    )
    client.force_login(hall.clerk)
    url = reverse("workbench:case_acceptance_queue")
    numbers = [row.case.number for row in client.get(url).context["rows"]]
    assert sorted(numbers) == sorted([waiting.number, sent_back.number])
    filtered = client.get(url, {"state": "correction_requested", "department": hall.department.pk})
    assert [row.case.number for row in filtered.context["rows"]] == [sent_back.number]


def test_a_departmental_systems_case_says_where_it_is_handled_in_the_queue_and_on_its_page(client, hall):
    system, _secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    case, _created = case_register_external(
        system=system,
        external_id="SCJG-1",
        implementation_code=hall.version.item.implementation_code,
        applicant_snapshot={
            "kind": "legal",
            "name": "青川绿源农业科技有限公司",
            "id_number": hall.enterprise.enterprise.credit_code,
        },
        received_at=timezone.now(),
        channel="window",
    )
    walk_in = registered(hall)
    client.force_login(hall.handler)

    queue = client.get(reverse("workbench:case_acceptance_queue"))

    assert [(row.case.number, row.external) for row in queue.context["rows"]] == [
        (case.number, True),
        (walk_in.number, False),
    ]
    assert queue.content.decode().count('<span class="muted">部门系统办理</span>') == 1
    page = client.get(case_url(case)).content.decode()
    assert "<dt>登记来源</dt><dd>部门业务系统“市场监管业务系统”（该系统办件编号 SCJG-1）。" in page
    assert "<dt>登记来源</dt>" not in client.get(case_url(walk_in)).content.decode()


def test_queue_of_a_handler_excludes_other_departments(client, hall):
    registered(hall)
    client.force_login(hall.outsider)
    response = client.get(reverse("workbench:case_acceptance_queue"))
    assert response.context["rows"] == []


# ---------------------------------------------------------------- 办件页


def test_case_page_shows_masked_applicant_materials_clock_explanation_and_timeline(client, hall):
    case = registered(hall)
    client.force_login(hall.handler)
    response = client.get(case_url(case))
    html = response.content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert hall.enterprise.enterprise.credit_code not in html
    assert "法定期限" in html
    assert "收件 · 窗口甲" in html
    material = case.materials.get(item_material=hall.form)
    assert reverse("workbench:case_material_file", args=[case.number, material.pk]) in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_accept_through_the_page(client, hall):
    case = registered(hall)
    client.force_login(hall.handler)
    response = client.post(case_url(case, "accept"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.IN_PROGRESS  # accepting starts the item's process
    assert case.accepted_at is not None
    page = client.get(case_url(case)).content.decode()
    assert "已受理。" in page
    assert "办理期限" in page


def test_case_page_lists_process_steps_with_their_clocks_and_the_diagram(client, hall):
    case = registered(hall)
    client.force_login(hall.handler)
    client.post(case_url(case, "accept"))
    response = client.get(case_url(case))
    steps = [row["task"] for row in response.context["steps"]]
    assert [(task.bpmn_id, task.state) for task in steps] == [("accept", "completed"), ("review", "ready")]
    html = response.content.decode()
    assert reverse("workbench:task", args=[steps[1].pk]) in html
    assert f'src="{reverse("workbench:case_diagram", args=[case.number])}"' in html
    assert 'class="urgency urgency--running"' in html


def _step_cells(html: str) -> list[list[str]]:
    body = html.split('id="steps-heading"')[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in rows
    ]


@time_machine.travel(MONDAY, tick=False)
def test_the_acceptance_step_completed_at_start_is_listed_without_a_step_deadline(client, hall):
    case = registered(hall)
    client.force_login(hall.handler)
    client.post(case_url(case, "accept"))
    response = client.get(case_url(case))

    [accept, review] = response.context["steps"]
    assert (accept["task"].clock, accept["urgency"]) == (None, None)
    assert _step_cells(response.content.decode()) == [
        ["受理", "区市场监督管理局", "窗口人员", "已办结", "", "已于 2026-03-02 10:00 受理。"],
        ["审查", "区市场监督管理局", "承办人", "待办", f"{review['task'].clock.due_date:%Y-%m-%d} 计时中", ""],
    ]


def test_the_case_diagram_shows_to_whoever_sees_the_case(client, hall):
    case = registered(hall)
    url = reverse("workbench:case_diagram", args=[case.number])
    client.force_login(hall.clerk)  # at a window serving the department, but no step of the flow is the clerk's
    assert client.get(url).status_code == 404  # not accepted yet: no process
    client.post(case_url(case, "accept"))
    instance = ProcessInstance.objects.get(object_id=str(case.pk))
    assert client.get(reverse("workflow:instance_diagram", args=[instance.pk])).status_code == 404

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "private, no-cache"
    svg = response.content.decode()
    assert "<svg" in svg and "审查" in svg
    client.force_login(hall.other_clerk)  # a window that does not serve the case's department
    assert client.get(url).status_code == 404


def test_second_accept_loses_with_the_domain_chinese_error(client, hall):
    case = registered(hall)
    client.force_login(hall.handler)
    client.post(case_url(case, "accept"))
    client.force_login(hall.section_head)
    response = client.post(case_url(case, "accept"))
    assert response.status_code == 400
    assert response.context["errors"]
    assert response.context["errors"][0] == "办件当前状态为“办理中”，不能受理。"


def test_refuse_requires_a_reason(client, hall):
    case = registered(hall)
    client.force_login(hall.handler)
    response = client.post(case_url(case, "refuse"), {"reason": "  "})
    assert response.status_code == 400
    assert "理由" in "".join(response.context["errors"])
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    response = client.post(case_url(case, "refuse"), {"reason": "不属于本部门职权范围"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REFUSED
    assert case.refusal_reason == "不属于本部门职权范围"


def test_correction_notice_through_the_page_and_a_second_needs_a_reason(client, hall):
    case = registered(hall)
    licence_row = case.materials.get(item_material=hall.business_licence)
    form_row = case.materials.get(item_material=hall.form)
    client.force_login(hall.handler)
    incomplete = client.post(
        case_url(case, "correction"), {"material": [form_row.pk], f"problem_{form_row.pk}": "缺签字"}
    )
    assert incomplete.status_code == 400
    assert "营业执照" in "".join(incomplete.context["errors"])
    response = client.post(
        case_url(case, "correction"), {"material": [licence_row.pk], f"problem_{licence_row.pk}": "未提交营业执照"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION_REQUESTED
    assert CorrectionNotice.objects.get(case=case).items[0]["problem"] == "未提交营业执照"
    # the applicant corrects; a second notice needs a recorded reason
    from zhengwu.cases.domain.acceptance import case_correction_submit

    case_correction_submit(
        applicant_or_clerk=hall.clerk, case=case, materials=[{"material": hall.business_licence, "file": hall.pdf("x")}]
    )
    second = {"material": [form_row.pk], f"problem_{form_row.pk}": "缺签字"}
    refused = client.post(case_url(case, "correction"), second)
    assert refused.status_code == 400
    assert CorrectionNotice.objects.filter(case=case).count() == 1
    unlisted = client.post(case_url(case, "correction"), {"correction_reason": "申请书签字页缺失"})
    assert unlisted.status_code == 400  # no material listed: the reason typed stays in its own box
    page = unlisted.content.decode()
    assert '<textarea id="correction-reason" name="correction_reason" rows="2">申请书签字页缺失</textarea>' in page
    assert '<textarea id="refuse-reason" name="reason" rows="2"></textarea>' in page
    accepted = client.post(case_url(case, "correction"), second | {"correction_reason": "申请书签字页缺失"})
    assert accepted.status_code == 302
    notice = CorrectionNotice.objects.get(case=case, sequence=2)
    assert notice.flagged_for_supervision is True


def test_a_correction_naming_a_material_by_a_non_decimal_digit_is_refused_not_a_crash(client, hall):
    case = registered(hall)
    client.force_login(hall.handler)
    response = client.post(case_url(case, "correction"), {"material": ["²"], "problem_²": "缺签字"})
    assert response.status_code == 400
    assert "请列明需要补正的材料。" in "".join(response.context["errors"])
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert not CorrectionNotice.objects.exists()


def test_a_walk_in_case_sent_back_for_correction_is_corrected_at_the_window_and_accepted(client, hall):
    client.force_login(hall.clerk)
    client.post(reverse("workbench:case_register", args=[hall.version.pk]), window_post(hall))
    case = Case.objects.get()
    assert case.applicant_id is None  # a walk-in: no account to answer the notice online
    licence_row = case.materials.get(item_material=hall.business_licence)
    case_request_correction(
        actor=hall.handler, case=case, items=[{"material": licence_row.pk, "problem": "营业执照已过期"}]
    )
    client.force_login(hall.handler)  # the department does not hand in the applicant's materials
    assert case_url(case, "correction_submit") not in client.get(case_url(case)).content.decode()
    client.force_login(hall.clerk)
    html = client.get(case_url(case)).content.decode()
    assert_page_shell(html, stylesheets=CASE_CSS)
    assert f'name="correction_{licence_row.pk}"' in html and "营业执照已过期" in html

    empty = client.post(case_url(case, "correction_submit"), {})
    assert empty.status_code == 400
    assert "请提交补正材料。" in empty.content.decode()
    response = client.post(
        case_url(case, "correction_submit"), {f"correction_{licence_row.pk}": upload("营业执照.pdf", marker="new")}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    licence_row.refresh_from_db()
    assert (licence_row.status, licence_row.file.original_name) == (MaterialStatus.PROVIDED, "营业执照.pdf")
    assert client.post(case_url(case, "accept")).status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_PROGRESS


def test_a_case_awaiting_correction_can_be_refused_from_the_case_page(client, hall):
    case = registered(hall)
    licence_row = case.materials.get(item_material=hall.business_licence)
    case_request_correction(
        actor=hall.handler, case=case, items=[{"material": licence_row.pk, "problem": "未提交营业执照"}]
    )
    client.force_login(hall.handler)
    html = client.get(case_url(case)).content.decode()
    assert case_url(case, "refuse") in html
    assert case_url(case, "accept") not in html and case_url(case, "correction") not in html

    response = client.post(case_url(case, "refuse"), {"reason": "逾期未补正"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.refusal_reason) == (CaseState.REFUSED, "逾期未补正")


def test_material_download_for_staff_who_can_see_the_case(client, hall):
    case = registered(hall)
    material = case.materials.get(item_material=hall.form)
    url = reverse("workbench:case_material_file", args=[case.number, material.pk])
    client.force_login(hall.handler)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    missing = case.materials.get(item_material=hall.proxy_letter)
    assert client.get(reverse("workbench:case_material_file", args=[case.number, missing.pk])).status_code == 404
    client.force_login(hall.citizen)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("action", ["accept", "refuse", "correction", "immediate"])
def test_actions_refuse_get(client, hall, action):
    case = registered(hall)
    client.force_login(hall.handler)
    assert client.get(case_url(case, action)).status_code == 405


def test_station_agent_sees_the_case_filed_with_a_crumb_back_to_the_console(client, hall):
    client.force_login(hall.agent)
    client.post(
        reverse("workbench:case_register", args=[hall.version.pk]),
        {"proxy-applicant_id_number": hall.enterprise.enterprise.credit_code, "proxy-consent_text": "同意代办"},
    )
    case = Case.objects.get()
    html = client.get(case_url(case)).content.decode()
    assert reverse("workbench:case_register_items") in html
    assert reverse("workbench:case_acceptance_queue") not in html
    assert "受理期限" in html


def test_what_a_correction_replaced_stays_on_the_case_page_and_can_be_downloaded(client, hall):
    from zhengwu.cases.domain.acceptance import case_correction_submit
    from zhengwu.cases.domain.files import stored_file_open
    from zhengwu.cases.models import ReplacedMaterial

    case = registered(hall)
    form_row = case.materials.get(item_material=hall.form)
    licence_row = case.materials.get(item_material=hall.business_licence)
    original = form_row.file
    client.force_login(hall.handler)
    problems = {f"problem_{form_row.pk}": "缺签字", f"problem_{licence_row.pk}": "未提交营业执照"}
    assert (
        client.post(case_url(case, "correction"), {"material": [form_row.pk, licence_row.pk]} | problems).status_code
        == 302
    )
    case_correction_submit(
        applicant_or_clerk=hall.clerk,
        case=case,
        materials=[
            {"material": hall.form, "file": hall.pdf("signed")},
            {"material": hall.business_licence, "file": hall.pdf("licence")},
        ],
    )
    replaced = ReplacedMaterial.objects.get(material=form_row)
    url = reverse("workbench:case_replaced_material_file", args=[case.number, form_row.pk, replaced.pk])

    html = client.get(case_url(case)).content.decode()
    assert "食品经营许可申请书（补正前）" in html
    assert "补正替换，原状态：需补正：缺签字（第 1 次补正告知）" in html
    assert url in html
    response = client.get(url)
    assert response.status_code == 200
    with stored_file_open(original) as stored:
        assert b"".join(response.streaming_content) == stored.read()
    other = reverse("workbench:case_replaced_material_file", args=[case.number, licence_row.pk, replaced.pk])
    assert client.get(other).status_code == 404  # the replaced row belongs to another material
    huge = reverse("workbench:case_replaced_material_file", args=[case.number, 99999999999999999999999, replaced.pk])
    assert client.get(huge).status_code == 404  # a material number past the integer range: no such material
    client.force_login(hall.citizen)
    assert client.get(url).status_code == 403
