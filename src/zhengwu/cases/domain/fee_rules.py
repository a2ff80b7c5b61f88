"""Fee computation by DMN decision tables (ADR 0014): SpiffWorkflow's DMN engine with a restricted evaluator.

A `FeeRule` holds one decision table. Its inputs are expressions over the case's form data (names are the form's
field names; a missing field is None); its outputs are `amount` (the standard for one unit, in yuan) and,
optionally, `quantity`. SpiffWorkflow treats `UNIQUE` as first match; `COLLECT` is refused. Expressions are
Python, limited to arithmetic, comparisons and boolean logic (no attributes, no calls but a few built-ins).
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from lxml import etree
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException

from zhengwu.workflow.engine import BASE_EXPRESSION_NODES, vet_expression

MAX_DMN_BYTES = 256 * 1024
MAX_EXPRESSION_LENGTH = 500
CENT = Decimal("0.01")
FIELD = "dmn_xml"

_FUNCTIONS: dict[str, Any] = {"len": len, "min": min, "max": max, "abs": abs, "round": round, "int": int}
_ALLOWED = (*BASE_EXPRESSION_NODES, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)


class FeeExpressionError(SpiffWorkflowException):
    pass


@lru_cache(maxsize=1024)
def _compile(text: str):
    """Compile a DMN expression; SyntaxError when it is not an expression (the engine then prefixes the input)."""
    text = (text or "").strip()
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise FeeExpressionError(f"表达式过长（最多 {MAX_EXPRESSION_LENGTH} 个字符）。")
    tree = ast.parse(text, mode="eval")
    vet_expression(tree, text, allowed=_ALLOWED, functions=_FUNCTIONS, error=FeeExpressionError)
    return compile(tree, "<dmn>", "eval")


class _Names(dict):
    def __missing__(self, key: str) -> Any:
        return _FUNCTIONS.get(key)


class _FeeScriptEngine:
    """The two methods DMNEngine asks of a script engine."""

    def validate(self, expression: str) -> None:
        _compile(expression)

    def evaluate(self, task: _Facts, expression: str, external_context: dict | None = None) -> Any:
        names = _Names(external_context or {})
        names.update(task.data)
        try:
            return eval(_compile(expression), {"__builtins__": {}}, names)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            raise FeeExpressionError(f"计算“{expression}”出错：{exc}") from None


_ENGINE = _FeeScriptEngine()


class _Workflow:
    script_engine = _ENGINE


class _Facts:
    """What DMNEngine reads of a task: its data and its workflow's script engine."""

    workflow = _Workflow()
    task_spec = None

    def __init__(self, data: dict[str, Any]):
        self.data = data


def _parse(data: str) -> etree._Element:
    raw = data.encode("utf-8")
    if len(raw) > MAX_DMN_BYTES:
        raise ValidationError({FIELD: "DMN 文件不能超过 256 KB。"})
    if b"<!DOCTYPE" in raw.upper():
        raise ValidationError({FIELD: "DMN 文件不得包含 DOCTYPE 或实体声明。"})
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_pis=True)
    try:
        return etree.fromstring(raw, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        raise ValidationError({FIELD: "DMN 文件不是有效的 XML。"}) from None


@lru_cache(maxsize=128)
def _engine(sha256: str, xml: str) -> DMNEngine:
    root = _parse(xml)
    parser = BpmnDmnParser()
    try:
        parser.add_dmn_xml(root)
        (decision_id,) = parser.dmn_parsers
        engine = parser.get_engine(decision_id, root)
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError({FIELD: f"DMN 决策表无法解析：{exc}"}) from None
    table = engine.decision_table
    if table.hit_policy == HitPolicy.COLLECT.value:
        raise ValidationError({FIELD: "收费决策表不能使用 COLLECT 命中策略，请使用 UNIQUE 或 FIRST。"})
    names = {output.name or output.label for output in table.outputs}
    if "amount" not in names:
        raise ValidationError({FIELD: "收费决策表必须有名为 amount 的输出列（每件收费标准，元）。"})
    try:
        for item in table.inputs:
            _compile(item.expression or "")
        for rule in table.rules:
            for entry in rule.outputEntries:
                if getattr(entry, "text", ""):
                    _compile(entry.text)
    except (SyntaxError, FeeExpressionError) as exc:
        raise ValidationError({FIELD: f"DMN 表达式不合法：{exc}"}) from None
    return engine


def dmn_table(xml: str) -> DMNEngine:
    """The parsed, checked decision table (cached by content). ValidationError when it cannot be used."""
    return _engine(hashlib.sha256(xml.encode("utf-8")).hexdigest(), xml)


@dataclass(frozen=True)
class FeeComputation:
    amount: Decimal
    quantity: int
    rule_row: int


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationError(f"收费决策表给出的金额“{value}”不是有效金额。") from None
    if amount < 0:
        raise ValidationError(f"收费决策表给出的金额“{value}”不能为负数。")
    return amount


def dmn_fee(xml: str, form_data: dict[str, Any]) -> FeeComputation:
    """Evaluate the decision table against the form data: the unit standard and the quantity."""
    engine = dmn_table(xml)
    facts = _Facts({str(key): value for key, value in (form_data or {}).items()})
    try:
        rules = engine.decide(facts)
        result = rules[0].output_as_dict(facts) if rules else None
    except SpiffWorkflowException as exc:
        raise ValidationError(f"收费决策表计算出错：{exc}") from None
    if not result:
        raise ValidationError("收费决策表没有与申请内容相符的规则。")
    quantity = result.get("quantity", 1)
    if quantity in ("", None):
        quantity = 1
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise ValidationError(f"收费决策表给出的数量“{quantity}”不是整数。") from None
    if quantity < 1:
        raise ValidationError(f"收费决策表给出的数量“{quantity}”必须至少为 1。")
    return FeeComputation(amount=_money(result["amount"]), quantity=quantity, rule_row=rules[0].row_number)
