"""Departmental systems API (一厅双网), mounted at /api/external/: a department's own business system registers
its cases and reports their status events, signed with HMAC-SHA256 (docs/external-api.md, ADR 0018).

Its own NinjaAPI instance, so every refusal — authentication, rate, input, state — has one shape:
{"error": {"code": "...", "message": "<中文说明>"}} (422 input errors add "fields"; 429 adds Retry-After).
Every response to a counted request carries X-RateLimit-Limit and X-RateLimit-Remaining."""

import re
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.security import APIKeyHeader
from pydantic import field_validator
from pydantic_core import PydanticCustomError

import zhengwu
from zhengwu.cases.domain.external import (
    ExternalApiError,
    case_external_event,
    case_register_external,
    external_request_verify,
    rate_headers,
)
from zhengwu.cases.models import Case, ExternalCaseLink, ExternalSystem
from zhengwu.core.middleware import client_ip
from zhengwu.workcal.models.clock import Clock

# --- Authentication ---------------------------------------------------------------------------------------------


class HmacSignature(APIKeyHeader):
    """X-Zhengwu-Key names the system; X-Zhengwu-Timestamp, -Nonce and -Signature must sign this very request."""

    param_name = "X-Zhengwu-Key"

    def authenticate(self, request, key: str | None) -> ExternalSystem:
        headers = request.headers
        try:
            body = request.body
        except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: Django's own answer would be an HTML page
            raise ExternalApiError("request_too_large", "请求内容过大。", 413) from None
        system, usage = external_request_verify(
            key_id=key,
            timestamp=headers.get("X-Zhengwu-Timestamp"),
            nonce=headers.get("X-Zhengwu-Nonce"),
            signature=headers.get("X-Zhengwu-Signature"),
            method=request.method,
            path=request.get_full_path(),
            body=body,
            ip=client_ip(request),
        )
        request.external_rate_headers = rate_headers(usage)
        return system


class ExternalApi(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        """Every answer to a counted request says where the system stands in its rate window."""
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        for name, value in getattr(request, "external_rate_headers", {}).items():
            response.headers.setdefault(name, value)
        return response


api = ExternalApi(
    title="部门业务系统接口（一厅双网）",
    version=zhengwu.__version__,
    urls_namespace="external_api",
    auth=HmacSignature(),
    description=(
        "部门自建业务系统登记办件、报告办件状态，纳入平台的法定时限计时和效能监察。签名方法见 docs/external-api.md。"
        "每个接入密钥有请求速率上限（响应头 X-RateLimit-Limit、X-RateLimit-Remaining），超出时返回 429 和 Retry-After。"
    ),
)


def _error(request, status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra):
    response = api.create_response(request, {"error": {"code": code, "message": message, **extra}}, status=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@api.exception_handler(ExternalApiError)
def _external_error(request, exc: ExternalApiError):
    return _error(request, exc.status, exc.code, exc.message, exc.headers)


@api.exception_handler(ValidationError)
def _domain_error(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        fields = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        message = "；".join(m for messages in fields.values() for m in messages)
        return _error(request, 422, "invalid_input", message, fields=fields)
    return _error(request, 409, "invalid_state", "；".join(exc.messages))


@api.exception_handler(SchemaError)
def _schema_error(request, exc: SchemaError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = tuple(error.get("loc", ()))
        parts = loc[2:] if loc[:1] == ("body",) else loc[1:]  # ("body", <parameter>, field, …)
        location = ".".join(str(part) for part in parts) or "body"
        fields.setdefault(location, []).append(error.get("msg", ""))
    return _error(request, 422, "invalid_request", "请求内容格式不正确。", fields=fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "unauthenticated", "未通过身份验证。")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ValueError):  # ninja could not parse the body: not JSON, or not UTF-8
        return _error(request, 400, "invalid_json", "请求内容不是有效的 JSON（UTF-8 编码）。")
    if isinstance(exc.__cause__, RecursionError):  # JSON, but arrays or objects nested deeper than it can be read
        return _error(request, 400, "invalid_json", "请求内容嵌套层数过多，无法解析。")
    return _error(request, exc.status_code, "error", str(exc))


# --- Schemas ----------------------------------------------------------------------------------------------------


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any) -> bool:
    """Whether a JSON value holds text no database column can keep: a NUL character (PostgreSQL's text and jsonb
    refuse it) or a lone surrogate (\\ud800 — not encodable as UTF-8), in a string or a key, at any depth (walked
    without recursion: JSON nests deeper than Python's stack)."""
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _storable(value: Any) -> Any:
    if _unstorable(value):
        raise PydanticCustomError("unstorable_text", _("内容含有无法保存的字符（空字符 U+0000 或不成对的代理码位）。"))
    return value


class InputSchema(Schema):
    """A request body: a text field holding what cannot be stored is refused as invalid_request (422), naming the
    field (a nested schema names its own: applicant.name, items.0.problem), before anything reaches the domain."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _storable(value) if isinstance(value, str) else value


class ErrorBody(Schema):
    code: str = Field(description="错误代码（英文，稳定）")
    message: str = Field(description="错误说明（中文）")


class ErrorOut(Schema):
    error: ErrorBody


class ApplicantIn(InputSchema):
    kind: Literal["natural", "legal"] = Field(description="申请人类型：natural 自然人，legal 法人")
    name: str = Field(description="姓名或名称", max_length=150)
    id_type: str = Field("", description="证件类型代码（自然人必填，如 resident_id；法人为统一社会信用代码，可省略）")
    id_number: str = Field(description="证件号码或统一社会信用代码", max_length=30)
    phone: str = Field("", description="联系电话", max_length=20)


class MaterialIn(InputSchema):
    name: str = Field(description="材料名称（须与办事指南中的材料名称一致）", max_length=200)
    status: Literal["provided", "missing"] = Field(description="provided 已提交，missing 缺少")


class CaseRegisterIn(InputSchema):
    external_id: str = Field(
        description="部门系统自己的办件编号（同一系统内唯一；重复登记返回已有办件）", max_length=100
    )
    implementation_code: str = Field(description="事项实施编码（须为本部门的现行事项）", max_length=40)
    applicant: ApplicantIn
    received_at: datetime = Field(description="部门系统收件时间（ISO 8601，含时区），受理期限自此起算")
    channel: Literal["online", "window", "proxy"] = Field(description="申请人向部门提交的渠道")
    materials: list[MaterialIn] = Field(default_factory=list, description="申请材料及其状态；未列出的材料视为缺少")
    form_data: dict = Field(default_factory=dict, description="申请表内容（键值）")

    @field_validator("form_data", mode="before")
    @classmethod
    def _storable_form_data(cls, value: Any) -> Any:
        return _storable(value)


class CorrectionItemIn(InputSchema):
    name: str = Field(description="需补正的材料名称")
    problem: str = Field(description="需要补正的内容")


class EventIn(InputSchema):
    type: Literal[
        "accepted",
        "refused",
        "correction_requested",
        "correction_received",
        "suspended",
        "resumed",
        "decided",
        "completed",
    ] = Field(description="事件类型")
    reason: str = Field("", description="refused：不予受理理由；correction_requested：再次告知补正的理由")
    items: list[CorrectionItemIn] = Field(default_factory=list, description="correction_requested：补正材料清单")
    pause_reason: str = Field("", description="suspended：挂起事由代码（hearing、inspection、expert_review …）")
    basis: str = Field("", description="suspended：挂起的具体情况说明（书面告知申请人）")
    expected_resume_on: str = Field("", description="suspended：预计恢复办理日期 YYYY-MM-DD")
    expected_days: int | None = Field(None, description="suspended：或预计所需天数（按办理期限的计算单位）")
    outcome: str = Field("", description="decided：grant 准予许可，deny 不予许可")
    reasons: str = Field("", description="decided：决定理由")
    legal_basis: str = Field("", description="decided：法律依据")
    note: str = Field("", description="completed：办理结果说明")


class ClockOut(Schema):
    status: str = Field(description="running 计时中，paused 已暂停，stopped 已停止")
    due_at: str = Field(description="期限届满时刻（ISO 8601，当地时间）")
    outcome: str = Field(description="停止时：on_time 按期，late 超期；未停止为空")


class DecisionOut(Schema):
    outcome: str
    reasons: str
    legal_basis: str
    decided_at: str


class CaseOut(Schema):
    number: str = Field(description="平台办件编号")
    query_code: str = Field(description="查询码（申请人凭办件编号和查询码查询进度）")
    external_id: str | None = Field(description="部门系统办件编号；非本系统登记的办件为空")
    implementation_code: str
    state: str = Field(description="状态代码")
    state_label: str = Field(description="状态")
    received_at: str = Field(description="收件时间（ISO 8601，当地时间）")
    accepted_at: str | None = Field(description="受理时间")
    completed_at: str | None = Field(description="办结时间")
    acceptance_clock: ClockOut | None = Field(description="受理期限")
    handling_clock: ClockOut | None = Field(description="办理期限（承诺时限，自受理起算）")
    decision: DecisionOut | None


# --- Endpoints --------------------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def _clock(clock: Clock | None) -> dict | None:
    if clock is None:
        return None
    return {"status": clock.status, "due_at": _iso(clock.due_at), "outcome": clock.outcome or ""}


def _case_out(case: Case, system: ExternalSystem) -> dict:
    case = Case.objects.select_related("item_version__item", "acceptance_clock", "handling_clock").get(pk=case.pk)
    link = ExternalCaseLink.objects.filter(case=case, system=system).first()
    decision = getattr(case, "decision", None)
    return {
        "number": case.number,
        "query_code": case.query_code,
        "external_id": link.external_id if link else None,
        "implementation_code": case.item_version.item.implementation_code,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "received_at": _iso(case.received_at),
        "accepted_at": _iso(case.accepted_at),
        "completed_at": _iso(case.completed_at),
        "acceptance_clock": _clock(case.acceptance_clock),
        "handling_clock": _clock(case.handling_clock),
        "decision": (
            {
                "outcome": decision.outcome,
                "reasons": decision.reasons,
                "legal_basis": decision.legal_basis,
                "decided_at": _iso(decision.decided_at),
            }
            if decision is not None
            else None
        ),
    }


def _department_case(system: ExternalSystem, number: str) -> Case:
    case = None
    if not _unstorable(number):  # a NUL is in no case's number, and PostgreSQL cannot even compare text with one
        case = Case.objects.filter(number=number.strip().upper(), department_id=system.department_id).first()
    if case is None:
        raise ExternalApiError("case_not_found", f"本部门没有编号为 {number} 的办件。", 404)
    return case


ERRORS = {status: ErrorOut for status in (400, 401, 403, 404, 409, 413, 422, 429)}


@api.post(
    "/cases",
    response={200: CaseOut, 201: CaseOut, **ERRORS},
    tags=["cases"],
    summary="登记办件",
    description="登记部门系统收件的办件，受理期限自收件时间起算。按 external_id 幂等：已登记的返回 200 和原办件。",
)
def register_case(request, payload: CaseRegisterIn):
    system = request.auth
    case, created = case_register_external(
        system=system,
        external_id=payload.external_id,
        implementation_code=payload.implementation_code,
        applicant_snapshot=payload.applicant.model_dump(),
        received_at=payload.received_at,
        channel=payload.channel,
        materials=[m.model_dump() for m in payload.materials],
        form_data=payload.form_data,
    )
    return Status(201 if created else 200, _case_out(case, system))


@api.get(
    "/cases/{number}",
    response={200: CaseOut, **ERRORS},
    tags=["cases"],
    summary="办件状态",
    description="本部门办件的状态和期限（受理期限、办理期限的到期时刻）。",
)
def get_case(request, number: str):
    system = request.auth
    return _case_out(_department_case(system, number), system)


@api.post(
    "/cases/{number}/events",
    response={200: CaseOut, **ERRORS},
    tags=["cases"],
    summary="报告办件事件",
    description=(
        "本系统登记的办件的状态事件：accepted 受理、refused 不予受理、correction_requested 一次性告知补正、"
        "correction_received 收到补正材料、suspended 挂起、resumed 恢复办理、decided 作出决定、completed 办结。"
        "不合法的状态转换返回 409，平台数据不作任何改变。"
    ),
)
def report_event(request, number: str, payload: EventIn):
    system = request.auth
    case = _department_case(system, number)
    data = payload.model_dump(exclude={"type"})
    data["items"] = [{"name": item["name"], "problem": item["problem"]} for item in data["items"]]
    case = case_external_event(system=system, case=case, event=payload.type, data=data)
    return _case_out(case, system)
