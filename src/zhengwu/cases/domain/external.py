"""Departmental systems (一厅双网): a department's own business system registers its cases here and reports
their status events, so the platform's clocks and supervision cover them too (docs/adr/0018).

* Keys: one `ExternalSystem` per system, acting only for its department; its HMAC secret is stored
  encrypted with AES-256-GCM under a key derived from ZHENGWU_EXTERNAL_API_KEY (or SECRET_KEY).
* Requests: `external_request_verify` checks the signature, the ±300 s timestamp window, the rate limits
  (api_rate.py: the system's requests, and failed authentications per client address) and claims the nonce
  (a unique row per key, so a replay — even a concurrent one — fails).
* Cases: `case_register_external` (idempotent on the system's own case id) and `case_external_event`,
  which maps each event to the platform's domain functions, acting as "system:external:<key_id>".
  An external case runs no BPMN process: acceptance moves it straight to in_progress.
* Suspension, resumption and completion go through the shared case_suspend / case_resume / case_complete
  with the system as actor; fees and delivery happen in the department's own system.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import fmt, lock, require_state, snapshot, sync, tell_applicant
from zhengwu.cases.domain.acceptance import MAX_TEXT, case_accept, case_refuse, case_request_correction
from zhengwu.cases.domain.api_rate import (
    RateUsage,
    api_rate_count,
    api_rate_usage,
    external_failed_auth_rate,
    external_system_rate,
)
from zhengwu.cases.domain.completion import case_complete
from zhengwu.cases.domain.intake import _check_kind, _clean_form_data, _clean_snapshot, _create
from zhengwu.cases.domain.processing import case_decide
from zhengwu.cases.domain.suspension import case_resume, case_suspend
from zhengwu.cases.enums import ApiRateScope, CaseState, Channel, MaterialStatus
from zhengwu.cases.models import ApiNonce, Case, CaseMaterial, CorrectionNotice, ExternalCaseLink, ExternalSystem
from zhengwu.cases.rules import ExternalSystemActor, external_system_owns_case
from zhengwu.catalog.domain.themes import published_version
from zhengwu.catalog.models import ItemVersion
from zhengwu.core.rates import Rate, parse_rate, validate_rate
from zhengwu.notifications.enums import Category
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.clock_enums import ClockStatus, PauseReason
from zhengwu.workcal.domain.clock import clock_restart
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.models.clock import Clock, local_date

__all__ = [
    "EVENT_TYPES",
    "TIMESTAMP_WINDOW_SECONDS",
    "ExternalApiError",
    "api_nonces_purge",
    "case_external_event",
    "case_register_external",
    "external_request_verify",
    "external_signature",
    "external_string_to_sign",
    "external_system_create",
    "external_system_rotate",
    "external_system_secret",
    "external_system_update",
    "rate_headers",
]

logger = logging.getLogger(__name__)

TIMESTAMP_WINDOW_SECONDS = 300
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEY_ID_PREFIX = "zwk_"
SECRET_FORMAT = "v1"
_HKDF_INFO = b"zhengwu.cases.external-system-secret.v1"
MAX_EXTERNAL_ID = 100
MAX_EXPECTED_DAYS = 3650  # suspended: expected_days, in the handling clock's unit
# A receipt time before it is a mistake: a case number carries a four-digit year, and dates near year 1 cannot
# even be converted to local time.
EARLIEST_RECEIVED_AT = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(8 * 60))
EXTERNAL_CHANNELS = frozenset({Channel.ONLINE, Channel.WINDOW, Channel.PROXY})
EVENT_TYPES = (
    "accepted",
    "refused",
    "correction_requested",
    "correction_received",
    "suspended",
    "resumed",
    "decided",
    "completed",
)


class ExternalApiError(Exception):
    """A refusal the API reports as {"error": {"code": …, "message": …}} with `status` (and `headers`)."""

    def __init__(self, code: str, message: str, status: int = 401, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.headers = code, message, status, headers or {}


# ---- secrets ----------------------------------------------------------------------------------
def _cipher() -> AESGCM:
    material = getattr(settings, "ZHENGWU_EXTERNAL_API_KEY", "") or settings.SECRET_KEY
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(material.encode("utf-8"))
    return AESGCM(key)


def _encrypt(secret: str, key_id: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher().encrypt(nonce, secret.encode("utf-8"), key_id.encode("ascii"))
    return f"{SECRET_FORMAT}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def external_system_secret(system: ExternalSystem) -> str:
    """The system's HMAC secret in clear (only ever held in memory, to verify or show once)."""
    version, _sep, payload = system.secret_encrypted.partition(":")
    if version != SECRET_FORMAT:
        raise ValueError("unknown secret format")
    raw = base64.b64decode(payload)
    try:
        return _cipher().decrypt(raw[:12], raw[12:], system.key_id.encode("ascii")).decode("utf-8")
    except InvalidTag:
        raise ValueError("the secret cannot be decrypted with the current key material") from None


def _new_credentials() -> tuple[str, str]:
    return KEY_ID_PREFIX + secrets.token_hex(12), secrets.token_urlsafe(32)


def _system_after(system: ExternalSystem) -> dict[str, Any]:
    return {
        "name": system.name,
        "department_id": system.department_id,
        "key_id": system.key_id,
        "is_active": system.is_active,
        "rotated_at": system.rotated_at,
        "rate_limit": system.rate_limit,
    }


def _system_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写系统名称。")})
    if len(name) > 100:
        raise ValidationError({"name": _("系统名称不能超过 100 个字符。")})
    return name


def external_system_create(*, actor: Any, department: Any, name: str) -> tuple[ExternalSystem, str]:
    """Register a departmental system; returns it and its secret, which is shown once and never again."""
    name = _system_name(name)
    if department is None or getattr(department, "pk", None) is None:
        raise ValidationError({"department": _("请选择所属部门。")})
    key_id, secret = _new_credentials()
    with audited_atomic():
        system = ExternalSystem.objects.create(
            name=name, department=department, key_id=key_id, secret_encrypted=_encrypt(secret, key_id)
        )
        audit_record(actor=actor, action="cases.external_system_created", obj=system, after=_system_after(system))
    return system, secret


def external_system_rotate(*, actor: Any, system: ExternalSystem) -> tuple[ExternalSystem, str]:
    """Replace the system's secret (the key id stays); the old secret stops working at once."""
    _key_id, secret = _new_credentials()
    with audited_atomic():
        locked = ExternalSystem.objects.select_for_update().get(pk=system.pk)
        before = _system_after(locked)
        locked.secret_encrypted = _encrypt(secret, locked.key_id)
        locked.rotated_at = timezone.now()
        locked.save(update_fields=["secret_encrypted", "rotated_at"])
        audit_record(
            actor=actor, action="cases.external_system_rotated", obj=locked, before=before, after=_system_after(locked)
        )
    system.secret_encrypted, system.rotated_at = locked.secret_encrypted, locked.rotated_at
    return system, secret


def _rate_limit(value: str) -> str:
    """A system's own rate limit, normalised ("300/min"); empty = the platform default."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        validate_rate(value)
    except ValidationError as error:
        raise ValidationError({"rate_limit": error.messages}) from None
    return str(parse_rate(value))


def external_system_update(
    *, actor: Any, system: ExternalSystem, name: str, is_active: bool, rate_limit: str | None = None
) -> ExternalSystem:
    """Rename, disable or re-enable a system (a disabled key is refused with `key_inactive`), or set its own
    rate limit (`rate_limit`: "300/min", "" for the platform default, None to leave it as it is)."""
    name = _system_name(name)
    rate_limit = _rate_limit(rate_limit) if rate_limit is not None else None
    with audited_atomic():
        locked = ExternalSystem.objects.select_for_update().get(pk=system.pk)
        before = _system_after(locked)
        locked.name, locked.is_active = name, bool(is_active)
        if rate_limit is not None:
            locked.rate_limit = rate_limit
        locked.save(update_fields=["name", "is_active", "rate_limit"])
        audit_record(
            actor=actor, action="cases.external_system_changed", obj=locked, before=before, after=_system_after(locked)
        )
    system.name, system.is_active, system.rate_limit = locked.name, locked.is_active, locked.rate_limit
    return system


# ---- request signatures -----------------------------------------------------------------------
def external_string_to_sign(*, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body)); PATH includes the query string, if any."""
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def external_signature(secret: str, *, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = external_string_to_sign(method=method, path=path, timestamp=timestamp, nonce=nonce, body=body)
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def external_request_verify(
    *,
    key_id: str | None,
    timestamp: str | None,
    nonce: str | None,
    signature: str | None,
    method: str,
    path: str,
    body: bytes,
    ip: str | None = None,
    now: datetime | None = None,
) -> tuple[ExternalSystem, RateUsage]:
    """The system that signed the request and its place in its rate window, or ExternalApiError.

    Order (ADR 0018): a client address over its failed-authentication limit is refused (429) before anything
    else; then the signature checks (each failure counts against the address, 401); then the request counts
    against the system's limit (429 over it); last the nonce is claimed (committed at once outside a
    transaction). So unsigned traffic can neither use up a system's quota nor its nonces, and a request
    refused for its rate leaves its nonce unused."""
    now = now or timezone.now()
    address = ip or "unknown"
    failed_rate = external_failed_auth_rate()
    failures = api_rate_usage(scope=ApiRateScope.FAILED_AUTH, subject=address, rate=failed_rate, now=now)
    if failures.remaining == 0:
        raise ExternalApiError(
            "rate_limited",
            _("认证失败次数过多（同一地址限%(rate)s），请 %(s)d 秒后重试。")
            % {"rate": failed_rate.describe(), "s": failures.retry_after(now)},
            429,
            headers={"Retry-After": str(failures.retry_after(now))},
        )
    try:
        system, sent = _signed_system(
            key_id=key_id,
            timestamp=timestamp,
            nonce=nonce,
            signature=signature,
            method=method,
            path=path,
            body=body,
            now=now,
        )
        usage = _count_system_request(system, now=now, ip=ip)
        try:
            with transaction.atomic():
                ApiNonce.objects.create(
                    system=system,
                    nonce=nonce,
                    timestamp=datetime.fromtimestamp(sent, tz=timezone.get_current_timezone()),
                )
        except IntegrityError:  # the same nonce, sent twice at once: the unique constraint decided
            raise ExternalApiError("nonce_reused", _("该随机数已使用过，请求被视为重放。")) from None
    except ExternalApiError as error:
        if error.status == 401:
            _count_failure(address, failed_rate, now=now)
        raise
    return system, usage


def _signed_system(
    *,
    key_id: str | None,
    timestamp: str | None,
    nonce: str | None,
    signature: str | None,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
) -> tuple[ExternalSystem, int]:
    """The active system that signed this request with a nonce it has not used, and the request's time."""
    if not (key_id and timestamp and nonce and signature):
        raise ExternalApiError(
            "missing_credentials",
            _("缺少签名信息：请求须带 X-Zhengwu-Key、X-Zhengwu-Timestamp、X-Zhengwu-Nonce 和 X-Zhengwu-Signature。"),
        )
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise ExternalApiError("invalid_timestamp", _("X-Zhengwu-Timestamp 必须是 Unix 时间戳（秒）。"))
    sent = int(timestamp)
    skew = sent - int(now.timestamp())
    if skew < -TIMESTAMP_WINDOW_SECONDS:
        raise ExternalApiError(
            "timestamp_expired", _("请求时间戳已过期（允许误差 ±%(s)d 秒）。") % {"s": TIMESTAMP_WINDOW_SECONDS}
        )
    if skew > TIMESTAMP_WINDOW_SECONDS:
        raise ExternalApiError(
            "timestamp_in_future",
            _("请求时间戳晚于服务器时间（允许误差 ±%(s)d 秒）。") % {"s": TIMESTAMP_WINDOW_SECONDS},
        )
    if not NONCE_PATTERN.fullmatch(nonce):
        raise ExternalApiError("invalid_nonce", _("X-Zhengwu-Nonce 须为 16–64 位字母、数字、“-”或“_”。"))
    system = ExternalSystem.objects.select_related("department").filter(key_id=key_id).first()
    if system is None:
        raise ExternalApiError("unknown_key", _("接入密钥不存在。"))
    try:
        secret = external_system_secret(system)
    except ValueError:
        # SECRET_KEY or ZHENGWU_EXTERNAL_API_KEY changed since the secret was issued: rotate the key.
        logger.error("部门业务系统 %s 的签名密钥无法解密，请轮换该系统的密钥。", system.key_id)
        raise ExternalApiError("invalid_signature", _("签名校验失败。")) from None
    expected = external_signature(secret, method=method, path=path, timestamp=timestamp, nonce=nonce, body=body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("ascii", "replace")):
        raise ExternalApiError("invalid_signature", _("签名校验失败。"))
    if not system.is_active:
        raise ExternalApiError("key_inactive", _("接入密钥已停用。"))
    # A replay is refused before it is counted, so a captured request cannot use up the system's quota.
    if ApiNonce.objects.filter(system=system, nonce=nonce).exists():
        raise ExternalApiError("nonce_reused", _("该随机数已使用过，请求被视为重放。"))
    return system, sent


def _count_system_request(system: ExternalSystem, *, now: datetime, ip: str | None) -> RateUsage:
    """Count the request against the system's limit; over it, ExternalApiError 429. The first refusal of a
    window is logged and audited (cases.external_api_throttled), the later ones only counted."""
    rate = external_system_rate(system)
    usage = api_rate_count(scope=ApiRateScope.SYSTEM, subject=system.key_id, rate=rate, now=now)
    if usage.hits <= rate.limit:
        return usage
    retry_after = usage.retry_after(now)
    if usage.hits == rate.limit + 1:
        start, end = (timezone.localtime(moment).isoformat() for moment in (usage.window_start, usage.window_end))
        logger.warning(
            "部门业务系统 %s（%s）超过请求速率上限 %s，至 %s 前的请求一律拒绝（429）。",
            system.key_id,
            system.name,
            rate,
            end,
        )
        with audited_atomic():
            audit_record(
                action="cases.external_api_throttled",
                obj=system,
                after={"rate": str(rate), "window_start": start, "window_end": end},
                ip=ip,
            )
    raise ExternalApiError(
        "rate_limited",
        _("请求过于频繁（本接入密钥限%(rate)s），请 %(s)d 秒后重试。") % {"rate": rate.describe(), "s": retry_after},
        429,
        headers={"Retry-After": str(retry_after), **rate_headers(usage)},
    )


def _count_failure(address: str, rate: Rate, *, now: datetime) -> None:
    failures = api_rate_count(scope=ApiRateScope.FAILED_AUTH, subject=address, rate=rate, now=now)
    if failures.hits == rate.limit:
        logger.warning(
            "地址 %s 访问部门业务系统接口认证失败已达 %s，至 %s 前该地址的请求一律拒绝（429）。",
            address,
            rate,
            timezone.localtime(failures.window_end).isoformat(),
        )


def rate_headers(usage: RateUsage) -> dict[str, str]:
    """X-RateLimit-Limit / -Remaining of a counted request."""
    return {"X-RateLimit-Limit": str(usage.rate.limit), "X-RateLimit-Remaining": str(usage.remaining)}


def api_nonces_purge(*, now: datetime | None = None) -> int:
    """Delete nonces whose timestamp is outside the window (no valid request can reuse them); returns the count."""
    cutoff = (now or timezone.now()) - timedelta(seconds=2 * TIMESTAMP_WINDOW_SECONDS)
    deleted, _detail = ApiNonce.objects.filter(timestamp__lt=cutoff).delete()
    return deleted


# ---- registration -----------------------------------------------------------------------------
def _external_materials(version: ItemVersion, materials: list[dict[str, Any]] | None) -> list[CaseMaterial]:
    """One row per material of the version, by name: provided or missing as the system reports (the files
    stay in the department's system); materials it does not mention are missing."""
    item_materials = {m.name: m for m in version.materials.all()}
    given: dict[str, str] = {}
    for entry in materials or []:
        name = str(entry.get("name") or "").strip() if isinstance(entry, dict) else ""
        status = entry.get("status") if isinstance(entry, dict) else None
        if name not in item_materials:
            raise ValidationError({"materials": _("“%(name)s”不是该事项的申请材料。") % {"name": name}})
        if status not in (MaterialStatus.PROVIDED, MaterialStatus.MISSING):
            raise ValidationError({"materials": _("材料状态只能是 provided（已提交）或 missing（缺少）。")})
        if name in given:
            raise ValidationError({"materials": _("材料“%(name)s”重复列出。") % {"name": name}})
        given[name] = status
    return [
        CaseMaterial(
            item_material=material,
            name=material.name,
            position=material.position,
            status=given.get(material.name, MaterialStatus.MISSING),
        )
        for material in sorted(item_materials.values(), key=lambda m: (m.position, m.pk))
    ]


def _received_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        raise ValidationError({"received_at": _("请填写收件时间。")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + timedelta(seconds=TIMESTAMP_WINDOW_SECONDS):
        raise ValidationError({"received_at": _("收件时间不能晚于当前时间。")})
    if value < EARLIEST_RECEIVED_AT:
        raise ValidationError(
            {"received_at": _("收件时间不能早于 %(date)s。") % {"date": f"{EARLIEST_RECEIVED_AT:%Y-%m-%d}"}}
        )
    return min(value, now)  # a department clock slightly ahead of ours


def case_register_external(
    *,
    system: ExternalSystem,
    external_id: str,
    implementation_code: str,
    applicant_snapshot: dict[str, Any],
    received_at: datetime,
    channel: str,
    materials: list[dict[str, Any]] | None = None,
    form_data: dict | None = None,
) -> tuple[Case, bool]:
    """Register a case the department's system received (its acceptance clock runs from `received_at`).
    Idempotent: a case already registered under the same `external_id` is returned as it is.
    Returns (case, created)."""
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > MAX_EXTERNAL_ID:
        raise ValidationError({"external_id": _("部门系统办件编号须为 1–100 个字符。")})
    existing = ExternalCaseLink.objects.filter(system=system, external_id=external_id).select_related("case").first()
    if existing is not None:
        return existing.case, False
    version = published_version(implementation_code)
    if version is None:
        raise ExternalApiError(
            "item_not_found", _("没有实施编码为 %(code)s 的现行事项。") % {"code": implementation_code}, 404
        )
    if version.item.department_id != system.department_id:
        raise ExternalApiError(
            "item_not_in_department",
            _("事项“%(name)s”由%(owner)s实施，不属于%(department)s，本系统不能为其登记办件。")
            % {"name": version.name, "owner": version.item.department, "department": system.department},
            403,
        )
    if channel not in EXTERNAL_CHANNELS:
        raise ValidationError({"channel": _("申报渠道只能是 online、window 或 proxy。")})
    now = timezone.now()
    received_at = _received_at(received_at, now)
    applicant = _clean_snapshot(applicant_snapshot or {})
    _check_kind(version, applicant["kind"])
    rows = _external_materials(version, materials)
    form_data = _clean_form_data(form_data)
    try:
        with audited_atomic():
            case = _create(
                actor=system.actor,
                version=version,
                snapshot=applicant,
                applicant=None,
                channel=channel,
                rows=rows,
                form_data=form_data,
                received_at=received_at,
                audit_extra={"external_system": system.key_id, "external_id": external_id},
            )
            ExternalCaseLink.objects.create(system=system, case=case, external_id=external_id)
    except IntegrityError:
        # The same external id registered concurrently: that registration won.
        existing = ExternalCaseLink.objects.filter(system=system, external_id=external_id).select_related("case")
        if not existing.exists():
            raise
        return existing.get().case, False
    return case, True


# ---- events -----------------------------------------------------------------------------------
def _clock(pk: int | None) -> Clock | None:
    return Clock.objects.get(pk=pk) if pk is not None else None


def _text(value: Any, field: str, message: str, *, required: bool = True) -> str:
    value = str(value or "").strip()
    if required and not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return value


def _processing_start(actor: ExternalSystemActor, case: Case) -> None:
    """accepted → in_progress without a platform process: the department's system handles the case."""
    with audited_atomic():
        locked = lock(case)
        require_state(locked, {CaseState.ACCEPTED}, _("开始办理"))
        before = snapshot(locked)
        locked.state = CaseState.IN_PROGRESS
        locked.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.processing_started",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "handled_by": "external",
                "external_system": actor.removeprefix("system:external:"),
            },
        )
    sync(case, locked)


def _correction_items(case: Case, items: Any) -> list[dict[str, Any]]:
    """The system names materials; the domain wants the case's material rows."""
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": _("请列明需要补正的材料。")})
    rows = {row.name: row for row in CaseMaterial.objects.filter(case=case)}
    listed = []
    for entry in items:
        name = str(entry.get("name") or "").strip() if isinstance(entry, dict) else ""
        if name not in rows:
            raise ValidationError({"items": _("“%(name)s”不是本办件的材料。") % {"name": name}})
        listed.append({"material": rows[name].pk, "problem": entry.get("problem", "")})
    return listed


def case_external_correction_received(*, actor: ExternalSystemActor, case: Case) -> Case:
    """The applicant handed the corrected materials to the department: the case awaits acceptance again and
    the acceptance period counts anew (as `case_correction_submit` does for the platform's own cases)."""
    now = timezone.now()
    with audited_atomic():
        locked = lock(case)
        if not external_system_owns_case(actor, locked):
            raise ValidationError(_("您无权处理该办件。"))
        require_state(locked, {CaseState.CORRECTION_REQUESTED}, _("接收补正材料"))
        before = snapshot(locked)
        notice = CorrectionNotice.objects.filter(case=locked).order_by("-sequence").first()
        ids = [item["material_id"] for item in (notice.items if notice else [])]
        CaseMaterial.objects.filter(case=locked, pk__in=ids).update(status=MaterialStatus.PROVIDED, note="")
        clock = _clock(locked.acceptance_clock_id)
        if clock is not None and clock.status != ClockStatus.STOPPED:
            clock = clock_restart(actor=actor, clock=clock, at=now, basis=_("申请人提交补正材料，受理期限重新计算。"))
        if notice is not None:
            notice.answered_at = now
            notice.save(update_fields=["answered_at"])
        locked.state = CaseState.SUBMITTED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.correction_submitted",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "notice_id": notice.pk if notice else None,
                "materials": ids,
                "acceptance_due_at": clock.due_at if clock else None,
            },
        )
        tell_applicant(
            locked,
            category=Category.CASE_CORRECTION_RECEIVED,
            subject=_("补正材料已收到：%(number)s") % {"number": locked.number},
            body=_("我们已于 %(at)s 收到补正材料，将在 %(due)s 前作出是否受理的决定。")
            % {"at": fmt(now), "due": clock.due_date.isoformat() if clock else ""},
            actor=actor,
        )
    return sync(case, locked)


def _expected_resume_on(data: dict[str, Any], clock: Clock | None) -> date:
    """The expected resumption date: given as a date, or as a number of days in the handling clock's unit."""
    raw = data.get("expected_resume_on")
    if raw:
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise ValidationError({"expected_resume_on": _("预计恢复办理日期格式应为 YYYY-MM-DD。")}) from None
    days = data.get("expected_days")
    if not isinstance(days, int) or days < 1:
        raise ValidationError({"expected_resume_on": _("请填写预计恢复办理日期（expected_resume_on）或预计天数。")})
    if days > MAX_EXPECTED_DAYS:  # a date that far out is past what dates can hold
        raise ValidationError({"expected_days": _("预计天数不能超过 %(max)d 天。") % {"max": MAX_EXPECTED_DAYS}})
    today = local_date(timezone.now())
    if clock is not None and clock.unit == DeadlineUnit.WORKING:
        return current_index(clock.region).add_working_days(today, days)
    return today + timedelta(days=days)


def _started(actor: ExternalSystemActor, case: Case) -> None:
    """A case the deemed-acceptance sweep accepted has not been moved to in_progress yet: do it now."""
    if Case.objects.filter(pk=case.pk, state=CaseState.ACCEPTED).exists():
        _processing_start(actor, case)


def case_external_event(*, system: ExternalSystem, case: Case, event: str, data: dict[str, Any]) -> Case:
    """Apply one status event the department's system reports, as the platform's own transition would.
    Each event is one transaction; an illegal one raises ValidationError and changes nothing."""
    actor = system.actor
    if not external_system_owns_case(actor, case):
        raise ExternalApiError("case_not_registered_by_system", _("该办件不是本系统登记的，不能报告其状态。"), 403)
    with audited_atomic():
        if event == "accepted":
            case_accept(actor=actor, case=case)
            _processing_start(actor, case)
        elif event == "refused":
            case_refuse(actor=actor, case=case, reason=data.get("reason", ""))
        elif event == "correction_requested":
            items = _correction_items(case, data.get("items"))
            case_request_correction(actor=actor, case=case, items=items, reason=data.get("reason", ""))
        elif event == "correction_received":
            case_external_correction_received(actor=actor, case=case)
        elif event == "suspended":
            _started(actor, case)
            reason = data.get("pause_reason", "")
            label = PauseReason(reason).label if reason in PauseReason.values else ""
            case_suspend(
                actor=actor,
                case=case,
                reason=reason,
                explanation=(data.get("basis") or "").strip() or _("部门业务系统报告：%(label)s") % {"label": label},
                expected_resume_on=_expected_resume_on(data, _clock(case.handling_clock_id)),
            )
        elif event == "resumed":
            case_resume(actor=actor, case=case)
        elif event == "decided":
            _started(actor, case)
            case_decide(
                actor=actor,
                case=case,
                outcome=data.get("outcome", ""),
                reasons=data.get("reasons", ""),
                legal_basis=data.get("legal_basis", ""),
            )
        elif event == "completed":
            case_complete(actor=actor, case=case, note=data.get("note", ""))
        else:
            raise ValidationError({"type": _("未知的事件类型：%(type)s。") % {"type": event}})
    case.refresh_from_db()
    return case
