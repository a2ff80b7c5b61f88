"""Who may act on and see tasks, and the inbox query the cases app builds on."""

import pytest

from tests.accounts.factories import make_staff_record
from tests.workflow.conftest import make_subject
from zhengwu.workflow.domain import (
    default_process_definition,
    process_start,
    shipped_process_definition,
    task_claim,
    task_complete,
)
from zhengwu.workflow.models import WorkTask
from zhengwu.workflow.rules import can_act_on_task, can_reassign_task, can_view_instance, inbox_filter, scope_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(county, frozen):
    """One case waiting for review (pool), one claimed by 钱承办, one in the co-department's branch."""
    default = default_process_definition()
    pooled = process_start(
        actor=county["clerk"], definition=default, subject=make_subject(), department=county.approval
    )
    claimed = process_start(
        actor=county["clerk"], definition=default, subject=make_subject(), department=county.approval
    )
    parallel = process_start(
        actor=county["clerk"],
        definition=shipped_process_definition("parallel_approval"),
        subject=make_subject(),
        department=county.approval,
        lane_map={"协办部门审查": county.civil},
    )
    for instance in (pooled, claimed, parallel):
        task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    task_claim(actor=county["handler"], task=claimed.tasks.open().get())
    return {
        "pooled": pooled.tasks.open().get(),
        "claimed": claimed.tasks.open().get(),
        "lead": parallel.tasks.open().get(bpmn_id="review_lead"),
        "co": parallel.tasks.open().get(bpmn_id="review_co"),
        "parallel": parallel,
    }


def _inbox(user) -> list[int]:
    return sorted(WorkTask.objects.filter(inbox_filter(user)).values_list("pk", flat=True))


def test_the_inbox_holds_the_users_own_tasks_and_the_pool_of_their_role_in_their_department(county, tasks):
    assert _inbox(county["handler"]) == sorted([tasks["pooled"].pk, tasks["claimed"].pk, tasks["lead"].pk])
    assert _inbox(county["handler2"]) == sorted([tasks["pooled"].pk, tasks["lead"].pk])
    assert _inbox(county["civil_handler"]) == [tasks["co"].pk]
    assert _inbox(county["clerk"]) == []
    assert _inbox(county["leader"]) == []


def test_acting_on_tasks(county, tasks):
    assert can_act_on_task(county["handler2"], tasks["pooled"]) is True
    assert can_act_on_task(county["handler2"], tasks["claimed"]) is False
    assert can_act_on_task(county["handler"], tasks["claimed"]) is True
    assert can_act_on_task(county["civil_handler"], tasks["lead"]) is False
    assert can_act_on_task(county["admin"], tasks["co"]) is True
    assert can_act_on_task(county["supervisor"], tasks["co"]) is False  # supervisors watch, they do not handle
    assert can_reassign_task(county["chief"], tasks["claimed"]) is True
    assert can_reassign_task(county["handler2"], tasks["claimed"]) is False


def test_visibility_is_scoped_to_the_department_unless_county_wide(county, tasks):
    civil_sees = set(scope_tasks(WorkTask.objects.all(), county["civil_handler"]).values_list("pk", flat=True))
    assert civil_sees == {tasks["co"].pk}
    assert scope_tasks(WorkTask.objects.all(), county["supervisor"]).count() == WorkTask.objects.count()
    assert can_view_instance(county["civil_handler"], tasks["parallel"]) is True
    assert can_view_instance(county["civil_handler"], tasks["pooled"].instance) is False
    outsider = make_staff_record("wuguan", "无关人员", None)
    assert scope_tasks(WorkTask.objects.all(), outsider).count() == 0
