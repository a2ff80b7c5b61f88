"""Catalogue read API: items, guides, themes and departments, as documented in the OpenAPI schema."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.catalog.factories import MATERIALS, Curation, guide_fields
from zhengwu.catalog.domain.versions import (
    item_create,
    version_approve,
    version_draft_create,
    version_submit,
    version_update,
)
from zhengwu.catalog.models import Theme, ThemeItem

pytestmark = pytest.mark.django_db

PUBLISHED_AT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def cur():
    return Curation()


@pytest.fixture
def guide(cur):
    """A published licensing item, with fees and steps, in a scenario theme."""
    with time_machine.travel(PUBLISHED_AT, tick=False):
        draft = item_create(
            actor=cur.editor,
            department=cur.department,
            item_type="01",
            level="4",
            basic_code="000201001000",
            fields=guide_fields(is_free=False, online_payment=True),
            materials=MATERIALS,
            fees=[
                {"name": "证书工本费", "standard_amount": Decimal("10"), "unit": "元/本", "legal_basis": "某收费通知"}
            ],
            steps=[{"name": "受理", "description": "核验材料", "limit_days": 1}, {"name": "决定", "description": ""}],
        )
        version = version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=draft))
    theme = Theme.objects.create(kind="scenario", slug="open-shop", name="开饭店一件事", description="一次办好。")
    ThemeItem.objects.create(theme=theme, item=version.item, position=1)
    return version


def test_a_guide_is_served_in_full(client, guide, django_assert_num_queries):
    code = guide.item.implementation_code
    with django_assert_num_queries(5):
        response = client.get(f"/api/catalog/items/{code}")
    assert response.status_code == 200
    assert response.json() == {
        "implementation_code": code,
        "basic_code": "000201001000",
        "item_type": "01",
        "item_type_label": "行政许可",
        "level": "4",
        "level_label": "县级",
        "department": {"code": "SC01", "name": "区市场监督管理局"},
        "version": 1,
        "published_at": "2026-03-02T09:30:00+00:00",
        "name": "食品经营许可证核发",
        "service_objects": ["自然人", "法人"],
        "acceptance_conditions": "申请人具有与经营的食品品种、数量相适应的经营场所。",
        "process_description": "申请、受理、审查、决定、送达。",
        "steps": [
            {"name": "受理", "description": "核验材料", "limit_days": 1},
            {"name": "决定", "description": "", "limit_days": None},
        ],
        "limits": {
            "unit": "working",
            "unit_label": "工作日",
            "statutory_days": 20,
            "promised_days": 5,
            "compression_ratio": 0.25,
            "statutory_preset": "licence_decision",
            "statutory_preset_name": "行政许可决定",
        },
        "handling_kind": "promised",
        "handling_kind_label": "承诺件",
        "place": "区政务服务中心一楼 A05 窗口",
        "office_hours": "工作日 9:00-12:00，13:30-17:30",
        "consultation_phone": "0000-12345678",
        "complaint_phone": "0000-12345",
        "materials": [
            {
                "name": "食品经营许可申请书",
                "source": "applicant",
                "source_label": "申请人自备",
                "form": "original",
                "form_label": "原件",
                "copies": 1,
                "necessity": "required",
                "necessity_label": "必要",
                "condition": "",
                "licence_type": "",
                "notes": "",
                "blank_form_url": None,
                "sample_url": None,
            },
            {
                "name": "营业执照",
                "source": "applicant",
                "source_label": "申请人自备",
                "form": "electronic",
                "form_label": "电子材料",
                "copies": 1,
                "necessity": "required",
                "necessity_label": "必要",
                "condition": "",
                "licence_type": "营业执照",
                "notes": "",
                "blank_form_url": None,
                "sample_url": None,
            },
            {
                "name": "法定代表人授权委托书",
                "source": "applicant",
                "source_label": "申请人自备",
                "form": "original",
                "form_label": "原件",
                "copies": 1,
                "necessity": "conditional",
                "necessity_label": "容缺/情形必要",
                "condition": "委托他人办理的",
                "licence_type": "",
                "notes": "",
                "blank_form_url": None,
                "sample_url": None,
            },
        ],
        "fees": {
            "is_free": False,
            "online_payment": True,
            "items": [{"name": "证书工本费", "standard_amount": "10.00", "unit": "元/本", "legal_basis": "某收费通知"}],
        },
        "result": {"name": "食品经营许可证", "kind": "licence", "kind_label": "证照", "sample_url": None},
        "visits_required": 0,
        "online_depth": 4,
        "online_depth_label": "Ⅳ级：全程网办",
        "handling_scope": "county",
        "handling_scope_label": "全区（县）通办",
        "express_delivery": True,
        "intermediary_services": "",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "themes": [{"slug": "open-shop", "name": "开饭店一件事", "kind": "scenario"}],
        "url": f"/services/item/{code}/",
    }


def test_a_new_draft_does_not_change_the_served_guide(client, cur, guide):
    draft = version_draft_create(actor=cur.editor, item=guide.item)
    version_update(actor=cur.editor, version=draft, fields={"name": "改名的草稿"})
    body = client.get(f"/api/catalog/items/{guide.item.implementation_code}").json()
    assert (body["name"], body["version"]) == ("食品经营许可证核发", 1)


def test_an_unknown_or_unpublished_item_is_a_structured_404(client, cur):
    draft = cur.draft()
    for code in ("NOPE", draft.item.implementation_code):
        response = client.get(f"/api/catalog/items/{code}")
        assert response.status_code == 404
        assert response.json() == {"detail": f"没有实施编码为 {code} 的现行事项。"}
    response = client.get("/api/catalog/themes/no-such-theme")
    assert (response.status_code, response.json()) == (404, {"detail": "没有标识为 no-such-theme 的主题。"})


def publish_many(cur, count: int) -> list:
    versions = []
    for n in range(count):
        versions.append(cur.published(f"0002010{n:02d}000", name=f"事项{n:02d}"))
    return versions


def test_items_are_paginated_with_counts(client, cur, django_assert_num_queries):
    publish_many(cur, 25)
    cur.draft("000201099000", name="草稿不出现")
    with django_assert_num_queries(2):
        response = client.get("/api/catalog/items?page=2&page_size=10")
    body = response.json()
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (25, 2, 10, 3)
    assert [item["name"] for item in body["items"]] == [f"事项{n:02d}" for n in range(10, 20)]
    first = body["items"][0]
    assert first == {
        "implementation_code": cur.department.credit_code + "4000201010000",
        "name": "事项10",
        "item_type": "01",
        "item_type_label": "行政许可",
        "department": {"code": "SC01", "name": "区市场监督管理局"},
        "handling_kind": "promised",
        "handling_kind_label": "承诺件",
        "statutory_limit_days": 20,
        "promised_limit_days": 5,
        "limit_unit": "working",
        "online_depth": 4,
        "version": 1,
        "url": f"/services/item/{cur.department.credit_code}4000201010000/",
    }
    last = client.get("/api/catalog/items?page=3&page_size=10").json()
    assert [item["name"] for item in last["items"]] == [f"事项{n:02d}" for n in range(20, 25)]
    assert client.get("/api/catalog/items?page=9").json()["items"] == []
    assert client.get("/api/catalog/items?page_size=101").status_code == 422
    assert client.get("/api/catalog/items?page=0").status_code == 422


def test_a_page_number_past_the_last_possible_page_is_a_422_on_page(client, cur):
    publish_many(cur, 1)
    assert client.get("/api/catalog/items?page=100000").json()["items"] == []

    response = client.get("/api/catalog/items?page=99999999999999999999999")

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", "page"]]


def test_items_filter_by_department_type_and_theme(client, cur, guide):
    other = cur.published("000201002000", name="另一事项")
    theme = Theme.objects.get(slug="open-shop")
    assert [i["name"] for i in client.get("/api/catalog/items?theme=open-shop").json()["items"]] == [guide.name]
    assert client.get("/api/catalog/items?department=SC01").json()["count"] == 2
    assert client.get("/api/catalog/items?department=XX").json()["count"] == 0
    assert client.get("/api/catalog/items?type=07").json()["count"] == 0
    assert client.get("/api/catalog/items?type=01").json()["count"] == 2
    response = client.get("/api/catalog/items?type=99")
    assert (response.status_code, response.json()) == (422, {"detail": "未知的事项类型代码：99。"})
    ThemeItem.objects.create(theme=theme, item=other.item, position=0)
    elsewhere = Theme.objects.create(kind="life_event", slug="work", name="就业")
    ThemeItem.objects.create(theme=elsewhere, item=guide.item, position=5)
    body = client.get("/api/catalog/items?theme=open-shop").json()
    assert (body["count"], [i["name"] for i in body["items"]]) == (2, ["另一事项", guide.name])


def test_items_can_be_searched_with_a_two_character_term(client, cur, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cur.published("000201001000", name="普通护照签发", acceptance_conditions="中国公民因私出国。")
        cur.published("000201002000", name="最低生活保障审核确认", acceptance_conditions="家庭人均收入低于低保标准。")
        cur.published("000201003000", name="食品经营许可证核发")
    body = client.get("/api/catalog/items?q=护照").json()
    assert (body["count"], [i["name"] for i in body["items"]]) == (1, ["普通护照签发"])
    assert [i["name"] for i in client.get("/api/catalog/items?q=低保").json()["items"]] == ["最低生活保障审核确认"]
    assert client.get("/api/catalog/items?q=不存在的词").json()["count"] == 0


def test_themes_list_counts_published_items(client, guide, django_assert_num_queries):
    Theme.objects.create(kind="identity", slug="empty", name="没有事项的主题")
    with django_assert_num_queries(1):
        response = client.get("/api/catalog/themes")
    assert response.json() == [
        {
            "slug": "open-shop",
            "name": "开饭店一件事",
            "kind": "scenario",
            "kind_label": "场景式服务（一件事）",
            "description": "一次办好。",
            "item_count": 1,
            "url": "/services/scenario/open-shop/",
        }
    ]
    assert client.get("/api/catalog/themes?kind=identity").json() == []
    assert client.get("/api/catalog/themes?kind=bad").status_code == 422


def test_a_scenario_comes_with_its_merged_checklist(client, cur, guide, django_assert_num_queries):
    second = cur.published("000201002000", name="户外广告设施设置审批")
    ThemeItem.objects.create(theme=Theme.objects.get(slug="open-shop"), item=second.item, position=2)
    with django_assert_num_queries(3):
        body = client.get("/api/catalog/themes/open-shop").json()
    assert [i["name"] for i in body["items"]] == ["食品经营许可证核发", "户外广告设施设置审批"]
    assert body["item_count"] == 2
    licence = next(line for line in body["checklist"] if line["name"] == "营业执照")
    assert licence == {
        "name": "营业执照",
        "form": "electronic",
        "form_label": "电子材料",
        "copies": 1,
        "necessity": "required",
        "necessity_label": "必要",
        "items": ["食品经营许可证核发", "户外广告设施设置审批"],
        "conditions": [],
        "licence_types": ["营业执照"],
        "licence_replaces_everywhere": True,
        "produced_by": [],
    }
    assert len(body["checklist"]) == 3  # three materials, each once


def test_a_life_event_theme_lists_items_without_a_checklist(client, guide):
    theme = Theme.objects.create(kind="life_event", slug="work", name="就业")
    ThemeItem.objects.create(theme=theme, item=guide.item, position=1)
    body = client.get("/api/catalog/themes/work").json()
    assert (body["checklist"], [i["name"] for i in body["items"]], body["url"]) == (
        None,
        ["食品经营许可证核发"],
        "/services/theme/work/",
    )


def test_departments_with_published_items(client, cur, guide, django_assert_num_queries):
    from tests.accounts.factories import make_department

    make_department("区民政局", "MZ02")
    with django_assert_num_queries(1):
        response = client.get("/api/catalog/departments")
    assert response.json() == [
        {
            "code": "SC01",
            "name": "区市场监督管理局",
            "short_name": "",
            "credit_code": cur.department.credit_code,
            "item_count": 1,
        }
    ]


def test_the_openapi_schema_documents_the_catalogue_in_chinese(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/catalog/items",
        "/api/catalog/items/{implementation_code}",
        "/api/catalog/themes",
        "/api/catalog/themes/{slug}",
        "/api/catalog/departments",
    ):
        assert "get" in paths[path], path
    guide = paths["/api/catalog/items/{implementation_code}"]["get"]
    assert guide["summary"] == "办事指南"
    assert set(guide["responses"]) == {"200", "404"}
    parameters = {p["name"]: p for p in paths["/api/catalog/items"]["get"]["parameters"]}
    assert set(parameters) == {"department", "type", "theme", "q", "page", "page_size"}
    assert parameters["q"]["description"] == "关键词（支持两个字的检索，如“护照”“低保”）"
    components = schema["components"]["schemas"]
    assert components["Limits"]["properties"]["compression_ratio"]["description"].startswith("承诺时限压缩比")
    assert components["ErrorOut"]["properties"]["detail"]["description"] == "错误说明"
