"""Intake: online applications, window registration (登记验证) and station agents (代办).

Every case gets a number (实施编码 + yyyymmdd + 4-digit serial per item and day), a 6-digit query code,
and a running acceptance clock (《行政许可法》第三十二条: 5 working days).

A filing form carries a one-time submission key, given out when the form is rendered (`submission_key_new`). Filed
with it, the case keeps the key under a unique constraint, so the same form posted again — a double click, a
browser's retry, two requests at once — files no second case: the later post raises `AlreadySubmitted` with the case
the first one filed. Without a key nothing of this runs (the departmental API, demo data, the benchmark)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.enums import IdType, UserKind
from zhengwu.accounts.rules import is_public_user
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import fmt, tell_applicant, user_or_none
from zhengwu.cases.enums import ApplicantIdType, ApplicantKind, CaseState, Channel, MaterialStatus
from zhengwu.cases.models import Case, CaseCounter, CaseMaterial, StoredFile
from zhengwu.cases.rules import can_register_at_window, can_submit_by_proxy, clerk_window
from zhengwu.catalog.domain.reads import version_materials, version_read
from zhengwu.catalog.enums import MaterialNecessity, VersionState
from zhengwu.catalog.models import ItemMaterial, ItemVersion, ServiceItem
from zhengwu.core.rows import next_key_sql, row_insert, rows_bulk_insert, statement_cursor
from zhengwu.licences.enums import LicenceStatus
from zhengwu.licences.models import Licence
from zhengwu.notifications.enums import Category
from zhengwu.workcal.arith import remember_version, version_columns_sql, version_wanted
from zhengwu.workcal.domain.clock import clock_start
from zhengwu.workcal.models import Clock

ACCEPTANCE_PRESET = "licence_acceptance"
MAX_SERIAL = 9999
MAX_FORM_DATA_CHARS = 20_000


SUBMISSION_KEY_PATTERN = r"[A-Za-z0-9_-]{16,64}"
_SUBMISSION_KEY = re.compile(SUBMISSION_KEY_PATTERN)


class AlreadySubmitted(Exception):
    """The form was posted before with the same submission key: `case` is the case that post filed."""

    def __init__(self, case: Case):
        super().__init__(case.number)
        self.case = case


@dataclass(frozen=True)
class Holder:
    """Whose licences may stand in for materials: the applicant's account, or (walk-in) their ID number."""

    user_id: int | None
    id_number: str


# ---- numbers ----------------------------------------------------------------------------------
def allocate_number(item: ServiceItem, day: date) -> tuple[str, int, int | None]:
    """Next case number of the item for the day, and the primary key the new case is to be inserted with (drawn
    from the table's own sequence, so the case's acceptance clock can be written first and the case needs no
    second write); on PostgreSQL also the key of that clock (so its row can go with the case's, ADR 0019 tenth
    pass), elsewhere None. The counter row stays locked until the caller commits.

    PostgreSQL: one statement per serial (the counter's upsert, the check that the number is free and the key).
    SQLite: the upsert, then the check with the key (the next in sqlite_sequence: the transaction holds the
    database's write lock from its start, so nobody else can take it). The check also reads the calendar
    version along, which the acceptance clock needs next (ADR 0019)."""
    vendor = connection.vendor
    sqls = _NUMBER_SQL.get(vendor) or _NUMBER_SQL.setdefault(vendor, _number_sql())
    prefix = f"{item.implementation_code}{day:%Y%m%d}"
    params = [item.pk, connection.ops.adapt_datefield_value(day)]
    with statement_cursor(connection) as cursor:
        while True:
            if vendor == "postgresql":
                cursor.execute(sqls[0], [*params, prefix])
                serial, taken, pk, clock_pk, *calendar = cursor.fetchone()
            else:
                cursor.execute(sqls[0], params)
                serial = cursor.fetchone()[0]
            if serial > MAX_SERIAL:
                raise ValidationError(_("该事项当日办件编号已用尽（最多 %(max)d 件）。") % {"max": MAX_SERIAL})
            number = f"{prefix}{serial:04d}"
            if vendor != "postgresql":
                cursor.execute(sqls[1], [number])
                taken, pk, *calendar = cursor.fetchone()
                clock_pk = None
            if not taken:  # a number given by hand or by a departmental system
                if version_wanted(connection):
                    remember_version(connection, calendar)
                return number, pk, clock_pk


_NUMBER_SQL: dict[str, tuple[str, ...]] = {}


def _number_sql() -> tuple[str, ...]:
    quote = connection.ops.quote_name
    counter, cases = quote(CaseCounter._meta.db_table), quote(Case._meta.db_table)
    calendar = version_columns_sql(connection)
    bump = (
        f"INSERT INTO {counter} (item_id, day, last_serial) VALUES (%s, %s, 1) "
        f"ON CONFLICT (item_id, day) DO UPDATE SET last_serial = {counter}.last_serial + 1 RETURNING last_serial"
    )
    if connection.vendor == "postgresql":
        return (
            f"WITH bump AS ({bump}) SELECT last_serial,"
            f" EXISTS (SELECT 1 FROM {cases} WHERE number = %s || to_char(last_serial, 'FM0000')),"
            f" {next_key_sql(Case, connection)}, {next_key_sql(Clock, connection)}, {calendar} FROM bump",
        )
    return (
        bump,
        f"SELECT EXISTS (SELECT 1 FROM {cases} WHERE number = %s), {next_key_sql(Case, connection)}, {calendar}",
    )


def new_query_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


# ---- submission keys ------------------------------------------------------------------------------
def submission_key_new() -> str:
    """A one-time key for a filing form, put in it when it is rendered: 192 random bits, so the key alone
    identifies the submission (unique on its own; nobody can guess another's)."""
    return secrets.token_urlsafe(24)


def submission_key_valid(key: str | None) -> bool:
    return isinstance(key, str) and _SUBMISSION_KEY.fullmatch(key) is not None


def _check_submission_key(key: str | None) -> None:
    if key is not None and not submission_key_valid(key):
        raise ValidationError({"submission_key": _("提交凭据无效，请重新打开表单填写后提交。")})


def _filer_id(case: Case) -> int | None:
    """Who filed the case through its channel: the applicant online, the clerk at the window, the station agent."""
    if case.channel == Channel.ONLINE:
        return case.applicant_id
    if case.channel == Channel.WINDOW:
        return case.registered_by_id
    if case.channel == Channel.PROXY:
        return case.proxy_agent_id
    return None


def _answer_resubmission(key: str | None, *, actor: Any, channel: str) -> None:
    """Raise `AlreadySubmitted` when a case was filed with the key already (one statement; none without a key).
    A key the same filer used on the same channel is their own form posted again; anyone else's is refused, naming
    nothing of the case."""
    if key is None:
        return
    case = Case.objects.filter(submission_key=key).first()
    if case is None:
        return
    if case.channel != channel or _filer_id(case) != getattr(actor, "pk", None):
        raise ValidationError({"submission_key": _("提交凭据无效，请重新打开表单填写后提交。")})
    raise AlreadySubmitted(case)


# ---- validation -------------------------------------------------------------------------------
def _check_version(item_version: ItemVersion) -> ItemVersion:
    version = version_read(item_version.pk)  # the version, its item, department and region: one statement
    if version.state != VersionState.PUBLISHED:
        raise ValidationError({"item_version": _("该事项版本未发布或已停用，不能申请。")})
    return version


def _check_kind(version: ItemVersion, kind: str) -> None:
    if kind == ApplicantKind.NATURAL and not version.for_natural_persons:
        raise ValidationError({"applicant": _("该事项的服务对象不含自然人。")})
    if kind == ApplicantKind.LEGAL and not version.for_legal_persons:
        raise ValidationError({"applicant": _("该事项的服务对象不含法人。")})


def applicant_snapshot_of(user: Any) -> dict[str, str]:
    """The applicant's details as recorded on their verified account."""
    if user.kind == UserKind.CITIZEN and hasattr(user, "citizen"):
        profile = user.citizen
        return {
            "kind": ApplicantKind.NATURAL,
            "name": profile.real_name,
            "id_type": profile.id_type,
            "id_number": profile.id_number,
            "phone": user.phone,
        }
    if user.kind == UserKind.ENTERPRISE and hasattr(user, "enterprise"):
        profile = user.enterprise
        return {
            "kind": ApplicantKind.LEGAL,
            "name": profile.name,
            "id_type": ApplicantIdType.CREDIT_CODE,
            "id_number": profile.credit_code,
            "phone": user.phone,
        }
    raise ValidationError({"applicant": _("申请人账户缺少实名信息，请先完善实名信息。")})


def _clean_snapshot(data: dict[str, Any]) -> dict[str, str]:
    from zhengwu.accounts.domain.identity import (
        credit_code_error,
        id_number_error,
        id_number_normalise,
        phone_normalise,
    )

    values = {key: str(data.get(key) or "").strip() for key in ("kind", "name", "id_type", "id_number", "phone")}
    errors: dict[str, str] = {}
    if values["kind"] not in ApplicantKind.values:
        errors["kind"] = _("请选择申请人类型：自然人或法人。")
    if not values["name"]:
        errors["name"] = _("请填写申请人姓名或名称。")
    elif len(values["name"]) > 150:
        errors["name"] = _("申请人姓名或名称不能超过 150 个字符。")
    number = id_number_normalise(values["id_number"])
    if values["kind"] == ApplicantKind.LEGAL:
        values["id_type"] = ApplicantIdType.CREDIT_CODE
        problem = credit_code_error(number)
    elif values["id_type"] not in IdType.values:
        problem = None
        errors["id_type"] = _("请选择证件类型。")
    else:
        problem = id_number_error(values["id_type"], number)
    if problem:
        errors["id_number"] = problem
    values["id_number"] = number
    values["phone"] = phone_normalise(values["phone"]) if values["phone"] else ""
    if len(values["phone"]) > 20:
        errors["phone"] = _("联系电话不能超过 20 个字符。")
    if errors:
        raise ValidationError(errors)
    return values


def _as_pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def resolve_materials(
    version: ItemVersion,
    materials: list[dict[str, Any]] | None,
    *,
    holder: Holder,
    require_all: bool,
) -> list[CaseMaterial]:
    """Unsaved CaseMaterial rows, one per material of the version: provided ones with their file or
    licence, the rest missing. With `require_all`, every required material must be provided."""
    item_materials = {m.pk: m for m in version_materials(version)}
    given: dict[int, CaseMaterial] = {}
    for entry in materials or []:
        if not isinstance(entry, dict):
            raise ValidationError({"materials": _("材料格式不正确。")})
        material = item_materials.get(_as_pk(entry.get("material")))
        if material is None:
            raise ValidationError({"materials": _("所提交的材料不属于该事项。")})
        if material.pk in given:
            raise ValidationError({"materials": _("材料“%(name)s”重复提交。") % {"name": material.name}})
        given[material.pk] = provided_material(material, entry, holder=holder)
    rows: list[CaseMaterial] = []
    missing: list[str] = []
    for material in item_materials.values():
        row = given.get(material.pk)
        if row is None:
            if material.necessity == MaterialNecessity.REQUIRED:
                missing.append(material.name)
            row = CaseMaterial(item_material=material, name=material.name, status=MaterialStatus.MISSING)
        row.position = material.position
        rows.append(row)
    if require_all and missing:
        raise ValidationError({"materials": _("请提交必要材料：%(names)s。") % {"names": "、".join(missing)}})
    return rows


def provided_material(material: ItemMaterial, entry: dict[str, Any], *, holder: Holder) -> CaseMaterial:
    file = entry.get("file")
    licence_ref = entry.get("licence")
    if (file is None) == (licence_ref is None):
        raise ValidationError(
            {"materials": _("材料“%(name)s”请上传文件或选用电子证照（二选一）。") % {"name": material.name}}
        )
    if file is not None:
        if not isinstance(file, StoredFile) or file.pk is None:
            raise ValidationError({"materials": _("材料“%(name)s”的文件无效。") % {"name": material.name}})
        return CaseMaterial(item_material=material, name=material.name, file=file, status=MaterialStatus.PROVIDED)
    licence = Licence.objects.select_related("licence_type").filter(pk=_as_pk(licence_ref)).first()
    if licence is None:
        raise ValidationError({"materials": _("所选电子证照不存在。")})
    own = (holder.user_id is not None and licence.holder_id == holder.user_id) or (
        holder.user_id is None and holder.id_number and licence.holder_id_number == holder.id_number
    )
    if not own:
        raise ValidationError({"materials": _("只能选用申请人本人的电子证照。")})
    if licence.status() != LicenceStatus.VALID:
        raise ValidationError(
            {
                "materials": _("电子证照 %(number)s %(status)s，不能作为申请材料。")
                % {"number": licence.number, "status": licence.get_status_display()}
            }
        )
    if not material.licence_type:
        raise ValidationError({"materials": _("材料“%(name)s”不能以电子证照替代。") % {"name": material.name}})
    if licence.licence_type.name != material.licence_type:
        raise ValidationError(
            {
                "materials": _("材料“%(name)s”只能以“%(type)s”替代。")
                % {"name": material.name, "type": material.licence_type}
            }
        )
    return CaseMaterial(item_material=material, name=material.name, licence=licence, status=MaterialStatus.PROVIDED)


def _clean_form_data(form_data: dict | None, version: ItemVersion | None = None) -> dict:
    """The form data as given; with `version`, its application form's entries are checked and trimmed."""
    if form_data is None:
        form_data = {}
    if not isinstance(form_data, dict):
        raise ValidationError({"form_data": _("申请表内容格式不正确。")})
    if len(str(form_data)) > MAX_FORM_DATA_CHARS:
        raise ValidationError({"form_data": _("申请表内容过长。")})
    if version is not None:
        from zhengwu.cases.domain.application_form import application_form_clean

        form_data = {**form_data, **application_form_clean(version, form_data)}
    return form_data


# ---- creation ---------------------------------------------------------------------------------
def _create(*, submission_key: str | None = None, **fields: Any) -> Case:
    """`_insert` the case; filed with a submission key, the key is kept on the case under its unique constraint."""
    if submission_key is not None:
        fields["submission_key"] = submission_key
    try:
        return _insert(**fields)
    except IntegrityError:
        # the same form's other post, committed since this one looked (concurrent requests): its case, not an error
        _answer_resubmission(submission_key, actor=fields["actor"], channel=fields["channel"])
        raise


def _insert(
    *,
    actor: Any,
    version: ItemVersion,
    snapshot: dict[str, str],
    applicant: Any,
    channel: str,
    rows: list[CaseMaterial],
    form_data: dict,
    received_at: datetime,
    audit_extra: dict[str, Any] | None = None,
    **extra: Any,
) -> Case:
    with audited_atomic():
        number, pk, clock_pk = allocate_number(version.item, timezone.localdate(received_at))
        case = Case(
            pk=pk,
            number=number,
            query_code=new_query_code(),
            item_version=version,
            department=version.item.department,
            applicant=applicant,
            applicant_kind=snapshot["kind"],
            applicant_name=snapshot["name"],
            applicant_id_type=snapshot["id_type"],
            applicant_id_number=snapshot["id_number"],
            applicant_phone=snapshot["phone"],
            channel=channel,
            form_data=form_data,
            state=CaseState.SUBMITTED,
            received_at=received_at,
            created_at=received_at,
            **extra,
        )
        # the clock first (its subject's key is known), so the case goes in once, pointing at it
        clock = clock_start(
            actor=actor,
            subject=case,
            preset=ACCEPTANCE_PRESET,
            received_at=received_at,
            region=version.item.department.region,
            pk=clock_pk,
        )
        case.acceptance_clock = clock
        row_insert(case)
        for row in rows:
            row.case = case
        rows_bulk_insert(rows)
        audit_record(
            actor=actor,
            action="cases.submitted",
            obj=case,
            after={
                "number": case.number,
                "item_version_id": version.pk,
                "department_id": case.department_id,
                "channel": channel,
                "applicant_id": case.applicant_id,
                "applicant_kind": case.applicant_kind,
                "registered_by_id": case.registered_by_id,
                "window_id": case.window_id,
                "proxy_agent_id": case.proxy_agent_id,
                "materials": [
                    {"name": r.name, "status": r.status, "file_id": r.file_id, "licence_id": r.licence_id} for r in rows
                ],
                "received_at": received_at,
                "acceptance_due_at": clock.due_at,
                **(audit_extra or {}),
            },
        )
        values = {"number": case.number, "at": fmt(received_at), "due": clock.due_date.isoformat()}
        if case.applicant_id is None:
            # a text to a number the window typed in: the query code is on the receipt, not in the SMS
            body = _(
                "办件编号：%(number)s\n收件时间：%(at)s\n"
                "我们将在 %(due)s 前作出是否受理的决定或一次性告知需要补正的材料。查询码见收件回执。"
            )
        else:
            body = _(
                "办件编号：%(number)s\n查询码：%(code)s\n收件时间：%(at)s\n"
                "我们将在 %(due)s 前作出是否受理的决定或一次性告知需要补正的材料。"
            )
            values["code"] = case.query_code
        tell_applicant(
            case,
            category=Category.CASE_SUBMITTED,
            subject=_("您的申请已收到：%(name)s") % {"name": version.name},
            body=body % values,
            actor=actor,
        )
    return case


def case_submit_online(
    *,
    applicant: Any,
    item_version: ItemVersion,
    materials: list[dict[str, Any]],
    form_data: dict | None = None,
    submission_key: str | None = None,
) -> Case:
    """An online application (网上申报) by a logged-in citizen or enterprise. Each material is
    {"material": ItemMaterial, "file": StoredFile} or {"material": ItemMaterial, "licence": Licence or id}
    (a valid licence of the applicant's own); every required material must be provided.

    `submission_key`: the application form's one-time key; posted again, the form raises `AlreadySubmitted` with
    the case its first post filed."""
    if not is_public_user(applicant):
        raise ValidationError({"applicant": _("只有已登录的个人或法人用户可以网上申报。")})
    _check_submission_key(submission_key)
    _answer_resubmission(submission_key, actor=applicant, channel=Channel.ONLINE)
    version = _check_version(item_version)
    snapshot = applicant_snapshot_of(applicant)
    _check_kind(version, snapshot["kind"])
    rows = resolve_materials(version, materials, holder=Holder(applicant.pk, snapshot["id_number"]), require_all=True)
    return _create(
        actor=applicant,
        version=version,
        snapshot=snapshot,
        applicant=applicant,
        channel=Channel.ONLINE,
        rows=rows,
        form_data=_clean_form_data(form_data, version),
        received_at=timezone.now(),
        submission_key=submission_key,
    )


def case_register_at_window(
    *,
    clerk: Any,
    item_version: ItemVersion,
    applicant_snapshot: dict[str, Any],
    materials: list[dict[str, Any]],
    window: Any = None,
    applicant: Any = None,
    form_data: dict | None = None,
    submission_key: str | None = None,
) -> Case:
    """Register a case at a hall window (登记验证). The clerk's window must serve the item's department
    (a registration window serves them all). Materials not handed in are recorded as missing.

    `submission_key`: the registration form's one-time key; posted again by the same clerk, the form raises
    `AlreadySubmitted` with the case its first post registered."""
    _check_submission_key(submission_key)
    _answer_resubmission(submission_key, actor=clerk, channel=Channel.WINDOW)
    version = _check_version(item_version)
    own = clerk_window(clerk)
    window = window or own
    if window is None:
        raise ValidationError({"window": _("您不是窗口人员或未分配窗口，不能登记办件。")})
    if not can_register_at_window(clerk, version.item.department_id, window):
        raise ValidationError(
            {
                "window": _("窗口“%(window)s”不能为%(department)s登记办件。")
                % {"window": window, "department": version.item.department}
            }
        )
    snapshot = _clean_snapshot(applicant_snapshot)
    if applicant is not None:
        if not is_public_user(applicant):
            raise ValidationError({"applicant": _("申请人账户无效。")})
        account = applicant_snapshot_of(applicant)
        if account["id_number"] != snapshot["id_number"]:
            raise ValidationError({"applicant": _("申请人账户与登记的证件号码不一致。")})
    _check_kind(version, snapshot["kind"])
    holder = Holder(applicant.pk if applicant is not None else None, snapshot["id_number"])
    rows = resolve_materials(version, materials, holder=holder, require_all=False)
    return _create(
        actor=clerk,
        version=version,
        snapshot=snapshot,
        applicant=applicant,
        channel=Channel.WINDOW,
        rows=rows,
        form_data=_clean_form_data(form_data, version),
        received_at=timezone.now(),
        submission_key=submission_key,
        registered_by=user_or_none(clerk),
        window=window,
    )


def case_submit_by_proxy(
    *,
    agent: Any,
    applicant: Any,
    item_version: ItemVersion,
    materials: list[dict[str, Any]],
    consent_text: str,
    consent_file: StoredFile | None = None,
    form_data: dict | None = None,
    submission_key: str | None = None,
) -> Case:
    """A station agent (代办员) files on behalf of a registered resident, whose consent is recorded.

    `submission_key`: the filing form's one-time key; posted again by the same agent, the form raises
    `AlreadySubmitted` with the case its first post filed."""
    if not can_submit_by_proxy(agent):
        raise ValidationError({"agent": _("只有便民服务站代办员可以代办申报。")})
    _check_submission_key(submission_key)
    _answer_resubmission(submission_key, actor=agent, channel=Channel.PROXY)
    if not is_public_user(applicant):
        raise ValidationError({"applicant": _("请选择已实名注册的申请人。")})
    consent_text = (consent_text or "").strip()
    if not consent_text:
        raise ValidationError({"consent_text": _("请记录申请人同意委托代办的意见。")})
    if consent_file is not None and (not isinstance(consent_file, StoredFile) or consent_file.pk is None):
        raise ValidationError({"consent_file": _("委托书文件无效。")})
    version = _check_version(item_version)
    snapshot = applicant_snapshot_of(applicant)
    _check_kind(version, snapshot["kind"])
    rows = resolve_materials(version, materials, holder=Holder(applicant.pk, snapshot["id_number"]), require_all=False)
    return _create(
        actor=agent,
        version=version,
        snapshot=snapshot,
        applicant=applicant,
        channel=Channel.PROXY,
        rows=rows,
        form_data=_clean_form_data(form_data, version),
        received_at=timezone.now(),
        submission_key=submission_key,
        proxy_agent=agent,
        consent_text=consent_text,
        consent_file=consent_file,
    )
