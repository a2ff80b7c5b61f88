"""The engine's safety rails: restricted expressions, lane names, and a state that reloads in any key order."""

import json
import random

import pytest

from zhengwu.workflow import engine
from zhengwu.workflow.engine import ExpressionError, compile_expression
from zhengwu.workflow.lanes import LaneSpec, LaneSyntaxError, parse_lane_name


def _eval(text: str, **data):
    return engine.SafeEnvironment().evaluate(text, data)


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ('outcome == "refuse"', {"outcome": "refuse"}, True),
        ('outcome in ("approve", "grant")', {"outcome": "deny"}, False),
        ("fee > 0 and not exempt", {"fee": 20, "exempt": False}, True),
        ("len(countersigners) >= 2", {"countersigners": [1, 2]}, True),
        ('data["kind"] == "food"', {"data": {"kind": "food"}}, True),
        ("missing is None", {}, True),
        ("days + 10", {"days": 5}, 15),
    ],
)
def test_allowed_expressions_evaluate_against_task_data(text, data, expected):
    assert _eval(text, **data) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('__import__("os")', '表达式“__import__("os")”只能调用 len、min、max、any、all、abs。'),
        ("__builtins__", "表达式“__builtins__”不能使用以下划线开头的名称。"),
        ("outcome.upper()", "表达式“outcome.upper()”只能调用 len、min、max、any、all、abs。"),
        ("().__class__", "表达式“().__class__”含有不允许的写法（Attribute）。"),
        ('open("/etc/passwd")', '表达式“open("/etc/passwd")”只能调用 len、min、max、any、all、abs。'),
        ("[x for x in y]", "表达式“[x for x in y]”含有不允许的写法（ListComp）。"),
        ('"a" * 10**9', '表达式“"a" * 10**9”含有不允许的写法（Mult）。'),
        ("lambda: 1", "表达式“lambda: 1”含有不允许的写法（Lambda）。"),
        ("x = 1", "表达式“x = 1”有语法错误。"),
        ("", "表达式为空。"),
    ],
)
def test_anything_beyond_comparisons_is_refused(text, message):
    with pytest.raises(ExpressionError) as exc:
        compile_expression(text)
    assert str(exc.value) == message


def test_scripts_never_run():
    with pytest.raises(engine.SpiffWorkflowException):
        engine.SafeEnvironment().execute("import os", {})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("受理:window_clerk", LaneSpec("受理:window_clerk", "受理", "", "window_clerk")),
        ("审查@SCJG:handler", LaneSpec("审查@SCJG:handler", "审查", "SCJG", "handler")),
        (
            "审查＠区市场监督管理局：section_head",
            LaneSpec("审查＠区市场监督管理局：section_head", "审查", "区市场监督管理局", "section_head"),
        ),
        ("协办部门审查", LaneSpec("协办部门审查", "协办部门审查", "", "")),
    ],
)
def test_lane_names(name, expected):
    assert parse_lane_name(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (":handler", "泳道“:handler”缺少名称（应为“名称[@部门][:角色]”）。"),
        ("审查@:handler", "泳道“审查@:handler”的“@”后缺少部门。"),
    ],
)
def test_bad_lane_names(name, message):
    with pytest.raises(LaneSyntaxError) as exc:
        parse_lane_name(name)
    assert str(exc.value) == message


def test_a_state_reloads_whatever_order_its_tasks_come_back_in():
    """PostgreSQL's jsonb sorts object keys; the engine needs parents before children."""
    from pathlib import Path

    data = (Path(engine.__file__).resolve().parent / "bpmn" / "parallel_approval.bpmn").read_bytes()
    parsed = engine.bpmn_parse(data)
    workflow = engine.new_workflow(parsed, {"case": 1})
    engine.run_engine(workflow)
    [accept] = engine.ready_user_tasks(workflow)
    accept.data["outcome"] = "accept"
    engine.run_task(workflow, accept)
    state = json.loads(json.dumps(engine.dump_state(workflow)))
    items = list(state["tasks"].items())
    random.Random(7).shuffle(items)
    state["tasks"] = dict(items)
    reloaded = engine.load_state(parsed, state)
    assert sorted(
        (t.task_spec.bpmn_id, t.data["outcome"], t.data["case"]) for t in engine.ready_user_tasks(reloaded)
    ) == [
        ("review_co", "accept", 1),
        ("review_lead", "accept", 1),
    ]


def test_a_state_is_spiffworkflow_s_own_conversion_without_the_specs():
    """dump_state converts the workflow without its specs; the result is the library's full conversion with the
    specs left out (so an upgrade that changes the library's converter shows here)."""
    from pathlib import Path

    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

    data = (Path(engine.__file__).resolve().parent / "bpmn" / "parallel_approval.bpmn").read_bytes()
    parsed = engine.bpmn_parse(data)
    workflow = engine.new_workflow(parsed, {"case": 1})
    engine.run_engine(workflow)
    [accept] = engine.ready_user_tasks(workflow)
    accept.data["outcome"] = "accept"
    engine.run_task(workflow, accept)
    library = BpmnWorkflowSerializer()
    full = library.to_dict(workflow)
    assert "spec" in full and "subprocess_specs" in full
    del full["spec"], full["subprocess_specs"]
    full[library.VERSION_KEY] = library.VERSION
    assert json.dumps(engine.dump_state(workflow), sort_keys=True) == json.dumps(full, sort_keys=True)
