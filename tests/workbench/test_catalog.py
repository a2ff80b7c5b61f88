"""Curation pages in the workbench (事项梳理): who may see and do what, the draft → review → publish cycle,
Chinese field errors for bad input, the diff view, and pinned query counts."""

import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import make_citizen, make_department, make_staff
from tests.accounts.pages import field_errors
from tests.catalog.factories import MATERIALS, Curation, guide_fields
from tests.html import assert_navigation_labelled, assert_page_shell
from zhengwu.accounts.domain import role_grant
from zhengwu.accounts.enums import Role
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.domain.versions import (
    item_create,
    version_draft_create,
    version_submit,
    version_update,
    version_withdraw,
)
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ItemVersion, ServiceItem

pytestmark = pytest.mark.django_db

MATERIAL_DEFAULTS = {
    "name": "",
    "source": "applicant",
    "form": "original",
    "copies": "1",
    "necessity": "required",
    "condition": "",
    "licence_type": "",
    "notes": "",
}
FEE_DEFAULTS = {"name": "", "standard_amount": "", "unit": "元/件", "legal_basis": ""}
STEP_DEFAULTS = {"name": "", "description": "", "limit_days": ""}
MATERIAL_ROWS = [{key: str(value) for key, value in material.items()} for material in MATERIALS]
NEW_ITEM = {"item_type": "01", "level": "4", "basic_code": "000201001000"}


def url(name: str, *args) -> str:
    return reverse(f"workbench:{name}", args=args)


def form_data(*, fields=None, materials=(), fees=(), steps=(), initial=(0, 0, 0), item=None) -> dict:
    """The POST a browser sends from the create or edit page (unchecked boxes are simply absent)."""
    data = {}
    for name, value in guide_fields(**(fields or {})).items():
        if value is True:
            data[name] = "on"
        elif value is not False:
            data[name] = str(value)
    data.update(item or {})
    sets = (("materials", materials, MATERIAL_DEFAULTS), ("fees", fees, FEE_DEFAULTS), ("steps", steps, STEP_DEFAULTS))
    for (prefix, rows, defaults), initial_count in zip(sets, initial, strict=True):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": str(initial_count),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            for key, value in (defaults | row).items():
                data[f"{prefix}-{index}-{key}"] = value
    return data


def edit_data(version: ItemVersion, *, fields=None, materials=None, fees=None, steps=None) -> dict:
    """An edit POST that keeps every existing row unless told otherwise."""
    existing = [{key: str(getattr(m, key)) for key in MATERIAL_DEFAULTS} for m in version.materials.all()]
    existing_fees = [{key: str(getattr(f, key)) for key in FEE_DEFAULTS} for f in version.fees.all()]
    existing_steps = [
        {key: "" if getattr(s, key) is None else str(getattr(s, key)) for key in STEP_DEFAULTS}
        for s in version.steps.all()
    ]
    base = {name: getattr(version, name) for name in guide_fields()}
    return form_data(
        fields=base | (fields or {}),
        materials=existing if materials is None else materials,
        fees=existing_fees if fees is None else fees,
        steps=existing_steps if steps is None else steps,
        initial=(len(existing), len(existing_fees), len(existing_steps)),
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def follow_messages(client, response) -> list[str]:
    page = client.get(response["Location"])
    return re.findall(r'<span class="message__label">[^<]*</span>([^<]*)</li>', page.content.decode())


@pytest.fixture
def cur():
    return Curation()


@pytest.fixture
def other_editor():
    department = make_department("区卫生健康局", "WS02")
    return make_staff("other", department=department, display_name="孙编辑", roles=(Role.CATALOG_EDITOR,))


@pytest.fixture
def supervisor():
    department = make_department("区监察室", "JC03")
    return make_staff("supervisor", department=department, display_name="周监察", roles=(Role.SUPERVISOR,))


def item_pages(version: ItemVersion) -> list[str]:
    item, number = version.item_id, version.number
    return [
        url("catalog_item", item),
        url("catalog_version", item, number),
        url("catalog_version_edit", item, number),
        url("catalog_version_diff", item, number),
    ]


# ---------------------------------------------------------------- access


def test_anonymous_visitors_are_sent_to_the_staff_login(client, cur):
    version = cur.draft()
    for page in [url("catalog_items"), url("catalog_item_create"), url("catalog_review_queue"), *item_pages(version)]:
        response = client.get(page)
        assert (response.status_code, response["Location"]) == (302, f"/workbench/login/?next={page}")


def test_citizens_are_refused_every_curation_page(client, cur):
    version = cur.draft()
    client.force_login(make_citizen())
    for page in [url("catalog_items"), url("catalog_item_create"), url("catalog_review_queue"), *item_pages(version)]:
        assert client.get(page).status_code == 403, page
    assert client.post(url("catalog_version_submit", version.item_id, 1)).status_code == 403
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.DRAFT


def test_staff_without_a_catalogue_role_are_refused(client, cur):
    client.force_login(make_staff("handler", department=cur.department, roles=(Role.HANDLER,)))
    assert client.get(url("catalog_items")).status_code == 403
    assert client.get(url("catalog_review_queue")).status_code == 403


def test_an_editor_of_another_department_cannot_see_or_touch_the_item(client, cur, other_editor):
    version = cur.draft()
    client.force_login(other_editor)

    listing = client.get(url("catalog_items")).content.decode()
    assert "食品经营许可证核发" not in listing
    for page in item_pages(version):
        assert client.get(page).status_code == 404, page
    assert client.post(url("catalog_version_submit", version.item_id, 1)).status_code == 404
    assert client.post(url("catalog_draft_create", version.item_id)).status_code == 404
    assert client.post(url("catalog_item_withdraw", version.item_id), {"reason": "x"}).status_code == 404
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.DRAFT


def test_an_item_number_past_the_integer_range_is_not_found(client, cur):
    version = cur.draft()
    client.force_login(cur.editor)
    huge = 99999999999999999999999

    for page in [url("catalog_item", huge), url("catalog_version", huge, 1), url("catalog_version_edit", huge, 1)]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("catalog_version_submit", huge, 1)).status_code == 404
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.DRAFT


def test_editors_cannot_open_the_review_queue_and_reviewers_cannot_create_items(client, cur):
    client.force_login(cur.editor)
    assert client.get(url("catalog_review_queue")).status_code == 403
    client.force_login(cur.reviewer)
    assert client.get(url("catalog_item_create")).status_code == 403


def test_the_reviewer_sees_every_department_in_the_queue_and_can_open_the_items(client, cur, other_editor):
    version_submit(actor=cur.editor, version=cur.draft())
    other = item_create(
        actor=other_editor,
        department=other_editor.staff.department,
        item_type="07",
        level="4",
        basic_code="000107002000",
        fields=guide_fields(name="出生医学证明办理"),
        materials=MATERIALS,
    )
    version_submit(actor=other_editor, version=other)
    client.force_login(cur.reviewer)

    html = client.get(url("catalog_review_queue")).content.decode()

    assert html.index("食品经营许可证核发") < html.index("出生医学证明办理")
    assert "区卫生健康局" in html
    page = client.get(url("catalog_version", other.item_id, 1)).content.decode()
    assert "退回修改" in page and "审核通过并发布" in page
    assert client.get(url("catalog_version_edit", other.item_id, 1)).status_code == 403


def test_county_wide_staff_see_all_departments_but_cannot_edit(client, cur, other_editor, supervisor):
    cur.draft()
    client.force_login(supervisor)

    html = client.get(url("catalog_items")).content.decode()

    assert "食品经营许可证核发" in html
    assert '<th scope="col">实施主体</th>' in html
    assert client.get(url("catalog_item_create")).status_code == 403
    assert client.get(url("catalog_version_edit", ServiceItem.objects.get().pk, 1)).status_code == 403


def test_the_side_navigation_links_curation_pages_by_role(client, cur):
    client.force_login(cur.editor)
    nav = client.get(url("catalog_items")).content.decode().split('<nav class="side-nav"')[1].split("</nav>")[0]
    assert re.findall(r">(事项[^<]*)</a>", nav) == ["事项管理", "事项导入导出"]
    assert 'href="/workbench/catalog/" aria-current="page"' in nav

    client.force_login(cur.reviewer)
    nav = client.get(url("home")).content.decode()
    nav = nav.split('<nav class="side-nav"')[1].split("</nav>")[0]
    assert re.findall(r">(事项[^<]*)</a>", nav) == ["事项管理", "事项审核"]

    client.force_login(make_staff("handler", department=cur.department, roles=(Role.HANDLER,)))
    nav = client.get(url("home")).content.decode().split('<nav class="side-nav"')[1].split("</nav>")[0]
    assert "事项" not in nav


# ---------------------------------------------------------------- the curation cycle


def test_create_edit_submit_return_fix_resubmit_and_approve(client, cur):
    client.force_login(cur.editor)
    response = client.post(url("catalog_item_create"), form_data(item=NEW_ITEM, materials=MATERIAL_ROWS))
    version = ItemVersion.objects.get()
    item = version.item
    assert response.status_code == 302
    assert response["Location"] == url("catalog_version", item.pk, 1)
    assert item.implementation_code == cur.department.credit_code + "4000201001000"
    assert follow_messages(client, response) == [f"事项已创建（实施编码 {item.implementation_code}），当前为草稿。"]

    response = client.post(
        url("catalog_version_edit", item.pk, 1),
        edit_data(version, fields={"promised_limit_days": 4}, steps=[{"name": "受理", "limit_days": "1"}]),
    )
    assert follow_messages(client, response) == ["草稿已保存。"]
    version.refresh_from_db()
    assert version.promised_limit_days == 4
    assert [s.name for s in version.steps.all()] == ["受理"]

    response = client.post(url("catalog_version_submit", item.pk, 1))
    assert follow_messages(client, response) == ["已提交法制审核。"]
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.IN_REVIEW

    client.force_login(cur.reviewer)
    assert "食品经营许可证核发" in client.get(url("catalog_review_queue")).content.decode()
    response = client.post(url("catalog_version_return", item.pk, 1), {"comment": "受理条件未写明场所面积要求。"})
    assert response["Location"] == url("catalog_review_queue")
    assert follow_messages(client, response) == ["已退回修改，审核意见已送达编辑人员。"]

    client.force_login(cur.editor)
    item_page = client.get(url("catalog_item", item.pk)).content.decode()
    assert '<p class="review-comment__text">受理条件未写明场所面积要求。</p>' in item_page
    assert "第 1 版已退回修改" in item_page
    version.refresh_from_db()
    response = client.post(
        url("catalog_version_edit", item.pk, 1),
        edit_data(version, fields={"acceptance_conditions": "经营场所面积不少于 20 平方米。"}),
    )
    assert follow_messages(client, response) == ["草稿已保存。"]
    follow_messages(client, client.post(url("catalog_version_submit", item.pk, 1)))

    client.force_login(cur.reviewer)
    response = client.post(url("catalog_version_approve", item.pk, 1), {"comment": ""})
    assert follow_messages(client, response) == ["审核通过，第 1 版已发布。"]
    version.refresh_from_db()
    assert (version.state, version.reviewed_by, version.acceptance_conditions) == (
        VersionState.PUBLISHED,
        cur.reviewer,
        "经营场所面积不少于 20 平方米。",
    )
    actions = list(
        AuditEvent.objects.filter(object_type="catalog.itemversion", object_id=str(version.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "catalog.item_created",
        "catalog.draft_updated",
        "catalog.submitted",
        "catalog.returned",
        "catalog.draft_updated",
        "catalog.submitted",
        "catalog.published",
    ]


def test_a_new_draft_starts_from_the_published_version_and_publishing_it_supersedes_the_old(client, cur):
    first = cur.published()
    client.force_login(cur.editor)

    response = client.post(url("catalog_draft_create", first.item_id))

    draft = ItemVersion.objects.get(item=first.item, number=2)
    assert response["Location"] == url("catalog_version_edit", first.item_id, 2)
    assert [m.name for m in draft.materials.all()] == [m["name"] for m in MATERIALS]
    item_page = client.get(url("catalog_item", first.item_id)).content.decode()
    assert "编辑第 2 版草稿" in item_page
    assert "起草新版本" not in item_page
    response = client.post(url("catalog_draft_create", first.item_id))
    assert follow_messages(client, response) == ["该事项已有未发布的版本，请先完成或撤回。"]


def test_the_editor_cannot_approve_their_own_draft_even_with_the_reviewer_role(client, cur):
    role_grant(actor="system:test", user=cur.editor, role=Role.LEGAL_REVIEWER)
    version = version_submit(actor=cur.editor, version=cur.draft())
    client.force_login(cur.editor)

    queue = client.get(url("catalog_review_queue")).content.decode()
    page = client.get(url("catalog_version", version.item_id, 1)).content.decode()
    response = client.post(url("catalog_version_approve", version.item_id, 1), {"comment": ""})

    assert "（本人编辑，须由他人审核）" in queue
    assert "审核通过并发布" not in page
    assert "该版本由您编辑，须由其他法制审核人员审核。" in page
    assert follow_messages(client, response) == ["不能审核自己编辑的版本。"]
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.IN_REVIEW


def test_a_published_item_is_withdrawn_with_a_reason(client, cur):
    version = cur.published()
    client.force_login(cur.editor)

    refused = client.post(url("catalog_item_withdraw", version.item_id), {"reason": "  "})
    assert refused.status_code == 200
    assert field_errors(refused.content.decode(), "reason") == ["停用事项必须说明理由。"]
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.PUBLISHED

    response = client.post(url("catalog_item_withdraw", version.item_id), {"reason": "职能划转至区行政审批局。"})

    assert follow_messages(client, response) == ["事项已停用，公众将不再看到该事项的办事指南。"]
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.WITHDRAWN
    event = AuditEvent.objects.filter(action="catalog.withdrawn").get()
    assert event.after["reason"] == "职能划转至区行政审批局。"


def test_forms_that_change_state_only_accept_post(client, cur):
    version = version_submit(actor=cur.editor, version=cur.draft())
    client.force_login(cur.reviewer)
    for name in ("catalog_version_approve", "catalog_version_return", "catalog_version_submit"):
        assert client.get(url(name, version.item_id, 1)).status_code == 405
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.IN_REVIEW


def test_review_forms_are_protected_against_cross_site_requests(cur):
    version = version_submit(actor=cur.editor, version=cur.draft())
    client = Client(enforce_csrf_checks=True)
    client.force_login(cur.reviewer)

    response = client.post(url("catalog_version_approve", version.item_id, 1), {"comment": ""})

    assert response.status_code == 403
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.IN_REVIEW


# ---------------------------------------------------------------- bad input


def test_a_promised_limit_over_the_statutory_one_is_shown_on_the_field_and_nothing_is_created(client, cur):
    client.force_login(cur.editor)

    response = client.post(
        url("catalog_item_create"),
        form_data(fields={"promised_limit_days": 25}, item=NEW_ITEM, materials=MATERIAL_ROWS),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert field_errors(html, "promised_limit_days") == ["承诺办结时限（25 天）不得超过法定办结时限（20 天）。"]
    assert "内容未保存，请修改下列标出的问题。" in html
    assert ServiceItem.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="catalog.").count() == 0


def test_a_bad_basic_code_and_a_duplicate_item_are_shown_on_the_basic_code(client, cur):
    cur.draft()
    client.force_login(cur.editor)

    bad = client.post(url("catalog_item_create"), form_data(item=NEW_ITEM | {"basic_code": "12ab"}))
    duplicate = client.post(url("catalog_item_create"), form_data(item=NEW_ITEM, materials=MATERIAL_ROWS))

    assert field_errors(bad.content.decode(), "basic_code") == ["基本编码应为 12 位数字或大写字母。"]
    assert field_errors(duplicate.content.decode(), "basic_code") == ["该实施编码的事项已存在。"]
    assert ServiceItem.objects.count() == 1


def test_material_and_fee_errors_land_on_their_rows_and_the_draft_is_unchanged(client, cur):
    version = cur.draft()
    client.force_login(cur.editor)
    rows = [*MATERIAL_ROWS[:2], {"name": "委托书", "necessity": "conditional", "condition": ""}]

    response = client.post(
        url("catalog_version_edit", version.item_id, 1),
        edit_data(
            version,
            fields={"name": "改过的名称", "is_free": False},
            materials=rows,
            fees=[{"name": "工本费", "standard_amount": "-5", "legal_basis": "某某文件"}],
        ),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert field_errors(html, "materials-2-condition") == ["情形必要的材料须写明适用情形。"]
    assert field_errors(html, "fees-0-standard_amount") == ["收费标准应为不小于 0 的金额（最多两位小数）。"]
    assert field_errors(html, "materials-0-name") == []
    version.refresh_from_db()
    assert version.name == "食品经营许可证核发"
    assert [m.name for m in version.materials.all()] == [m["name"] for m in MATERIALS]
    assert AuditEvent.objects.filter(action="catalog.draft_updated").count() == 0


def test_a_charged_item_without_fees_shows_the_problem_above_the_fee_rows(client, cur):
    version = cur.draft()
    client.force_login(cur.editor)

    data = edit_data(version, fields={"is_free": False})

    response = client.post(url("catalog_version_edit", version.item_id, 1), data)

    html = response.content.decode()
    assert response.status_code == 200
    errors = re.search(r'<ul class="errorlist nonfield" id="fees-errors">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", errors) == ["收费事项至少需要一个收费项目（含依据和标准）。"]
    assert ItemVersion.objects.get(pk=version.pk).is_free is True


def test_type_errors_are_shown_in_chinese_before_the_domain_is_asked(client, cur):
    version = cur.draft()
    client.force_login(cur.editor)
    data = edit_data(version, fees=[{"name": "工本费", "standard_amount": "十元", "legal_basis": "某文件"}])
    data["statutory_limit_days"] = "二十"
    data["name"] = ""

    html = client.post(url("catalog_version_edit", version.item_id, 1), data).content.decode()

    assert field_errors(html, "statutory_limit_days") == ["输入整数。"]
    assert field_errors(html, "name") == ["这个字段是必填项。"]
    assert field_errors(html, "fees-0-standard_amount") == ["输入一个数字。"]


def test_returning_without_a_comment_shows_the_error_and_keeps_the_draft_in_review(client, cur):
    version = version_submit(actor=cur.editor, version=cur.draft())
    client.force_login(cur.reviewer)

    response = client.post(url("catalog_version_return", version.item_id, 1), {"comment": "   "})

    assert response.status_code == 200
    assert field_errors(response.content.decode(), "comment") == ["退回时必须填写审核意见。"]
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.IN_REVIEW


def test_submitting_a_draft_without_materials_is_refused_with_the_reason(client, cur):
    client.force_login(cur.editor)
    follow_messages(client, client.post(url("catalog_item_create"), form_data(item=NEW_ITEM)))
    version = ItemVersion.objects.get()

    response = client.post(url("catalog_version_submit", version.item_id, 1))

    assert follow_messages(client, response) == ["至少需要一项申请材料（无需材料的事项请写明“无”并说明）。"]
    assert ItemVersion.objects.get(pk=version.pk).state == VersionState.DRAFT


def test_a_version_in_review_cannot_be_edited(client, cur):
    version = version_submit(actor=cur.editor, version=cur.draft())
    client.force_login(cur.editor)

    response = client.post(url("catalog_version_edit", version.item_id, 1), edit_data(version, fields={"name": "新"}))

    assert response["Location"] == url("catalog_version", version.item_id, 1)
    assert follow_messages(client, response) == ["“待审核”状态的版本不能修改。"]
    assert ItemVersion.objects.get(pk=version.pk).name == "食品经营许可证核发"


# ---------------------------------------------------------------- what the pages show


def test_the_edit_page_explains_the_chosen_preset_and_shows_the_compression_ratio(client, cur):
    version = cur.draft()
    client.force_login(cur.editor)

    html = client.get(url("catalog_version_edit", version.item_id, 1)).content.decode()

    shown = re.findall(r'<div data-preset="([a-z_]+)" data-days="\d+" data-unit="\w+">', html)
    assert shown == ["licence_decision"]
    assert "行政许可决定：20 个工作日，经本行政机关负责人批准可延长 10 个工作日" in html
    assert "《行政许可法》第四十二条第一款、第八十二条" in html
    assert re.search(r'<output id="compression-ratio" class="ratio" for="[^"]+">25%</output>', html)
    assert '<option value="licence_decision" selected>行政许可决定</option>' in html


def test_a_chosen_preset_fills_an_empty_limit_and_its_unit_without_javascript(client, cur):
    client.force_login(cur.editor)
    fields = {"statutory_preset": "licence_decision", "statutory_limit_days": "", "limit_unit": "calendar"}
    fields["promised_limit_days"] = 5

    response = client.post(url("catalog_item_create"), form_data(item=NEW_ITEM, fields=fields))

    assert response.status_code == 302
    version = ItemVersion.objects.get()
    assert (version.statutory_limit_days, version.limit_unit, version.promised_limit_days) == (20, "working", 5)


def test_a_limit_typed_beside_a_preset_is_kept_and_checked_against_it(client, cur):
    client.force_login(cur.editor)
    fields = {"statutory_preset": "licence_decision", "statutory_limit_days": 15, "limit_unit": "calendar"}

    response = client.post(url("catalog_item_create"), form_data(item=NEW_ITEM, fields=fields))

    assert response.status_code == 200
    assert ItemVersion.objects.count() == 0
    assert "时限单位应与所选法定时限一致（工作日）。" in response.content.decode()


def test_curation_pages_have_no_inline_script_or_style(client, cur):
    version = version_submit(actor=cur.editor, version=cur.draft())
    reviewer_pages = [url("catalog_review_queue"), *item_pages(version)[:2], item_pages(version)[3]]
    editor_pages = [url("catalog_items"), url("catalog_item_create")]
    for user, page in [(cur.reviewer, page) for page in reviewer_pages] + [(cur.editor, page) for page in editor_pages]:
        client.force_login(user)
        response = client.get(page)
        assert response.status_code == 200, page
        assert_navigation_labelled(
            assert_page_shell(response.content.decode(), stylesheets=["/static/workbench/catalog.css"])
        )


def test_the_diff_page_shows_the_changed_fields_against_the_predecessor(client, cur):
    first = cur.published()
    draft = version_draft_create(actor=cur.editor, item=first.item)
    version_update(
        actor=cur.editor,
        version=draft,
        fields={"promised_limit_days": 3},
        materials=[*MATERIALS, {"name": "食品安全管理制度文本"}],
    )
    client.force_login(cur.editor)

    html = client.get(url("catalog_version_diff", first.item_id, 2)).content.decode()

    rows = re.findall(r'<tr data-field="([^"]+)">', html)
    assert rows == ["承诺办结时限", "申请材料"]
    limit_row = html.split('<tr data-field="承诺办结时限">')[1].split("</tr>")[0]
    assert '<del><span class="visually-hidden">删除：</span>5</del>' in limit_row
    assert '<ins><span class="visually-hidden">新增：</span>3</ins>' in limit_row
    materials_row = html.split('<tr data-field="申请材料">')[1].split("</tr>")[0]
    assert re.findall(r"新增：</span>([^<]*)</ins>", materials_row) == ["食品安全管理制度文本（原件1份，必要）"]
    assert "删除：" not in materials_row
    first_page = client.get(url("catalog_version_diff", first.item_id, 1)).content.decode()
    assert "这是该事项的第一个版本，没有可对比的上一版本。" in first_page


def test_the_reviewer_sees_the_changes_on_the_version_being_reviewed(client, cur):
    first = cur.published()
    draft = version_draft_create(actor=cur.editor, item=first.item)
    version_update(actor=cur.editor, version=draft, fields={"place": "区政务服务中心二楼 B12 窗口"})
    version_submit(actor=cur.editor, version=draft)
    client.force_login(cur.reviewer)

    html = client.get(url("catalog_version", first.item_id, 2)).content.decode()

    assert "相对于第 1 版的修改" in html
    assert re.findall(r'<tr data-field="([^"]+)">', html) == ["办理地点"]


def test_the_item_page_shows_history_with_reviewers_and_audit_links_for_admins(client, cur, admin_user):
    first = cur.published()
    draft = version_draft_create(actor=cur.editor, item=first.item)
    client.force_login(cur.editor)

    html = client.get(url("catalog_item", first.item_id)).content.decode()

    history = html.split('id="history-title"')[1]
    assert re.findall(r"<td class=\"nowrap\"><a href=\"[^\"]+\">(第 \d 版)</a></td>", history) == ["第 2 版", "第 1 版"]
    assert "钱审核" in history
    assert "审计记录" not in html
    assert html.count("与上一版对比") == 1
    assert "现行办事指南摘要" in html

    cur.editor.is_staff = True
    cur.editor.is_superuser = True
    cur.editor.save()
    html = client.get(url("catalog_item", first.item_id)).content.decode()
    assert f'href="/admin/catalog/itemversion/{draft.pk}/history/">审计记录</a>' in html


def test_the_list_filters_by_state_type_and_searches_names_and_codes(client, cur):
    cur.published()
    cur.draft("000201002000", name="小餐饮登记")
    version_submit(actor=cur.editor, version=cur.draft("000107003000", name="食品小作坊登记"))
    ServiceItem.objects.filter(basic_code="000107003000").update(item_type="07")
    client.force_login(cur.editor)

    def names(**query):
        html = client.get(url("catalog_items"), query).content.decode()
        return re.findall(r'<td><a href="/workbench/catalog/\d+/">([^<]+)</a></td>', html)

    assert names() == ["食品小作坊登记", "食品经营许可证核发", "小餐饮登记"]  # by implementation code
    assert names(state="published") == ["食品经营许可证核发"]
    assert names(state="in_review") == ["食品小作坊登记"]
    assert names(item_type="07") == ["食品小作坊登记"]
    assert names(q="餐饮") == ["小餐饮登记"]
    assert names(q="000201002") == ["小餐饮登记"]
    assert names(q="食品", state="draft") == []


def test_the_list_shows_limits_ratio_and_open_draft_state(client, cur):
    first = cur.published()
    version_draft_create(actor=cur.editor, item=first.item)
    client.force_login(cur.editor)

    html = client.get(url("catalog_items")).content.decode()

    row = html.split("<tbody>")[1].split("</tr>")[0]
    cells = [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == [
        "食品经营许可证核发",
        first.item.implementation_code,
        "行政许可",
        "5 / 20 工作日",
        "25%",
        "第 1 版",
        "草稿 第 2 版",
    ]


# ---------------------------------------------------------------- query counts


def _many_items(cur, count: int) -> None:
    for index in range(count):
        version = cur.published(f"0002010{index:05d}", name=f"事项{index}")
        if index % 2:
            version_draft_create(actor=cur.editor, item=version.item)


# session, user, roles, staff profile, count, items, their current versions, unread notifications (layout)
LIST_QUERIES = 6


@pytest.mark.parametrize("count", [3, 30])
def test_the_item_list_query_count_is_pinned(client, cur, django_assert_num_queries, count):
    _many_items(cur, count)
    client.force_login(cur.editor)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url("catalog_items"), {"q": "事项", "state": "published"})

    assert len(response.context["rows"]) == min(count, 25)


@pytest.mark.parametrize("count", [3, 30])
def test_the_county_wide_item_list_query_count_is_pinned(client, cur, supervisor, django_assert_num_queries, count):
    _many_items(cur, count)
    client.force_login(supervisor)

    with django_assert_num_queries(LIST_QUERIES + 1):  # + the department filter's choices
        client.get(url("catalog_items"))


@pytest.mark.parametrize("count", [2, 12])
def test_the_review_queue_query_count_is_pinned(client, cur, django_assert_num_queries, count):
    for index in range(count):
        version_submit(actor=cur.editor, version=cur.draft(f"0002010{index:05d}"))
    client.force_login(cur.reviewer)

    with django_assert_num_queries(5):  # session, user with roles and staff profile, count, versions, notifications
        response = client.get(url("catalog_review_queue"))

    assert len(response.context["rows"]) == count


def test_one_submission_reports_form_and_domain_problems_together(client, cur):
    version = cur.draft()
    client.force_login(cur.editor)
    rows = [*MATERIAL_ROWS[:2], {"name": "委托书", "necessity": "conditional", "condition": ""}]
    data = edit_data(version, fields={"promised_limit_days": 30}, materials=rows)
    data["place"] = ""

    html = client.post(url("catalog_version_edit", version.item_id, 1), data).content.decode()

    assert field_errors(html, "place") == ["这个字段是必填项。"]
    assert field_errors(html, "promised_limit_days") == ["承诺办结时限（30 天）不得超过法定办结时限（20 天）。"]
    assert field_errors(html, "materials-2-condition") == ["情形必要的材料须写明适用情形。"]
    assert ItemVersion.objects.get(pk=version.pk).promised_limit_days == 5


def test_a_withdrawn_item_stays_in_the_list_as_withdrawn(client, cur):
    version_withdraw(actor=cur.editor, version=cur.published(), reason="职能调整")
    cur.published("000201002000", name="小餐饮登记")
    client.force_login(cur.editor)

    html = client.get(url("catalog_items"), {"state": "withdrawn"}).content.decode()

    assert re.findall(r'<td><a href="/workbench/catalog/\d+/">([^<]+)</a></td>', html) == ["食品经营许可证核发"]
    assert '<span class="state state--withdrawn">已停用</span>' in html


def test_the_list_is_paginated_and_keeps_the_filters(client, cur):
    _many_items(cur, 27)
    client.force_login(cur.editor)

    first = client.get(url("catalog_items"), {"q": "事项"}).content.decode()
    second = client.get(url("catalog_items"), {"q": "事项", "page": "2"}).content.decode()

    assert "共 27 项事项" in first
    assert 'href="?q=%E4%BA%8B%E9%A1%B9&amp;page=2" rel="next"' in first
    assert len(re.findall(r'<td><a href="/workbench/catalog/\d+/">', second)) == 2
    assert "第 2 页，共 2 页" in second


def test_the_edit_page_links_an_attached_file_and_offers_to_clear_it(client, cur):
    version = cur.draft()
    material = version.materials.get(position=0)
    material.blank_form.save("申请书.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    client.force_login(cur.editor)

    html = client.get(url("catalog_version_edit", version.item_id, 1)).content.decode()

    link = url("catalog_material_file", version.item_id, 1, "blank_form", material.pk)
    assert f'<a href="{link}">申请书.pdf</a>' in html
    assert 'name="materials-0-blank_form-clear"' in html
