import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests.accounts.factories import resident_id
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    case_accept,
    case_correction_submit,
    case_handle_immediately,
    case_refuse,
    case_register_at_window,
    case_request_correction,
    case_submit_by_proxy,
    case_submit_online,
)
from zhengwu.cases.enums import CaseState, MaterialStatus
from zhengwu.cases.models import Case, CorrectionNotice
from zhengwu.notifications.models import Message
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
WALK_IN = {"kind": "legal", "name": "青川绿源农业科技有限公司"}


def online(hall) -> Case:
    return case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())


def registered(hall, **kwargs) -> Case:
    """A walk-in case of the enterprise (linked to its account) with only the application form."""
    snapshot = WALK_IN | {"id_number": hall.enterprise.enterprise.credit_code}
    values = {"clerk": hall.clerk, "item_version": hall.version, "applicant_snapshot": snapshot}
    values |= {"applicant": hall.enterprise, "materials": [{"material": hall.form, "file": hall.pdf()}]}
    return case_register_at_window(**(values | kwargs))


def case_events(case: Case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def refused_unchanged(case: Case, call, **kwargs) -> list[str] | dict:
    """Run a transition that must fail; check nothing about the case changed and no case event was written."""
    before = Case.objects.filter(pk=case.pk).values().get()
    events = case_events(case)
    notices = CorrectionNotice.objects.filter(case=case).count()
    messages = Message.objects.count()
    with pytest.raises(ValidationError) as caught:
        call(case=case, **kwargs)
    assert Case.objects.filter(pk=case.pk).values().get() == before
    assert case_events(case) == events
    assert CorrectionNotice.objects.filter(case=case).count() == notices
    assert Message.objects.count() == messages
    error = caught.value
    return error.message_dict if hasattr(error, "error_dict") else error.messages


def notice_items(case: Case, *names: str, problem: str = "请补充") -> list[dict]:
    return [{"material": case.materials.get(name=name), "problem": f"{problem}{name}"} for name in names]


def unsigned_form(case: Case) -> dict:
    return {"material": case.materials.get(name="食品经营许可申请书"), "problem": "未签字"}


# ---- accept -----------------------------------------------------------------------------------
@time_machine.travel(MONDAY, tick=False)
def test_accept_stops_acceptance_clock_and_starts_handling_clock(hall):
    case = online(hall)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        case_accept(actor=hall.handler, case=case)
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    assert case.accepted_at == MONDAY + timedelta(days=1)
    assert case.deemed_accepted is False
    acceptance = case.acceptance_clock
    assert (acceptance.status, acceptance.outcome) == (ClockStatus.STOPPED, ClockOutcome.ON_TIME)
    handling = case.handling_clock
    assert (handling.preset, handling.unit, handling.limit_days) == ("licence_decision", "working", 5)
    assert handling.received_at == MONDAY + timedelta(days=1)
    assert handling.due_date.isoformat() == "2026-03-10"
    assert case_events(case) == ["cases.submitted", "cases.accepted"]
    event = AuditEvent.objects.get(action="cases.accepted")
    assert (event.actor_id, event.before["state"], event.after["state"]) == (hall.handler.pk, "submitted", "accepted")
    message = Message.objects.get(recipient=hall.enterprise, category="case.accepted")
    assert message.subject == f"您的申请已受理：{case.number}"
    assert message.body == "受理时间：2026-03-03 10:00\n承诺办结期限：2026-03-10 前。"


@pytest.mark.parametrize("who", ["handler", "section_head", "clerk", "registrar", "administrator"])
def test_who_may_accept(hall, who):
    case = online(hall)
    assert case_accept(actor=getattr(hall, who), case=case).state == CaseState.ACCEPTED


@pytest.mark.parametrize("who", ["outsider", "other_clerk", "agent", "enterprise", "citizen"])
def test_others_may_not_accept_refuse_or_request_correction(hall, who):
    case = registered(hall)
    actor = getattr(hall, who)
    assert refused_unchanged(case, case_accept, actor=actor) == ["您无权处理该办件。"]
    assert refused_unchanged(case, case_refuse, actor=actor, reason="不符合条件") == ["您无权处理该办件。"]
    items = notice_items(case, "营业执照")
    assert refused_unchanged(case, case_request_correction, actor=actor, items=items) == ["您无权处理该办件。"]


def test_accepting_twice_is_refused(hall):
    case = case_accept(actor=hall.handler, case=online(hall))
    assert refused_unchanged(case, case_accept, actor=hall.section_head) == ["办件当前状态为“已受理”，不能受理。"]
    assert refused_unchanged(case, case_refuse, actor=hall.handler, reason="x") == [
        "办件当前状态为“已受理”，不能不予受理。"
    ]
    assert refused_unchanged(case, case_request_correction, actor=hall.handler, items=[{"material": 1}]) == [
        "办件当前状态为“已受理”，不能告知补正。"
    ]


def test_stale_instance_cannot_double_decide(hall):
    case = online(hall)
    stale = Case.objects.get(pk=case.pk)
    case_accept(actor=hall.handler, case=case)
    with pytest.raises(ValidationError) as caught:
        case_refuse(actor=hall.section_head, case=stale, reason="材料不符合要求")
    assert caught.value.messages == ["办件当前状态为“已受理”，不能不予受理。"]
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED
    assert case_events(case) == ["cases.submitted", "cases.accepted"]


# ---- refuse -----------------------------------------------------------------------------------
def test_refusal_needs_a_reason(hall):
    case = online(hall)
    assert refused_unchanged(case, case_refuse, actor=hall.handler, reason="  ") == {
        "reason": ["请填写不予受理的理由。"]
    }


def test_refusal_is_recorded_as_negative_decision_and_told(hall):
    case = case_refuse(actor=hall.handler, case=online(hall), reason="申请事项不属于本机关职权范围")
    case.refresh_from_db()
    assert (case.state, case.refusal_reason) == (CaseState.REFUSED, "申请事项不属于本机关职权范围")
    assert case.refused_at is not None
    assert case.acceptance_clock.status == ClockStatus.STOPPED
    assert case.handling_clock is None
    event = AuditEvent.objects.get(action="cases.refused")
    assert event.after["negative_decision"] is True
    assert event.after["decision"] == "不予受理"
    assert event.after["reason"] == "申请事项不属于本机关职权范围"
    assert event.after["legal_basis"] == "《行政许可法》第三十二条"
    message = Message.objects.get(recipient=hall.enterprise, subject__startswith="您的申请不予受理")
    assert message.body.startswith("不予受理理由：申请事项不属于本机关职权范围\n")
    assert refused_unchanged(case, case_accept, actor=hall.handler) == ["办件当前状态为“不予受理”，不能受理。"]


# ---- correction -------------------------------------------------------------------------------
@time_machine.travel(MONDAY, tick=False)
def test_correction_notice_lists_materials_pauses_clock_and_tells_applicant(hall):
    case = registered(hall)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        notice = case_request_correction(
            actor=hall.clerk,
            case=case,
            items=[*notice_items(case, "营业执照"), unsigned_form(case)],
        )
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION_REQUESTED
    assert (notice.sequence, notice.flagged_for_supervision, notice.reason) == (1, False, "")
    assert [(i["name"], i["status"], i["problem"]) for i in notice.items] == [
        ("食品经营许可申请书", "defective", "未签字"),
        ("营业执照", "missing", "请补充营业执照"),
    ]
    statuses = dict(case.materials.values_list("name", "status"))
    assert statuses["食品经营许可申请书"] == MaterialStatus.DEFECTIVE
    assert case.acceptance_clock.status == ClockStatus.PAUSED
    assert case_events(case) == ["cases.submitted", "cases.correction_requested"]
    message = Message.objects.get(category="case.correction_notice")
    assert message.recipient == hall.enterprise
    assert message.body == (
        "您的申请材料需要补正，请一次性补齐以下材料：\n"
        "1. 食品经营许可申请书（需补正）：未签字\n"
        "2. 营业执照（缺少）：请补充营业执照"
    )


def test_correction_notice_must_list_every_missing_required_material(hall):
    case = registered(hall)
    items = [{"material": case.materials.get(name="食品经营许可申请书"), "problem": "未签字"}]
    assert refused_unchanged(case, case_request_correction, actor=hall.clerk, items=items) == {
        "items": ["一次性告知须列明全部缺少的必要材料，尚未列明：营业执照。"]
    }
    assert refused_unchanged(case, case_request_correction, actor=hall.clerk, items=[]) == {
        "items": ["请列明需要补正的材料。"]
    }
    other = online(hall)
    foreign = [{"material": other.materials.first(), "problem": "x"}]
    assert refused_unchanged(case, case_request_correction, actor=hall.clerk, items=foreign) == {
        "items": ["补正材料必须是本办件的材料。"]
    }
    blank = notice_items(case, "营业执照", problem="")
    blank[0]["problem"] = " "
    assert refused_unchanged(case, case_request_correction, actor=hall.clerk, items=blank) == {
        "items": ["请说明材料“营业执照”需要补正的内容。"]
    }


@time_machine.travel(MONDAY, tick=False)
def test_correction_restarts_acceptance_period(hall):
    case = registered(hall)
    case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "营业执照"))
    corrected_at = MONDAY + timedelta(days=7)  # the applicant takes a week; the paused clock does not run out
    with time_machine.travel(corrected_at, tick=False):
        case_correction_submit(
            applicant_or_clerk=hall.enterprise,
            case=case,
            materials=[{"material": hall.business_licence, "file": hall.pdf("licence")}],
        )
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    clock = case.acceptance_clock
    assert (clock.status, clock.run, clock.started_at) == (ClockStatus.RUNNING, 2, corrected_at)
    assert clock.due_date.isoformat() == "2026-03-16"
    assert case.materials.get(name="营业执照").status == MaterialStatus.PROVIDED
    assert CorrectionNotice.objects.get(case=case).answered_at == corrected_at
    assert case_events(case) == ["cases.submitted", "cases.correction_requested", "cases.correction_submitted"]
    assert Message.objects.filter(recipient=hall.enterprise, subject__startswith="补正材料已收到").count() == 1


def test_correction_must_cover_everything_the_notice_listed(hall):
    case = registered(hall)
    case_request_correction(
        actor=hall.clerk,
        case=case,
        items=[*notice_items(case, "营业执照"), unsigned_form(case)],
    )
    materials = [{"material": hall.business_licence, "file": hall.pdf("licence")}]
    assert refused_unchanged(case, case_correction_submit, applicant_or_clerk=hall.enterprise, materials=materials) == {
        "materials": ["请补齐补正告知所列全部材料，尚缺：食品经营许可申请书。"]
    }
    assert refused_unchanged(case, case_correction_submit, applicant_or_clerk=hall.citizen, materials=materials) == [
        "您无权处理该办件。"
    ]


def test_correction_only_when_requested(hall):
    case = online(hall)
    materials = [{"material": hall.form, "file": hall.pdf("x")}]
    assert refused_unchanged(case, case_correction_submit, applicant_or_clerk=hall.enterprise, materials=materials) == [
        "办件当前状态为“待受理”，不能提交补正材料。"
    ]


def test_case_awaiting_correction_cannot_be_accepted_but_may_be_refused(hall):
    case = registered(hall)
    case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "营业执照"))
    assert refused_unchanged(case, case_accept, actor=hall.handler) == ["办件当前状态为“待补正”，不能受理。"]
    assert case_refuse(actor=hall.handler, case=case, reason="逾期未补正").state == CaseState.REFUSED
    assert Case.objects.get(pk=case.pk).acceptance_clock.status == ClockStatus.STOPPED


def test_second_notice_needs_a_reason_and_is_flagged_for_supervision(hall):
    case = registered(hall)
    case_request_correction(actor=hall.clerk, case=case, items=notice_items(case, "营业执照"))
    case_correction_submit(
        applicant_or_clerk=hall.clerk,
        case=case,
        materials=[{"material": hall.business_licence, "file": hall.pdf("licence")}],
    )
    items = notice_items(case, "营业执照", problem="复印件不清晰：")
    assert refused_unchanged(case, case_request_correction, actor=hall.handler, items=items) == {
        "reason": ["再次告知补正须说明理由，该告知将报送监察。"]
    }
    notice = case_request_correction(actor=hall.handler, case=case, items=items, reason="补正的营业执照复印件无法辨认")
    assert (notice.sequence, notice.flagged_for_supervision) == (2, True)
    assert notice.reason == "补正的营业执照复印件无法辨认"
    assert notice.items[0]["status"] == "defective"
    event = AuditEvent.objects.filter(action="cases.correction_requested").order_by("-seq").first()
    assert (event.after["sequence"], event.after["flagged_for_supervision"]) == (2, True)


@time_machine.travel(MONDAY, tick=False)
def test_correction_notice_after_the_acceptance_period_is_refused(hall):
    case = registered(hall)
    with time_machine.travel(datetime(2026, 3, 10, 0, 0, 1, tzinfo=TZ), tick=False):
        assert refused_unchanged(
            case, case_request_correction, actor=hall.clerk, items=notice_items(case, "营业执照")
        ) == ["受理期限已于 2026-03-09 届满，依法视为受理，不能再告知补正。"]


@time_machine.travel(MONDAY, tick=False)
def test_accepting_after_the_acceptance_period_counts_from_receipt(hall):
    case = online(hall)
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=TZ), tick=False):
        case_accept(actor=hall.handler, case=case)
    case.refresh_from_db()
    assert (case.deemed_accepted, case.accepted_at) == (True, MONDAY)
    assert case.acceptance_clock.outcome == ClockOutcome.LATE
    assert case.handling_clock.received_at == MONDAY


def test_accepting_judges_by_the_acceptance_clock_as_stopped_when_it_changed_since_the_case_was_read(hall):
    from django.db import transaction

    from zhengwu.cases.domain._common import lock
    from zhengwu.cases.domain.acceptance import case_accept_locked
    from zhengwu.workcal.models import Clock

    with time_machine.travel(MONDAY, tick=False):
        case = online(hall)
    with time_machine.travel(datetime(2026, 3, 4, 9, 0, tzinfo=TZ), tick=False), transaction.atomic():
        locked = lock(case, related=("item_version__item", "department__region", "applicant", "acceptance_clock"))
        assert locked.acceptance_clock.due_at > timezone.now()  # as read: within the period
        # meanwhile the clock's row changes (its period now ends before today), raising its version
        Clock.objects.filter(pk=case.acceptance_clock_id).update(
            version=locked.acceptance_clock.version + 1, limit_days=1
        )
        case_accept_locked(locked, actor=hall.handler)
    case.refresh_from_db()
    clock = Clock.objects.get(pk=case.acceptance_clock_id)
    assert (clock.status, clock.outcome, clock.version) == (ClockStatus.STOPPED, ClockOutcome.LATE, 3)
    assert (case.state, case.deemed_accepted, case.accepted_at) == (CaseState.ACCEPTED, True, MONDAY)


# ---- immediate items --------------------------------------------------------------------------
def test_immediate_item_is_accepted_and_completed_in_one_sitting(hall):
    immediate = hall.curation.published("000201009000", handling_kind="immediate", promised_limit_days=0)
    snapshot = WALK_IN | {"id_number": hall.enterprise.enterprise.credit_code}
    case = case_register_at_window(
        clerk=hall.clerk, item_version=immediate, applicant_snapshot=snapshot, materials=[], applicant=hall.enterprise
    )
    case = case_handle_immediately(clerk=hall.clerk, case=case, outcome_note="当场出具证明")
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert case.accepted_at == case.completed_at
    assert case.outcome_note == "当场出具证明"
    assert case.acceptance_clock.status == ClockStatus.STOPPED
    assert case.handling_clock is None
    assert case_events(case) == ["cases.submitted", "cases.handled_immediately"]
    assert Message.objects.filter(recipient=hall.enterprise, category="case.decided").count() == 1
    assert refused_unchanged(case, case_handle_immediately, clerk=hall.clerk, outcome_note="再办") == [
        "办件当前状态为“办结”，不能当场办结。"
    ]


def test_promised_item_cannot_be_completed_on_the_spot(hall):
    case = registered(hall)
    assert refused_unchanged(case, case_handle_immediately, clerk=hall.clerk, outcome_note="办结") == [
        "该事项不是即办件，不能当场办结。"
    ]
    assert refused_unchanged(case, case_handle_immediately, clerk=hall.handler, outcome_note="办结") == [
        "您无权处理该办件。"
    ]
    assert refused_unchanged(case, case_handle_immediately, clerk=hall.clerk, outcome_note="") == {
        "outcome_note": ["请填写办理结果。"]
    }


# ---- telling the applicant --------------------------------------------------------------------
def walk_in(hall, **snapshot) -> Case:
    """A case registered at the window for a resident with no account."""
    person = {"kind": "natural", "name": "李梅", "id_type": "resident_id"}
    person["id_number"] = resident_id("33010219850101002")
    return case_register_at_window(
        clerk=hall.clerk, item_version=hall.version, applicant_snapshot=person | snapshot, materials=[]
    )


@pytest.mark.django_db(transaction=True)
def test_a_walk_in_without_an_account_is_told_of_acceptance_by_sms_to_the_case_phone_after_commit(
    hall, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    settings.ZHENGWU_SMS_FILE = ""
    settings.ZHENGWU_SMS_BACKEND = "zhengwu.notifications.backends.FileSmsGateway"  # the development backend
    settings.ZHENGWU_SMS_SIGNATURE = "青川政务"
    sms_log = tmp_path / "sms.log"
    with time_machine.travel(MONDAY, tick=False):
        case = walk_in(hall, phone="139 5360 0009")
        sms_log.unlink()  # the text at registration
        with transaction.atomic():
            case_accept(actor=hall.clerk, case=case)
            assert not sms_log.exists()  # not before commit

    case.refresh_from_db()
    [line] = sms_log.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    due = case.handling_clock.due_date.isoformat()
    assert (record["phone"], record["text"]) == (
        "13953600009",
        f"【青川政务】您的申请已受理：{case.number}：受理时间：2026-03-02 10:00 承诺办结期限：{due} 前。",
    )
    assert case.query_code not in record["text"]
    message = Message.objects.get(category="case.accepted")
    assert (message.recipient, message.in_inbox, message.sender) == (None, False, hall.clerk)
    assert list(message.deliveries.values_list("channel", "address", "state", "attempts", "provider_reference")) == [
        ("sms", "13953600009", "sent", 1, record["reference"])
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_acceptance_sends_the_walk_in_nothing(hall, sms_outbox):
    class ChangeFailed(Exception):
        pass

    case = walk_in(hall, phone="13953600009")
    sms_outbox.clear()  # the text at registration

    with pytest.raises(ChangeFailed), transaction.atomic():
        case_accept(actor=hall.clerk, case=case)
        raise ChangeFailed

    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    assert not Message.objects.filter(category="case.accepted").exists()
    assert sms_outbox == []


def test_a_walk_in_without_a_phone_number_is_told_nothing_and_acceptance_goes_through(
    hall, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = walk_in(hall)
        case = case_accept(actor=hall.clerk, case=case)

    assert case.state == CaseState.ACCEPTED
    assert callbacks == []
    assert Message.objects.count() == 0
    assert sms_outbox == []


def test_an_account_holder_is_told_in_the_inbox_by_sms_and_e_mail_as_before(
    hall, sms_outbox, django_capture_on_commit_callbacks
):
    case = online(hall)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_accept(actor=hall.clerk, case=case)

    message = Message.objects.get(category="case.accepted")
    assert (message.recipient, message.in_inbox, message.subject) == (
        hall.enterprise,
        True,
        f"您的申请已受理：{case.number}",
    )
    assert sorted(message.deliveries.values_list("channel", "address", "state")) == [
        ("email", "", "skipped"),
        ("inapp", "", "sent"),
        ("sms", "13953600003", "sent"),
    ]
    assert [sms.phone for sms in sms_outbox] == ["13953600003"]
    assert not Message.objects.filter(recipient=None).exists()


def test_the_station_agent_is_told_in_their_message_centre_of_what_happens_to_a_case_they_filed(
    hall, sms_outbox, django_capture_on_commit_callbacks
):
    case = case_submit_by_proxy(
        agent=hall.agent,
        applicant=hall.citizen,
        item_version=hall.version,
        materials=[{"material": hall.form, "file": hall.pdf()}],
        consent_text="本人同意由便民服务站代办员代为申报。",
    )
    with django_capture_on_commit_callbacks(execute=True):
        case = case_accept(actor=hall.clerk, case=case)

    applicant = Message.objects.get(category="case.accepted", recipient=hall.citizen)
    agent = Message.objects.get(category="case.accepted", recipient=hall.agent)
    assert (agent.subject, agent.body, agent.link, agent.in_inbox, agent.sender) == (
        f"代办件：您的申请已受理：{case.number}",
        f"申请人：张晓明\n{applicant.body}",
        reverse("workbench:case_detail", args=[case.number]),
        True,
        hall.clerk,
    )
    assert list(agent.deliveries.values_list("channel", "state")) == [("inapp", "sent")]
    assert [sms.phone for sms in sms_outbox] == ["13953600001"]  # the applicant's; none to the agent
    assert not Message.objects.filter(recipient=hall.agent).exclude(pk=agent.pk).exists()  # not of their own filing


def test_immediate_item_accepted_normally_gets_a_one_day_handling_clock(hall):
    immediate = hall.curation.published("000201009000", handling_kind="immediate", promised_limit_days=0)
    materials = [{"material": m, "file": hall.pdf(m.name)} for m in immediate.materials.filter(necessity="required")]
    case = case_submit_online(applicant=hall.enterprise, item_version=immediate, materials=materials)
    case = case_accept(actor=hall.handler, case=case)
    assert case.handling_clock.limit_days == 1


def test_correction_items_may_name_the_item_material(hall):
    case = registered(hall)
    notice = case_request_correction(
        actor=hall.handler, case=case, items=[{"material": hall.business_licence, "problem": "未提交"}]
    )
    assert [item["name"] for item in notice.items] == ["营业执照"]
