"""Reporting lines, escalation recipients, trees and the whole-tree check."""

import pytest

from zhengwu.org.domain import (
    OrgProblem,
    department_tree,
    departments_by_window,
    escalation_recipients,
    org_check,
    region_descendant_ids,
    region_tree,
    reporting_line,
    reporting_line_label,
    superiors,
    unit_head_position,
    windows_serving,
)
from zhengwu.org.enums import PositionRank
from zhengwu.org.models import Position

pytestmark = pytest.mark.django_db


def test_reporting_line_climbs_from_handler_to_unit_head(org):
    assert reporting_line(position=org.handler) == [org.handler, org.chief, org.deputy, org.head]
    assert reporting_line(position=org.deputy) == [org.deputy, org.head]
    assert reporting_line(position=org.head) == [org.head]
    assert reporting_line_label(position=org.handler) == "登记注册科承办人 → 登记注册科科长 → 副局长 → 局长"


def test_reporting_line_loads_a_full_line_in_one_query(org, django_assert_num_queries):
    handler = Position.objects.get(pk=org.handler.pk)
    with django_assert_num_queries(1):
        line = reporting_line(position=handler)
    assert [p.title for p in line] == ["登记注册科承办人", "登记注册科科长", "副局长", "局长"]
    selected = Position.objects.select_related("reports_to__reports_to__reports_to").get(pk=org.handler.pk)
    with django_assert_num_queries(0):
        assert len(reporting_line(position=selected)) == 4


def test_reporting_line_stops_at_a_cycle(org):
    # Bad data written behind clean()'s back must not loop forever.
    Position.objects.filter(pk=org.head.pk).update(reports_to=org.chief)
    assert reporting_line(position=Position.objects.get(pk=org.handler.pk)) == [
        org.handler,
        org.chief,
        org.deputy,
        org.head,
    ]
    Position.objects.filter(pk=org.head.pk).update(reports_to=org.head)
    assert reporting_line(position=Position.objects.get(pk=org.head.pk)) == [org.head]


def test_superiors_stop_at_the_requested_rank(org):
    assert superiors(position=org.handler) == [org.chief, org.deputy, org.head]
    assert superiors(position=org.handler, up_to_rank=PositionRank.LEADER_IN_CHARGE) == [org.chief, org.deputy]
    assert superiors(position=org.head) == []


def test_escalation_recipients_are_the_active_holders_up_to_the_rank(org):
    u = org.users
    assert escalation_recipients(position=org.handler, up_to_rank=PositionRank.SECTION_HEAD) == [u["chief"]]
    assert escalation_recipients(position=org.handler, up_to_rank=PositionRank.LEADER_IN_CHARGE) == [
        u["chief"],
        u["deputy_a"],
        u["deputy_b"],
    ]
    assert escalation_recipients(position=org.handler, up_to_rank=PositionRank.UNIT_HEAD) == [
        u["chief"],
        u["deputy_a"],
        u["deputy_b"],
        u["head"],
    ]
    assert escalation_recipients(position=org.credit_handler, up_to_rank=PositionRank.SECTION_HEAD) == [
        u["credit_chief"]
    ]


def test_escalation_from_the_top_or_below_the_first_superior_reaches_nobody(org):
    assert escalation_recipients(position=org.head, up_to_rank=PositionRank.UNIT_HEAD) == []
    assert escalation_recipients(position=org.chief, up_to_rank=PositionRank.SECTION_HEAD) == []


def test_escalation_skips_vacant_posts(org):
    org.users["chief"].staff.delete()
    assert escalation_recipients(position=org.handler, up_to_rank=PositionRank.LEADER_IN_CHARGE) == [
        org.users["deputy_a"],
        org.users["deputy_b"],
    ]


def test_unit_head_position(org):
    assert unit_head_position(department=org.department) == org.head
    assert unit_head_position(department=org.other_department) is None


def test_department_tree_groups_leaders_and_sections_in_three_queries(org, django_assert_num_queries):
    with django_assert_num_queries(3):
        tree = department_tree()
    assert [node.department for node in tree] == [org.other_department, org.department]
    market = tree[1]
    assert market.leaders == [org.head, org.deputy]
    assert [(s.section, s.positions) for s in market.sections] == [
        (org.registration, [org.chief, org.handler]),
        (org.credit, [org.credit_chief, org.credit_handler]),
    ]
    assert tree[0].leaders == [] and tree[0].sections == []


def test_department_tree_can_hide_inactive_departments_and_filter_by_region(org):
    org.other_department.is_active = False
    org.other_department.save()
    assert [n.department for n in department_tree()] == [org.department]
    assert [n.department for n in department_tree(active_only=False)] == [org.other_department, org.department]
    assert department_tree(region=org.street) == []


def test_region_tree_nests_streets_and_communities(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        tree = region_tree()
    assert [n.region for n in tree] == [org.district]
    assert [n.region for n in tree[0].children] == [org.street]
    assert [n.region for n in tree[0].children[0].children] == org.communities


def test_region_descendants(org):
    assert region_descendant_ids(region=org.district) == {
        org.district.pk,
        org.street.pk,
        *(c.pk for c in org.communities),
    }
    assert region_descendant_ids(region=org.communities[0]) == {org.communities[0].pk}


def test_windows_serving_a_department_include_general_intake(org):
    intake, own, fee = org.windows
    assert list(windows_serving(department=org.department)) == [intake, own]
    assert list(windows_serving(department=org.other_department)) == [intake]
    own.is_active = False
    own.save()
    assert list(windows_serving(department=org.department)) == [intake]
    mapping = departments_by_window()
    assert sorted(mapping[intake.pk]) == sorted([org.department.pk, org.other_department.pk])
    assert mapping[own.pk] == [org.department.pk]
    assert fee.pk not in mapping


def test_org_check_passes_on_a_consistent_tree(org):
    assert org_check() == [OrgProblem("org.department", org.other_department.pk, "区民政局：未设单位负责人岗位")]
    Position.objects.create(department=org.other_department, title="局长", rank=PositionRank.UNIT_HEAD)
    assert org_check() == []


def test_org_check_reports_every_inconsistency(org):
    Position.objects.filter(pk=org.deputy.pk).update(reports_to=None, section=org.registration)
    Position.objects.filter(pk=org.credit_handler.pk).update(reports_to=org.credit_handler)
    org.communities[1].__class__.objects.filter(pk=org.communities[1].pk).update(parent=org.district)
    assert org_check() == [
        OrgProblem("org.region", org.communities[1].pk, "府前社区：上级区划必须是“街道/乡镇”"),
        OrgProblem("org.position", org.deputy.pk, "区市场监管局·副局长：领导岗位不应属于科室"),
        OrgProblem("org.position", org.deputy.pk, "区市场监管局·副局长：汇报线未到达单位负责人"),
        OrgProblem("org.position", org.chief.pk, "区市场监管局·登记注册科科长：汇报线未到达单位负责人"),
        OrgProblem("org.position", org.credit_chief.pk, "区市场监管局·信用监督管理科科长：汇报线未到达单位负责人"),
        OrgProblem("org.position", org.handler.pk, "区市场监管局·登记注册科承办人：汇报线未到达单位负责人"),
        OrgProblem(
            "org.position", org.credit_handler.pk, "区市场监管局·信用监督管理科承办人：上级岗位的层级不高于本岗位"
        ),
        OrgProblem("org.position", org.credit_handler.pk, "区市场监管局·信用监督管理科承办人：汇报线形成循环"),
        OrgProblem("org.department", org.other_department.pk, "区民政局：未设单位负责人岗位"),
    ]
