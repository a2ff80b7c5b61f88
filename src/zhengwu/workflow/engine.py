"""The SpiffWorkflow side of the engine: safe BPMN parsing, validation, a restricted expression engine and
serialisation that keeps the process spec out of every instance (ADR 0012).

Nothing here touches the database; the domain functions in workflow/domain call it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState as SpiffState

from zhengwu.workflow.lanes import LaneSpec, LaneSyntaxError, parse_lane_name

__all__ = [
    "MAX_BPMN_BYTES",
    "NS",
    "ParsedDefinition",
    "bpmn_parse",
    "default_step_limit_days",
    "dump_state",
    "ended_at",
    "load_state",
    "new_workflow",
    "parse_xml",
    "ready_user_tasks",
    "run_engine",
    "spec_load",
]

MAX_BPMN_BYTES = 1024 * 1024
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {
    "bpmn": BPMN,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": SPIFF,
}
STEP_LIMIT_PROPERTY = "step_limit_days"
MAX_STEP_LIMIT_DAYS = 365
DEFAULT_STEP_LIMIT_DAYS = 5
FIELD = "bpmn_xml"
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)

# What a process may contain: events without triggers, user tasks, gateways and flows. Everything that would
# run code (script and service tasks), wait for the outside world (timers, messages) or nest processes is refused.
_ALLOWED_IN_PROCESS = frozenset(
    {
        "laneSet",
        "lane",
        "childLaneSet",
        "flowNodeRef",
        "startEvent",
        "endEvent",
        "intermediateThrowEvent",
        "terminateEventDefinition",
        "userTask",
        "task",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "sequenceFlow",
        "conditionExpression",
        "incoming",
        "outgoing",
        "documentation",
        "extensionElements",
        "textAnnotation",
        "text",
        "association",
        "multiInstanceLoopCharacteristics",
        "loopCardinality",
        "loopDataInputRef",
        "loopDataOutputRef",
        "inputDataItem",
        "outputDataItem",
        "completionCondition",
    }
)
_EXPRESSION_TAGS = ("conditionExpression", "loopCardinality", "completionCondition")
_ELEMENT_LABELS = {
    "scriptTask": "脚本任务",
    "serviceTask": "服务任务",
    "sendTask": "发送任务",
    "receiveTask": "接收任务",
    "manualTask": "手工任务",
    "businessRuleTask": "业务规则任务",
    "callActivity": "调用活动",
    "subProcess": "子流程",
    "transaction": "事务子流程",
    "adHocSubProcess": "自由子流程",
    "eventBasedGateway": "事件网关",
    "complexGateway": "复杂网关",
    "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件",
    "timerEventDefinition": "定时事件",
    "messageEventDefinition": "消息事件",
    "signalEventDefinition": "信号事件",
    "errorEventDefinition": "错误事件",
    "escalationEventDefinition": "升级事件",
    "standardLoopCharacteristics": "循环任务",
    "dataObject": "数据对象",
    "dataObjectReference": "数据对象引用",
    "dataStoreReference": "数据存储引用",
    "ioSpecification": "输入输出规格",
}


def default_step_limit_days() -> int:
    return int(getattr(settings, "WORKFLOW_DEFAULT_STEP_LIMIT_DAYS", DEFAULT_STEP_LIMIT_DAYS))


def _fail(messages: str | list[str]) -> ValidationError:
    return ValidationError({FIELD: messages if isinstance(messages, list) else [messages]})


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _describe(element: etree._Element) -> str:
    name = element.get("name")
    ident = element.get("id") or "无"
    return f"“{name}”（id={ident}）" if name else f"（id={ident}）"


# ---- XML ---------------------------------------------------------------------------------------
def _xml_parser() -> etree.XMLParser:
    # No DTD loading, no entity expansion, no network: external entities (XXE) are never fetched.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML safely. Refuses files over 1 MB, non-XML and any DOCTYPE (entities, XXE)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BPMN_BYTES:
        raise _fail(f"BPMN 文件不能超过 1 MB（当前 {len(data) / 1024 / 1024:.1f} MB）。")
    if not data.strip():
        raise _fail("BPMN 文件是空的。")
    try:
        root = etree.fromstring(data, parser=_xml_parser())
    except etree.XMLSyntaxError as exc:
        if _DOCTYPE.search(data):
            raise _fail("BPMN 文件不得包含 DOCTYPE 或实体声明。") from None
        line = exc.lineno or (exc.position[0] if exc.position else "?")
        raise _fail(f"BPMN 文件不是有效的 XML（第 {line} 行附近有语法错误）。") from None
    except ValueError:
        raise _fail("BPMN 文件不是有效的 XML。") from None
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        raise _fail("BPMN 文件不得包含 DOCTYPE 或实体声明。")
    return root


_validator_lock = threading.RLock()
_validator: BpmnValidator | None = None


def _bpmn_validator() -> BpmnValidator:
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = BpmnValidator()
    return _validator


# ---- expressions -------------------------------------------------------------------------------
SAFE_FUNCTIONS: dict[str, Any] = {"len": len, "min": min, "max": max, "any": any, "all": all, "abs": abs}
MAX_EXPRESSION_LENGTH = 500
# Comparisons, boolean logic, literals, +/- and calls of whitelisted functions: shared by every restricted
# expression in the platform (gateway conditions here, fee tables in cases.domain.fee_rules).
BASE_EXPRESSION_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.IfExp,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Call,
)
_ALLOWED_NODES = (*BASE_EXPRESSION_NODES, ast.Subscript)


def vet_expression(
    tree: ast.AST,
    text: str,
    *,
    allowed: tuple[type, ...],
    functions: dict[str, Any],
    error: type[Exception],
    max_string: int | None = None,
) -> None:
    """Raise `error` (a Chinese message) unless the parsed expression uses only `allowed` nodes, no name
    starting with "_", and calls only `functions` by name without keywords."""
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise error(f"表达式“{text}”含有不允许的写法（{type(node).__name__}）。")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise error(f"表达式“{text}”不能使用以下划线开头的名称。")
        if isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in functions or node.keywords
        ):
            raise error(f"表达式“{text}”只能调用 {'、'.join(functions)}。")
        if (
            max_string is not None
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str | bytes)
            and len(node.value) > max_string
        ):
            raise error(f"表达式“{text}”中的字符串过长。")


class ExpressionError(ValueError):
    pass


@lru_cache(maxsize=512)
def compile_expression(text: str):
    """Compile a gateway condition: comparisons and boolean logic over task data, nothing else
    (no attributes, no imports, no arbitrary calls). Unknown names evaluate to None."""
    text = (text or "").strip()
    if not text:
        raise ExpressionError("表达式为空。")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"表达式过长（最多 {MAX_EXPRESSION_LENGTH} 个字符）。")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ExpressionError(f"表达式“{text}”有语法错误。") from None
    vet_expression(tree, text, allowed=_ALLOWED_NODES, functions=SAFE_FUNCTIONS, error=ExpressionError, max_string=200)
    return compile(tree, "<bpmn>", "eval")


class _Names(dict):
    def __missing__(self, key: str) -> Any:
        return SAFE_FUNCTIONS.get(key)


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates vetted expressions against task data; never executes scripts."""

    def evaluate(self, expression, context, external_context=None):
        try:
            code = compile_expression(expression)
        except ExpressionError as exc:
            raise SpiffWorkflowException(str(exc)) from None
        names = _Names(external_context or {})
        names.update(context)
        return eval(code, {"__builtins__": {}}, names)

    def execute(self, script, context, external_context=None):
        raise SpiffWorkflowException("本平台的流程不执行脚本。")

    def call_service(self, context, **kwargs):
        raise SpiffWorkflowException("本平台的流程不调用外部服务。")


class SafeScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=SafeEnvironment())

    def validate(self, expression):
        compile_expression(expression)


SCRIPT_ENGINE = SafeScriptEngine()


# ---- parsing and validation --------------------------------------------------------------------
@dataclass
class ParsedDefinition:
    process_id: str
    process_name: str
    spec_json: str
    spec_sha256: str
    bpmn_sha256: str
    lanes: list[LaneSpec]
    user_tasks: list[dict[str, Any]] = field(default_factory=list)


def _step_limit(task: etree._Element, errors: list[str]) -> int:
    values = task.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name=$n]/@value",
        namespaces=NS,
        n=STEP_LIMIT_PROPERTY,
    )
    if not values:
        return default_step_limit_days()
    text = str(values[0]).strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_STEP_LIMIT_DAYS:
        errors.append(
            f"用户任务{_describe(task)}的办理时限（{STEP_LIMIT_PROPERTY}）必须是 1 至 {MAX_STEP_LIMIT_DAYS} 之间的整数"
            f"工作日，现为“{text}”。"
        )
        return default_step_limit_days()
    return int(text)


def _check_elements(process: etree._Element) -> list[str]:
    errors: list[str] = []
    refused: set[etree._Element] = set()
    for element in process.iterdescendants():
        if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN:
            continue
        ancestors = list(element.iterancestors())
        if any(_local(parent) == "extensionElements" or parent in refused for parent in ancestors):
            continue
        tag = _local(element)
        if tag not in _ALLOWED_IN_PROCESS:
            refused.add(element)
            label = _ELEMENT_LABELS.get(tag, "元素")
            owner = element if element.get("id") else element.getparent()
            errors.append(
                f"不支持的 BPMN {label} {tag}{_describe(owner)}：流程中只能使用开始/结束事件、用户任务、网关和顺序流。"
            )
    for tag in _EXPRESSION_TAGS:
        for element in process.iterfind(f".//bpmn:{tag}", namespaces=NS):
            owner = element.getparent()
            if tag != "conditionExpression":
                owner = owner.getparent()
            try:
                compile_expression(element.text or "")
            except ExpressionError as exc:
                errors.append(f"{_describe(owner)}的条件表达式不被允许：{exc}")
    return errors


def _spiff_message(exc: ValidationException) -> str:
    where = []
    if getattr(exc, "id", ""):
        where.append(f"元素 id={exc.id}")
    if getattr(exc, "line_number", ""):
        where.append(f"第 {exc.line_number} 行")
    detail = str(exc.args[0]) if exc.args else str(exc)
    return f"流程解析失败（{'，'.join(where) or '位置未知'}）：{detail}"


def bpmn_parse(data: bytes | str) -> ParsedDefinition:
    """Validate an uploaded BPMN file and build its spec. Raises ValidationError({"bpmn_xml": [...]})."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    root = parse_xml(raw)
    if etree.QName(root).namespace != BPMN or _local(root) != "definitions":
        raise _fail("根元素必须是 BPMN 2.0 的 definitions（命名空间 http://www.omg.org/spec/BPMN/20100524/MODEL）。")
    try:
        with _validator_lock:  # one shared XMLSchema; uploads are rare
            _bpmn_validator().validate(root)
    except ValidationException as exc:
        line = getattr(exc, "line_number", "") or "?"
        raise _fail(f"BPMN 文件不符合 BPMN 2.0 规范（第 {line} 行）：{exc.args[0] if exc.args else exc}") from None

    processes = root.findall("bpmn:process", namespaces=NS)
    if not processes:
        raise _fail("BPMN 文件中没有流程（process）。")
    if len(processes) > 1:
        ids = "、".join(p.get("id") or "?" for p in processes)
        raise _fail(f"BPMN 文件中有 {len(processes)} 个流程（{ids}），只能有一个。")
    process = processes[0]
    process_id = process.get("id") or ""
    if process.get("isExecutable", "true") != "true":
        raise _fail(f'流程 {process_id} 未标记为可执行（isExecutable="true"）。')

    errors = _check_elements(process)
    if process.find("bpmn:startEvent", namespaces=NS) is None:  # else SpiffWorkflow's English "No start event found"
        errors.insert(0, f"流程 {process_id} 没有开始事件（startEvent）。")
    if errors:
        raise _fail(errors)

    # Lanes: node id -> lane name, exactly as SpiffWorkflow assigns them.
    lane_of: dict[str, str] = {}
    lanes: list[LaneSpec] = []
    for lane in process.iterfind(".//bpmn:lane", namespaces=NS):
        try:
            lanes.append(parse_lane_name(lane.get("name") or ""))
        except LaneSyntaxError as exc:
            errors.append(f"{exc}（id={lane.get('id') or '无'}）")
        for ref in lane.iterfind("bpmn:flowNodeRef", namespaces=NS):
            if ref.text:
                lane_of[ref.text.strip()] = lane.get("name") or ""

    user_tasks: list[dict[str, Any]] = []
    # A plain bpmn:task waits for a person in SpiffWorkflow (it is "manual"): it is handled as a user task.
    task_elements = process.xpath(".//bpmn:userTask | .//bpmn:task", namespaces=NS)
    if not task_elements:
        errors.append("流程中至少要有一个用户任务（userTask）。")
    for task in task_elements:
        task_id = task.get("id") or ""
        lane_name = lane_of.get(task_id)
        if lane_name is None:
            errors.append(f"用户任务{_describe(task)}不在任何泳道中：每个用户任务都必须放在表示部门或角色的泳道里。")
        mi = task.find("bpmn:multiInstanceLoopCharacteristics", namespaces=NS)
        user_tasks.append(
            {
                "id": task_id,
                "name": task.get("name") or task_id,
                "lane": lane_name or "",
                "step_limit_days": _step_limit(task, errors),
                "multi_instance": mi is not None,
            }
        )
    if errors:
        raise _fail(errors)

    parser = BpmnParser(validator=None)
    try:
        parser.add_bpmn_xml(root, filename="upload.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise _fail(_spiff_message(exc)) from None
    except SpiffWorkflowException as exc:
        raise _fail(f"流程解析失败：{exc}") from None

    spec_json = json.dumps(
        {
            "spec": _serializer.to_dict(spec),
            "subprocess_specs": {name: _serializer.to_dict(sub) for name, sub in subprocess_specs.items()},
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return ParsedDefinition(
        process_id=process_id,
        process_name=process.get("name") or process_id,
        spec_json=spec_json,
        spec_sha256=hashlib.sha256(spec_json.encode("utf-8")).hexdigest(),
        bpmn_sha256=hashlib.sha256(raw).hexdigest(),
        lanes=lanes,
        user_tasks=user_tasks,
    )


# ---- specs and state ---------------------------------------------------------------------------
class _StateConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's converter of a workflow, without converting the specs: a state leaves them out (they live
    once on the definition), and converting them only to drop them was half of each save's serialising.
    `BpmnWorkflowConverter.to_dict` without its two spec lines (tests/workflow/test_engine.py compares the two)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


_serializer = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, BpmnWorkflow: _StateConverter})
)
_SPEC_CACHE_SIZE = 64
_spec_cache: OrderedDict[str, tuple[Any, dict[str, Any]]] = OrderedDict()
_spec_lock = threading.Lock()


def spec_load(definition: Any) -> tuple[Any, dict[str, Any]]:
    """The restored (spec, subprocess_specs) of a definition (anything with `spec_sha256` and `spec_json`),
    restored once per process and cached by hash. `spec_json` is only read on a cache miss.

    Specs are read-only while workflows run, so the instances of one definition share them."""
    digest = definition.spec_sha256
    with _spec_lock:
        cached = _spec_cache.get(digest)
        if cached is not None:
            _spec_cache.move_to_end(digest)
            return cached
    stored = json.loads(definition.spec_json)
    loaded = (
        _serializer.from_dict(stored["spec"]),
        {name: _serializer.from_dict(sub) for name, sub in stored.get("subprocess_specs", {}).items()},
    )
    with _spec_lock:
        _spec_cache[digest] = loaded
        while len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return loaded


def new_workflow(definition: Any, data: dict[str, Any] | None = None) -> BpmnWorkflow:
    spec, subprocess_specs = spec_load(definition)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)
    if data:
        workflow.task_tree.data.update(data)
    return workflow


def dump_state(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance state without the spec (the spec lives once on the definition)."""
    state = _serializer.to_dict(workflow)
    state[_serializer.VERSION_KEY] = _serializer.VERSION
    return state


def _tree_order(tasks: dict[str, Any], root: str) -> dict[str, Any]:
    """Tasks parents first. SpiffWorkflow rebuilds each task's data from its parent's, so it needs that order,
    and PostgreSQL's jsonb does not keep the order of object keys."""
    ordered: dict[str, Any] = {}
    queue = [root]
    while queue:
        task_id = queue.pop(0)
        task = tasks.get(task_id)
        if task is None or task_id in ordered:
            continue
        ordered[task_id] = task
        queue.extend(task.get("children", []))
    for task_id, task in tasks.items():
        ordered.setdefault(task_id, task)
    return ordered


def load_state(definition: Any, state: dict[str, Any]) -> BpmnWorkflow:
    """Rebuild a workflow from its stored state, re-attaching the definition's spec."""
    dct = dict(state)
    dct["tasks"] = _tree_order(dct["tasks"], dct["root"])
    dct["subprocesses"] = {
        key: {**sub, "tasks": _tree_order(sub["tasks"], sub["root"])}
        for key, sub in dct.get("subprocesses", {}).items()
    }
    version = dct.pop(_serializer.VERSION_KEY, None)
    if version != _serializer.VERSION and version in MIGRATIONS:
        # A state written by an older SpiffWorkflow: migrate it together with a fresh copy of the spec.
        stored = json.loads(definition.spec_json)
        dct["spec"], dct["subprocess_specs"] = stored["spec"], stored.get("subprocess_specs", {})
        MIGRATIONS[version](dct)
    else:
        dct["spec"], dct["subprocess_specs"] = spec_load(definition)
    workflow = _serializer.from_dict(dct)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


# ---- running -----------------------------------------------------------------------------------
class EngineError(Exception):
    """The engine could not move forward (a condition failed, no gateway branch matched, ...)."""


def run_engine(workflow: BpmnWorkflow) -> None:
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise EngineError(str(exc)) from exc


def run_task(workflow: BpmnWorkflow, task: SpiffTask) -> None:
    try:
        task.run()
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise EngineError(str(exc)) from exc


def ready_user_tasks(workflow: BpmnWorkflow) -> list[SpiffTask]:
    return workflow.get_tasks(state=SpiffState.READY, manual=True)


def multi_instance_parent(task: SpiffTask) -> MultiInstanceTask | None:
    """The multi-instance spec whose instance `task` is (a countersign task), or None."""
    parent = task.parent
    if (
        parent is not None
        and isinstance(parent.task_spec, MultiInstanceTask)
        and parent.task_spec.task_spec == task.task_spec.name
    ):
        return parent.task_spec
    return None


def ended_at(workflow: BpmnWorkflow) -> str:
    """The BPMN id of the end event the process reached ("" while running)."""
    for task in workflow.get_tasks(state=SpiffState.COMPLETED):
        if isinstance(task.task_spec, EndEvent):
            return task.task_spec.bpmn_id or ""
    return ""


def element_states(workflow: BpmnWorkflow) -> tuple[set[str], set[str]]:
    """BPMN ids of completed and of active (ready, or a countersign under way) elements, for a diagram.
    A join still waiting for its other branch is neither."""
    completed, active = set(), set()
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.has_state(SpiffState.COMPLETED):
            completed.add(bpmn_id)
        elif task.has_state(SpiffState.READY | SpiffState.STARTED):
            active.add(bpmn_id)
    return completed - active, active
