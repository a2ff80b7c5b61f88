"""Escalation climbs the reporting line once per rung; colour status of cases."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.accounts.factories import make_staff
from tests.supervision.conftest import HANDLING_DUE, MICRO, at, sweep
from zhengwu.accounts.enums import Role
from zhengwu.cases.models import Case
from zhengwu.notifications.models import Message
from zhengwu.org.enums import PositionRank
from zhengwu.org.models import Position, Section
from zhengwu.supervision.domain import colour_of, colour_status_counts, object_colour
from zhengwu.supervision.enums import AlertLevel, AlertStatus, ColourStatus
from zhengwu.supervision.models import Alert
from zhengwu.workflow.models import WorkTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(hall):
    """承办人 → 科长 → 分管领导 → 局长 in the case's department, plus a supervisor elsewhere."""
    department = hall.department
    section = Section.objects.create(department=department, name="许可科", sort_order=1)
    head = Position.objects.create(department=department, title="局长", rank=PositionRank.UNIT_HEAD)
    deputy = Position.objects.create(
        department=department, title="副局长", rank=PositionRank.LEADER_IN_CHARGE, reports_to=head
    )
    chief = Position.objects.create(
        department=department, section=section, title="许可科科长", rank=PositionRank.SECTION_HEAD, reports_to=deputy
    )
    post = Position.objects.create(
        department=department, section=section, title="许可科承办人", rank=PositionRank.HANDLER, reports_to=chief
    )

    def staff(username, name, role, position=None, dept=department):
        return make_staff(username, department=dept, display_name=name, roles=(role,), position=position)

    staff = {
        "handler": staff("cb1", "承办甲", Role.HANDLER, post),
        "chief": staff("kz1", "科长乙", Role.SECTION_HEAD, chief),
        "deputy": staff("fg1", "分管丙", Role.LEADER_IN_CHARGE, deputy),
        "head": staff("jz1", "局长丁", Role.UNIT_HEAD, head),
        "supervisor": staff("jc1", "监察戊", Role.SUPERVISOR, dept=hall.other_department),
    }
    return staff


def received(category: str) -> list[str]:
    return sorted(Message.objects.filter(category=category).values_list("recipient__username", flat=True))


def test_each_rung_reaches_further_up_the_line_exactly_once(hall, line, accepted):
    task = WorkTask.objects.get(instance__object_id=str(accepted.pk), state__in=["ready", "claimed"])
    task.assignee = line["handler"]
    task.save(update_fields=["assignee"])
    sweep(at(2026, 3, 6))
    sweep(at(2026, 3, 6, 1))
    assert received("supervision.warning") == ["cb1"]
    sweep(HANDLING_DUE + MICRO)
    sweep(HANDLING_DUE + MICRO)
    assert received("supervision.yellow_card") == ["cb1", "fg1", "kz1"]
    sweep(at(2026, 3, 12))
    sweep(at(2026, 3, 13))
    assert received("supervision.red_card") == ["cb1", "fg1", "jc1", "jz1", "kz1"]
    message = Message.objects.filter(category="supervision.red_card", recipient=line["head"]).get()
    assert message.subject == f"【红牌】办理超时：{accepted.number} {accepted.applicant_name}"
    assert "期限届满：2026-03-09 23:59" in message.body
    assert message.link == f"/workbench/cases/{accepted.number}/"


def test_without_an_assignee_the_department_handlers_are_warned(hall, line, accepted):
    sweep(at(2026, 3, 6))
    assert received("supervision.warning") == ["cb1", "chengban"]


def test_a_report_is_never_escalated(hall, line, accepted):
    from tests.cases.test_acceptance import online
    from zhengwu.cases.domain import case_refuse

    case_refuse(actor=hall.handler, case=online(hall), reason="不属于本机关职权")
    sweep(at(2026, 3, 3))
    assert Alert.objects.filter(point__code="approval.negative_filing", notified_level=None).count() == 1
    subjects = list(Message.objects.filter(category__startswith="supervision.").values_list("subject", flat=True))
    assert subjects and all("符合条件不予受理" in subject for subject in subjects)  # the refusal's WARNING only
    body = Message.objects.filter(category="supervision.warning").first().body
    assert body.endswith("请核实情况并说明理由。")


def test_colour_status_of_cases(hall, accepted, settings):
    ct = ContentType.objects.get_for_model(Case)
    assert object_colour(ct, accepted.pk) == ColourStatus.ON_TRACK
    sweep(at(2026, 3, 12))
    assert object_colour(ct, accepted.pk) == ColourStatus.RED
    assert colour_status_counts() == {"on_track": 0, "paused": 0, "warning": 0, "yellow": 0, "red": 1}
    assert colour_status_counts(department=hall.other_department)["red"] == 0
    Alert.objects.update(status=AlertStatus.DISMISSED, handling_note="已核实")
    assert object_colour(ct.pk, accepted.pk) == ColourStatus.ON_TRACK
    assert colour_status_counts(hall.department)["on_track"] == 1
    assert colour_of(ColourStatus.YELLOW) == "orange"
    settings.ZHENGWU_SUPERVISION_COLOURS = {"yellow": "#f5a623"}
    assert colour_of(ColourStatus.YELLOW) == "#f5a623"
    assert AlertLevel.RED == 3
