import re
from datetime import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.accounts.factories import resident_id
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import (
    AlreadySubmitted,
    case_register_at_window,
    case_submit_by_proxy,
    case_submit_online,
    intake,
    submission_key_new,
)
from zhengwu.cases.enums import CaseState, Channel, MaterialStatus
from zhengwu.cases.models import Case, CaseCounter, CaseMaterial
from zhengwu.notifications.models import Message
from zhengwu.workcal.clock_enums import ClockStatus
from zhengwu.workcal.models import Clock

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_default_timezone())  # a Monday


def _error(call, **kwargs) -> dict | list:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    error = caught.value
    return error.message_dict if hasattr(error, "error_dict") else error.messages


def _nothing_written(before_audit: int) -> None:
    assert Case.objects.count() == 0
    assert CaseMaterial.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="cases.").exclude(action="cases.file_stored").count() == 0
    assert AuditEvent.objects.count() == before_audit


@time_machine.travel(NOON, tick=False)
def test_online_submission_creates_case_with_number_code_clock_audit_and_message(hall):
    case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    item = hall.version.item
    assert case.number == f"{item.implementation_code}202603020001"
    assert re.fullmatch(r"\d{6}", case.query_code)
    assert case.state == CaseState.SUBMITTED
    assert case.channel == Channel.ONLINE
    assert case.department == hall.department
    assert (case.applicant, case.applicant_kind, case.applicant_name) == (
        hall.enterprise,
        "legal",
        "青川绿源农业科技有限公司",
    )
    assert case.applicant_id_type == "credit_code"
    assert case.applicant_id_number == hall.enterprise.enterprise.credit_code
    assert case.received_at == NOON
    clock = case.acceptance_clock
    assert (clock.preset, clock.limit_days, clock.status) == ("licence_acceptance", 5, ClockStatus.RUNNING)
    assert clock.due_date.isoformat() == "2026-03-09"
    assert case.handling_clock is None
    rows = list(case.materials.values_list("name", "status"))
    assert rows == [
        ("食品经营许可申请书", MaterialStatus.PROVIDED),
        ("营业执照", MaterialStatus.PROVIDED),
        ("法定代表人授权委托书", MaterialStatus.MISSING),
    ]
    event = AuditEvent.objects.get(action="cases.submitted")
    assert event.object_id == str(case.pk)
    assert event.after["channel"] == "online"
    message = Message.objects.get(recipient=hall.enterprise)
    assert message.subject == "您的申请已收到：食品经营许可证核发"
    assert f"办件编号：{case.number}\n查询码：{case.query_code}" in message.body
    assert "2026-03-09 前" in message.body


@time_machine.travel(NOON, tick=False)
def test_the_acceptance_clock_goes_in_with_the_case_on_postgresql_pointing_at_the_key_drawn_with_the_number(hall):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengwu.workcal.models import Clock

    with CaptureQueriesContext(connection) as queries:
        case = case_submit_online(applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials())
    writes = [q["sql"] for q in queries.captured_queries if 'INSERT INTO "workcal_clock"' in q["sql"]]
    assert len(writes) == 1
    if connection.vendor == "postgresql":  # held back, then sent as a WITH clause of the case's insert
        assert writes[0].startswith('WITH held0 AS (INSERT INTO "workcal_clock" ("id",')
        assert ') INSERT INTO "cases_case"' in writes[0]
    else:
        assert writes[0].startswith('INSERT INTO "workcal_clock"')
    clock = Clock.objects.get(pk=case.acceptance_clock_id)
    assert (clock.object_id, clock.status) == (str(case.pk), ClockStatus.RUNNING)


def test_online_submission_may_use_own_valid_licence_instead_of_upload(hall):
    licence = hall.licence(hall.enterprise)
    case = case_submit_online(
        applicant=hall.enterprise,
        item_version=hall.version,
        materials=[
            {"material": hall.form, "file": hall.pdf()},
            {"material": hall.business_licence, "licence": licence.pk},
        ],
    )
    row = case.materials.get(item_material=hall.business_licence)
    assert (row.licence, row.file, row.status) == (licence, None, MaterialStatus.PROVIDED)


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("other", "只能选用申请人本人的电子证照。"),
        ("revoked", "电子证照 YYZZ2026000009 已撤销，不能作为申请材料。"),
        ("expired", "电子证照 YYZZ2026000001 已过期，不能作为申请材料。"),
        ("missing", "所选电子证照不存在。"),
    ],
)
def test_licence_of_someone_else_revoked_expired_or_unknown_is_refused(hall, which, message):
    if which == "other":
        licence_id = hall.licence(hall.other_enterprise).pk
    elif which == "revoked":
        licence_id = hall.revoked_licence(hall.enterprise).pk
    elif which == "expired":
        licence_id = hall.licence(hall.enterprise, valid_until=timezone.localdate().replace(year=2020)).pk
    else:
        licence_id = 999999
    materials = [
        {"material": hall.form, "file": hall.pdf()},
        {"material": hall.business_licence, "licence": licence_id},
    ]
    audit = AuditEvent.objects.count()
    errors = _error(case_submit_online, applicant=hall.enterprise, item_version=hall.version, materials=materials)
    assert errors == {"materials": [message]}
    _nothing_written(audit)


def test_licence_cannot_stand_for_a_material_that_does_not_accept_one(hall):
    materials = [
        {"material": hall.form, "licence": hall.licence(hall.enterprise).pk},
        {"material": hall.business_licence, "file": hall.pdf()},
    ]
    errors = _error(case_submit_online, applicant=hall.enterprise, item_version=hall.version, materials=materials)
    assert errors == {"materials": ["材料“食品经营许可申请书”不能以电子证照替代。"]}


def test_online_submission_needs_every_required_material(hall):
    materials = [{"material": hall.form, "file": hall.pdf()}]
    audit = AuditEvent.objects.count()
    errors = _error(case_submit_online, applicant=hall.enterprise, item_version=hall.version, materials=materials)
    assert errors == {"materials": ["请提交必要材料：营业执照。"]}
    _nothing_written(audit)


def test_material_of_another_item_is_refused(hall):
    other = hall.curation.published("000201002000")
    materials = [{"material": other.materials.first(), "file": hall.pdf()}]
    errors = _error(case_submit_online, applicant=hall.enterprise, item_version=hall.version, materials=materials)
    assert errors == {"materials": ["所提交的材料不属于该事项。"]}


def test_kind_mismatch_is_refused(hall):
    for_companies = hall.curation.published("000201003000", for_natural_persons=False)
    audit = AuditEvent.objects.count()
    errors = _error(case_submit_online, applicant=hall.citizen, item_version=for_companies, materials=[])
    assert errors == {"applicant": ["该事项的服务对象不含自然人。"]}
    _nothing_written(audit)


def test_unpublished_version_is_refused(hall):
    draft = hall.curation.draft("000201004000")
    errors = _error(case_submit_online, applicant=hall.enterprise, item_version=draft, materials=[])
    assert errors == {"item_version": ["该事项版本未发布或已停用，不能申请。"]}


def test_staff_cannot_apply_online(hall):
    errors = _error(case_submit_online, applicant=hall.handler, item_version=hall.version, materials=[])
    assert errors == {"applicant": ["只有已登录的个人或法人用户可以网上申报。"]}


WALK_IN = {"kind": "natural", "name": "李梅", "id_type": "resident_id", "id_number": resident_id("33010219850101002")}


@time_machine.travel(NOON, tick=False)
def test_window_registration_records_clerk_window_and_missing_materials(hall):
    case = case_register_at_window(
        clerk=hall.clerk,
        item_version=hall.version,
        applicant_snapshot=WALK_IN | {"phone": "139 5360 0009"},
        materials=[{"material": hall.form, "file": hall.pdf()}],
    )
    assert (case.channel, case.registered_by, case.window) == (Channel.WINDOW, hall.clerk, hall.intake_window)
    assert (case.applicant, case.applicant_name, case.applicant_phone) == (None, "李梅", "13953600009")
    assert case.materials.get(item_material=hall.business_licence).status == MaterialStatus.MISSING
    assert AuditEvent.objects.get(action="cases.submitted").actor_id == hall.clerk.pk
    # no account: one SMS to the number given at the window, without the query code (it is on the receipt)
    message = Message.objects.get()
    assert (message.recipient, message.category, message.in_inbox) == (None, "case.submitted", False)
    assert message.body == (
        f"办件编号：{case.number}\n收件时间：2026-03-02 10:00\n"
        "我们将在 2026-03-09 前作出是否受理的决定或一次性告知需要补正的材料。查询码见收件回执。"
    )
    assert case.query_code not in message.body
    assert list(message.deliveries.values_list("channel", "address")) == [("sms", "13953600009")]


def test_registration_window_registers_for_any_department(hall):
    case = case_register_at_window(
        clerk=hall.registrar, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[]
    )
    assert case.window.number == "R01"


def test_window_not_serving_the_department_cannot_register(hall):
    audit = AuditEvent.objects.count()
    errors = _error(
        case_register_at_window,
        clerk=hall.other_clerk,
        item_version=hall.version,
        applicant_snapshot=WALK_IN,
        materials=[],
    )
    assert errors == {"window": ["窗口“区政务服务中心 B01 民政专窗”不能为区市场监督管理局登记办件。"]}
    _nothing_written(audit)


def test_non_clerk_cannot_register(hall):
    errors = _error(
        case_register_at_window, clerk=hall.handler, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[]
    )
    assert errors == {"window": ["您不是窗口人员或未分配窗口，不能登记办件。"]}


def test_window_snapshot_is_validated(hall):
    errors = _error(
        case_register_at_window,
        clerk=hall.clerk,
        item_version=hall.version,
        applicant_snapshot={"kind": "natural", "name": "", "id_type": "resident_id", "id_number": "330102198501010000"},
        materials=[],
    )
    assert set(errors) == {"name", "id_number"}
    assert errors["name"] == ["请填写申请人姓名或名称。"]


def test_walk_in_may_reuse_a_licence_matching_their_id_number(hall):
    licence = hall.licence(hall.enterprise)
    snapshot = {"kind": "legal", "name": "青川绿源农业科技有限公司", "id_number": licence.holder_id_number}
    case = case_register_at_window(
        clerk=hall.clerk,
        item_version=hall.version,
        applicant_snapshot=snapshot,
        materials=[{"material": hall.business_licence, "licence": licence}],
    )
    assert case.applicant_id_type == "credit_code"
    assert case.materials.get(item_material=hall.business_licence).licence == licence


def test_proxy_submission_records_agent_and_consent(hall):
    consent = hall.pdf("consent")
    case = case_submit_by_proxy(
        agent=hall.agent,
        applicant=hall.citizen,
        item_version=hall.version,
        materials=[{"material": hall.form, "file": hall.pdf()}],
        consent_text="本人同意由便民服务站代办员代为申报。",
        consent_file=consent,
    )
    assert (case.channel, case.proxy_agent, case.applicant) == (Channel.PROXY, hall.agent, hall.citizen)
    assert (case.consent_text, case.consent_file) == ("本人同意由便民服务站代办员代为申报。", consent)
    assert (case.applicant_kind, case.applicant_name) == ("natural", "张晓明")
    assert Message.objects.filter(recipient=hall.citizen).count() == 1
    assert Message.objects.count() == 1  # the agent filed it: not told of their own filing


def test_proxy_needs_consent_and_an_agent(hall):
    audit = AuditEvent.objects.count()
    kwargs = {"applicant": hall.citizen, "item_version": hall.version, "materials": []}
    assert _error(case_submit_by_proxy, agent=hall.agent, consent_text="  ", **kwargs) == {
        "consent_text": ["请记录申请人同意委托代办的意见。"]
    }
    assert _error(case_submit_by_proxy, agent=hall.clerk, consent_text="同意", **kwargs) == {
        "agent": ["只有便民服务站代办员可以代办申报。"]
    }
    _nothing_written(audit)


@time_machine.travel(NOON, tick=False)
def test_twenty_cases_get_sequential_numbers_per_item_and_day(hall):
    numbers = [
        case_register_at_window(
            clerk=hall.clerk, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[]
        ).number
        for _ in range(20)
    ]
    prefix = f"{hall.version.item.implementation_code}20260302"
    assert numbers == [f"{prefix}{serial:04d}" for serial in range(1, 21)]
    other = hall.curation.published("000201005000")
    first_of_other = case_register_at_window(
        clerk=hall.clerk, item_version=other, applicant_snapshot=WALK_IN, materials=[]
    )
    assert first_of_other.number == f"{other.item.implementation_code}202603020001"


@time_machine.travel(NOON, tick=False)
def test_a_number_already_taken_is_skipped(hall):
    prefix = f"{hall.version.item.implementation_code}20260302"
    first = case_register_at_window(
        clerk=hall.clerk, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[]
    )
    Case.objects.filter(pk=first.pk).update(number=f"{prefix}0002")  # e.g. given by a departmental system
    second = case_register_at_window(
        clerk=hall.clerk, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[]
    )
    assert second.number == f"{prefix}0003"
    assert CaseCounter.objects.get(item=hall.version.item).last_serial == 3


@time_machine.travel(NOON, tick=False)
def test_the_day_s_last_serial_used_refuses_the_next_case_and_keeps_the_counter(hall):
    CaseCounter.objects.create(item=hall.version.item, day=NOON.date(), last_serial=9999)
    audit = AuditEvent.objects.count()
    errors = _error(
        case_register_at_window, clerk=hall.clerk, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[]
    )
    assert errors == ["该事项当日办件编号已用尽（最多 9999 件）。"]
    assert CaseCounter.objects.get(item=hall.version.item).last_serial == 9999
    _nothing_written(audit)


def test_serial_starts_again_the_next_day(hall):
    with time_machine.travel(NOON, tick=False):
        case_register_at_window(clerk=hall.clerk, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[])
    with time_machine.travel(NOON.replace(day=3), tick=False):
        case = case_register_at_window(
            clerk=hall.clerk, item_version=hall.version, applicant_snapshot=WALK_IN, materials=[]
        )
    assert case.number.endswith("202603030001")


# ---- the same form posted twice (a double click, a browser's retry) -------------------------------------------
def _resubmitted(call, **kwargs) -> Case:
    with pytest.raises(AlreadySubmitted) as caught:
        call(**kwargs)
    return caught.value.case


def _filed_once(first: Case) -> None:
    assert list(Case.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditEvent.objects.filter(action="cases.submitted").count() == 1
    assert CaseCounter.objects.get(item=first.item_version.item).last_serial == 1
    assert Clock.objects.count() == 1
    assert audit_verify() is None


@time_machine.travel(NOON, tick=False)
def test_an_online_form_posted_twice_files_one_case_and_the_second_post_answers_with_it(hall):
    key = submission_key_new()
    kwargs = {"applicant": hall.enterprise, "item_version": hall.version, "submission_key": key}
    first = case_submit_online(materials=hall.full_materials(), **kwargs)
    assert first.submission_key == key

    again = _resubmitted(case_submit_online, materials=hall.full_materials(), **kwargs)

    assert (again.pk, again.number, again.query_code) == (first.pk, first.number, first.query_code)
    _filed_once(first)
    assert Message.objects.filter(recipient=hall.enterprise).count() == 1


@time_machine.travel(NOON, tick=False)
def test_a_new_form_s_key_files_a_new_case(hall):
    kwargs = {"applicant": hall.enterprise, "item_version": hall.version}
    first = case_submit_online(materials=hall.full_materials(), submission_key=submission_key_new(), **kwargs)
    second = case_submit_online(materials=hall.full_materials(), submission_key=submission_key_new(), **kwargs)
    unkeyed = [case_submit_online(materials=hall.full_materials(), **kwargs) for _ in range(2)]
    prefix = f"{hall.version.item.implementation_code}20260302"
    assert [first.number, second.number, *(case.number for case in unkeyed)] == [
        f"{prefix}{serial:04d}" for serial in range(1, 5)
    ]
    assert [case.submission_key for case in unkeyed] == [None, None]


@time_machine.travel(NOON, tick=False)
def test_a_post_that_loses_the_race_for_its_key_answers_with_the_case_the_winner_filed(hall, monkeypatch):
    """Two posts of one form at once: both look before either has filed, so the unique key makes the later insert
    fail; it rolls back whole (number, clock, materials, audit, message) and answers with the first post's case."""
    key = submission_key_new()
    kwargs = {"applicant": hall.enterprise, "item_version": hall.version, "submission_key": key}
    first = case_submit_online(materials=hall.full_materials(), **kwargs)
    looks = []
    answer = intake._answer_resubmission

    def late_look(found_key, **look):
        looks.append(found_key)
        if len(looks) > 1:  # the look after the failed insert; the first found nothing (the winner had not committed)
            answer(found_key, **look)

    monkeypatch.setattr(intake, "_answer_resubmission", late_look)
    materials = hall.full_materials()

    again = _resubmitted(case_submit_online, materials=materials, **kwargs)

    assert looks == [key, key]
    assert again.pk == first.pk
    _filed_once(first)
    assert CaseMaterial.objects.filter(case=first).count() == 3
    assert Message.objects.filter(recipient=hall.enterprise).count() == 1


def test_a_key_someone_else_filed_with_is_refused_without_naming_their_case(hall):
    key = submission_key_new()
    first = case_submit_online(
        applicant=hall.enterprise, item_version=hall.version, materials=hall.full_materials(), submission_key=key
    )
    audit = AuditEvent.objects.count()
    refused = {"submission_key": ["提交凭据无效，请重新打开表单填写后提交。"]}
    assert (
        _error(
            case_submit_by_proxy,
            agent=hall.agent,
            applicant=hall.enterprise,
            item_version=hall.version,
            materials=[],
            consent_text="同意",
            submission_key=key,
        )
        == refused
    )
    assert (
        _error(
            case_register_at_window,
            clerk=hall.clerk,
            item_version=hall.version,
            applicant_snapshot=WALK_IN,
            materials=[],
            submission_key=key,
        )
        == refused
    )
    assert list(Case.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditEvent.objects.count() == audit


@pytest.mark.parametrize("key", ["", "short", "键" * 20, "a" * 65, "a" * 20 + " "])
def test_a_malformed_submission_key_is_refused_and_nothing_filed(hall, key):
    materials = hall.full_materials()
    audit = AuditEvent.objects.count()
    errors = _error(
        case_submit_online,
        applicant=hall.enterprise,
        item_version=hall.version,
        materials=materials,
        submission_key=key,
    )
    assert errors == {"submission_key": ["提交凭据无效，请重新打开表单填写后提交。"]}
    _nothing_written(audit)


@time_machine.travel(NOON, tick=False)
def test_a_window_registration_posted_twice_registers_one_case(hall):
    key = submission_key_new()
    kwargs = {"item_version": hall.version, "applicant_snapshot": WALK_IN, "submission_key": key}
    first = case_register_at_window(clerk=hall.clerk, materials=[{"material": hall.form, "file": hall.pdf()}], **kwargs)

    again = _resubmitted(case_register_at_window, clerk=hall.clerk, materials=[], **kwargs)

    assert again.pk == first.pk
    _filed_once(first)
    # the same key from another clerk's console is not theirs to answer with
    assert _error(case_register_at_window, clerk=hall.registrar, materials=[], **kwargs) == {
        "submission_key": ["提交凭据无效，请重新打开表单填写后提交。"]
    }


@time_machine.travel(NOON, tick=False)
def test_a_proxy_filing_posted_twice_files_one_case(hall):
    kwargs = {
        "agent": hall.agent,
        "applicant": hall.citizen,
        "item_version": hall.version,
        "consent_text": "本人同意由便民服务站代办员代为申报。",
        "submission_key": submission_key_new(),
    }
    first = case_submit_by_proxy(materials=[{"material": hall.form, "file": hall.pdf()}], **kwargs)

    again = _resubmitted(case_submit_by_proxy, materials=[], **kwargs)

    assert again.pk == first.pk
    _filed_once(first)


def _statements(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


@time_machine.travel(NOON, tick=False)
def test_a_submission_key_costs_one_lookup_and_a_filing_without_one_runs_nothing_more(hall):
    def submit(**kwargs):
        materials = hall.full_materials()
        return lambda: case_submit_online(
            applicant=hall.enterprise, item_version=hall.version, materials=materials, **kwargs
        )

    submit()()  # warm: the version's materials and the statements' texts are kept per process
    without = _statements(submit())
    keyed = _statements(submit(submission_key=submission_key_new()))

    lookup = '"cases_case"."submission_key" = '  # (the column is in the case's INSERT either way)
    assert len(keyed) == len(without) + 1
    assert keyed[0].startswith("SELECT") and lookup in keyed[0]
    assert not any(lookup in sql for sql in without)
