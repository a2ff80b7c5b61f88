"""Themes and the public read side of the catalogue: published-only lists, the scenario checklist, theme upkeep."""

import pytest
from django.core.exceptions import ValidationError

from tests.accounts.factories import SYSTEM, make_department, make_staff
from tests.catalog.factories import Curation, make_theme, newborn_scenario, publish, republish
from zhengwu.accounts.enums import Role
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.domain.themes import (
    audience_counts,
    audience_versions,
    department_versions,
    departments_with_counts,
    material_key,
    scenario_checklist,
    theme_create,
    theme_items_set,
    theme_update,
    theme_versions,
    themes_with_counts,
)
from zhengwu.catalog.domain.versions import (
    version_draft_create,
    version_withdraw,
)
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ItemVersion, Theme, ThemeItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def cur():
    return Curation()


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("居民身份证", "居民身份证"),
        ("身份证", "居民身份证"),
        ("身份证复印件", "居民身份证"),
        ("居民身份证（原件及复印件）", "居民身份证"),
        (" 居民 身份证 原件 ", "居民身份证"),
        ("《居民身份证》", "居民身份证"),
        ("户口本（复印件）", "户口簿"),
        ("居民户口簿原件和复印件", "户口簿"),
        ("营业执照副本", "营业执照"),
        ("申请人居民身份证", "居民身份证"),
        ("申请人（代理人）身份证复印件", "居民身份证"),
        ("父母双方居民身份证", "父母双方居民身份证"),
        ("申请人", "申请人"),
        ("【必填】食品经营许可申请书", "食品经营许可申请书"),
        ("复印件", "复印件"),
        ("（无）", "（无）"),
    ],
)
def test_material_names_are_normalised_for_merging(name, key):
    assert material_key(name) == key


def test_scenario_checklist_merges_shared_materials_into_one_line_listing_both_items(cur):
    theme, birth, insurance = newborn_scenario(cur)

    checklist = scenario_checklist(theme)

    assert [
        (line.name, line.form, line.copies, line.necessity, line.item_names, line.original_names) for line in checklist
    ] == [
        ("居民身份证", "original_and_copy", 2, "required", [birth.name, insurance.name], ["身份证复印件"]),
        ("户口簿", "original_and_copy", 1, "required", [birth.name, insurance.name], ["户口本（复印件）"]),
        ("出生医学证明", "original", 1, "required", [birth.name], []),
        ("银行卡", "original", 1, "conditional", [insurance.name], []),
    ]


def test_checklist_says_which_items_accept_an_electronic_licence(cur):
    theme, _birth, insurance = newborn_scenario(cur)

    identity, household, certificate, card = scenario_checklist(theme)

    assert (identity.licence_types, identity.licence_replaces_everywhere) == (["居民身份证"], False)
    assert identity.items_without_licence == [insurance.name]
    assert (certificate.licence_types, certificate.licence_replaces_everywhere) == (["出生医学证明"], True)
    assert (household.licence_types, card.licence_types) == ([], [])
    assert card.conditions == [(insurance.name, "选择银行代扣缴费的")]
    assert (identity.form_label, card.necessity_label) == ("原件和复印件", "容缺/情形必要")


def test_checklist_keeps_the_strictest_necessity_and_the_largest_number_of_copies(cur):
    first = publish(
        cur,
        "000201001000",
        name="甲事项",
        materials=[{"name": "房屋租赁合同", "form": "copy", "copies": 1, "necessity": "optional"}],
    )
    second = publish(
        cur,
        "000201002000",
        name="乙事项",
        materials=[
            {
                "name": "房屋租赁合同复印件",
                "form": "copy",
                "copies": 3,
                "necessity": "conditional",
                "condition": "租赁场所的",
            }
        ],
    )
    third = publish(
        cur,
        "000201003000",
        name="丙事项",
        materials=[{"name": "房屋租赁合同（原件）", "form": "original", "copies": 1, "necessity": "required"}],
    )
    theme = make_theme("scenario", "rent", "租房一件事", [first, second, third])

    (line,) = scenario_checklist(theme)

    assert (line.name, line.form, line.copies, line.necessity) == ("房屋租赁合同", "original_and_copy", 3, "required")
    assert line.item_names == ["甲事项", "乙事项", "丙事项"]


def test_checklist_says_which_material_another_item_of_the_scenario_produces(cur):
    opening = publish(
        cur,
        "000201001000",
        name="有限责任公司设立登记",
        result_name="营业执照",
        materials=[{"name": "公司章程"}, {"name": "法定代表人居民身份证", "form": "copy"}],
    )
    seal = publish(
        cur,
        "000201002000",
        name="公章刻制备案",
        result_name="备案回执",
        result_kind="other",
        materials=[{"name": "营业执照副本复印件", "form": "copy"}, {"name": "法定代表人居民身份证", "form": "copy"}],
    )
    theme = make_theme("scenario", "open-business", "开办企业一件事", [opening, seal])

    lines = {line.name: line for line in scenario_checklist(theme)}

    assert list(lines) == ["公司章程", "法定代表人居民身份证", "营业执照"]
    assert lines["营业执照"].produced_by == [opening]
    assert lines["营业执照"].item_names == ["公章刻制备案"]
    assert lines["法定代表人居民身份证"].produced_by == []


def test_a_result_the_producing_item_itself_needs_is_not_marked_as_produced(cur):
    theme, _birth, _insurance = newborn_scenario(cur)  # 出生登记 needs the 户口簿 it gives back

    assert [line.produced_by for line in scenario_checklist(theme)] == [[], [], [], []]


def test_checklist_takes_only_published_versions_and_costs_two_queries(cur, django_assert_num_queries):
    theme, birth, insurance = newborn_scenario(cur)
    draft_only = cur.draft("000201009000", name="只有草稿的事项")
    ThemeItem.objects.create(theme=theme, item=draft_only.item, position=9)
    version_draft_create(actor=cur.editor, item=birth.item)  # an open draft beside the published version

    with django_assert_num_queries(2):
        checklist = scenario_checklist(theme)

    assert [line.name for line in checklist] == ["居民身份证", "户口簿", "出生医学证明", "银行卡"]
    assert {version.pk for line in checklist for version in line.versions} == {birth.pk, insurance.pk}


def test_theme_versions_follow_the_theme_order_and_skip_drafts_and_superseded_versions(cur):
    first = publish(cur, "000201001000", name="第一个事项")
    second = publish(cur, "000201002000", name="第二个事项")
    draft = cur.draft("000201003000", name="草稿事项")
    theme = make_theme("life_event", "birth", "出生", [second, first])
    ThemeItem.objects.create(theme=theme, item=draft.item, position=5)
    make_theme("life_event", "other", "另一个主题", [first, second])  # the same items in another theme

    assert [v.name for v in theme_versions(theme)] == ["第二个事项", "第一个事项"]

    newer = republish(cur, second, name="第二个事项（新版）")

    assert list(theme_versions(theme)) == [newer, first]
    assert ItemVersion.objects.get(pk=second.pk).state == VersionState.SUPERSEDED


def test_withdrawn_items_leave_every_list(cur):
    kept = publish(cur, "000201001000", name="保留的事项")
    gone = publish(cur, "000201002000", name="停用的事项")
    theme = make_theme("identity", "elderly", "老年人", [kept, gone])

    version_withdraw(actor=cur.editor, version=gone, reason="职能调整")

    assert list(theme_versions(theme)) == [kept]
    assert list(department_versions(cur.department)) == [kept]
    assert [(d.name, d.published_count) for d in departments_with_counts()] == [("区市场监督管理局", 1)]
    assert [(t.slug, t.published_count) for t in themes_with_counts()] == [("elderly", 1)]


def test_department_and_audience_lists_count_published_items_only(cur):
    licence = publish(cur, "000201001000", name="许可事项", for_natural_persons=False, for_legal_persons=True)
    service = publish(
        cur, "002001001000", name="公共服务事项", item_type="20", for_natural_persons=True, for_legal_persons=False
    )
    cur.draft("000201002000", name="草稿")
    other = make_department("区民政局", "MZ02")
    empty_theme = theme_create(actor=SYSTEM, kind="life_event", slug="empty", name="空主题")
    ThemeItem.objects.create(theme=empty_theme, item=ItemVersion.objects.get(name="草稿").item)

    assert list(department_versions(cur.department)) == [licence, service]
    assert list(department_versions(other)) == []
    assert [(d.name, d.published_count) for d in departments_with_counts()] == [("区市场监督管理局", 2)]
    assert list(themes_with_counts()) == []
    assert list(audience_versions("natural")) == [service]
    assert list(audience_versions("legal")) == [licence]
    assert audience_counts() == {"natural": 1, "legal": 1}


def test_theme_create_and_items_set_are_audited(cur):
    first = publish(cur, "000201001000", name="第一个事项")
    second = publish(cur, "000201002000", name="第二个事项")
    admin = make_staff("admin", department=cur.department, display_name="孙管理", roles=(Role.ADMINISTRATOR,))

    theme = theme_create(actor=admin, kind="enterprise", slug=" opening ", name=" 企业开办 ", position=3)
    theme_items_set(actor=admin, theme=theme, items=[second.item, first.item])
    theme_items_set(actor=admin, theme=theme, items=[first.item])

    assert (theme.slug, theme.name, theme.position) == ("opening", "企业开办", 3)
    assert list(theme.items.all()) == [first.item]
    events = list(AuditEvent.objects.filter(object_type="catalog.theme").order_by("id"))
    assert [(e.action, e.actor_repr) for e in events] == [
        ("catalog.theme_created", "孙管理"),
        ("catalog.theme_items_set", "孙管理"),
        ("catalog.theme_items_set", "孙管理"),
    ]
    assert events[2].before == {"items": [second.item.implementation_code, first.item.implementation_code]}
    assert events[2].after == {"items": [first.item.implementation_code]}


def test_only_administrators_maintain_themes_and_bad_input_changes_nothing(cur):
    with pytest.raises(ValidationError, match="没有维护主题和场景的权限"):
        theme_create(actor=cur.editor, kind="scenario", slug="x", name="某场景")
    theme = theme_create(actor=SYSTEM, kind="scenario", slug="opening", name="企业开办")

    with pytest.raises(ValidationError) as excinfo:
        theme_create(actor=SYSTEM, kind="hobby", slug="opening", name="", position=-1)
    assert excinfo.value.message_dict == {
        "kind": ["请选择有效的类别（个人生命周期、特定人群、企业全生命周期、场景式服务（一件事））。"],
        "slug": ["该标识已被使用。"],
        "name": ["名称为必填项。"],
        "position": ["排序应为 0 至 32767 的整数。"],
    }
    version = publish(cur, "000201001000")
    with pytest.raises(ValidationError, match="同一事项不能重复加入主题"):
        theme_items_set(actor=SYSTEM, theme=theme, items=[version.item, version.item])
    with pytest.raises(ValidationError) as excinfo:
        theme_update(actor=SYSTEM, theme=theme, fields={"slug": "有 空格"})
    assert excinfo.value.message_dict == {"slug": ["标识只能包含字母、数字、连字符和下划线。"]}

    assert Theme.objects.count() == 1
    assert ThemeItem.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="catalog.theme").count() == 1


def test_theme_update_changes_the_given_fields_only(cur):
    theme = theme_create(actor=SYSTEM, kind="life_event", slug="school", name="上学", description="入学")

    theme = theme_update(actor=SYSTEM, theme=theme, fields={"name": "子女入学", "position": "2"})

    theme.refresh_from_db()
    assert (theme.slug, theme.name, theme.description, theme.position) == ("school", "子女入学", "入学", 2)
    event = AuditEvent.objects.filter(action="catalog.theme_updated").get()
    assert (event.before["name"], event.after["name"]) == ("上学", "子女入学")
