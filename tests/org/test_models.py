"""Region levels and position ranks: what clean() and the constraints refuse."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from zhengwu.org.enums import PositionRank, RegionLevel
from zhengwu.org.models import Position, Region

pytestmark = pytest.mark.django_db


def errors_of(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


# ------------------------------------------------------------------ regions


def test_a_street_under_the_district_and_a_community_under_the_street_are_valid(org):
    Region(name="青河街道", code="370799002000", level=RegionLevel.STREET, parent=org.district).full_clean()
    Region(name="学府社区", code="370799001003", level=RegionLevel.COMMUNITY, parent=org.street).full_clean()


def test_a_district_may_not_have_a_parent(org):
    region = Region(name="另一区", code="370798000000", level=RegionLevel.DISTRICT, parent=org.district)
    assert errors_of(region) == {"parent": ["区/县不能有上级区划。"]}


def test_a_street_needs_a_district_as_parent(org):
    orphan = Region(name="青河街道", code="370799002000", level=RegionLevel.STREET)
    under_street = Region(name="青河街道", code="370799002000", level=RegionLevel.STREET, parent=org.street)
    assert errors_of(orphan) == {"parent": ["上级区划必须是“区/县”。"]}
    assert errors_of(under_street) == {"parent": ["上级区划必须是“区/县”。"]}


def test_a_community_needs_a_street_as_parent(org):
    region = Region(name="学府社区", code="370799001003", level=RegionLevel.COMMUNITY, parent=org.district)
    assert errors_of(region) == {"parent": ["上级区划必须是“街道/乡镇”。"]}


def test_a_twelve_digit_code_must_extend_its_parents_code(org):
    street = Region(name="青河街道", code="370700002000", level=RegionLevel.STREET, parent=org.district)
    community = Region(name="学府社区", code="370799002003", level=RegionLevel.COMMUNITY, parent=org.street)
    assert errors_of(street) == {"code": ["区划代码必须以上级区划代码的前 6 位开头。"]}
    assert errors_of(community) == {"code": ["区划代码必须以上级区划代码的前 9 位开头。"]}


def test_codes_in_another_format_are_not_prefix_checked(org):
    Region(name="青河街道", code="QH", level=RegionLevel.STREET, parent=org.district).full_clean()


def test_an_unknown_level_is_reported_by_the_field_only(org):
    assert errors_of(Region(name="某地", code="370799009000", level="planet")) == {
        "level": ["值 'planet' 不是有效选项。"]
    }


# ------------------------------------------------------------------ positions


def test_the_fixture_lines_are_valid(org):
    for position in Position.objects.all():
        position.full_clean()


def test_a_superior_must_rank_higher(org):
    same = Position(
        department=org.department,
        section=org.registration,
        title="另一科长",
        rank=PositionRank.SECTION_HEAD,
        reports_to=org.chief,
    )
    lower = Position(
        department=org.department, title="副局长二", rank=PositionRank.LEADER_IN_CHARGE, reports_to=org.chief
    )
    assert errors_of(same) == {"reports_to": ["上级岗位的层级必须高于本岗位。"]}
    assert errors_of(lower) == {"reports_to": ["上级岗位的层级必须高于本岗位。"]}


def test_a_superior_must_be_in_the_same_department(org):
    head = Position.objects.create(department=org.other_department, title="局长", rank=PositionRank.UNIT_HEAD)
    deputy = Position(department=org.department, title="副局长二", rank=PositionRank.LEADER_IN_CHARGE, reports_to=head)
    assert errors_of(deputy) == {"reports_to": ["上级岗位必须属于本部门。"]}


def test_a_position_may_not_report_to_itself(org):
    org.chief.reports_to = org.chief
    assert errors_of(org.chief) == {"reports_to": ["岗位不能向自己汇报。"]}


def test_the_section_must_belong_to_the_department(org):
    position = Position(
        department=org.other_department, section=org.registration, title="科员", rank=PositionRank.HANDLER
    )
    assert errors_of(position) == {"section": ["科室必须属于本部门。"]}


def test_a_section_head_needs_a_section_and_leaders_have_none(org):
    chief = Position(department=org.department, title="科长", rank=PositionRank.SECTION_HEAD, reports_to=org.deputy)
    leader = Position(
        department=org.department,
        section=org.registration,
        title="副局长二",
        rank=PositionRank.LEADER_IN_CHARGE,
        reports_to=org.head,
    )
    assert errors_of(chief) == {"section": ["科长岗位必须属于某个科室。"]}
    assert errors_of(leader) == {"section": ["领导岗位不属于科室，请留空。"]}


def test_a_handler_may_sit_outside_any_section(org):
    Position(
        department=org.department, title="办公室科员", rank=PositionRank.HANDLER, reports_to=org.deputy
    ).full_clean()


def test_the_unit_head_reports_to_nobody(org):
    org.head.reports_to = org.deputy
    assert errors_of(org.head) == {"reports_to": ["单位负责人是汇报线的顶端，不能再设上级岗位。"]}


def test_a_department_has_one_unit_head_post(org):
    second = Position(department=org.department, title="第二局长", rank=PositionRank.UNIT_HEAD)
    assert errors_of(second) == {"__all__": ["每个部门只能设一个单位负责人岗位。"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    Position(department=org.other_department, title="局长", rank=PositionRank.UNIT_HEAD).full_clean()
