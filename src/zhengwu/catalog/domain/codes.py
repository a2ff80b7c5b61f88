"""Item codes (GB/T 39554.1 practice; the exact layout is a configurable assumption, see statutes.md)."""

import re

from zhengwu.accounts.domain.identity import credit_code_error

BASIC_CODE_RE = re.compile(r"^[0-9A-Z]{12}$")


def basic_code_error(code: str) -> str | None:
    if not BASIC_CODE_RE.match(code or ""):
        return "基本编码应为 12 位数字或大写字母。"
    return None


def implementation_code_build(*, credit_code: str, level: str, basic_code: str) -> str:
    return f"{credit_code}{level}{basic_code}"


def implementation_code_error(
    code: str, *, credit_code: str | None = None, level: str | None = None, basic_code: str | None = None
) -> str | None:
    """实施编码 = implementing body's 统一社会信用代码 (18) + 行使层级 (1) + 基本编码 (12) = 31 characters."""
    code = (code or "").strip().upper()
    if len(code) != 31:
        return f"实施编码应为 31 位，当前为 {len(code)} 位。"
    problem = credit_code_error(code[:18])
    if problem:
        return f"实施编码前 18 位应为实施主体的统一社会信用代码：{problem}"
    if code[18] not in "12345":
        return "实施编码第 19 位应为行使层级（1 国家级 … 5 乡镇级）。"
    problem = basic_code_error(code[19:])
    if problem:
        return f"实施编码后 12 位应为基本编码：{problem}"
    if credit_code is not None and code[:18] != credit_code:
        return "实施编码前 18 位与实施主体的统一社会信用代码不一致。"
    if level is not None and code[18] != str(level):
        return "实施编码第 19 位与行使层级不一致。"
    if basic_code is not None and code[19:] != basic_code:
        return "实施编码后 12 位与基本编码不一致。"
    return None
