"""An item that charges (two fees, online payment allowed), a unified fee window with its clerk, and granted cases.

Use from a test module: `@pytest.fixture\ndef fees(hall): return make_fee_setup(hall)`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import zhengwu.cases
from tests.accounts.factories import make_staff
from tests.cases.conftest import Hall
from tests.catalog.factories import MATERIALS, publish
from zhengwu.accounts.enums import Role
from zhengwu.accounts.models import User
from zhengwu.cases.domain import case_submit_online
from zhengwu.cases.domain.intake import case_register_at_window
from zhengwu.cases.domain.processing import case_accept_and_start, case_task_complete
from zhengwu.cases.enums import DecisionOutcome
from zhengwu.cases.models import Case, FeeNotice, FeeRule
from zhengwu.catalog.models import FeeItem, ItemVersion
from zhengwu.org.enums import WindowKind
from zhengwu.org.models import ServiceHall, Window
from zhengwu.workflow.enums import TaskState
from zhengwu.workflow.models import WorkTask

SAMPLE_DMN = Path(zhengwu.cases.__file__).parent / "dmn" / "real_estate_registration_fee.dmn"
BASIS = "《食品经营许可和备案管理办法》第十四条"
FEES = [
    {"name": "工本费", "standard_amount": "10.00", "unit": "元/证", "legal_basis": "发改价格〔2016〕2559号"},
    {"name": "登记费", "standard_amount": "80.00", "unit": "元/件", "legal_basis": "财税〔2016〕79号"},
]


@dataclass
class FeeSetup:
    hall: Hall
    version: ItemVersion  # charges 工本费 10 + 登记费 80, online payment allowed
    fee_window: Window
    fee_clerk: User
    other_fee_clerk: User  # at a fee window of a street hall whose windows serve no department of ours
    fee_clerk_elsewhere: User  # fee clerk role, but posted to the intake window
    leader: User

    def fee_items(self) -> list[FeeItem]:
        return list(self.version.fees.order_by("position"))

    def materials(self, version: ItemVersion) -> list[dict]:
        by_name = {m.name: m for m in version.materials.all()}
        return [
            {"material": by_name["食品经营许可申请书"], "file": self.hall.pdf("form")},
            {"material": by_name["营业执照"], "file": self.hall.pdf("licence")},
        ]

    def decided_case(
        self,
        *,
        version: ItemVersion | None = None,
        outcome: str = DecisionOutcome.GRANT,
        applicant: User | None = None,
        form_data: dict | None = None,
        walk_in: dict | None = None,
    ) -> Case:
        """Decided through every step; `walk_in`: registered at the window for someone without an account (their
        applicant snapshot) instead of applied for online."""
        version = version or self.version
        if walk_in is not None:
            case = case_register_at_window(
                clerk=self.hall.clerk,
                item_version=version,
                applicant_snapshot=walk_in,
                materials=self.materials(version),
            )
        else:
            case = case_submit_online(
                applicant=applicant or self.hall.enterprise,
                item_version=version,
                materials=self.materials(version),
                form_data=form_data,
            )
        case_accept_and_start(actor=self.hall.handler, case=case)
        case_task_complete(actor=self.hall.handler, task=_open(case, "review"), outcome="approve")
        case_task_complete(
            actor=self.leader,
            task=_open(case, "decide"),
            outcome=outcome,
            reasons="材料齐全，符合法定条件。",
            legal_basis=BASIS,
        )
        case.refresh_from_db()
        return case

    def notice(self, case: Case) -> FeeNotice:
        return FeeNotice.objects.get(case=case, state="issued")

    def dmn_version(self, basic_code: str = "000201003000") -> ItemVersion:
        version = publish(
            self.hall.curation,
            basic_code,
            materials=MATERIALS,
            fees=[
                {
                    "name": "不动产登记费",
                    "standard_amount": "80.00",
                    "unit": "元/件",
                    "legal_basis": "发改价格规〔2016〕2559号",
                }
            ],
            is_free=False,
            online_payment=False,
            name="不动产登记",
        )
        FeeRule.objects.create(item=version.item, fee_name="不动产登记费", dmn_xml=SAMPLE_DMN.read_text("utf-8"))
        return version


def _open(case: Case, bpmn_id: str) -> WorkTask:
    return WorkTask.objects.get(
        instance__object_id=str(case.pk), bpmn_id=bpmn_id, state__in=[TaskState.READY, TaskState.CLAIMED]
    )


def make_fee_setup(hall: Hall) -> FeeSetup:
    version = publish(
        hall.curation,
        "000201002000",
        materials=MATERIALS,
        fees=FEES,
        is_free=False,
        online_payment=True,
        name="食品经营许可证补办",
    )
    centre = hall.intake_window.hall
    fee_window = Window.objects.create(hall=centre, number="F01", name="统一收费窗口", kind=WindowKind.FEE)
    street = ServiceHall.objects.create(
        name="青河街道便民服务中心", kind="street_station", region=hall.department.region, address="青河路 9 号"
    )
    street_fee = Window.objects.create(hall=street, number="F01", name="收费窗口", kind=WindowKind.FEE)
    return FeeSetup(
        hall=hall,
        version=version,
        fee_window=fee_window,
        fee_clerk=make_staff(
            "shoufei",
            department=hall.other_department,
            display_name="收费员",
            roles=(Role.FEE_CLERK,),
            window=fee_window,
        ),
        other_fee_clerk=make_staff(
            "jiedao",
            department=hall.other_department,
            display_name="街道收费员",
            roles=(Role.FEE_CLERK,),
            window=street_fee,
        ),
        fee_clerk_elsewhere=make_staff(
            "zhuanchuang",
            department=hall.other_department,
            display_name="窗口收费员",
            roles=(Role.FEE_CLERK, Role.WINDOW_CLERK),
            window=hall.intake_window,
        ),
        leader=make_staff(
            "fenguan", department=hall.department, display_name="分管领导", roles=(Role.LEADER_IN_CHARGE,)
        ),
    )


TOTAL = Decimal("90.00")
