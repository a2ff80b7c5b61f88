"""The applicant's side of cases: 在线申报 from a guide, 我的办件, the case page with correction, the PDF receipt."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.cases import conftest as cases_conftest
from tests.cases.conftest import Hall, pdf_upload
from tests.html import assert_page_shell, submission_key
from zhengwu.cases.domain import case_accept, case_request_correction, case_submit_online
from zhengwu.cases.enums import CaseState, MaterialStatus
from zhengwu.cases.models import Case, StoredFile
from zhengwu.portal.views.cases import receipt_html

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
CASES_CSS = ["/static/portal/css/cases.css"]

pytestmark = pytest.mark.django_db
hall = cases_conftest.hall  # the cases fixture: a published licensing item, applicants and staff


def apply_url(hall: Hall) -> str:
    return reverse("portal:services_apply", args=[hall.version.item.implementation_code])


def form_data(hall: Hall, **extra) -> dict:
    data = {
        f"m{hall.form.pk}_file": pdf_upload("申请书.pdf", b"form"),
        f"m{hall.business_licence.pk}_file": pdf_upload("营业执照.pdf", b"licence"),
        "confirm": "on",
    }
    return data | extra


def online(hall: Hall, applicant=None) -> Case:
    return case_submit_online(
        applicant=applicant or hall.enterprise, item_version=hall.version, materials=hall.full_materials()
    )


# ---- apply ------------------------------------------------------------------------------------
@time_machine.travel(MONDAY, tick=False)
def test_apply_with_uploads_creates_one_case_and_shows_number_and_query_code(client, hall):
    client.force_login(hall.enterprise)
    page = client.get(apply_url(hall))
    assert page.status_code == 200
    assert_page_shell(page.content.decode(), stylesheets=CASES_CSS)
    assert "适用情形：委托他人办理的。不属于此情形的可不提交。" in page.content.decode()

    response = client.post(apply_url(hall), form_data(hall), follow=True)

    case = Case.objects.get()
    assert response.redirect_chain == [(reverse("portal:case_detail", args=[case.number]), 302)]
    assert case.applicant == hall.enterprise
    assert case.state == CaseState.SUBMITTED
    materials = list(case.materials.order_by("position"))
    assert [(m.name, m.status, m.file.original_name if m.file else None) for m in materials] == [
        ("食品经营许可申请书", MaterialStatus.PROVIDED, "申请书.pdf"),
        ("营业执照", MaterialStatus.PROVIDED, "营业执照.pdf"),
        ("法定代表人授权委托书", MaterialStatus.MISSING, None),
    ]
    text = response.content.decode()
    assert f"办件编号：{case.number}，查询码：{case.query_code}" in text


@time_machine.travel(MONDAY, tick=False)
def test_the_apply_form_posted_twice_files_one_case_and_the_second_post_redirects_to_it(client, hall):
    client.force_login(hall.enterprise)
    key = submission_key(client.get(apply_url(hall)).content.decode())
    first = client.post(apply_url(hall), form_data(hall, submission_key=key), follow=True)
    case = Case.objects.get()
    assert first.redirect_chain == [(reverse("portal:case_detail", args=[case.number]), 302)]
    assert case.submission_key == key

    again = client.post(apply_url(hall), form_data(hall, submission_key=key), follow=True)

    assert again.redirect_chain == [(reverse("portal:case_detail", args=[case.number]), 302)]
    assert [str(message) for message in again.context["messages"]] == [
        f"该申报已提交，办件编号：{case.number}，查询码：{case.query_code}。请勿重复提交。"
    ]
    assert list(Case.objects.values_list("pk", flat=True)) == [case.pk]
    assert StoredFile.objects.count() == 2


@time_machine.travel(MONDAY, tick=False)
def test_each_rendering_of_the_apply_form_is_a_new_application(client, hall):
    client.force_login(hall.enterprise)
    keys = [submission_key(client.get(apply_url(hall)).content.decode()) for _ in range(2)]
    assert keys[0] != keys[1]
    for key in keys:
        assert client.post(apply_url(hall), form_data(hall, submission_key=key)).status_code == 302
    assert sorted(Case.objects.values_list("submission_key", flat=True)) == sorted(keys)


@time_machine.travel(MONDAY, tick=False)
def test_the_apply_form_shown_again_with_errors_keeps_its_key_and_a_bad_key_gets_a_fresh_one(client, hall):
    client.force_login(hall.enterprise)
    key = submission_key(client.get(apply_url(hall)).content.decode())
    unconfirmed = client.post(apply_url(hall), form_data(hall, submission_key=key, confirm=""))
    assert unconfirmed.status_code == 400
    assert submission_key(unconfirmed.content.decode()) == key

    tampered = client.post(apply_url(hall), form_data(hall, submission_key="<x>", confirm=""))
    fresh = submission_key(tampered.content.decode())
    assert fresh not in (key, "<x>") and len(fresh) == 32
    # posted without a usable key, an application is still filed (as from a page older than the keys)
    assert client.post(apply_url(hall), form_data(hall, submission_key="<x>")).status_code == 302
    assert Case.objects.get().submission_key is None


@time_machine.travel(MONDAY, tick=False)
def test_apply_asks_the_application_form_the_certificate_needs(client, hall):
    from tests.cases.outcome import map_food

    map_food(hall)
    client.force_login(hall.enterprise)
    page = client.get(apply_url(hall)).content.decode()
    assert "<legend>申请表</legend>" in page
    for label in ("法定代表人", "经营场所", "经营项目"):
        assert f">{label}" in page

    response = client.post(apply_url(hall), form_data(hall, f_legal_representative="李四", f_scope="预包装食品销售"))
    assert response.status_code == 400
    assert response.context["form"].errors == {"f_premises": ["请填写经营场所。"]}
    assert not Case.objects.exists()

    client.post(
        apply_url(hall),
        form_data(hall, f_legal_representative="李四", f_premises="青河大道 18 号", f_scope="预包装食品销售"),
    )
    assert Case.objects.get().form_data == {
        "legal_representative": "李四",
        "premises": "青河大道 18 号",
        "scope": "预包装食品销售",
    }


@time_machine.travel(MONDAY, tick=False)
def test_apply_reuses_own_licence_instead_of_upload(client, hall):
    licence = hall.licence(hall.enterprise)
    client.force_login(hall.enterprise)
    page = client.get(apply_url(hall)).content.decode()
    assert f"营业执照 {licence.number}" in page

    data = form_data(hall, **{f"m{hall.business_licence.pk}_licence": str(licence.pk)})
    del data[f"m{hall.business_licence.pk}_file"]
    client.post(apply_url(hall), data)

    case = Case.objects.get()
    reused = case.materials.get(name="营业执照")
    assert (reused.licence, reused.file, reused.status) == (licence, None, MaterialStatus.PROVIDED)


def test_apply_with_someone_elses_licence_is_refused_and_creates_nothing(client, hall):
    foreign = hall.licence(hall.other_enterprise)
    client.force_login(hall.enterprise)
    data = form_data(hall, **{f"m{hall.business_licence.pk}_licence": str(foreign.pk)})
    del data[f"m{hall.business_licence.pk}_file"]

    response = client.post(apply_url(hall), data)

    assert response.status_code == 400
    assert "只能选用您本人有效的电子证照。" in response.content.decode()
    assert Case.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_apply_without_required_material_or_confirmation_shows_chinese_errors(client, hall):
    client.force_login(hall.enterprise)
    data = form_data(hall)
    del data[f"m{hall.form.pk}_file"]
    del data["confirm"]

    response = client.post(apply_url(hall), data)

    text = response.content.decode()
    assert response.status_code == 400
    assert "请上传此材料。" in text
    assert "请确认申报信息真实准确。" in text
    assert (Case.objects.count(), StoredFile.objects.count()) == (0, 0)


def test_apply_with_disguised_upload_is_refused_and_stores_nothing(client, hall):
    client.force_login(hall.enterprise)
    fake = SimpleUploadedFile("申请书.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    response = client.post(apply_url(hall), form_data(hall, **{f"m{hall.form.pk}_file": fake}))

    assert response.status_code == 400
    assert "不支持的文件类型" in response.content.decode()
    assert (Case.objects.count(), StoredFile.objects.count()) == (0, 0)


def test_apply_refused_for_applicant_kind_outside_service_objects(client, hall):
    hall.version.__class__.objects.filter(pk=hall.version.pk).update(for_natural_persons=False)
    client.force_login(hall.citizen)

    for response in (client.get(apply_url(hall)), client.post(apply_url(hall), form_data(hall))):
        assert response.status_code == 403
        assert "该事项的服务对象不含自然人，请使用法人账户申报。" in response.content.decode()
    assert Case.objects.count() == 0


def test_apply_refused_when_item_is_not_online_capable_and_guide_has_no_button(client, hall):
    hall.version.__class__.objects.filter(pk=hall.version.pk).update(online_depth=2)
    client.force_login(hall.enterprise)

    response = client.post(apply_url(hall), form_data(hall))

    assert response.status_code == 403
    assert "该事项暂不支持网上申报" in response.content.decode()
    assert Case.objects.count() == 0
    guide = client.get(reverse("portal:services_item", args=[hall.version.item.implementation_code]))
    assert apply_url(hall) not in guide.content.decode()


def test_guide_links_to_online_application(client, hall):
    guide = client.get(reverse("portal:services_item", args=[hall.version.item.implementation_code]))
    assert f'href="{apply_url(hall)}">在线申报</a>' in guide.content.decode()


def test_apply_requires_login(client, hall):
    response = client.get(apply_url(hall))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# ---- my cases ---------------------------------------------------------------------------------
def test_my_cases_lists_only_own_cases_newest_first(client, hall, django_assert_num_queries):
    with time_machine.travel(MONDAY, tick=False):
        first = online(hall)
    with time_machine.travel(MONDAY.replace(day=3), tick=False):
        second = online(hall)
        others = online(hall, applicant=hall.other_enterprise)
    client.force_login(hall.enterprise)

    with time_machine.travel(MONDAY.replace(day=4), tick=False), django_assert_num_queries(4):
        response = client.get(reverse("portal:cases_mine"))

    text = response.content.decode()
    assert_page_shell(text, stylesheets=CASES_CSS)
    assert text.index(second.number) < text.index(first.number)
    assert others.number not in text
    assert "clock-badge--running" in text
    assert 'href="/cases/mine/"' in text  # the nav link


def test_my_cases_empty_and_requires_login(client, hall):
    assert client.get(reverse("portal:cases_mine")).status_code == 302
    client.force_login(hall.citizen)
    assert "您还没有办件" in client.get(reverse("portal:cases_mine")).content.decode()


# ---- case page --------------------------------------------------------------------------------
@time_machine.travel(MONDAY, tick=False)
def test_case_page_shows_timeline_notice_and_takes_the_correction(client, hall):
    case = online(hall)
    case_request_correction(
        actor=hall.clerk,
        case=case,
        items=[{"material": case.materials.get(name="营业执照"), "problem": "复印件不清晰"}],
    )
    client.force_login(hall.enterprise)
    url = reverse("portal:case_detail", args=[case.number])

    page = client.get(url).content.decode()
    assert_page_shell(page, stylesheets=CASES_CSS)
    assert "<strong>营业执照</strong>：复印件不清晰" in page
    assert "一次性告知补正" in page and "收件" in page
    assert hall.clerk.display_name not in page  # no staff names to the public
    assert "计时对象" in page  # the clock's explanation
    assert f"<dt>查询码</dt><dd><code>{case.query_code}</code>" in page  # for the progress lookup without login

    response = client.post(url, {f"m{hall.business_licence.pk}_file": pdf_upload("营业执照2.pdf", b"v2")}, follow=True)

    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    material = case.materials.get(name="营业执照")
    assert (material.status, material.file.original_name) == (MaterialStatus.PROVIDED, "营业执照2.pdf")
    assert "补正材料已提交" in response.content.decode()
    assert "提交补正材料" in response.content.decode()  # timeline entry


@time_machine.travel(MONDAY, tick=False)
def test_correction_without_the_listed_material_changes_nothing(client, hall):
    case = online(hall)
    case_request_correction(
        actor=hall.clerk, case=case, items=[{"material": case.materials.get(name="营业执照"), "problem": "不清晰"}]
    )
    client.force_login(hall.enterprise)

    response = client.post(reverse("portal:case_detail", args=[case.number]), {})

    assert response.status_code == 400
    assert "请上传此材料或选用电子证照。" in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION_REQUESTED


def test_someone_elses_case_page_is_not_found(client, hall):
    with time_machine.travel(MONDAY, tick=False):
        case = online(hall)
    client.force_login(hall.other_enterprise)
    assert client.get(reverse("portal:case_detail", args=[case.number])).status_code == 404


# ---- receipt ----------------------------------------------------------------------------------
def test_receipt_pdf_for_applicant_and_serving_staff_only(client, hall):
    with time_machine.travel(MONDAY, tick=False):
        case = online(hall)
        case_accept(actor=hall.clerk, case=case)
    url = reverse("portal:case_receipt", args=[case.number])

    client.force_login(hall.enterprise)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    client.force_login(hall.clerk)
    assert client.get(url).status_code == 200
    client.force_login(hall.citizen)
    assert client.get(url).status_code == 404
    client.force_login(hall.other_clerk)
    assert client.get(url).status_code == 404


def test_receipt_content_names_number_code_item_masked_id_and_lookup_address(hall, settings):
    settings.ZHENGWU_PUBLIC_URL = "https://zw.example.cn"
    with time_machine.travel(MONDAY, tick=False):
        case = online(hall)
        html = receipt_html(case)

    assert "<title>收件回执 " + case.number in html
    assert f"<td>{case.query_code}</td>" in html
    assert "<td>食品经营许可证核发</td>" in html
    assert f"<td>{hall.enterprise.enterprise.credit_code[:3]}" in html
    assert hall.enterprise.enterprise.credit_code not in html
    assert "2026年3月2日 10:00" in html
    assert "<td>食品经营许可申请书</td>" in html
    assert "2026年3月9日 前作出是否受理的决定" in html
    assert "https://zw.example.cn/cases/lookup/" in html


@time_machine.travel(MONDAY, tick=False)
def test_apply_appends_the_events_of_its_uploads_and_its_case_together_at_the_end(client, hall):
    from tests.audit.appends import assert_one_append, audit_appends

    client.force_login(hall.enterprise)
    with audit_appends() as appends:
        response = client.post(apply_url(hall), form_data(hall))
    assert response.status_code == 302
    assert_one_append(appends)
    assert appends.actions()[:2] == ["cases.file_stored", "cases.file_stored"]
    assert appends.actions()[-1] == "cases.submitted"


def test_apply_whose_second_upload_is_refused_appends_nothing_for_the_first(client, hall):
    from tests.audit.appends import audit_appends

    client.force_login(hall.enterprise)
    fake = SimpleUploadedFile("营业执照.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with audit_appends() as appends:
        response = client.post(apply_url(hall), form_data(hall, **{f"m{hall.business_licence.pk}_file": fake}))
    assert response.status_code == 400
    assert (appends.head_statements, appends.actions()) == (0, [])
    assert (Case.objects.count(), StoredFile.objects.count()) == (0, 0)


@time_machine.travel(MONDAY, tick=False)
def test_case_page_never_shows_the_file_name_another_user_gave_the_same_content(client, hall):
    same = b"%PDF-1.4 the same scan"
    client.force_login(hall.enterprise)
    first = SimpleUploadedFile("王五身份证110101199003071234.pdf", same, content_type="application/pdf")
    client.post(apply_url(hall), form_data(hall, **{f"m{hall.form.pk}_file": first}))
    own = Case.objects.get(applicant=hall.enterprise)
    assert (
        "上传文件：王五身份证110101199003071234.pdf"
        in client.get(reverse("portal:case_detail", args=[own.number])).content.decode()
    )

    client.force_login(hall.other_enterprise)
    second = SimpleUploadedFile("申请书.pdf", same, content_type="application/pdf")
    response = client.post(apply_url(hall), form_data(hall, **{f"m{hall.form.pk}_file": second}), follow=True)

    html = response.content.decode()
    assert "王五身份证" not in html and "110101199003071234" not in html
    assert "上传文件（PDF）" in html
    assert StoredFile.objects.filter(sha256=own.materials.get(name="食品经营许可申请书").file.sha256).count() == 1
