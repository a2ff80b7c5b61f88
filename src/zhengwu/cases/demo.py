"""Demo cases: about a thousand applications replayed through the real domain functions.

Each case's history is replayed at the moments it happened (time-machine travels the process clock), so
its clocks, audit events and notifications are exactly what the platform would have recorded: some cases
wait for acceptance, some were sent back once, refused, deemed accepted, are in review (some overdue, some in
parallel branches), suspended (some resumed and extended), decided, paid at the fee window, certified,
delivered, completed and rated (a few 差评 with their follow-ups); a departmental system registers a few through
the API, and cases of deemed-approval items time out. Loaded once: when the database already holds cases,
nothing happens. `zhengwu demo` then runs supervision/demo.py for the supervisor's work on them."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengwu.accounts.enums import Role, UserKind
from zhengwu.accounts.models import StaffProfile, User
from zhengwu.audit.domain import audited_atomic
from zhengwu.cases.domain import (
    case_certificate_issue,
    case_complete,
    case_correction_submit,
    case_delivery_arrange,
    case_extension_decide,
    case_extension_request,
    case_fee_notice_cancel,
    case_fee_notice_issue,
    case_fee_pay,
    case_hand_over,
    case_handle_immediately,
    case_refuse,
    case_register_at_window,
    case_request_correction,
    case_resume,
    case_ship,
    case_submit_by_proxy,
    case_submit_online,
    case_suspend,
    cases_deem_accepted,
    cases_deem_approved,
    fee_refund_approve,
    fee_refund_request,
    stored_file_save,
)
from zhengwu.cases.domain.external import case_external_event, case_register_external, external_system_create
from zhengwu.cases.domain.intake import applicant_snapshot_of
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete, cases_processing_start_pending
from zhengwu.cases.enums import DecisionOutcome, DeliveryMethod, FeeNoticeState, PaymentMethod
from zhengwu.cases.models import (
    Case,
    ExternalSystem,
    FeeNotice,
    FeePayment,
    ItemCertificate,
    ItemDeemedApproval,
    ItemProcess,
)
from zhengwu.catalog.enums import HandlingKind, VersionState
from zhengwu.catalog.models import ItemMaterial, ItemVersion
from zhengwu.core.demo import data as demo_data
from zhengwu.org.enums import WindowKind
from zhengwu.org.models import Department
from zhengwu.ratings.domain import (
    rating_callback_record,
    rating_follow_up_close,
    rating_follow_up_rectify,
    rating_follow_up_verify,
    rating_submit,
)
from zhengwu.ratings.enums import Level, RatingChannel
from zhengwu.ratings.models import Rating, RatingFollowUp
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.clock_enums import PauseReason
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
    ("review", 230),
    ("parallel", 60),
    ("deciding", 80),
    ("suspended", 40),
    ("timeout", 10),  # items with deemed approval (超时默认) whose handling period ran out
    ("granted", 100),
    ("denied", 25),
    ("completed", 180),  # completing signs the decision document (a PDF, ~0.4 s): the slowest story
    ("immediate", 35),
)
# Where a stage's cases stop within it, taken in turn (so even a small demo shows each).
SUB_STAGES: dict[str, tuple[str, ...]] = {
    "suspended": ("hold", "extended", "extension_pending", "hold"),
    "granted": ("paid", "unpaid", "certified", "arranged"),
    "completed": ("plain", "certified", "plain", "plain", "plain", "plain"),
}
CERTIFICATES = 24  # certificates sign a PDF each: a couple of dozen show the screens
DEEMED_ITEMS = 2
FEATURED_STAFF_USER = "chengban"  # the featured reporting line's department gets a larger share of the cases
FEATURED_SHARE = 0.25
FEATURED_APPLICANT_SHARE = 0.05  # the featured citizen's and enterprise's share of their kind's cases
RATED_SHARE = 0.6
NEGATIVE_EVERY = 12  # one rating in so many is a 差评
FOLLOW_UP_STOPS = ("closed", "open", "rectified", "verified")
EXTERNAL_SHARE = 50  # one case in so many is registered by the departmental system
EXTERNAL_SYSTEM_NAME = "市场监管业务审批系统（演示）"
EXTERNAL_STOPS = (
    "completed",
    "in_progress",
    "suspended",
    "submitted",
    "correction",
    "decided",
    "refused",
    "resumed",
    "denied",
)
FORM_VALUES = {
    "legal_representative": "王建国",
    "residence": "青川区城关街道人民路 18 号",
    "premises": "青川区城关街道文化路 66 号一层",
    "business_form": "食品销售经营者（预包装食品销售）",
    "scope": "预包装食品（含冷藏冷冻食品）销售",
    "trade_name": "青川区城关鑫源便利店",
    "warehouse": "青川区白石镇农资仓储园 5 号库",
    "project_name": "青川区城关街道社区服务中心综合楼",
    "site": "青川区城关街道滨河路北段",
    "scale": "地上 5 层，建筑面积 6800 平方米",
    "contract_price": "2380 万元",
    "contractor": "青川建工集团有限公司",
    "supervisor": "青川正信工程监理有限公司",
    "duration": "365 日历天",
}


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
    materials: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # version → shared files
    certificate_sources: dict[int, dict[str, str]] = field(default_factory=dict)  # item → field_sources
    holders: dict[int, tuple[bool, bool]] = field(default_factory=dict)  # item → licence for natural, legal
    certificates_left: int = CERTIFICATES
    featured_citizen: User | None = None  # the demo logins
    featured_enterprise: User | None = None
    ratings: int = 0
    negatives: int = 0
    paid_fees: int = 0
    refunds_asked: int = 0


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
    cast.featured_citizen = User.objects.filter(kind=UserKind.CITIZEN, phone=demo_data.FEATURED_CITIZEN[1]).first()
    cast.featured_enterprise = User.objects.filter(enterprise__name=demo_data.FEATURED_ENTERPRISE).first()
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

    def __init__(self, replay: Replay, cast: Cast, version: ItemVersion, stage: str, serial: int, sub: str = ""):
        self.replay = replay
        self.rng = replay.rng
        self.cast = cast
        self.version = version
        self.stage = stage
        self.sub = sub
        self.serial = serial
        self.people = cast.staff[version.item.department_id]
        self.case: Case | None = None

    # ---- materials and applicants -------------------------------------------------------------
    def _materials(self, *, leave_out_optional: bool = True) -> list[dict[str, Any]]:
        """One stored file per material of the item, shared by its cases (files are kept once per content)."""
        if self.version.pk not in self.cast.materials:
            self.cast.materials[self.version.pk] = [
                {
                    "material": material,
                    "file": stored_file_save(
                        upload=SimpleUploadedFile(f"{material.name[:40]}.pdf", PDF + f"{material.pk}".encode())
                    ),
                }
                for material in ItemMaterial.objects.filter(version=self.version).order_by("position", "pk")
            ]
        return list(self.cast.materials[self.version.pk])

    def _form_data(self) -> dict[str, str]:
        """What the certificate of a mapped item reads from the application form (form:<key>)."""
        sources = self.cast.certificate_sources.get(self.version.item_id)
        if not sources:
            return {}
        keys = [source.removeprefix("form:") for source in sources.values() if source.startswith("form:")]
        return {key: FORM_VALUES.get(key, "详见申请材料") for key in keys}

    def _applicant(self) -> User:
        natural, legal = self.cast.holders.get(self.version.item_id, (True, True))  # who its licence may go to
        pool = []
        if self.version.for_natural_persons and natural:
            pool.append(self.cast.citizens)
        if self.version.for_legal_persons and legal:
            pool.append(self.cast.enterprises)
        if not pool:
            return self._any_applicant()
        pool = self.rng.choice(pool)
        featured = self.cast.featured_citizen if pool is self.cast.citizens else self.cast.featured_enterprise
        if featured is not None and self.rng.random() < FEATURED_APPLICANT_SHARE:
            return featured  # the demo logins find their own cases in every state
        return self.rng.choice(pool)

    def _any_applicant(self) -> User:
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
                case = case_submit_online(
                    applicant=applicant,
                    item_version=self.version,
                    materials=self._materials(),
                    form_data=self._form_data(),
                )
            elif channel == "proxy":
                case = case_submit_by_proxy(
                    agent=self.cast.agent,
                    applicant=applicant,
                    item_version=self.version,
                    materials=self._materials(),
                    consent_text=CONSENT,
                    form_data=self._form_data(),
                )
            else:
                case = case_register_at_window(
                    clerk=self.cast.registrar,
                    item_version=self.version,
                    applicant_snapshot=applicant_snapshot_of(applicant),
                    applicant=applicant,
                    materials=self._materials(),
                    form_data=self._form_data(),
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

    # ---- later steps: each in its own savepoint, so a refused step leaves the case where it stood ------
    def later(self, moment: datetime, working_days: int | None = None) -> datetime | None:
        """A moment a few working days after `moment`, or None when that would be in the future."""
        days = self.rng.randint(0, 2) if working_days is None else working_days
        moment = self.replay.days_later(moment, days)
        return moment if moment < self.replay.now else None

    def step(self, moment: datetime | None, action: Callable[[], Any]) -> Any:
        """Run one domain call at `moment`; None (and nothing changed) when it is refused or not yet due."""
        if moment is None:
            return None
        try:
            with audited_atomic(), at(moment):
                return action() or True
        except ValidationError as error:
            logger.debug("演示办件 %s：%s", self.case.number if self.case else self.serial, "；".join(error.messages))
            return None


def _stage_plan(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(stage, sub-stage) of each case: every stage at least once, the rest drawn by weight."""
    stages = [stage for stage, _weight in STAGES]
    weights = [weight for _stage, weight in STAGES]
    plan = stages[:count] + rng.choices(stages, weights=weights, k=max(count - len(stages), 0))
    rng.shuffle(plan)
    seen: Counter = Counter()
    result = []
    for stage in plan:
        subs = SUB_STAGES.get(stage, ("",))
        result.append((stage, subs[seen[stage] % len(subs)]))
        seen[stage] += 1
    return result


def _history_depth(rng: random.Random, stage: str, version: ItemVersion | None = None) -> int:
    """How many working days ago the case was received, by where its story stops."""
    if stage == "timeout" and version is not None:
        return version.promised_limit_days + rng.randint(5, 10)  # past its handling period
    return {
        "submitted": rng.choice((0, 0, 1, 2, 3, 4, 5)),
        "correction": rng.randint(1, 8),
        "corrected": rng.randint(3, 10),
        "refused": rng.randint(2, 30),
        "deemed": rng.randint(7, 15),
        "review": rng.randint(1, 30),
        "parallel": rng.randint(1, 15),
        "deciding": rng.randint(3, 30),
        "suspended": rng.randint(6, 25),
        "immediate": rng.randint(0, HISTORY_WORKING_DAYS),
    }.get(stage, rng.randint(12, HISTORY_WORKING_DAYS))


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


# ---- later stages -------------------------------------------------------------------------------------
SUSPENSIONS = (
    (PauseReason.EXPERT_REVIEW, "申请事项涉及专业技术问题，需组织专家评审。"),
    (PauseReason.INSPECTION, "需对申请人的生产经营场所和设施设备进行现场检验。"),
    (PauseReason.HEARING, "申请事项直接关系他人重大利益，利害关系人已申请听证。"),
    (PauseReason.APPRAISAL, "需委托专业机构对申请材料所涉事项进行鉴定。"),
)


def _finish_suspended(story: CaseStory, moment: datetime) -> None:
    """挂起 with written notice; some resumed and extended by the leader in charge, some awaiting approval."""
    handler, index, rng = story.people.handler, story.replay.index, story.rng
    moment = story.later(moment)
    reason, explanation = rng.choice(SUSPENSIONS)
    if moment is None:
        return
    expected = index.add_working_days(timezone.localtime(moment).date(), rng.randint(3, 12))
    suspended = story.step(
        moment,
        lambda: case_suspend(
            actor=handler, case=story.case, reason=reason, explanation=explanation, expected_resume_on=expected
        ),
    )
    if not suspended or story.sub == "hold":
        return
    moment = story.later(moment, rng.randint(2, 5))
    if not story.step(moment, lambda: case_resume(actor=handler, case=story.case)):
        return
    moment = story.later(moment, 0)
    extension = story.step(
        moment,
        lambda: case_extension_request(
            actor=handler, case=story.case, reason="挂起事项办理完毕后仍需补充核查，申请延长办理期限。"
        ),
    )
    if not extension or story.sub == "extension_pending":
        return
    story.step(
        story.later(moment, 1),
        lambda: case_extension_decide(
            actor=story.people.leader, extension=extension, approve=True, comment="同意延长办理期限。"
        ),
    )


def _pay(story: CaseStory, moment: datetime | None) -> datetime | None:
    """Pay the open fee notice at the unified fee window (when the item charged one); the moment after."""
    notice = FeeNotice.objects.filter(case=story.case, state=FeeNoticeState.ISSUED).first()
    if notice is None:
        return moment
    clerk = story.cast.fee_clerk
    if moment is None or clerk is None:
        return None
    method = story.rng.choice((PaymentMethod.CASH, PaymentMethod.CARD))
    paid = story.step(moment, lambda: case_fee_pay(actor=clerk, notice=notice, method=method, amount=notice.total))
    return moment if paid else None


def _refund(story: CaseStory, moment: datetime | None) -> None:
    """Half of a paid fee asked back at the fee window (退费申请); every other request approved by the leader in
    charge, the rest waiting in the 待审批退费 queue."""
    payment = FeePayment.objects.filter(notice__case=story.case).order_by("pk").first()
    if payment is None or moment is None or story.cast.fee_clerk is None:
        return
    amount = (payment.amount / 2).quantize(Decimal("0.01"))
    request = story.step(
        moment,
        lambda: fee_refund_request(
            actor=story.cast.fee_clerk,
            payment=payment,
            amount=amount,
            reason="申请人撤回其中一项申请内容，申请退还相应费用。",
        ),
    )
    if not request:
        return
    story.cast.refunds_asked += 1
    if story.cast.refunds_asked % 2:
        story.step(
            story.later(moment, 2),
            lambda: fee_refund_approve(actor=story.people.leader, request=request, note="情况属实，同意退费。"),
        )


def _reduce_fee(story: CaseStory, moment: datetime | None) -> None:
    """A notice reissued at half the standard, with the reason: flagged to supervision (行政收费)."""
    notice = FeeNotice.objects.filter(case=story.case, state=FeeNoticeState.ISSUED).first()
    handler = story.people.handler
    if notice is None or moment is None:
        return
    lines = [
        {"fee_item": line.fee_item_id, "charged_amount": (line.charged_amount / 2).quantize(Decimal("0.01"))}
        for line in notice.lines.filter(fee_item__isnull=False).order_by("position")
    ]
    story.step(
        moment,
        lambda: (
            case_fee_notice_cancel(actor=handler, notice=notice, reason="申请人为小微企业，适用减半收费政策。"),
            case_fee_notice_issue(
                actor=handler,
                case=story.case,
                lines=lines,
                override_reason="依据小微企业收费减免政策减半收取。",
            ),
        ),
    )


def _certify(story: CaseStory, moment: datetime | None) -> datetime | None:
    if story.version.item_id not in story.cast.certificate_sources:
        return moment
    if story.step(moment, lambda: case_certificate_issue(actor=story.people.handler, case=story.case)):
        story.cast.certificates_left -= 1
        return moment
    return None


def _finish_granted(story: CaseStory, moment: datetime) -> None:
    """Decided (准予): the fee notice unpaid, or paid at the fee window; some certified, some with the way of
    delivery chosen."""
    if story.sub == "unpaid":
        if story.serial % 3 == 0:
            _reduce_fee(story, story.later(moment))
        return
    moment = _pay(story, story.later(moment))
    if story.sub == "paid" and moment is not None:
        story.cast.paid_fees += 1
        if story.cast.paid_fees % 2:  # every other paid fee is partly asked back
            _refund(story, story.later(moment, 1))
    if story.sub == "paid" or moment is None:
        return
    moment = _certify(story, story.later(moment, 1))
    if story.sub == "arranged" and moment is not None:
        _arrange(story, story.later(moment))


def _arrange(story: CaseStory, moment: datetime | None) -> str:
    """The applicant chooses express where the item offers it (every other case), else window pickup."""
    applicant = story.case.applicant or story.people.handler
    if story.version.express_delivery and story.serial % 2:
        story.step(
            moment,
            lambda: case_delivery_arrange(
                actor=applicant,
                case=story.case,
                method=DeliveryMethod.EXPRESS,
                address=FORM_VALUES["residence"],
                recipient=story.case.applicant_name,
                phone=story.case.applicant_phone or "13953600000",
            ),
        )
        return DeliveryMethod.EXPRESS
    return DeliveryMethod.PICKUP


def _finish_completed(story: CaseStory, moment: datetime) -> None:
    """Paid, certified, delivered (shipped or handed over at the window), completed; most rated."""
    moment = _certify(story, _pay(story, story.later(moment)))
    if moment is None:
        return
    moment = story.later(moment)
    method = _arrange(story, moment)
    moment = story.later(moment) if moment is not None else None
    if method == DeliveryMethod.EXPRESS:
        delivered = story.step(
            moment,
            lambda: case_ship(
                actor=story.people.handler,
                case=story.case,
                carrier="中国邮政 EMS",
                tracking_number=f"11{story.rng.randrange(10**10, 10**11)}",
            ),
        )
    else:
        delivered = story.step(
            moment,
            lambda: case_hand_over(
                actor=story.cast.registrar, case=story.case, recipient_name=story.case.applicant_name, id_checked=True
            ),
        )
    if not delivered:
        return
    if story.step(moment, lambda: case_complete(actor=story.people.handler, case=story.case)):
        _rate(story, moment)


def _finish_denied(story: CaseStory, moment: datetime) -> None:
    """不予许可: completed the same or next working day, with the signed decision document."""
    story.step(
        story.later(moment, story.rng.randint(0, 1)), lambda: case_complete(actor=story.people.handler, case=story.case)
    )


def _rate(story: CaseStory, moment: datetime) -> None:
    """好差评 on most completed cases: mostly 非常满意/满意; every so often a 差评 and its follow-up."""
    cast, rng = story.cast, story.rng
    if rng.random() >= RATED_SHARE:
        return
    cast.ratings += 1
    negative = cast.ratings % NEGATIVE_EVERY == 4
    if negative:
        level = rng.choice((Level.DISSATISFIED, Level.VERY_DISSATISFIED))
        comment = rng.choice(
            (
                "窗口排队时间太长，工作人员解释不耐烦。",
                "办理过程中多次要求补充材料，一次性告知不到位。",
                "电话咨询一直无人接听，进度不透明。",
            )
        )
    else:
        level = rng.choices((Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY_SATISFIED), (70, 24, 6))[0]
        comment = rng.choice(("", "", "办事效率高，服务态度好。", "网上申报很方便，不用来回跑。"))
    case = story.case
    online = case.applicant is not None and case.applicant.kind != UserKind.STAFF and story.serial % 4
    actor = case.applicant if online else story.cast.registrar
    channel = RatingChannel.ONLINE if online else RatingChannel.WINDOW
    moment = story.later(moment)
    rating = story.step(
        moment, lambda: rating_submit(actor=actor, case=case, level=level, comment=comment, channel=channel)
    )
    if not rating or not negative:
        return
    _follow_up(story, rating, moment)


def _follow_up(story: CaseStory, rating: Rating, moment: datetime) -> None:
    """A 差评's follow-up, stopped at one of: open, verified, rectified (called back), closed."""
    stop = FOLLOW_UP_STOPS[story.cast.negatives % len(FOLLOW_UP_STOPS)]
    story.cast.negatives += 1
    follow_up = RatingFollowUp.objects.filter(rating=rating).first()
    people = story.people
    if follow_up is None or stop == "open":
        return
    moment = story.later(moment, 1)
    if not story.step(
        moment,
        lambda: rating_follow_up_verify(
            actor=people.section_head or people.leader,
            follow_up=follow_up,
            finding="经调取窗口录像和办件记录核实，评价反映的问题基本属实。",
            substantiated=True,
        ),
    ):
        return
    if stop == "verified":
        return
    moment = story.later(moment, 1)
    if not story.step(
        moment,
        lambda: rating_follow_up_rectify(
            actor=people.section_head or people.leader,
            follow_up=follow_up,
            rectification="已对窗口人员进行批评教育，完善一次性告知清单并在窗口公示。",
        ),
    ):
        return
    moment = story.later(moment, 1)
    if not story.step(
        moment,
        lambda: rating_callback_record(
            actor=people.handler,
            follow_up=follow_up,
            reached=True,
            satisfied=True,
            comment="申请人对整改情况表示满意。",
        ),
    ):
        return
    if stop == "closed":
        story.step(story.later(moment, 0), lambda: rating_follow_up_close(actor=people.leader, follow_up=follow_up))


FINISHERS: dict[str, Callable[[CaseStory, datetime], None]] = {
    "granted": _finish_granted,
    "denied": _finish_denied,
    "completed": _finish_completed,
}


def _play(story: CaseStory, cast: Cast, parallel: list[ItemVersion]) -> None:
    rng, replay, stage = story.rng, story.replay, story.stage
    moment = replay.received(_history_depth(rng, stage, story.version))
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
    if stage in ("review", "parallel", "timeout"):
        if stage == "parallel":
            for task in story.open_tasks()[:1]:
                moment = replay.days_later(moment, 1)
                if moment < replay.now:
                    with at(moment):
                        case_task_complete(actor=story.actor_for(task), task=task, outcome="approve", comment="同意。")
        return
    if stage == "suspended":  # during review, e.g. for an expert review or an inspection
        _finish_suspended(story, moment)
        return
    outcome = DecisionOutcome.DENY if stage == "denied" else DecisionOutcome.GRANT
    moment = story.work(moment, until_decision=stage == "deciding", outcome=outcome)
    finisher = FINISHERS.get(stage)
    if finisher is not None and moment < replay.now:
        finisher(story, moment)


# ---- versions by what the story needs ---------------------------------------------------------------
@dataclass
class Pools:
    promised: list[ItemVersion]  # promised items without deemed approval
    immediate: list[ItemVersion]
    parallel: list[ItemVersion]
    deemed: list[ItemVersion]
    charging: list[ItemVersion]
    certified: list[ItemVersion]  # items whose grants produce a certificate
    plain: list[ItemVersion]  # items without a certificate

    featured: int | None = None  # the featured staff's department: a larger share of the cases

    def pick(self, rng: random.Random, stage: str, sub: str, cast: Cast) -> ItemVersion:
        if stage == "immediate" and self.immediate:
            return rng.choice(self.immediate)
        if stage == "parallel":
            return rng.choice(self.parallel)
        if stage == "timeout" and self.deemed:
            return rng.choice(self.deemed)
        if sub == "certified" and self.certified and cast.certificates_left > 0:
            return rng.choice(self.certified)
        if sub in ("paid", "unpaid") and self.charging:
            pool = self.charging
        elif stage in ("granted", "completed") and self.plain:
            pool = self.plain  # a certificate signs a PDF: only the chosen few
        else:
            pool = self.promised
        own = [v for v in pool if v.item.department_id == self.featured]
        return rng.choice(own if own and rng.random() < FEATURED_SHARE else pool)


def _deemed_items(promised: list[ItemVersion], excluded: set[int]) -> list[ItemVersion]:
    """Configure deemed approval (超时默认) for a couple of free items with short periods (idempotent)."""
    mapped = [v for v in promised if ItemDeemedApproval.objects.filter(item_id=v.item_id).exists()]
    if mapped:
        return mapped
    candidates = sorted(
        (v for v in promised if v.is_free and v.item_id not in excluded),
        key=lambda v: ("延续" not in v.name, v.promised_limit_days, v.item.implementation_code),
    )[:DEEMED_ITEMS]
    for version in candidates:
        ItemDeemedApproval.objects.get_or_create(
            item=version.item,
            defaults={
                "legal_basis": "《中华人民共和国行政许可法》第五十条第二款：行政机关逾期未作决定的，视为准予延续。"
            },
        )
    return candidates


def _pools(cast: Cast) -> Pools:
    promised, immediate = _versions(cast)
    parallel = _parallel_items(cast, promised)
    mappings = ItemCertificate.objects.values_list(
        "item_id", "field_sources", "licence_type__for_natural_persons", "licence_type__for_legal_persons"
    )
    cast.certificate_sources = {item: sources for item, sources, _natural, _legal in mappings}
    cast.holders = {item: (natural, legal) for item, _sources, natural, legal in mappings}
    parallel_ids = {v.item_id for v in parallel}
    deemed = _deemed_items(promised, parallel_ids | set(cast.certificate_sources))
    deemed_ids = {v.item_id for v in deemed}
    promised = [v for v in promised if v.item_id not in deemed_ids]
    featured = (
        StaffProfile.objects.filter(user__username=FEATURED_STAFF_USER).values_list("department_id", flat=True).first()
    )
    return Pools(
        featured=featured if featured in cast.staff else None,
        promised=promised,
        immediate=immediate,
        parallel=parallel,
        deemed=deemed,
        charging=[v for v in promised if not v.is_free and v.item_id not in cast.certificate_sources],
        certified=[v for v in promised if v.item_id in cast.certificate_sources],
        plain=[v for v in promised if v.item_id not in cast.certificate_sources],
    )


# ---- cases registered by a departmental system --------------------------------------------------------
def _external_cases(cast: Cast, replay: Replay, pools: Pools, count: int, progress: Callable[[], None]) -> Counter:
    """Cases a department's own system registered through the API (一厅双网), in various states."""
    created: Counter = Counter()
    department_id = pools.featured or next(iter(sorted(cast.staff)), None)
    versions = [v for v in pools.plain if v.item.department_id == department_id]
    if not count or not versions:
        return created
    department = Department.objects.get(pk=department_id)
    system = ExternalSystem.objects.filter(department=department, name=EXTERNAL_SYSTEM_NAME).first()
    if system is None:
        system, _secret = external_system_create(actor="system:demo", department=department, name=EXTERNAL_SYSTEM_NAME)
    rng = replay.rng
    for n in range(count):
        stop = EXTERNAL_STOPS[n % len(EXTERNAL_STOPS)]
        roomy = [v for v in versions if v.promised_limit_days >= 8]  # suspended within its handling period
        version = rng.choice(roomy if stop in ("suspended", "resumed") and roomy else versions)
        story = CaseStory(replay, cast, version, "external", 0, stop)
        try:
            with audited_atomic():
                _play_external(story, system, stop, n)
        except ValidationError as error:
            logger.warning("演示办件（部门系统 %s）未能完整生成：%s", stop, "；".join(error.messages))
            continue
        created[f"external:{stop}"] += 1
        progress()
    return created


def _play_external(story: CaseStory, system: ExternalSystem, stop: str, n: int) -> None:
    rng, replay = story.rng, story.replay
    depth = {
        "submitted": rng.randint(0, 2),
        "correction": rng.randint(1, 5),
        "suspended": rng.randint(3, 6),  # suspended within its handling period
        "resumed": rng.randint(5, 8),
    }.get(stop, rng.randint(8, 30))
    moment = replay.received(depth)
    applicant = story._applicant()
    version = story.version
    with at(moment):
        case, _created = case_register_external(
            system=system,
            external_id=f"SCJGSP-{timezone.localtime(moment):%Y%m%d}-{n + 1:04d}",
            implementation_code=version.item.implementation_code,
            applicant_snapshot=applicant_snapshot_of(applicant),
            received_at=moment,
            channel=rng.choice(("window", "online")),
            materials=[
                {"name": m.name, "status": "provided"}
                for m in ItemMaterial.objects.filter(version=version).order_by("position", "pk")
            ],
        )
    story.case = case

    def event(moment: datetime | None, name: str, **data: Any) -> datetime | None:
        if moment is None or moment >= replay.now:
            return None
        with at(moment):
            case_external_event(system=system, case=case, event=name, data=data)
        return moment

    if stop == "submitted":
        return
    moment = story.later(moment, rng.randint(0, 1)) or replay.now - timedelta(minutes=3)
    if stop == "correction":
        first = case.materials.order_by("position").first()
        event(moment, "correction_requested", items=[{"name": first.name, "problem": "签字页缺少申请人签字。"}])
        return
    if stop == "refused":
        event(moment, "refused", reason="申请人不具备法定申请资格。")
        return
    if event(moment, "accepted") is None or stop == "in_progress":
        return
    if stop in ("suspended", "resumed"):
        moment = event(
            story.later(moment, rng.randint(1, 3)), "suspended", pause_reason=PauseReason.INSPECTION, expected_days=10
        )
        if stop == "resumed":
            event(story.later(moment, rng.randint(2, 4)) if moment else None, "resumed")
        return
    denied = stop == "denied"
    moment = event(
        story.later(moment, rng.randint(2, 6)),
        "decided",
        outcome=DecisionOutcome.DENY if denied else DecisionOutcome.GRANT,
        reasons="经现场核查，经营场所不符合法定条件。" if denied else "申请材料齐全，符合法定条件、标准。",
        legal_basis=version.legal_basis[:500] or BASIS,
    )
    if stop in ("completed", "denied") and moment is not None:
        event(story.later(moment, 1), "completed", note="办理结果已由部门系统送达申请人。")


def cases_demo_load(*, count: int = DEMO_CASE_COUNT, progress: Callable[[int], None] | None = None) -> Counter:
    """Replay `count` demo cases (once: skipped when any case exists). `progress(n)` after every case."""
    created: Counter = Counter()
    if Case.objects.exists():
        return created
    rng = random.Random(SEED)
    now = timezone.now()
    cast = _cast()
    pools = _pools(cast)
    replay = Replay(rng, now)
    external = min(count // 10, max(count // EXTERNAL_SHARE, len(EXTERNAL_STOPS)))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done)

    for serial, (stage, sub) in enumerate(_stage_plan(rng, count - external), start=1):
        version = pools.pick(rng, stage, sub, cast)
        story = CaseStory(replay, cast, version, stage, serial, sub)
        try:
            with audited_atomic():
                if stage == "immediate" and version.handling_kind == HandlingKind.IMMEDIATE:
                    moment = replay.received(_history_depth(rng, stage))
                    story.submit(moment, channel="window")
                    with at(moment + timedelta(minutes=10)):
                        case_handle_immediately(
                            clerk=cast.registrar, case=story.case, outcome_note="已当场办结，结果已当面交付。"
                        )
                else:
                    _play(story, cast, pools.parallel)
        except ValidationError as error:
            logger.warning("演示办件 %s（%s）未能完整生成：%s", serial, stage, "；".join(error.messages))
            continue
        created[stage] += 1
        tick()
    created.update(_external_cases(cast, replay, pools, external, tick))
    cases_deem_accepted()
    cases_processing_start_pending()
    cases_deem_approved()
    return created
