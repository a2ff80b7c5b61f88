"""Acceptance (《行政许可法》第三十二条): accept, refuse to accept, one-time correction notice, deemed acceptance.

Clock choice (docs/adr/0013-cases.md): a correction notice pauses the acceptance clock (reason 补正); the
applicant's correction restarts it, so the corrected application gets a fresh 5 working days. A case whose
acceptance clock runs out while awaiting a decision is deemed accepted as of receipt (视为受理)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.domain._common import (
    LOCK_WITH_APPLICANT,
    SYSTEM_ACTOR,
    fmt,
    lock,
    require_state,
    snapshot,
    sync,
    tell_applicant,
    user_or_none,
)
from zhengwu.cases.domain.intake import Holder, provided_material
from zhengwu.cases.enums import CaseState, MaterialStatus
from zhengwu.cases.models import Case, CaseMaterial, CorrectionNotice, ReplacedMaterial
from zhengwu.cases.rules import can_decide_acceptance, can_handle_immediately, can_submit_correction
from zhengwu.catalog.enums import HandlingKind, MaterialNecessity
from zhengwu.catalog.models import ItemMaterial
from zhengwu.core.rows import row_update
from zhengwu.notifications.enums import Category
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus, PauseReason
from zhengwu.workcal.domain.clock import clock_lock, clock_pause, clock_restart, clock_start, clock_stop
from zhengwu.workcal.models.clock import Clock
from zhengwu.workcal.presets import get_preset

MAX_TEXT = 2000
ACCEPTANCE_BASIS = "《行政许可法》第三十二条"


def _text(value: str | None, field: str, message: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("内容不能超过 %(max)d 个字符。") % {"max": MAX_TEXT}})
    return value


def _permit(allowed: bool) -> None:
    if not allowed:
        raise ValidationError(_("您无权处理该办件。"))


def _acceptance_clock(case: Case) -> Clock | None:
    """The case's acceptance clock, locked (after the case: the order every case function locks in)."""
    if case.acceptance_clock_id is None:
        return None
    return clock_lock(case.acceptance_clock_id)


def _overdue(clock: Clock | None, now: datetime) -> bool:
    return clock is not None and clock.status == ClockStatus.RUNNING and now > clock.due_at


def _stop_acceptance_clock(actor: Any, clock: Clock | None, at: datetime) -> None:
    if clock is not None and clock.status != ClockStatus.STOPPED:
        clock_stop(actor=actor, clock=clock, at=at, locked=True)


def _handling_preset(version) -> str | None:
    """The statutory preset, when the promised limit fits within it (clock_start refuses otherwise)."""
    code = version.statutory_preset
    if not code:
        return None
    try:
        preset = get_preset(code)
    except KeyError:
        return None
    if preset.unit != version.limit_unit or version.promised_limit_days > preset.days:
        return None
    return code


def _start_handling_clock(actor: Any, case: Case, received_at: datetime) -> Clock:
    version = case.item_version
    return clock_start(
        actor=actor,
        subject=case,
        preset=_handling_preset(version),
        unit=version.limit_unit,
        limit=max(version.promised_limit_days, 1),  # an immediate item (0 days) accepted normally: one day
        received_at=received_at,
        region=case.department.region,
    )


# The case's fields acceptance writes.
ACCEPTED_FIELDS = ("state", "accepted_at", "deemed_accepted", "handling_clock", "updated_at")


def _accept_locked(
    locked: Case, *, actor: Any, now: datetime, deemed: bool, clock: Clock | None, save: bool = True
) -> dict[str, Any]:
    """Accept a locked case (`clock`: its acceptance clock, locked); deemed acceptance counts from receipt.
    Returns the audit's `after`. With `save=False` the caller writes ACCEPTED_FIELDS later in the same
    transaction."""
    _stop_acceptance_clock(actor, clock, now)
    accepted_at = locked.received_at if deemed else now
    handling = _start_handling_clock(actor, locked, accepted_at)
    locked.state = CaseState.ACCEPTED
    locked.accepted_at = accepted_at
    locked.deemed_accepted = deemed
    locked.handling_clock = handling
    if save:
        row_update(locked, ACCEPTED_FIELDS, hold=True)
    return {
        **snapshot(locked),
        "acceptance_clock_outcome": clock.outcome if clock is not None else "",
        "handling_due_at": handling.due_at,
    }


def _tell_accepted(case: Case, actor: Any) -> None:
    deemed = _("（逾期未作决定，依法自收到申请材料之日起视为受理）") if case.deemed_accepted else ""
    tell_applicant(
        case,
        category=Category.CASE_ACCEPTED,
        subject=_("您的申请已受理：%(number)s") % {"number": case.number},
        body=_("受理时间：%(at)s%(deemed)s\n承诺办结期限：%(due)s 前。")
        % {"at": fmt(case.accepted_at), "deemed": deemed, "due": case.handling_clock.due_date.isoformat()},
        actor=actor,
    )


def case_accept(*, actor: Any, case: Case) -> Case:
    """Accept (受理): the acceptance clock stops, the handling clock starts with the promised limit.
    After the acceptance period has run out, the case is accepted as of receipt (视为受理)."""
    with audited_atomic():
        locked = lock(case, related=(*LOCK_WITH_APPLICANT, "acceptance_clock"))
        case_accept_locked(locked, actor=actor)
    return sync(case, locked)


def case_accept_locked(locked: Case, *, actor: Any, save: bool = True) -> None:
    """`case_accept` for a case the caller has locked in its transaction with its item version, its
    department's region, its external link and its applicant (e.g. `lock(case, related=LOCK_WITH_APPLICANT)`),
    and perhaps its acceptance clock (read, not locked: then stopped as read, see `clock_stop`).
    `save` as in `_accept_locked`."""
    now = timezone.now()
    _permit(can_decide_acceptance(actor, locked))
    require_state(locked, {CaseState.SUBMITTED}, _("受理"))
    before = snapshot(locked)
    clock = locked.acceptance_clock if Case.acceptance_clock.is_cached(locked) else None
    if clock is not None and clock.status == ClockStatus.RUNNING:
        deemed, read_version = _overdue(clock, now), clock.version
        clock_stop(actor=actor, clock=clock, at=now)  # one compare-and-set while unchanged since read
        if clock.version != read_version + 1:  # it had changed: judge by the clock as it was stopped
            deemed = clock.outcome == ClockOutcome.LATE
    else:
        clock = _acceptance_clock(locked)
        deemed = _overdue(clock, now)
    after = _accept_locked(locked, actor=actor, now=now, deemed=deemed, clock=clock, save=save)
    audit_record(actor=actor, action="cases.accepted", obj=locked, before=before, after=after)
    _tell_accepted(locked, actor)


def case_refuse(*, actor: Any, case: Case, reason: str) -> Case:
    """Refuse to accept (不予受理), with the reason; a negative decision that supervision reviews."""
    reason = _text(reason, "reason", _("请填写不予受理的理由。"))
    now = timezone.now()
    with audited_atomic():
        locked = lock(case, related=LOCK_WITH_APPLICANT)
        _permit(can_decide_acceptance(actor, locked))
        require_state(locked, {CaseState.SUBMITTED, CaseState.CORRECTION_REQUESTED}, _("不予受理"))
        before = snapshot(locked)
        _stop_acceptance_clock(actor, _acceptance_clock(locked), now)
        locked.state = CaseState.REFUSED
        locked.refused_at = now
        locked.refusal_reason = reason
        locked.save(update_fields=["state", "refused_at", "refusal_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.refused",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "negative_decision": True,
                "decision": "不予受理",
                "reason": reason,
                "legal_basis": ACCEPTANCE_BASIS,
                "department_id": locked.department_id,
            },
        )
        tell_applicant(
            locked,
            category=Category.CASE_REFUSED,
            subject=_("您的申请不予受理：%(number)s") % {"number": locked.number},
            body=_("不予受理理由：%(reason)s\n如不服，可依法申请行政复议或者提起行政诉讼。") % {"reason": reason},
            actor=actor,
        )
    return sync(case, locked)


def _case_row(rows: dict[int, CaseMaterial], ref: Any) -> CaseMaterial | None:
    """The case's material row named by a CaseMaterial, its id, or the ItemMaterial it answers."""
    if isinstance(ref, ItemMaterial):
        return next((row for row in rows.values() if row.item_material_id == ref.pk), None)
    return rows.get(getattr(ref, "pk", ref))


def case_request_correction(
    *, actor: Any, case: Case, items: list[dict[str, Any]], reason: str = ""
) -> CorrectionNotice:
    """One-time correction notice (一次性告知) listing every missing or defective material.

    Each item: {"material": CaseMaterial or its id, "problem": what is wrong}. Every missing required
    material must be listed. A second notice on the same case needs `reason` and is flagged to supervision.
    The notice must be given within the acceptance period; the acceptance clock pauses until correction."""
    reason = _text(reason, "reason", "", required=False)
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": _("请列明需要补正的材料。")})
    now = timezone.now()
    with audited_atomic():
        locked = lock(case, related=LOCK_WITH_APPLICANT)
        _permit(can_decide_acceptance(actor, locked))
        require_state(locked, {CaseState.SUBMITTED}, _("告知补正"))
        clock = _acceptance_clock(locked)
        if _overdue(clock, now):
            raise ValidationError(
                _("受理期限已于 %(date)s 届满，依法视为受理，不能再告知补正。") % {"date": clock.due_date.isoformat()}
            )
        rows = {m.pk: m for m in CaseMaterial.objects.filter(case=locked).select_related("item_material")}
        listed: dict[int, tuple[CaseMaterial, str]] = {}
        for entry in items:
            row = _case_row(rows, entry.get("material")) if isinstance(entry, dict) else None
            if row is None:
                raise ValidationError({"items": _("补正材料必须是本办件的材料。")})
            problem = _text(
                entry.get("problem"), "items", _("请说明材料“%(name)s”需要补正的内容。") % {"name": row.name}
            )
            if row.pk in listed:
                raise ValidationError({"items": _("材料“%(name)s”重复列出。") % {"name": row.name}})
            listed[row.pk] = (row, problem)
        unlisted = [
            row.name
            for row in rows.values()
            if row.status == MaterialStatus.MISSING
            and row.pk not in listed
            and row.item_material is not None
            and row.item_material.necessity == MaterialNecessity.REQUIRED
        ]
        if unlisted:
            raise ValidationError(
                {
                    "items": _("一次性告知须列明全部缺少的必要材料，尚未列明：%(names)s。")
                    % {"names": "、".join(unlisted)}
                }
            )
        sequence = CorrectionNotice.objects.filter(case=locked).count() + 1
        if sequence > 1 and not reason:
            raise ValidationError({"reason": _("再次告知补正须说明理由，该告知将报送监察。")})
        before = snapshot(locked)
        notice_items = []
        for row, problem in sorted(listed.values(), key=lambda pair: (pair[0].position, pair[0].pk)):
            row.status = (
                MaterialStatus.MISSING if row.file_id is None and row.licence_id is None else MaterialStatus.DEFECTIVE
            )
            row.note = problem[:500]
            row.save(update_fields=["status", "note"])
            notice_items.append({"material_id": row.pk, "name": row.name, "status": row.status, "problem": problem})
        notice = CorrectionNotice.objects.create(
            case=locked,
            sequence=sequence,
            items=notice_items,
            reason=reason if sequence > 1 else "",
            flagged_for_supervision=sequence > 1,
            issued_by=user_or_none(actor),
            issued_at=now,
        )
        if clock is not None and clock.status == ClockStatus.RUNNING:
            clock_pause(
                actor=actor,
                clock=clock,
                reason=PauseReason.CORRECTION,
                basis=_("第 %(n)d 次一次性告知补正（%(law)s）") % {"n": sequence, "law": ACCEPTANCE_BASIS},
                at=now,
            )
        locked.state = CaseState.CORRECTION_REQUESTED
        locked.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            action="cases.correction_requested",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "notice_id": notice.pk,
                "sequence": sequence,
                "items": notice_items,
                "reason": notice.reason,
                "flagged_for_supervision": notice.flagged_for_supervision,
            },
        )
        lines = "\n".join(
            f"{i}. {item['name']}（{MaterialStatus(item['status']).label}）：{item['problem']}"
            for i, item in enumerate(notice_items, 1)
        )
        tell_applicant(
            locked,
            category=Category.CASE_CORRECTION_NOTICE,
            subject=_("请补正申请材料：%(number)s") % {"number": locked.number},
            body=_("您的申请材料需要补正，请一次性补齐以下材料：\n%(lines)s") % {"lines": lines},
            actor=actor,
        )
    return notice


def case_correction_submit(*, applicant_or_clerk: Any, case: Case, materials: list[dict[str, Any]]) -> Case:
    """The applicant (or the agent or a window clerk for them) hands in what the latest notice listed;
    the case awaits acceptance again and the acceptance period counts anew from now."""
    actor = applicant_or_clerk
    if not isinstance(materials, list) or not materials:
        raise ValidationError({"materials": _("请提交补正材料。")})
    now = timezone.now()
    with audited_atomic():
        locked = lock(case, related=LOCK_WITH_APPLICANT)
        _permit(can_submit_correction(actor, locked))
        require_state(locked, {CaseState.CORRECTION_REQUESTED}, _("提交补正材料"))
        notice = CorrectionNotice.objects.filter(case=locked).order_by("-sequence").first()
        rows = {m.item_material_id: m for m in CaseMaterial.objects.filter(case=locked).select_related("item_material")}
        holder = Holder(locked.applicant_id, locked.applicant_id_number)
        replaced: dict[int, CaseMaterial] = {}
        kept: list[ReplacedMaterial] = []  # what the replaced rows held stays part of the case file
        for entry in materials:
            if not isinstance(entry, dict):
                raise ValidationError({"materials": _("材料格式不正确。")})
            material_id = getattr(entry.get("material"), "pk", entry.get("material"))
            row = rows.get(material_id)
            if row is None or row.item_material is None:
                raise ValidationError({"materials": _("所提交的材料不属于该办件。")})
            if row.pk in replaced:
                raise ValidationError({"materials": _("材料“%(name)s”重复提交。") % {"name": row.name}})
            new = provided_material(row.item_material, entry, holder=holder)
            if (row.file_id or row.licence_id) and (row.file_id, row.licence_id) != (new.file_id, new.licence_id):
                kept.append(
                    ReplacedMaterial(
                        material=row, file_id=row.file_id, licence_id=row.licence_id, status=row.status, note=row.note
                    )
                )
            row.file, row.licence, row.status, row.note = new.file, new.licence, MaterialStatus.PROVIDED, ""
            replaced[row.pk] = row
        pending = [item["name"] for item in (notice.items if notice else []) if item["material_id"] not in replaced]
        if pending:
            raise ValidationError(
                {"materials": _("请补齐补正告知所列全部材料，尚缺：%(names)s。") % {"names": "、".join(pending)}}
            )
        before = snapshot(locked)
        for row in replaced.values():
            row.save(update_fields=["file", "licence", "status", "note"])
        for replaced_material in kept:
            replaced_material.notice, replaced_material.replaced_at = notice, now
        if kept:
            ReplacedMaterial.objects.bulk_create(kept)
        clock = _acceptance_clock(locked)
        if clock is not None and clock.status != ClockStatus.STOPPED:
            clock_restart(actor=actor, clock=clock, at=now, basis=_("申请人提交补正材料，受理期限重新计算。"))
        if notice is not None:
            notice.answered_at = now
            notice.save(update_fields=["answered_at"])
        locked.state = CaseState.SUBMITTED
        locked.save(update_fields=["state", "updated_at"])
        clock = _acceptance_clock(locked)
        audit_record(
            actor=actor,
            action="cases.correction_submitted",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "notice_id": notice.pk if notice else None,
                "materials": [
                    {"material_id": r.pk, "name": r.name, "file_id": r.file_id, "licence_id": r.licence_id}
                    for r in replaced.values()
                ],
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


def case_handle_immediately(*, clerk: Any, case: Case, outcome_note: str) -> Case:
    """即办件: accepted and completed in one sitting at the window."""
    outcome_note = _text(outcome_note, "outcome_note", _("请填写办理结果。"))
    now = timezone.now()
    with audited_atomic():
        locked = lock(case, related=LOCK_WITH_APPLICANT)
        _permit(can_handle_immediately(clerk, locked))
        if locked.item_version.handling_kind != HandlingKind.IMMEDIATE:
            raise ValidationError(_("该事项不是即办件，不能当场办结。"))
        require_state(locked, {CaseState.SUBMITTED}, _("当场办结"))
        before = snapshot(locked)
        _stop_acceptance_clock(clerk, _acceptance_clock(locked), now)
        locked.state = CaseState.COMPLETED
        locked.accepted_at = now
        locked.completed_at = now
        locked.outcome_note = outcome_note
        locked.save(update_fields=["state", "accepted_at", "completed_at", "outcome_note", "updated_at"])
        audit_record(
            actor=clerk,
            action="cases.handled_immediately",
            obj=locked,
            before=before,
            after={**snapshot(locked), "completed_at": now, "outcome_note": outcome_note},
        )
        tell_applicant(
            locked,
            category=Category.CASE_DECIDED,
            subject=_("您的办件已办结：%(number)s") % {"number": locked.number},
            body=_("即办件已当场办结。办理结果：%(note)s") % {"note": outcome_note},
            actor=clerk,
        )
    return sync(case, locked)


class _NoLongerDue(Exception):
    """Rolls back a claim whose acceptance period has meanwhile been restarted."""


def cases_deem_accepted(*, now: datetime | None = None) -> int:
    """视为受理: every case awaiting a decision whose acceptance clock ran out (now > due_at) without a
    correction notice becomes accepted as of receipt. Each case in its own transaction, claimed with a
    conditional update so concurrent sweeps never act twice. Returns the number of cases deemed accepted."""
    now = now or timezone.now()
    candidates = list(
        Case.objects.filter(
            state=CaseState.SUBMITTED,
            acceptance_clock__status=ClockStatus.RUNNING,
            acceptance_clock__due_at__lt=now,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in candidates:
        try:
            with audited_atomic():
                # Conditions on the case row only: PostgreSQL re-checks them after waiting for a concurrent
                # sweep's lock, so the loser updates nothing (a join condition would not be re-checked).
                if not Case.objects.filter(pk=pk, state=CaseState.SUBMITTED).update(
                    state=CaseState.ACCEPTED, updated_at=now
                ):
                    continue
                locked = lock(Case(pk=pk), related=LOCK_WITH_APPLICANT)
                clock = _acceptance_clock(locked)
                if not _overdue(clock, now):  # restarted by a correction since selected
                    raise _NoLongerDue
                before = {**snapshot(locked), "state": CaseState.SUBMITTED}
                after = _accept_locked(locked, actor=SYSTEM_ACTOR, now=timezone.now(), deemed=True, clock=clock)
                audit_record(
                    actor=SYSTEM_ACTOR,
                    action="cases.deemed_accepted",
                    obj=locked,
                    before=before,
                    after={**after, "legal_basis": ACCEPTANCE_BASIS, "swept_at": now},
                )
                _tell_accepted(locked, SYSTEM_ACTOR)
        except _NoLongerDue:
            continue
        done += 1
    return done
