"""Departmental systems API (一厅双网): signed registration and status events of a department's own cases."""

import hashlib
import json
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.api.external_helpers import WALK_IN, SignedClient, registration
from tests.cases.conftest import Hall
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_accept, case_register_at_window
from zhengwu.cases.domain.completion import case_clocks
from zhengwu.cases.domain.external import (
    api_nonces_purge,
    external_signature,
    external_system_create,
    external_system_secret,
    external_system_update,
)
from zhengwu.cases.enums import CaseState, MaterialStatus
from zhengwu.cases.models import (
    ApiNonce,
    Case,
    CaseDecision,
    CaseSuspension,
    CorrectionNotice,
    ExternalCaseLink,
    FeeNotice,
)
from zhengwu.cases.tasks import purge_api_nonces
from zhengwu.notifications.models import Message
from zhengwu.workflow.models import ProcessInstance

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
ACCEPTANCE_DUE = "2026-03-09T23:59:59.999999+08:00"  # 5 working days after Monday 2 March


@pytest.fixture
def api(client, hall: Hall) -> SignedClient:
    system, secret = external_system_create(actor="system:test", department=hall.department, name="市场监管业务系统")
    return SignedClient(client, system, secret)


def case_events(case: Case) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", "actor_repr")
    )


def registered(api: SignedClient, hall: Hall, **overrides) -> Case:
    response = api.register(registration(hall, **overrides))
    assert response.status_code == 201, response.json()
    return Case.objects.get(number=response.json()["number"])


def world() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "cases": list(Case.objects.order_by("pk").values()),
        "events": AuditEvent.objects.count(),
        "notices": CorrectionNotice.objects.count(),
        "decisions": CaseDecision.objects.count(),
    }


def assert_error(response, status: int, code: str, message: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if message is not None:
        assert error["message"] == message
    return error


# ---- registration -----------------------------------------------------------------------------
@time_machine.travel(MONDAY, tick=False)
def test_a_signed_registration_creates_the_case_with_its_acceptance_clock_from_receipt(api, hall):
    response = api.register(registration(hall))

    assert response.status_code == 201
    case = Case.objects.get()
    body = response.json()
    code = hall.version.item.implementation_code
    assert body == {
        "number": f"{code}202603020001",
        "query_code": case.query_code,
        "external_id": "SCJG-2026-000123",
        "implementation_code": code,
        "state": "submitted",
        "state_label": "待受理",
        "received_at": "2026-03-02T09:00:00+08:00",
        "accepted_at": None,
        "completed_at": None,
        "acceptance_clock": {"status": "running", "due_at": ACCEPTANCE_DUE, "outcome": ""},
        "handling_clock": None,
        "decision": None,
    }
    assert (case.applicant, case.applicant_name, case.channel) == (None, WALK_IN["name"], "window")
    assert case.form_data == {"经营场所": "青河大道 8 号"}
    assert list(case.materials.values_list("name", "status")) == [
        ("食品经营许可申请书", MaterialStatus.PROVIDED),
        ("营业执照", MaterialStatus.MISSING),
        ("法定代表人授权委托书", MaterialStatus.MISSING),
    ]
    assert ExternalCaseLink.objects.get().external_id == "SCJG-2026-000123"
    actor = f"system:external:{api.system.key_id}"
    assert case_events(case) == [("cases.submitted", actor)]
    submitted = AuditEvent.objects.get(action="cases.submitted")
    assert (submitted.after["external_system"], submitted.after["external_id"]) == (
        api.system.key_id,
        "SCJG-2026-000123",
    )
    assert ApiNonce.objects.filter(system=api.system).count() == 1
    assert audit_verify() is None


@time_machine.travel(MONDAY, tick=False)
def test_registering_the_same_external_id_again_returns_the_existing_case(api, hall):
    first = api.register(registration(hall))
    again = api.register(registration(hall, channel="online"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="cases.submitted").count() == 1


@time_machine.travel(MONDAY, tick=False)
def test_a_received_at_slightly_ahead_of_the_platform_clock_counts_from_now(api, hall):
    response = api.register(registration(hall, received_at="2026-03-02T10:02:00+08:00"))

    assert response.status_code == 201
    assert response.json()["received_at"] == "2026-03-02T10:00:00+08:00"


# ---- authentication ---------------------------------------------------------------------------
STALE = str(int(MONDAY.timestamp()) - 301)
FUTURE = str(int(MONDAY.timestamp()) + 301)


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"secret": "not-the-secret"}, "invalid_signature", "签名校验失败。"),
        ({"timestamp": STALE}, "timestamp_expired", "请求时间戳已过期（允许误差 ±300 秒）。"),
        ({"timestamp": FUTURE}, "timestamp_in_future", "请求时间戳晚于服务器时间（允许误差 ±300 秒）。"),
        ({"timestamp": "1.7e9"}, "invalid_timestamp", "X-Zhengwu-Timestamp 必须是 Unix 时间戳（秒）。"),
        ({"nonce": "short"}, "invalid_nonce", "X-Zhengwu-Nonce 须为 16–64 位字母、数字、“-”或“_”。"),
        ({"key": "zwk_000000000000000000000000"}, "unknown_key", "接入密钥不存在。"),
        (
            {"drop": ("X-Zhengwu-Signature",)},
            "missing_credentials",
            "缺少签名信息：请求须带 X-Zhengwu-Key、X-Zhengwu-Timestamp、X-Zhengwu-Nonce 和 X-Zhengwu-Signature。",
        ),
        (
            {"drop": ("X-Zhengwu-Key",)},
            "missing_credentials",
            "缺少签名信息：请求须带 X-Zhengwu-Key、X-Zhengwu-Timestamp、X-Zhengwu-Nonce 和 X-Zhengwu-Signature。",
        ),
    ],
)
@time_machine.travel(MONDAY, tick=False)
def test_a_request_that_is_not_correctly_signed_is_refused_and_changes_nothing(api, hall, kwargs, code, message):
    before = world()

    assert_error(api.register(registration(hall), **kwargs), 401, code, message)

    assert world() == before
    assert not ApiNonce.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_the_signature_covers_the_body(api, hall):
    response = api.client.post(
        "/api/external/cases",
        data=registration(hall, external_id="OTHER"),
        content_type="application/json",
        headers={
            "X-Zhengwu-Key": api.system.key_id,
            "X-Zhengwu-Timestamp": str(int(MONDAY.timestamp())),
            "X-Zhengwu-Nonce": "n" * 20,
            "X-Zhengwu-Signature": "0" * 64,
        },
    )

    assert_error(response, 401, "invalid_signature")
    assert not Case.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_a_replayed_request_is_refused(api, hall):
    nonce = "a1b2c3d4e5f6a7b8c9d0"
    assert api.register(registration(hall), nonce=nonce).status_code == 201
    before = world()

    # Same nonce, even for a different (correctly signed) request.
    assert_error(
        api.get(Case.objects.get().number, nonce=nonce), 401, "nonce_reused", "该随机数已使用过，请求被视为重放。"
    )
    assert_error(
        api.register(registration(hall, external_id="SCJG-2"), nonce=nonce),
        401,
        "nonce_reused",
    )

    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_an_inactive_key_is_refused(api, hall):
    external_system_update(actor="system:test", system=api.system, name=api.system.name, is_active=False)
    before = world()

    assert_error(api.register(registration(hall)), 401, "key_inactive", "接入密钥已停用。")

    assert world() == before
    assert not ApiNonce.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_a_system_cannot_register_another_departments_item(client, hall):
    system, secret = external_system_create(actor="system:test", department=hall.other_department, name="民政业务系统")
    before = world()

    response = SignedClient(client, system, secret).register(registration(hall))

    assert_error(
        response,
        403,
        "item_not_in_department",
        "事项“食品经营许可证核发”由区市场监督管理局实施，不属于区民政局，本系统不能为其登记办件。",
    )
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_an_unknown_item_is_not_found(api, hall):
    assert_error(api.register(registration(hall, implementation_code="X" * 31)), 404, "item_not_found")
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        (
            {"materials": [{"name": "身份证", "status": "provided"}]},
            {"materials": ["“身份证”不是该事项的申请材料。"]},
        ),
        ({"received_at": "2026-03-02T10:06:00+08:00"}, {"received_at": ["收件时间不能晚于当前时间。"]}),
        pytest.param(
            {"received_at": "0001-01-01T00:00:00+08:00"},
            {"received_at": ["收件时间不能早于 2000-01-01。"]},
            id="received-at-before-2000-is-a-field-error-not-a-500",
        ),
        ({"external_id": "  "}, {"external_id": ["部门系统办件编号须为 1–100 个字符。"]}),
    ],
)
@time_machine.travel(MONDAY, tick=False)
def test_invalid_registrations_get_field_errors_and_change_nothing(api, hall, overrides, fields):
    before = world()

    error = assert_error(api.register(registration(hall, **overrides)), 422, "invalid_input")

    assert error["fields"] == fields
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_a_malformed_body_gets_the_structured_error(api, hall):
    payload = registration(hall)
    del payload["applicant"]

    error = assert_error(api.register(payload), 422, "invalid_request", "请求内容格式不正确。")

    assert list(error["fields"]) == ["applicant"]


UNSTORABLE = "内容含有无法保存的字符（空字符 U+0000 或不成对的代理码位）。"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"external_id": "SCJG\u00001"}, "external_id"),
        ({"implementation_code": "1133\u0000"}, "implementation_code"),
        ({"applicant": WALK_IN | {"id_number": "91330102MA2B3C4D5E", "phone": "139\u0000"}}, "applicant.phone"),
        ({"materials": [{"name": "营业执照\u0000", "status": "provided"}]}, "materials.0.name"),
        ({"form_data": {"经营场所": "青河大道\u0000"}}, "form_data"),
        ({"form_data": {"经营场所\u0000": "青河大道"}}, "form_data"),
        ({"form_data": {"联系人": [{"姓名": "\ud800"}]}}, "form_data"),
        ({"applicant": WALK_IN | {"name": "青川\udfff", "id_number": "91330102MA2B3C4D5E"}}, "applicant.name"),
    ],
    ids=[
        "nul-id",
        "nul-code",
        "nul-phone",
        "nul-material",
        "nul-form-value",
        "nul-form-key",
        "surrogate-form",
        "surrogate",
    ],
)
@time_machine.travel(MONDAY, tick=False)
def test_text_no_database_can_store_is_a_field_error_not_a_500(api, hall, overrides, field):
    """PostgreSQL's text and jsonb refuse NUL, and a lone surrogate is not UTF-8: refused before the domain."""
    before = world()

    error = assert_error(
        api.register(registration(hall, **overrides), ensure_ascii=True), 422, "invalid_request", "请求内容格式不正确。"
    )

    assert error["fields"] == {field: [UNSTORABLE]}
    assert world() == before


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "refused", "reason": "材料不全\u0000"}, "reason"),
        ({"type": "correction_requested", "items": [{"name": "营业执照", "problem": "\u0000"}]}, "items.0.problem"),
        ({"type": "refused", "reason": "\ud800"}, "reason"),
    ],
    ids=["nul-reason", "nul-problem", "surrogate-reason"],
)
@time_machine.travel(MONDAY, tick=False)
def test_an_event_with_text_no_database_can_store_is_a_field_error_and_changes_nothing(api, hall, event, field):
    case = registered(api, hall)
    before = world()

    error = assert_error(api.event(case.number, event, ensure_ascii=True), 422, "invalid_request")

    assert error["fields"] == {field: [UNSTORABLE]}
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_a_case_number_with_a_nul_is_not_found(api, hall):
    case = registered(api, hall)

    assert_error(api.get(f"{case.number}%00"), 404, "case_not_found")
    assert_error(api.event(f"{case.number}%00", {"type": "accepted"}), 404, "case_not_found")
    assert Case.objects.get().state == CaseState.SUBMITTED


@pytest.mark.parametrize("body", [b'{"external_id": "SCJG-1",', b"\xff\xfe{}"], ids=["not-json", "not-utf-8"])
@time_machine.travel(MONDAY, tick=False)
def test_a_body_that_is_not_json_gets_the_structured_error(api, hall, body):
    timestamp, nonce = str(int(MONDAY.timestamp())), "c" * 20
    signature = external_signature(
        api.secret, method="POST", path="/api/external/cases", timestamp=timestamp, nonce=nonce, body=body
    )
    before = world()

    response = api.client.post(
        "/api/external/cases",
        data=body,
        content_type="application/json",
        headers={
            "X-Zhengwu-Key": api.system.key_id,
            "X-Zhengwu-Timestamp": timestamp,
            "X-Zhengwu-Nonce": nonce,
            "X-Zhengwu-Signature": signature,
        },
    )

    assert_error(response, 400, "invalid_json", "请求内容不是有效的 JSON（UTF-8 编码）。")
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_a_body_nested_too_deeply_to_parse_gets_the_structured_error(api, hall):
    body = json.dumps(registration(hall) | {"form_data": "NESTED"}).replace('"NESTED"', "[" * 5000 + "]" * 5000)
    before = world()

    response = api.send("POST", "/api/external/cases", raw=body.encode())

    assert_error(response, 400, "invalid_json", "请求内容嵌套层数过多，无法解析。")
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_a_body_over_the_upload_limit_gets_the_structured_error(api, hall, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = world()

    response = api.register(registration(hall, form_data={"经营场所": "青河大道 8 号" * 200}))

    assert_error(response, 413, "request_too_large", "请求内容过大。")
    assert world() == before
    assert not ApiNonce.objects.exists()


# ---- events -----------------------------------------------------------------------------------
@time_machine.travel(MONDAY, tick=False)
def test_accepted_starts_the_handling_clock_and_no_platform_process(api, hall):
    case = registered(api, hall)

    response = api.event(case.number, {"type": "accepted"})

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["accepted_at"]) == ("in_progress", "2026-03-02T10:00:00+08:00")
    assert body["acceptance_clock"] == {"status": "stopped", "due_at": ACCEPTANCE_DUE, "outcome": "on_time"}
    assert body["handling_clock"] == {"status": "running", "due_at": ACCEPTANCE_DUE, "outcome": ""}
    actor = f"system:external:{api.system.key_id}"
    assert case_events(case) == [
        ("cases.submitted", actor),
        ("cases.accepted", actor),
        ("cases.processing_started", actor),
    ]
    assert not ProcessInstance.objects.exists()


def test_the_applicant_of_a_case_a_departmental_system_registered_is_left_to_that_system_to_tell(
    api, hall, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = registered(api, hall)  # a walk-in there, with a phone number
        assert api.event(case.number, {"type": "accepted"}).status_code == 200

    assert case.applicant_phone == "13953600003"
    assert not Message.objects.exists()
    assert sms_outbox == []


@time_machine.travel(MONDAY, tick=False)
def test_refused_records_the_reason_and_stops_the_acceptance_clock(api, hall):
    case = registered(api, hall)

    body = api.event(case.number, {"type": "refused", "reason": "不属于本部门职权范围。"}).json()

    case.refresh_from_db()
    assert (body["state"], case.refusal_reason) == ("refused", "不属于本部门职权范围。")
    assert body["acceptance_clock"]["status"] == "stopped"
    assert AuditEvent.objects.get(action="cases.refused").after["negative_decision"] is True


@time_machine.travel(MONDAY, tick=False)
def test_a_correction_notice_pauses_acceptance_and_the_corrected_case_counts_anew(api, hall):
    case = registered(api, hall)

    body = api.event(
        case.number,
        {"type": "correction_requested", "items": [{"name": "营业执照", "problem": "请提交营业执照副本"}]},
    ).json()

    assert (body["state"], body["acceptance_clock"]["status"]) == ("correction_requested", "paused")
    notice = CorrectionNotice.objects.get()
    assert [(item["name"], item["problem"]) for item in notice.items] == [("营业执照", "请提交营业执照副本")]

    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        body = api.event(case.number, {"type": "correction_received"}).json()

    assert body["state"] == "submitted"
    assert body["acceptance_clock"] == {
        "status": "running",
        "due_at": "2026-03-10T23:59:59.999999+08:00",
        "outcome": "",
    }
    assert case.materials.get(name="营业执照").status == MaterialStatus.PROVIDED
    assert CorrectionNotice.objects.get().answered_at is not None


@time_machine.travel(MONDAY, tick=False)
def test_a_correction_notice_must_name_the_cases_materials(api, hall):
    case = registered(api, hall)
    before = world()

    error = assert_error(
        api.event(case.number, {"type": "correction_requested", "items": [{"name": "户口簿", "problem": "缺"}]}),
        422,
        "invalid_input",
    )

    assert error["fields"] == {"items": ["“户口簿”不是本办件的材料。"]}
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_suspension_pauses_the_handling_clock_and_resumption_moves_its_due_date(api, hall):
    case = registered(api, hall)
    api.event(case.number, {"type": "accepted"})

    body = api.event(
        case.number, {"type": "suspended", "pause_reason": "expert_review", "basis": "组织专家评审", "expected_days": 3}
    ).json()

    assert (body["state"], body["handling_clock"]["status"]) == ("suspended", "paused")
    with time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=TZ), tick=False):  # Thursday
        body = api.event(case.number, {"type": "resumed"}).json()

    # Monday's pause day still counts; Tuesday to Thursday (3 working days) do not.
    assert body["state"] == "in_progress"
    assert body["handling_clock"] == {"status": "running", "due_at": "2026-03-12T23:59:59.999999+08:00", "outcome": ""}
    assert [action for action, _actor in case_events(case)][-2:] == ["cases.suspended", "cases.resumed"]
    suspension = CaseSuspension.objects.get(case=case)
    assert (suspension.reason, suspension.explanation, suspension.expected_resume_on) == (
        "expert_review",
        "组织专家评审",
        date(2026, 3, 5),
    )
    assert suspension.ended_at is not None


@time_machine.travel(MONDAY, tick=False)
def test_a_suspension_expected_to_last_too_long_is_refused_and_changes_nothing(api, hall):
    case = registered(api, hall)
    api.event(case.number, {"type": "accepted"})
    before = world()

    error = assert_error(
        api.event(case.number, {"type": "suspended", "pause_reason": "hearing", "expected_days": 10**9}),
        422,
        "invalid_input",
    )

    assert error["fields"] == {"expected_days": ["预计天数不能超过 3650 天。"]}
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_decision_and_completion_stop_the_clocks(api, hall):
    case = registered(api, hall)
    api.event(case.number, {"type": "accepted"})

    body = api.event(
        case.number,
        {"type": "decided", "outcome": "grant", "reasons": "符合法定条件。", "legal_basis": "《食品经营许可管理办法》"},
    ).json()

    assert body["state"] == "decided"
    assert body["handling_clock"]["status"] == "stopped"
    assert body["decision"] == {
        "outcome": "grant",
        "reasons": "符合法定条件。",
        "legal_basis": "《食品经营许可管理办法》",
        "decided_at": "2026-03-02T10:00:00+08:00",
    }
    assert CaseDecision.objects.get().decided_by is None

    body = api.event(case.number, {"type": "completed", "note": "证照已送达。"}).json()

    case.refresh_from_db()
    assert (body["state"], body["completed_at"], case.outcome_note) == (
        "completed",
        "2026-03-02T10:00:00+08:00",
        "证照已送达。",
    )
    assert [action for action, _actor in case_events(case)][-3:] == [
        "cases.decided",
        "cases.decision_document_issued",
        "cases.completed",
    ]
    assert not FeeNotice.objects.filter(case=case).exists()  # fees are collected in the department's own system
    assert not case_clocks(case).open().exists()
    assert audit_verify() is None


@time_machine.travel(MONDAY, tick=False)
def test_a_denial_is_a_negative_decision_for_supervision(api, hall):
    case = registered(api, hall)
    api.event(case.number, {"type": "accepted"})

    api.event(case.number, {"type": "decided", "outcome": "deny", "reasons": "场所不符合要求。", "legal_basis": "某条"})

    assert CaseDecision.objects.get().negative is True


@pytest.mark.parametrize(
    ("setup", "event", "message"),
    [
        (
            [],
            {"type": "decided", "outcome": "grant", "reasons": "理由", "legal_basis": "依据"},
            "办件当前状态为“待受理”，不能作出决定。",
        ),
        ([], {"type": "completed"}, "办件当前状态为“待受理”，不能办结。"),
        ([{"type": "accepted"}], {"type": "resumed"}, "办件当前状态为“办理中”，不能恢复办理。"),
        ([{"type": "accepted"}], {"type": "accepted"}, "办件当前状态为“办理中”，不能受理。"),
        (
            [{"type": "refused", "reason": "不符合"}],
            {"type": "correction_received"},
            "办件当前状态为“不予受理”，不能接收补正材料。",
        ),
    ],
)
@time_machine.travel(MONDAY, tick=False)
def test_an_illegal_event_is_a_conflict_and_changes_nothing(api, hall, setup, event, message):
    case = registered(api, hall)
    for earlier in setup:
        assert api.event(case.number, earlier).status_code == 200
    before = world()

    assert_error(api.event(case.number, event), 409, "invalid_state", message)

    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_a_decision_needs_reasons_and_legal_basis(api, hall):
    case = registered(api, hall)
    api.event(case.number, {"type": "accepted"})
    before = world()

    error = assert_error(api.event(case.number, {"type": "decided", "outcome": "grant"}), 422, "invalid_input")

    assert error["fields"] == {"reasons": ["请填写决定理由。"]}
    assert world() == before


@time_machine.travel(MONDAY, tick=False)
def test_events_only_for_the_systems_own_cases(api, hall):
    window_case = case_register_at_window(
        clerk=hall.clerk,
        item_version=hall.version,
        applicant_snapshot=WALK_IN | {"id_number": hall.enterprise.enterprise.credit_code},
        materials=[],
    )
    before = world()

    assert_error(
        api.event(window_case.number, {"type": "accepted"}),
        403,
        "case_not_registered_by_system",
        "该办件不是本系统登记的，不能报告其状态。",
    )
    assert_error(api.event("NO-SUCH-CASE", {"type": "accepted"}), 404, "case_not_found")
    assert world() == before
    # The department's other cases can be read.
    assert api.get(window_case.number).json()["external_id"] is None


@time_machine.travel(MONDAY, tick=False)
def test_another_departments_system_cannot_see_or_touch_the_case(api, client, hall):
    case = registered(api, hall)
    system, secret = external_system_create(actor="system:test", department=hall.other_department, name="民政业务系统")
    other = SignedClient(client, system, secret)

    assert_error(other.get(case.number), 404, "case_not_found", f"本部门没有编号为 {case.number} 的办件。")
    assert_error(other.event(case.number, {"type": "accepted"}), 404, "case_not_found")
    assert Case.objects.get().state == CaseState.SUBMITTED


def test_a_deemed_accepted_external_case_runs_no_platform_process_and_can_still_be_decided(api, hall):
    from zhengwu.cases.domain import cases_deem_accepted
    from zhengwu.cases.domain.processing import cases_processing_start_pending

    with time_machine.travel(MONDAY, tick=False):
        case = registered(api, hall)
    later = case.acceptance_clock.due_at + timedelta(microseconds=1)
    with time_machine.travel(later, tick=False):
        assert cases_deem_accepted() == 1
        assert cases_processing_start_pending() == 0
        body = api.event(
            case.number, {"type": "decided", "outcome": "grant", "reasons": "符合条件。", "legal_basis": "某条"}
        ).json()

    assert body["state"] == "decided"
    assert not ProcessInstance.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_get_returns_state_and_clock(api, hall):
    case = registered(api, hall)

    response = api.get(case.number)

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["acceptance_clock"]["due_at"]) == ("submitted", ACCEPTANCE_DUE)


# ---- keys and nonces ----------------------------------------------------------------------------
def test_the_secret_is_stored_encrypted_and_bound_to_its_key(api, settings):
    assert api.secret not in api.system.secret_encrypted
    assert external_system_secret(api.system) == api.secret
    api.system.key_id = "zwk_someone_else"
    with pytest.raises(ValueError):
        external_system_secret(api.system)


@time_machine.travel(MONDAY, tick=False)
def test_the_secret_needs_the_platforms_key_material(api, hall, settings, caplog):
    settings.ZHENGWU_EXTERNAL_API_KEY = "another-key"
    with pytest.raises(ValueError):
        external_system_secret(api.system)

    assert_error(api.register(registration(hall)), 401, "invalid_signature", "签名校验失败。")
    assert f"部门业务系统 {api.system.key_id} 的签名密钥无法解密" in caplog.text
    assert not Case.objects.exists()


def test_nonces_outside_the_window_are_purged(api, hall):
    with time_machine.travel(MONDAY, tick=False):
        api.get("NONE")
    with time_machine.travel(MONDAY + timedelta(seconds=590), tick=False):
        api.get("NONE")
        assert api_nonces_purge() == 0
    with time_machine.travel(MONDAY + timedelta(seconds=601), tick=False):
        assert api_nonces_purge() == 1
    assert ApiNonce.objects.count() == 1
    with time_machine.travel(MONDAY + timedelta(seconds=1200), tick=False):
        assert purge_api_nonces() == 1  # the hourly beat task
    assert not ApiNonce.objects.exists()


def test_the_documented_signing_example():
    """docs/external-api.md's worked example."""
    body = (
        '{"external_id":"SCJG-2026-000123","implementation_code":"11330102MB0000001000020100100001",'
        '"applicant":{"kind":"legal","name":"青川绿源农业科技有限公司","id_number":"91330102MA2B3C4D5E"}}'
    ).encode()

    signature = external_signature(
        "Zb7kq0Hc3vX9mT2nW5pL8rY1sD4fG6jA0eU3iO7uK2w",
        method="POST",
        path="/api/external/cases",
        timestamp="1772416800",
        nonce="b5c1f0e2a9d84c7fa0e3d9c2b1a4f6e8",
        body=body,
    )

    assert hashlib.sha256(body).hexdigest() == "35fe114ebcd496eefbb2babe79f29b9217b053f782b5c84b76446dc3247cadd3"
    assert signature == "2c2b6e8e39e1b7b6860dc0a87ff01abb0384b17f14ab7c7bdf19e5df1148c14e"


def test_the_openapi_description_is_public_and_names_the_signature_header(client, db):
    schema = client.get("/api/external/openapi.json").json()

    assert sorted(schema["paths"]) == [
        "/api/external/cases",
        "/api/external/cases/{number}",
        "/api/external/cases/{number}/events",
    ]
    assert schema["components"]["securitySchemes"]["HmacSignature"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Zhengwu-Key",
    }


@time_machine.travel(MONDAY, tick=False)
def test_staff_cannot_act_on_a_case_the_departments_system_handles(api, hall):
    case = registered(api, hall)
    before = world()

    for staff in (hall.handler, hall.clerk, hall.administrator):
        with pytest.raises(ValidationError) as caught:
            case_accept(actor=staff, case=case)
        assert caught.value.messages == ["您无权处理该办件。"]

    assert world() == before
