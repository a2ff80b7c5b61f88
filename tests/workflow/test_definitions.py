"""Uploading process definitions: validation (safe XML, one process, lanes, no code), versions, shipped files."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from tests.workflow.conftest import errors_of, make_subject
from zhengwu.audit.models import AuditEvent
from zhengwu.workflow import engine
from zhengwu.workflow.domain import (
    default_process_definition,
    process_definition_create,
    process_start,
    shipped_process_definition,
    task_complete,
)
from zhengwu.workflow.models import ProcessDefinition

pytestmark = pytest.mark.django_db

BPMN_DIR = Path(__file__).resolve().parents[2] / "src" / "zhengwu" / "workflow" / "bpmn"
DEFAULT = (BPMN_DIR / "default_licensing.bpmn").read_text(encoding="utf-8")


def _review_block(xml: str) -> str:
    return re.search(r'    <bpmn:userTask id="review".*?</bpmn:userTask>\n', xml, re.S).group(0)


def _create(county, xml, key="food_licence", name=""):
    return process_definition_create(actor=county["admin"], key=key, name=name, bpmn_xml=xml)


# ---- good files -----------------------------------------------------------------------------------
def test_a_valid_file_is_stored_with_its_spec_once_its_lanes_and_step_limits(county, frozen):
    definition = _create(county, DEFAULT.encode("utf-8"), name="食品经营许可")

    assert (definition.key, definition.version, definition.name, definition.process_id) == (
        "food_licence",
        1,
        "食品经营许可",
        "default_licensing",
    )
    assert definition.bpmn_xml == DEFAULT
    assert definition.bpmn_sha256 == hashlib.sha256(DEFAULT.encode()).hexdigest()
    assert definition.spec_sha256 == hashlib.sha256(definition.spec_json.encode()).hexdigest()
    assert json.loads(definition.spec_json)["spec"]["name"] == "default_licensing"
    assert definition.lanes == [
        {"name": "受理:window_clerk", "label": "受理", "department": "", "role": "window_clerk"},
        {"name": "审查:handler", "label": "审查", "department": "", "role": "handler"},
        {"name": "决定:leader_in_charge", "label": "决定", "department": "", "role": "leader_in_charge"},
    ]
    assert definition.user_tasks == [
        {"id": "accept", "name": "受理", "lane": "受理:window_clerk", "step_limit_days": 5, "multi_instance": False},
        {"id": "review", "name": "审查", "lane": "审查:handler", "step_limit_days": 10, "multi_instance": False},
        {
            "id": "decide",
            "name": "决定",
            "lane": "决定:leader_in_charge",
            "step_limit_days": 3,
            "multi_instance": False,
        },
    ]
    assert definition.created_by == county["admin"]
    event = AuditEvent.objects.get(action="workflow.definition.created")
    assert event.after["user_tasks"] == {"accept": 5, "review": 10, "decide": 3}
    assert event.after["spec_sha256"] == definition.spec_sha256


def test_a_task_without_a_step_limit_gets_the_default(county, frozen, settings):
    settings.WORKFLOW_DEFAULT_STEP_LIMIT_DAYS = 7
    block = _review_block(DEFAULT)
    plain = re.sub(r"\s*<bpmn:extensionElements>.*?</bpmn:extensionElements>", "", block, flags=re.S)
    definition = _create(county, DEFAULT.replace(block, plain))
    assert definition.user_task("review")["step_limit_days"] == 7


def test_a_plain_task_is_handled_as_a_user_task(county, frozen):
    block = _review_block(DEFAULT)
    plain = block.replace("<bpmn:userTask", "<bpmn:task").replace("</bpmn:userTask>", "</bpmn:task>")
    definition = _create(county, DEFAULT.replace(block, plain))
    assert [task["id"] for task in definition.user_tasks] == ["accept", "review", "decide"]
    instance = process_start(
        actor=county["clerk"], definition=definition, subject=make_subject(), department=county.approval
    )
    task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    assert list(instance.tasks.open().values_list("bpmn_id", "role")) == [("review", "handler")]
    with pytest.raises(ValidationError) as exc:
        _create(county, OUTSIDE_LANE.replace(block, plain), key="other")
    assert exc.value.message_dict == {
        "bpmn_xml": ["用户任务“审查”（id=review）不在任何泳道中：每个用户任务都必须放在表示部门或角色的泳道里。"]
    }


def test_lane_with_a_department_code_and_name_without_the_process_name_defaults(county, frozen):
    xml = DEFAULT.replace('name="审查:handler"', 'name="审查＠MZJ：handler"')
    definition = _create(county, xml)
    assert definition.name == "默认办件流程（受理、审查、决定）"
    assert definition.lanes[1] == {
        "name": "审查＠MZJ：handler",
        "label": "审查",
        "department": "MZJ",
        "role": "handler",
    }


def test_uploading_again_makes_a_new_version_unless_the_content_is_the_same(county, frozen):
    first = _create(county, DEFAULT)
    with pytest.raises(ValidationError) as exc:
        _create(county, DEFAULT)
    assert exc.value.message_dict == {"bpmn_xml": ["内容与现有版本 v1 相同，无需重复上传。"]}
    second = _create(county, DEFAULT.replace('value="10"', 'value="8"'))
    assert (first.version, second.version) == (1, 2)
    assert second.user_task("review")["step_limit_days"] == 8
    assert ProcessDefinition.objects.filter(key="food_licence").count() == 2


def test_shipped_definitions_are_stored_once(county, frozen):
    default = default_process_definition()
    assert default_process_definition().pk == default.pk
    assert (default.key, default.version, default.created_by) == ("default_licensing", 1, None)
    parallel = shipped_process_definition("parallel_approval")
    countersign = shipped_process_definition("countersign_review")
    assert [t["id"] for t in parallel.user_tasks] == ["accept", "review_lead", "review_co", "decide"]
    assert countersign.user_task("countersign")["multi_instance"] is True
    assert ProcessDefinition.objects.count() == 3
    assert AuditEvent.objects.get(object_id=str(default.pk), action="workflow.definition.created").actor_repr == (
        "system:workflow"
    )


def _fields(definition: ProcessDefinition) -> dict:
    return {f.attname: getattr(definition, f.attname) for f in ProcessDefinition._meta.concrete_fields}


def test_a_shipped_definition_is_read_whole_once_then_handed_out_as_copies(county, frozen, django_assert_num_queries):
    stored = ProcessDefinition.objects.get(pk=default_process_definition().pk)

    with django_assert_num_queries(1):  # its identity columns; the row itself is kept by the process
        first = default_process_definition()
    with django_assert_num_queries(1):
        second = default_process_definition()

    assert _fields(first) == _fields(second) == _fields(stored)
    assert first is not second
    first.user_tasks = []
    assert _fields(default_process_definition()) == _fields(stored)


def test_a_shipped_definition_kept_by_the_process_is_not_served_once_its_row_is_gone(county, frozen):
    kept = default_process_definition()
    ProcessDefinition.objects.filter(pk=kept.pk).delete()

    again = default_process_definition()

    assert again.pk != kept.pk
    assert _fields(again) == _fields(ProcessDefinition.objects.get(pk=again.pk))


def test_a_kept_definition_whose_identity_changed_is_read_again(county, frozen):
    kept = default_process_definition()
    ProcessDefinition.objects.filter(pk=kept.pk).update(name="改过名的流程")  # never done: rows are immutable

    assert default_process_definition().name == "改过名的流程"


# ---- bad files ------------------------------------------------------------------------------------
XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
""" + DEFAULT.split("\n", 1)[1].replace(
    '<bpmn:startEvent id="start" name="收件">',
    '<bpmn:startEvent id="start" name="收件">\n      <bpmn:documentation>&xxe;</bpmn:documentation>',
)
XXE_IN_ATTRIBUTE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
""" + DEFAULT.split("\n", 1)[1].replace('name="默认办件流程"', 'name="&xxe;"')

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>"""

TWO_PROCESSES = DEFAULT.replace(
    "  <bpmndi:BPMNDiagram",
    '  <bpmn:process id="second" isExecutable="true">\n    <bpmn:startEvent id="second_start" />\n'
    "  </bpmn:process>\n  <bpmndi:BPMNDiagram",
)
OUTSIDE_LANE = DEFAULT.replace("        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>\n", "")
NO_LANES = re.sub(r"    <bpmn:laneSet.*?</bpmn:laneSet>\n", "", DEFAULT, flags=re.S)
SCRIPT_TASK = DEFAULT.replace(
    _review_block(DEFAULT),
    '    <bpmn:scriptTask id="review" name="审查">\n      <bpmn:incoming>flow_accepted</bpmn:incoming>\n'
    "      <bpmn:outgoing>flow_review_decide</bpmn:outgoing>\n"
    '      <bpmn:script>import os; os.system("id")</bpmn:script>\n    </bpmn:scriptTask>\n',
)
UNSAFE_CONDITION = DEFAULT.replace('outcome == "refuse"', '__import__("os").system("id")')
DUNDER_CONDITION = DEFAULT.replace('outcome == "refuse"', "outcome.__class__")
ONLY = "流程中只能使用开始/结束事件、用户任务、网关和顺序流。"
TIMER = DEFAULT.replace(
    "<bpmn:outgoing>flow_start_accept</bpmn:outgoing>",
    '<bpmn:outgoing>flow_start_accept</bpmn:outgoing>\n      <bpmn:timerEventDefinition id="timer" />',
)


@pytest.mark.parametrize(
    ("xml", "errors"),
    [
        pytest.param(b"this is not XML", ["BPMN 文件不是有效的 XML（第 1 行附近有语法错误）。"], id="not-xml"),
        pytest.param(b"", ["BPMN 文件是空的。"], id="empty"),
        pytest.param(XXE, ["BPMN 文件不得包含 DOCTYPE 或实体声明。"], id="xxe"),
        pytest.param(XXE_IN_ATTRIBUTE, ["BPMN 文件不得包含 DOCTYPE 或实体声明。"], id="xxe-in-attribute"),
        pytest.param(LAUGHS, ["BPMN 文件不得包含 DOCTYPE 或实体声明。"], id="billion-laughs"),
        pytest.param(
            "<html><body>流程</body></html>",
            ["根元素必须是 BPMN 2.0 的 definitions（命名空间 http://www.omg.org/spec/BPMN/20100524/MODEL）。"],
            id="not-bpmn",
        ),
        pytest.param(
            TWO_PROCESSES, ["BPMN 文件中有 2 个流程（default_licensing、second），只能有一个。"], id="two-processes"
        ),
        pytest.param(
            OUTSIDE_LANE,
            ["用户任务“审查”（id=review）不在任何泳道中：每个用户任务都必须放在表示部门或角色的泳道里。"],
            id="task-outside-lane",
        ),
        pytest.param(
            NO_LANES,
            [
                f"用户任务“{name}”（id={ident}）不在任何泳道中：每个用户任务都必须放在表示部门或角色的泳道里。"
                for ident, name in (("accept", "受理"), ("review", "审查"), ("decide", "决定"))
            ],
            id="no-lanes",
        ),
        pytest.param(
            SCRIPT_TASK,
            [
                "不支持的 BPMN 脚本任务 scriptTask“审查”（id=review）：" + ONLY,
            ],
            id="script-task",
        ),
        pytest.param(
            TIMER,
            ["不支持的 BPMN 定时事件 timerEventDefinition（id=timer）：" + ONLY],
            id="timer",
        ),
        pytest.param(
            UNSAFE_CONDITION,
            [
                '“不予受理”（id=flow_refused）的条件表达式不被允许：表达式“__import__("os").system("id")”'
                "只能调用 len、min、max、any、all、abs。"
            ],
            id="code-in-condition",
        ),
        pytest.param(
            DUNDER_CONDITION,
            [
                "“不予受理”（id=flow_refused）的条件表达式不被允许：表达式“outcome.__class__”含有不允许的写法（Attribute）。"
            ],
            id="attribute-in-condition",
        ),
        pytest.param(
            DEFAULT.replace('name="审查:handler"', 'name="审查:boss"'),
            [
                "泳道“审查:boss”的角色“boss”不存在。可用的角色：window_clerk（窗口人员）、fee_clerk（收费人员）、"
                "station_agent（便民服务站代办员）、handler（承办人）、section_head（科长）、leader_in_charge（分管领导）、"
                "unit_head（单位负责人）、catalog_editor（事项编辑）、legal_reviewer（法制审核员）、"
                "disclosure_officer（政务公开专员）、supervisor（监察人员）、administrator（系统管理员）。（id=lane_review）"
            ],
            id="unknown-role",
        ),
        pytest.param(
            DEFAULT.replace('name="审查:handler"', 'name="审查@NOPE:handler"'),
            ["泳道“审查@NOPE:handler”指定的部门“NOPE”不存在（可写部门编码、全称或简称）。"],
            id="unknown-department",
        ),
        pytest.param(
            DEFAULT.replace('value="10"', 'value="0"'),
            ["用户任务“审查”（id=review）的办理时限（step_limit_days）必须是 1 至 365 之间的整数工作日，现为“0”。"],
            id="bad-step-limit",
        ),
        pytest.param(
            DEFAULT.replace('value="10"', 'value="²"'),
            ["用户任务“审查”（id=review）的办理时限（step_limit_days）必须是 1 至 365 之间的整数工作日，现为“²”。"],
            id="superscript-step-limit",
        ),
        pytest.param(
            DEFAULT.replace(
                '<bpmn:startEvent id="start" name="收件">', '<bpmn:intermediateThrowEvent id="start">'
            ).replace("</bpmn:startEvent>", "</bpmn:intermediateThrowEvent>"),
            ["流程 default_licensing 没有开始事件（startEvent）。"],
            id="no-start-event",
        ),
        pytest.param(
            DEFAULT.replace('isExecutable="true"', 'isExecutable="false"'),
            ['流程 default_licensing 未标记为可执行（isExecutable="true"）。'],
            id="not-executable",
        ),
    ],
)
def test_bad_files_are_refused_with_chinese_messages_and_nothing_is_stored(county, frozen, xml, errors):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(county, xml)
    assert exc.value.message_dict == {"bpmn_xml": errors}
    assert ProcessDefinition.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_files_over_one_megabyte_are_refused_before_parsing(county, frozen):
    padding = "<!--" + "x" * (1024 * 1024) + "-->\n"
    with pytest.raises(ValidationError) as exc:
        _create(county, DEFAULT.replace("<bpmn:collaboration", padding + "<bpmn:collaboration", 1))
    assert exc.value.message_dict == {"bpmn_xml": ["BPMN 文件不能超过 1 MB（当前 1.0 MB）。"]}
    assert ProcessDefinition.objects.count() == 0


def test_an_invalid_bpmn_document_reports_the_schema_error_with_its_line(county, frozen):
    xml = DEFAULT.replace(
        '<bpmn:startEvent id="start" name="收件">', '<bpmn:startEvent id="start" name="收件" color="red">'
    )
    with pytest.raises(ValidationError) as exc:
        _create(county, xml)
    [message] = exc.value.message_dict["bpmn_xml"]
    assert message.startswith("BPMN 文件不符合 BPMN 2.0 规范（第 30 行）：")
    assert "color" in message


def test_an_external_entity_is_never_resolved_even_by_the_bare_parser():
    from lxml import etree

    root = etree.fromstring(XXE.encode(), parser=engine._xml_parser())
    text = etree.tostring(root, encoding="unicode")
    assert "root:" not in text
    documentation = root.find(".//bpmn:documentation", namespaces=engine.NS)
    assert "".join(documentation.itertext()) == "&xxe;"  # the reference stays a reference, never file content


@pytest.mark.parametrize(
    ("key", "errors"),
    [
        ("", {"key": ["流程标识只能包含小写字母、数字、下划线和连字符，以字母开头，最长 64 个字符。"]}),
        ("食品", {"key": ["流程标识只能包含小写字母、数字、下划线和连字符，以字母开头，最长 64 个字符。"]}),
        ("1abc", {"key": ["流程标识只能包含小写字母、数字、下划线和连字符，以字母开头，最长 64 个字符。"]}),
    ],
)
def test_bad_keys_are_refused(county, frozen, key, errors):
    with pytest.raises(ValidationError) as exc:
        _create(county, DEFAULT, key=key)
    assert errors_of(exc.value) == errors
    assert ProcessDefinition.objects.count() == 0
