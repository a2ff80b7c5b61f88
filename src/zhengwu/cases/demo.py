"""Demo cases: about a thousand applications replayed through the real domain functions.

Each case's history is replayed at the moments it happened (time-machine travels the process clock), so
its clocks, audit events and notifications are exactly what the platform would have recorded: some cases
wait for acceptance, some were sent back once, refused, deemed accepted, are in review (some overdue, some in
parallel branches), suspended, decided, paid, certified, delivered, completed and rated. Loaded once: when
the database already holds cases, nothing happens."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from zhengwu.accounts.enums import Role, UserKind
from zhengwu.accounts.models import StaffProfile, User
from zhengwu.cases.domain import (
    case_correction_submit,
    case_handle_immediately,
    case_refuse,
    case_register_at_window,
    case_request_correction,
    case_submit_by_proxy,
    case_submit_online,
    cases_deem_accepted,
    stored_file_save,
)
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete, cases_processing_start_pending
from zhengwu.cases.enums import DecisionOutcome
from zhengwu.cases.models import Case, ItemProcess
from zhengwu.catalog.enums import HandlingKind, VersionState
from zhengwu.catalog.models import ItemMaterial, ItemVersion
from zhengwu.org.enums import WindowKind
from zhengwu.org.models import Department
from zhengwu.workcal.arith import current_index
from zhengwu.workflow.domain import shipped_process_definition
from zhengwu.workflow.enums import OPEN_TASK_STATES
from zhengwu.workflow.models import WorkTask

logger = logging.getLogger(__name__)

DEMO_CASE_COUNT = 1000
SEED = 20261201
HISTORY_WORKING_DAYS = 40
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONSENT = "本人同意由便民服务站代办员代为申报，并对所提交材料的真实性负责。"
BASIS = "依据该事项办事指南所列设定依据"
PARALLEL_ITEMS = 6  # licensing items given a co-approving department (并联审批)

# (stage, weight): where each case's replayed history stops.
STAGES: tuple[tuple[str, int], ...] = (
    ("submitted", 70),
    ("correction", 45),
    ("corrected", 20),
    ("refused", 35),
    ("deemed", 15),
    ("review", 200),
    ("parallel", 60),
    ("deciding", 80),
    ("suspended", 40),
    ("granted", 60),
    ("denied", 35),
    ("completed", 305),
    ("immediate", 35),
)


@dataclass
class DepartmentStaff:
    handler: User
    leader: User
    section_head: User | None = None
    unit_head: User | None = None


@dataclass
class Cast:
    citizens: list[User]
    enterprises: list[User]
    registrar: User  # the 登记验证 window clerk: registers for every department
    agent: User
    fee_clerk: User | None
    staff: dict[int, DepartmentStaff] = field(default_factory=dict)
    co_departments: dict[int, Department] = field(default_factory=dict)  # item_id → co-department


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


class Replay:
    """Replays one case's history; each step at its own moment, each moment later than the last."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.index = current_index()

    def working_moment(self, day, hour: int | None = None) -> datetime:
        hour = hour if hour is not None else self.rng.choice((9, 10, 11, 14, 15, 16))
        return timezone.make_aware(datetime.combine(day, time(hour, self.rng.randrange(60))))

    def days_later(self, moment: datetime, working_days: int) -> datetime:
        day = self.index.add_working_days(timezone.localtime(moment).date(), max(working_days, 0))
        later = self.working_moment(day)
        return later if later > moment else moment + timedelta(minutes=30 + self.rng.randrange(90))

    def received(self, back: int) -> datetime:
        today = timezone.localtime(self.now).date()
        day = today
        while back > 0:
            day -= timedelta(days=1)
            if self.index.is_working_day(day):
                back -= 1
        moment = self.working_moment(day, hour=9 if back == 0 else None)
        return min(moment, self.now - timedelta(minutes=5))


def _cast() -> Cast:
    staff = StaffProfile.objects.select_related("user", "window", "department")
    registrar = staff.filter(window__kind=WindowKind.REGISTRATION).first()
    agent = staff.filter(user__role_assignments__role=Role.STATION_AGENT).first()
    fee_clerk = staff.filter(user__role_assignments__role=Role.FEE_CLERK).first()
    if registrar is None or agent is None:
        raise ValidationError("演示数据缺少登记验证窗口人员或代办员，请先加载演示县。")
    cast = Cast(
        citizens=list(User.objects.filter(kind=UserKind.CITIZEN, citizen__isnull=False).order_by("pk")),
        enterprises=list(User.objects.filter(kind=UserKind.ENTERPRISE, enterprise__isnull=False).order_by("pk")),
        registrar=registrar.user,
        agent=agent.user,
        fee_clerk=fee_clerk.user if fee_clerk else None,
    )
    by_role: dict[tuple[int, str], User] = {}
    for profile in staff.filter(window__isnull=True).order_by("pk"):
        for role in profile.user.role_assignments.values_list("role", flat=True):
            by_role.setdefault((profile.department_id, role), profile.user)
    for (department_id, role), user in by_role.items():
        if role != Role.HANDLER:
            continue
        leader = by_role.get((department_id, Role.LEADER_IN_CHARGE))
        if leader is None:
            continue
        cast.staff[department_id] = DepartmentStaff(
            handler=user,
            leader=leader,
            section_head=by_role.get((department_id, Role.SECTION_HEAD)),
            unit_head=by_role.get((department_id, Role.UNIT_HEAD)),
        )
    return cast


def _versions(cast: Cast) -> tuple[list[ItemVersion], list[ItemVersion]]:
    """Published promised items of departments with staff, and immediate ones."""
    versions = list(
        ItemVersion.objects.filter(state=VersionState.PUBLISHED, item__department_id__in=list(cast.staff))
        .select_related("item__department")
        .order_by("item__implementation_code")
    )
    promised = [v for v in versions if v.handling_kind == HandlingKind.PROMISED]
    immediate = [v for v in versions if v.handling_kind == HandlingKind.IMMEDIATE]
    return promised, immediate


def _parallel_items(cast: Cast, versions: list[ItemVersion]) -> list[ItemVersion]:
    """Give a few items a co-approving department and the shipped parallel flow (idempotent)."""
    definition = shipped_process_definition("parallel_approval")
    department_ids = sorted(cast.staff)
    chosen = [v for v in versions if v.item.department_id in cast.staff][:: max(1, len(versions) // PARALLEL_ITEMS)]
    chosen = chosen[:PARALLEL_ITEMS]
    for version in chosen:
        others = [d for d in department_ids if d != version.item.department_id]
        co = Department.objects.get(pk=others[version.item_id % len(others)])
        mapping, created = ItemProcess.objects.get_or_create(item=version.item, defaults={"definition": definition})
        if created:
            mapping.co_departments.add(co)
        cast.co_departments[version.item_id] = mapping.co_departments.first()
    return chosen


class CaseStory:
    """One case's replay: the steps of its stage, each at its moment."""

    def __init__(self, replay: Replay, cast: Cast, version: ItemVersion, stage: str, serial: int):
        self.replay = replay
        self.rng = replay.rng
        self.cast = cast
        self.version = version
        self.stage = stage
        self.serial = serial
        self.people = cast.staff[version.item.department_id]
        self.case: Case | None = None

    # ---- materials and applicants -------------------------------------------------------------
    def _materials(self, *, leave_out_optional: bool = True) -> list[dict[str, Any]]:
        materials = []
        for material in ItemMaterial.objects.filter(version=self.version).order_by("position", "pk"):
            upload = SimpleUploadedFile(f"{material.name[:40]}.pdf", PDF + f"{self.serial}-{material.pk}".encode())
            materials.append({"material": material, "file": stored_file_save(upload=upload)})
        return materials

    def _applicant(self) -> User:
        pool = []
        if self.version.for_natural_persons:
            pool.append(self.cast.citizens)
        if self.version.for_legal_persons:
            pool.append(self.cast.enterprises)
        return self.rng.choice(self.rng.choice(pool))

    def submit(self, moment: datetime, *, channel: str | None = None) -> Case:
        applicant = self._applicant()
        channel = channel or self.rng.choices(("online", "window", "proxy"), weights=(6, 3, 1))[0]
        if channel == "proxy" and applicant.kind != UserKind.CITIZEN:
            channel = "online"
        with at(moment):
            if channel == "online":
                case = case_submit_online(applicant=applicant, item_version=self.version, materials=self._materials())
            elif channel == "proxy":
                case = case_submit_by_proxy(
                    agent=self.cast.agent,
                    applicant=applicant,
                    item_version=self.version,
                    materials=self._materials(),
                    consent_text=CONSENT,
                )
            else:
                from zhengwu.cases.domain.intake import applicant_snapshot_of

                case = case_register_at_window(
                    clerk=self.cast.registrar,
                    item_version=self.version,
                    applicant_snapshot=applicant_snapshot_of(applicant),
                    applicant=applicant,
                    materials=self._materials(),
                )
        self.case = case
        return case

    # ---- steps ------------------------------------------------------------------------------------
    def accept(self, moment: datetime) -> None:
        with at(moment):
            case_accept_and_start(actor=self.people.handler, case=self.case)

    def open_tasks(self) -> list[WorkTask]:
        return list(
            WorkTask.objects.filter(instance__object_id=str(self.case.pk), state__in=sorted(OPEN_TASK_STATES))
            .select_related("department")
            .order_by("pk")
        )

    def actor_for(self, task: WorkTask) -> User:
        people = self.cast.staff.get(task.department_id, self.people)
        return {
            Role.LEADER_IN_CHARGE: people.leader,
            Role.SECTION_HEAD: people.section_head or people.leader,
            Role.UNIT_HEAD: people.unit_head or people.leader,
        }.get(task.role, people.handler)

    def work(self, moment: datetime, *, until_decision: bool, outcome: str = DecisionOutcome.GRANT) -> datetime:
        """Complete open steps, one working day or so apart; stop before the decision when asked."""
        for _round in range(8):
            tasks = self.open_tasks()
            if not tasks:
                break
            progressed = False
            for task in tasks:
                if task.bpmn_id == "decide":
                    if until_decision:
                        return moment
                    moment = self.replay.days_later(moment, self.rng.randint(0, 2))
                    if moment >= self.replay.now:
                        return moment
                    reasons = "申请材料齐全，符合法定条件、标准。"
                    if outcome == DecisionOutcome.DENY:
                        reasons = "经现场核查，申请人经营场所不符合法定条件。"
                    with at(moment):
                        case_task_complete(
                            actor=self.actor_for(task),
                            task=task,
                            outcome=outcome,
                            reasons=reasons,
                            legal_basis=self.version.legal_basis[:500] or BASIS,
                        )
                    return moment
                moment = self.replay.days_later(moment, self.rng.randint(0, 2))
                if moment >= self.replay.now:
                    return moment
                with at(moment):
                    case_task_complete(actor=self.actor_for(task), task=task, outcome="approve", comment="同意。")
                progressed = True
            if not progressed:
                break
        return moment


def _stage_plan(rng: random.Random, count: int) -> list[str]:
    stages = [stage for stage, _weight in STAGES]
    weights = [weight for _stage, weight in STAGES]
    return rng.choices(stages, weights=weights, k=count)


def _history_depth(rng: random.Random, stage: str) -> int:
    """How many working days ago the case was received, by where its story stops."""
    return {
        "submitted": rng.choice((0, 0, 1, 2, 3, 4, 5)),
        "correction": rng.randint(1, 8),
        "corrected": rng.randint(3, 10),
        "refused": rng.randint(2, 30),
        "deemed": rng.randint(7, 15),
        "review": rng.randint(1, 30),
        "parallel": rng.randint(1, 15),
        "deciding": rng.randint(3, 30),
        "suspended": rng.randint(5, 25),
        "immediate": rng.randint(0, HISTORY_WORKING_DAYS),
    }.get(stage, rng.randint(8, HISTORY_WORKING_DAYS))


# Later lifecycle stages (suspension, fees, certificates, delivery, completion, ratings) plug in here.
FINISHERS: dict[str, Callable[[CaseStory, datetime], None]] = {}


def _tell(story: CaseStory, moment: datetime) -> None:
    case = story.case
    with at(moment):
        case_request_correction(
            actor=story.people.handler,
            case=case,
            items=[
                {"material": m.pk, "problem": "复印件不清晰，请重新提交清晰的扫描件。"}
                for m in case.materials.filter(item_material__isnull=False).order_by("position")[:1]
            ],
        )


def _play(story: CaseStory, cast: Cast, parallel: list[ItemVersion]) -> None:
    rng, replay, stage = story.rng, story.replay, story.stage
    moment = replay.received(_history_depth(rng, stage))
    story.submit(moment)
    case = story.case
    if stage == "submitted":
        return
    if stage == "deemed":
        return  # accepted by the sweep after the loop
    if stage in ("correction", "corrected"):
        moment = replay.days_later(moment, rng.randint(0, 2))
        _tell(story, min(moment, replay.now - timedelta(minutes=3)))
        if stage == "correction":
            return
        moment = replay.days_later(moment, rng.randint(1, 3))
        if moment >= replay.now:
            return
        with at(moment):
            material = case.materials.filter(status__in=("missing", "defective")).first()
            upload = SimpleUploadedFile("补正材料.pdf", PDF + f"corrected-{story.serial}".encode())
            files = {material.item_material_id: stored_file_save(upload=upload)} if material else {}
            case_correction_submit(
                applicant_or_clerk=case.applicant or cast.registrar,
                case=case,
                materials=[{"material": k, "file": v} for k, v in files.items()],
            )
        return
    moment = replay.days_later(moment, rng.randint(0, 3))
    moment = min(moment, replay.now - timedelta(minutes=2))
    if stage == "refused":
        with at(moment):
            case_refuse(
                actor=story.people.handler,
                case=case,
                reason="申请事项依法不属于本机关职权范围，请向有关行政机关申请。",
            )
        return
    story.accept(moment)
    if stage in ("review", "parallel"):
        if stage == "parallel":
            for task in story.open_tasks()[:1]:
                moment = replay.days_later(moment, 1)
                if moment < replay.now:
                    with at(moment):
                        case_task_complete(actor=story.actor_for(task), task=task, outcome="approve", comment="同意。")
        return
    outcome = DecisionOutcome.DENY if stage == "denied" else DecisionOutcome.GRANT
    moment = story.work(moment, until_decision=stage in ("deciding", "suspended"), outcome=outcome)
    finisher = FINISHERS.get(stage)
    if finisher is not None and moment < replay.now:
        finisher(story, moment)


def cases_demo_load(*, count: int = DEMO_CASE_COUNT) -> Counter:
    """Replay `count` demo cases (once: skipped when any case exists)."""
    created: Counter = Counter()
    if Case.objects.exists():
        return created
    rng = random.Random(SEED)
    now = timezone.now()
    cast = _cast()
    promised, immediate = _versions(cast)
    parallel = _parallel_items(cast, promised)
    replay = Replay(rng, now)
    plan = _stage_plan(rng, count)
    for serial, stage in enumerate(plan, start=1):
        if stage == "immediate" and immediate:
            version = rng.choice(immediate)
        elif stage == "parallel":
            version = rng.choice(parallel)
        else:
            version = rng.choice(promised)
        story = CaseStory(replay, cast, version, stage, serial)
        try:
            with transaction.atomic():
                if stage == "immediate":
                    moment = replay.received(_history_depth(rng, stage))
                    story.submit(moment, channel="window")
                    with at(moment + timedelta(minutes=10)):
                        case_handle_immediately(
                            clerk=cast.registrar, case=story.case, outcome_note="已当场办结，结果已当面交付。"
                        )
                else:
                    _play(story, cast, parallel)
        except ValidationError as error:
            logger.warning("演示办件 %s（%s）未能完整生成：%s", serial, stage, "；".join(error.messages))
            continue
        created[stage] += 1
    cases_deem_accepted()
    cases_processing_start_pending()
    return created
