"""会签: a multi-instance user task over a list of assignees; all must sign before the flow moves on."""

import pytest
from django.core.exceptions import ValidationError

from zhengwu.workcal.models import Clock
from zhengwu.workflow import engine
from zhengwu.workflow.domain import (
    process_start,
    shipped_process_definition,
    task_complete,
    task_reassign,
    task_return,
    workflow_load,
)
from zhengwu.workflow.models import ProcessInstance, WorkTask

pytestmark = pytest.mark.django_db


def _start(county, subject, signers) -> ProcessInstance:
    instance = process_start(
        actor=county["clerk"],
        definition=shipped_process_definition("countersign_review"),
        subject=subject,
        department=county.approval,
        data={"countersigners": [county[name].pk for name in signers]},
    )
    task_complete(actor=county["clerk"], task=instance.tasks.get(), outcome="accept")
    return instance


def _open(instance):
    return list(instance.tasks.open().order_by("id").values_list("bpmn_id", "assignee__username", "department__code"))


def test_three_countersigners_get_one_task_each_and_all_must_sign(county, frozen, subject):
    instance = _start(county, subject, ("handler", "handler2", "civil_handler"))
    assert _open(instance) == [
        ("countersign", "chengban", "SPJ"),
        ("countersign", "chengban2", "SPJ"),
        ("countersign", "minzheng", "MZJ"),  # countersigning crosses departments
    ]
    tasks = list(instance.tasks.open().order_by("id"))
    assert all(t.is_countersign and t.role == "handler" and t.state == "ready" for t in tasks)
    assert len({t.clock_id for t in tasks}) == 3

    task_complete(actor=county["handler2"], task=tasks[1], outcome="agree", comment="同意")
    assert [row[1] for row in _open(instance)] == ["chengban", "minzheng"]
    task_complete(actor=county["civil_handler"], task=tasks[2], outcome="disagree", comment="建议补充消防意见")
    assert [row[1] for row in _open(instance)] == ["chengban"]
    task_complete(actor=county["handler"], task=tasks[0], outcome="agree")
    assert _open(instance) == [("decide", None, "SPJ")]

    instance.refresh_from_db()
    [decide] = engine.ready_user_tasks(workflow_load(instance))
    assert decide.data["countersign_opinions"] == [  # in the order they signed
        {"user": county["handler2"].pk, "name": "孙承办", "outcome": "agree", "comment": "同意"},
        {"user": county["civil_handler"].pk, "name": "吴民政", "outcome": "disagree", "comment": "建议补充消防意见"},
        {"user": county["handler"].pk, "name": "钱承办", "outcome": "agree", "comment": ""},
    ]
    assert Clock.objects.open().count() == 1


def test_a_countersign_task_belongs_to_its_signer_only(county, frozen, subject):
    instance = _start(county, subject, ("handler", "handler2", "civil_handler"))
    first = instance.tasks.open().order_by("id").first()
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["handler2"], task=first, outcome="agree")
    assert exc.value.messages == ["该环节由钱承办负责，您不能办理。"]


def test_countersigning_survives_reloads_with_an_empty_spec_cache(county, frozen, subject):
    instance = _start(county, subject, ("handler", "handler2", "civil_handler"))
    for task in list(instance.tasks.open().order_by("id")):
        engine._spec_cache.clear()
        task_complete(actor=task.assignee, task=task, outcome="agree")
    assert _open(instance) == [("decide", None, "SPJ")]


def test_a_countersign_task_may_be_reassigned_across_departments(county, frozen, subject):
    instance = _start(county, subject, ("handler", "civil_handler"))
    civil = instance.tasks.open().get(assignee=county["civil_handler"])
    task_reassign(actor=county["civil_handler"], task=civil, assignee=county["civil_handler2"], reason="休假")
    task_complete(actor=county["civil_handler2"], task=civil, outcome="agree")
    assert [row[1] for row in _open(instance)] == ["chengban"]


def test_returning_from_a_countersign_closes_every_open_signature(county, frozen, subject):
    instance = _start(county, subject, ("handler", "handler2", "civil_handler"))
    first, second, _third = instance.tasks.open().order_by("id")
    task_complete(actor=county["handler"], task=first, outcome="agree")
    task_return(actor=county["handler2"], task=second, to_task_id="accept", reason="会签材料缺页")
    assert list(instance.tasks.order_by("id").values_list("bpmn_id", "state")) == [
        ("accept", "completed"),
        ("countersign", "completed"),
        ("countersign", "returned"),
        ("countersign", "returned"),
        ("accept", "ready"),
    ]
    task_complete(actor=county["clerk"], task=instance.tasks.open().get(), outcome="accept")
    assert len(_open(instance)) == 3


def test_an_unknown_countersigner_stops_the_step_and_nothing_changes(county, frozen, subject):
    instance = process_start(
        actor=county["clerk"],
        definition=shipped_process_definition("countersign_review"),
        subject=subject,
        department=county.approval,
        data={"countersigners": [county["handler"].pk, 999999]},
    )
    accept = instance.tasks.get()
    before = (list(WorkTask.objects.values()), ProcessInstance.objects.get().state, Clock.objects.count())
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=county["clerk"], task=accept, outcome="accept")
    assert exc.value.messages == ["环节“会签”的会签人（用户 ID 999999）不存在或不是在职工作人员。"]
    assert (list(WorkTask.objects.values()), ProcessInstance.objects.get().state, Clock.objects.count()) == before


def test_the_leader_may_send_the_case_back_to_countersigning(county, frozen, subject):
    instance = _start(county, subject, ("handler", "civil_handler"))
    for task in list(instance.tasks.open().order_by("id")):
        task_complete(actor=task.assignee, task=task, outcome="agree")
    decide = instance.tasks.open().get()
    task_return(actor=county["leader"], task=decide, to_task_id="countersign", reason="请重新会签")
    assert _open(instance) == [("countersign", "chengban", "SPJ"), ("countersign", "minzheng", "MZJ")]
    for task in list(instance.tasks.open().order_by("id")):
        task_complete(actor=task.assignee, task=task, outcome="agree")
    instance.refresh_from_db()
    [decide] = engine.ready_user_tasks(workflow_load(instance))
    assert [opinion["name"] for opinion in decide.data["countersign_opinions"]] == ["钱承办", "吴民政"]
