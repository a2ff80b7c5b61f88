"""Extension (延期) of the handling period: asked by the department, decided by its leader in charge."""

# ruff: noqa: F811 (the `leader` and `hall` fixtures are imported)

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.accounts.factories import make_staff
from tests.cases.clock_helpers import at, case_events, in_progress, leader, on  # noqa: F401
from tests.cases.test_suspension import suspend
from zhengwu.accounts.enums import Role
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_extension_decide, case_extension_request, case_resume, case_timeline
from zhengwu.cases.enums import CaseState, ExtensionState
from zhengwu.cases.models import CaseExtension
from zhengwu.cases.rules import extensions_to_decide
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message
from zhengwu.workcal.models.clock import Clock, ClockExtension

pytestmark = pytest.mark.django_db

REASON = "需现场核查的经营场所较多。"


def request(hall, case, **overrides) -> CaseExtension:
    return case_extension_request(**({"actor": hall.handler, "case": case, "reason": REASON} | overrides))


def handling(case) -> Clock:
    return Clock.objects.get(pk=case.handling_clock_id)


def test_due_date_moves_across_a_suspension_and_an_extension(hall, leader):
    case = in_progress(hall)  # due Mon 03-09
    with time_machine.travel(at(4), tick=False):
        suspend(hall, case)
    with time_machine.travel(at(9), tick=False):
        case_resume(actor=hall.handler, case=case)  # 3 working days not counted: due Thu 03-12
    with time_machine.travel(at(10), tick=False):
        extension = request(hall, case)
    assert (extension.days, extension.state, extension.due_date_before) == (10, ExtensionState.REQUESTED, on(12))
    assert handling(case).due_date == on(12)  # nothing moves before approval
    with time_machine.travel(at(11), tick=False):
        case_extension_decide(actor=leader, extension=extension, approve=True, comment="同意。")
    clock = handling(case)
    assert (clock.extension_days, clock.paused_days, clock.due_date) == (10, 3, on(26))
    extension.refresh_from_db()
    assert (extension.state, extension.decided_by, extension.decided_at, extension.due_date_after) == (
        ExtensionState.APPROVED,
        leader,
        at(11),
        on(26),
    )
    recorded = ClockExtension.objects.get(clock=clock)
    assert (recorded.days, recorded.approver) == (10, leader)
    assert case_events(case)[-3:] == ["cases.resumed", "cases.extension_requested", "cases.extended"]


@time_machine.travel(at(4), tick=False)
def test_the_leader_is_notified_and_the_applicant_told_of_the_approval(hall, leader):
    case = in_progress(hall)
    extension = request(hall, case, days=5)
    note = Message.objects.get(recipient=leader, category=Category.CASE_EXTENSION_REQUESTED)
    assert note.subject == f"延期审批：{case.number} 申请延长 5 个工作日"
    assert note.link == "/workbench/cases/extensions/"
    expected = f"办件 {case.number}（{hall.version.name}）申请延长办理期限 5 个工作日，原届满日 2026-03-09。"
    assert note.body == f"{expected}\n理由：{REASON}"
    assert not Message.objects.filter(recipient=hall.enterprise, category=Category.CASE_EXTENDED).exists()

    case_extension_decide(actor=leader, extension=extension, approve=True)
    told = Message.objects.get(recipient=hall.enterprise, category=Category.CASE_EXTENDED)
    assert told.body == (
        f"因{REASON}，经本机关负责人批准，您的办件办理期限延长 5 个工作日，届满日由 2026-03-09 延至 2026-03-16"
        "（《行政许可法》第四十二条）。"
    )
    assert (case_timeline(case)[-1].label, case_timeline(case)[-1].detail) == (
        "延长办理期限",
        f"延长 5 个工作日，届满日由 2026-03-09 延至 2026-03-16；理由：{REASON}",
    )


@time_machine.travel(at(4), tick=False)
def test_a_unit_head_is_asked_when_the_department_has_no_leader_in_charge(hall):
    head = make_staff("juzhang", department=hall.department, display_name="局长", roles=(Role.UNIT_HEAD,))
    case = in_progress(hall)
    extension = request(hall, case)
    assert list(
        Message.objects.filter(category=Category.CASE_EXTENSION_REQUESTED).values_list("recipient", flat=True)
    ) == [head.pk]
    case_extension_decide(actor=head, extension=extension, approve=True)
    assert handling(case).due_date == on(23)


@time_machine.travel(at(4), tick=False)
def test_nobody_approves_an_extension_they_asked_for_themselves(hall, leader):
    both = make_staff(
        "kezhang2",
        department=hall.department,
        display_name="兼任领导",
        roles=(Role.SECTION_HEAD, Role.LEADER_IN_CHARGE),
    )
    case = in_progress(hall)
    extension = request(hall, case, actor=both)
    assert list(
        Message.objects.filter(category=Category.CASE_EXTENSION_REQUESTED).values_list("recipient", flat=True)
    ) == [leader.pk]
    assert (list(extensions_to_decide(both)), list(extensions_to_decide(leader))) == ([], [extension])
    with pytest.raises(ValidationError) as exc:
        case_extension_decide(actor=both, extension=extension, approve=True)
    assert exc.value.messages == ["本人申请的延期不能由本人审批。"]
    extension.refresh_from_db()
    assert (extension.state, handling(case).extension_days) == (ExtensionState.REQUESTED, 0)
    case_extension_decide(actor=leader, extension=extension, approve=True)
    assert handling(case).extension_days == 10


@time_machine.travel(at(4), tick=False)
def test_an_extension_may_be_asked_and_approved_while_the_case_is_suspended(hall, leader):
    case = in_progress(hall)
    suspend(hall, case)
    extension = request(hall, case)
    case_extension_decide(actor=leader, extension=extension, approve=True)
    assert case.state == CaseState.SUSPENDED
    with time_machine.travel(at(9), tick=False):
        case_resume(actor=hall.handler, case=case)
    assert handling(case).due_date == on(26)


@time_machine.travel(at(4), tick=False)
def test_rejection_needs_a_comment_and_leaves_the_clock_alone(hall, leader):
    case = in_progress(hall)
    extension = request(hall, case)
    with pytest.raises(ValidationError) as exc:
        case_extension_decide(actor=leader, extension=extension, approve=False, comment=" ")
    assert exc.value.message_dict == {"comment": ["不予批准的，请填写审批意见。"]}
    case_extension_decide(actor=leader, extension=extension, approve=False, comment="可在期限内办结。")
    extension.refresh_from_db()
    assert (extension.state, extension.decision_comment, extension.due_date_after) == (
        ExtensionState.REJECTED,
        "可在期限内办结。",
        None,
    )
    assert (handling(case).extension_days, handling(case).due_date) == (0, on(9))
    assert not Message.objects.filter(category=Category.CASE_EXTENDED).exists()
    assert AuditEvent.objects.filter(action="cases.extension_rejected").count() == 1
    # after a rejection the department may ask again
    assert request(hall, case).state == ExtensionState.REQUESTED


@time_machine.travel(at(4), tick=False)
@pytest.mark.parametrize("who", ["handler", "section_head", "outsider", "other_leader"])
def test_only_a_leader_of_the_case_department_may_decide(hall, leader, who):
    other_leader = make_staff(
        "fenguan2", department=hall.other_department, display_name="他局领导", roles=(Role.LEADER_IN_CHARGE,)
    )
    actor = other_leader if who == "other_leader" else getattr(hall, who)
    case = in_progress(hall)
    extension = request(hall, case)
    with pytest.raises(ValidationError) as exc:
        case_extension_decide(actor=actor, extension=extension, approve=True)
    assert exc.value.messages == ["只有本部门的分管领导或单位负责人可以审批延期。"]
    extension.refresh_from_db()
    assert extension.state == ExtensionState.REQUESTED
    assert handling(case).extension_days == 0


@time_machine.travel(at(4), tick=False)
def test_one_extension_per_case_and_one_pending_request(hall, leader):
    case = in_progress(hall)
    extension = request(hall, case, days=3)
    with pytest.raises(ValidationError) as exc:
        request(hall, case)
    assert exc.value.messages == ["该办件已有待审批的延期申请。"]
    case_extension_decide(actor=leader, extension=extension, approve=True)
    with pytest.raises(ValidationError) as exc:
        case_extension_decide(actor=leader, extension=extension, approve=True)
    assert exc.value.messages == ["该延期申请已经审批（已批准），不能重复审批。"]
    with pytest.raises(ValidationError) as exc:
        request(hall, case, days=2)
    assert exc.value.messages == ["该办件已延长过办理期限，依法只能延长一次。"]
    assert CaseExtension.objects.count() == 1
    assert handling(case).extension_days == 3


@time_machine.travel(at(4), tick=False)
@pytest.mark.parametrize("days", [0, 11, "10", True])
def test_days_beyond_the_statutory_extension_are_refused(hall, days):
    case = in_progress(hall)
    with pytest.raises(ValidationError) as exc:
        request(hall, case, days=days)
    assert exc.value.message_dict == {"days": ["延长天数须为 1 至 10 个工作日。"]}
    assert not CaseExtension.objects.exists()


@time_machine.travel(at(4), tick=False)
def test_only_the_department_may_ask_and_a_reason_is_required(hall):
    case = in_progress(hall)
    with pytest.raises(ValidationError) as exc:
        request(hall, case, actor=hall.outsider)
    assert exc.value.messages == ["只有本部门的承办人或科长可以申请延长办理期限。"]
    with pytest.raises(ValidationError) as exc:
        request(hall, case, reason="")
    assert exc.value.message_dict == {"reason": ["请填写延长办理期限的理由。"]}
    assert not CaseExtension.objects.exists()


def test_an_overdue_case_can_no_longer_be_extended(hall, leader):
    case = in_progress(hall)
    with time_machine.travel(at(9, 17), tick=False):
        extension = request(hall, case)
    with time_machine.travel(at(10), tick=False):
        with pytest.raises(ValidationError) as exc:
            case_extension_decide(actor=leader, extension=extension, approve=True)
        assert exc.value.messages == ["办理期限已于 2026-03-09 届满，不能再延长。"]
        with pytest.raises(ValidationError):
            request(hall, case)
    extension.refresh_from_db()
    assert extension.state == ExtensionState.REQUESTED
