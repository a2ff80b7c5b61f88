"""Fees computed by a DMN decision table (the shipped 不动产登记费 sample) and the checks on uploaded tables."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.cases.fee_setup import SAMPLE_DMN, make_fee_setup
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_fee_notice_issue, case_fees_settled
from zhengwu.cases.domain.fee_rules import FeeComputation, dmn_fee, dmn_table
from zhengwu.cases.models import FeeNotice, FeeRule

SAMPLE = SAMPLE_DMN.read_text("utf-8")


@pytest.fixture
def fees(hall):
    return make_fee_setup(hall)


@pytest.mark.parametrize(
    ("form_data", "expected"),
    [
        ({"用途": "住宅"}, FeeComputation(Decimal("80.00"), 1, 2)),
        ({"用途": "住宅", "件数": "3"}, FeeComputation(Decimal("80.00"), 3, 2)),
        ({"用途": "非住宅", "件数": 2}, FeeComputation(Decimal("550.00"), 2, 3)),
        ({"用途": "非住宅", "小微企业": "是"}, FeeComputation(Decimal("0.00"), 1, 1)),
        ({"用途": "住宅", "件数": "0"}, FeeComputation(Decimal("80.00"), 1, 2)),
    ],
)
def test_the_sample_table_computes_the_registration_fee(form_data, expected):
    assert dmn_fee(SAMPLE, form_data) == expected


def test_no_matching_rule_is_an_error():
    with pytest.raises(ValidationError) as error:
        dmn_fee(SAMPLE, {"用途": "车库"})
    assert error.value.messages == ["收费决策表没有与申请内容相符的规则。"]


def test_a_non_number_quantity_is_an_error():
    with pytest.raises(ValidationError) as error:
        dmn_fee(SAMPLE, {"用途": "住宅", "件数": "两"})
    assert len(error.value.messages) == 1
    assert error.value.messages[0].startswith("收费决策表计算出错：")


def _table(*, hit_policy="UNIQUE", output="amount", amount_expression="80", input_expression="用途") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="fee" name="fee">
    <decisionTable id="t" hitPolicy="{hit_policy}">
      <input id="i" label="用途">
        <inputExpression id="ie" typeRef="string"><text>{input_expression}</text></inputExpression>
      </input>
      <output id="o" label="金额" name="{output}" typeRef="number"/>
      <rule id="r">
        <inputEntry id="r1"><text>-</text></inputEntry>
        <outputEntry id="r2"><text>{amount_expression}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>"""


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (_table(hit_policy="COLLECT"), "收费决策表不能使用 COLLECT 命中策略，请使用 UNIQUE 或 FIRST。"),
        (_table(output="fee"), "收费决策表必须有名为 amount 的输出列（每件收费标准，元）。"),
        ("<definitions", "DMN 文件不是有效的 XML。"),
        ('<!DOCTYPE x [<!ENTITY e "x">]><definitions/>', "DMN 文件不得包含 DOCTYPE 或实体声明。"),
    ],
)
def test_unusable_tables_are_refused(xml, message):
    with pytest.raises(ValidationError) as error:
        dmn_table(xml)
    assert error.value.message_dict == {"dmn_xml": [message]}


@pytest.mark.parametrize(
    "expression", ["().__class__", "__import__('os')", "open('/etc/passwd')", "[x for x in (1, 2)]"]
)
def test_expressions_cannot_reach_outside_the_form_data(expression):
    with pytest.raises(ValidationError) as error:
        dmn_table(_table(amount_expression=expression))
    assert error.value.messages[0].startswith("DMN 表达式不合法：")


def test_arithmetic_over_form_fields_is_allowed():
    assert dmn_fee(_table(amount_expression="面积 * 2 + 10"), {"面积": 15}).amount == Decimal("40.00")
    with pytest.raises(ValidationError) as error:
        dmn_fee(_table(amount_expression="0 - 面积"), {"面积": 15})
    assert error.value.messages == ["收费决策表给出的金额“-15”不能为负数。"]


def test_a_rule_is_validated_when_saved(fees):
    rule = FeeRule(item=fees.version.item, fee_name="登记费", dmn_xml=_table(output="fee"))
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert error.value.message_dict == {"dmn_xml": ["收费决策表必须有名为 amount 的输出列（每件收费标准，元）。"]}


def test_a_grant_computes_the_notice_from_the_form_data(fees):
    version = fees.dmn_version()

    case = fees.decided_case(version=version, form_data={"用途": "非住宅", "件数": "2"})

    notice = fees.notice(case)
    assert notice.total == Decimal("1100.00")
    assert list(notice.lines.values_list("name", "standard_amount", "quantity", "charged_amount")) == [
        ("不动产登记费", Decimal("550.00"), 2, Decimal("1100.00"))
    ]
    assert notice.fee_override is False


def test_an_exemption_in_the_table_issues_nothing_and_the_case_is_settled(fees):
    case = fees.decided_case(version=fees.dmn_version(), form_data={"用途": "住宅", "小微企业": "是"})

    assert not FeeNotice.objects.filter(case=case).exists()
    assert case_fees_settled(case=case) is True


def test_a_table_that_cannot_decide_leaves_the_notice_to_the_department(fees):
    version = fees.dmn_version()
    case = fees.decided_case(version=version, form_data={"用途": "车库"})

    assert case.state == "decided"  # the decision stands
    assert not FeeNotice.objects.filter(case=case).exists()
    assert case_fees_settled(case=case) is False
    with pytest.raises(ValidationError) as error:
        case_fee_notice_issue(actor=fees.hall.handler, case=case)
    assert error.value.messages == ["收费项目“不动产登记费”的计算规则无法计算：收费决策表没有与申请内容相符的规则。"]
    assert not FeeNotice.objects.filter(case=case).exists()

    notice = case_fee_notice_issue(
        actor=fees.hall.handler,
        case=case,
        lines=[{"name": "不动产登记费（车库）", "charged_amount": "80"}],
        override_reason="车库按住宅类标准收取",
    )
    assert (notice.total, notice.fee_override, notice.flagged_for_supervision) == (Decimal("80.00"), True, True)
    event = AuditEvent.objects.filter(action="cases.fee_notice_issued", object_id=str(case.pk)).get()
    assert (
        event.after["standard_error"]
        == "收费项目“不动产登记费”的计算规则无法计算：收费决策表没有与申请内容相符的规则。"
    )
    assert event.after["omitted_fee_item_ids"] == [version.fees.get().pk]
