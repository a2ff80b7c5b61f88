"""Demo cases: histories replayed through the domain functions, loaded once for this module."""

from collections import Counter
from datetime import datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.demo import EXTERNAL_STOPS, cases_demo_load
from zhengwu.cases.domain.deemed_approval import DEEMED_APPROVAL_REASONS
from zhengwu.cases.enums import CaseState, DeliveryState, ExtensionState, FeeNoticeState, FeeRefundRequestState
from zhengwu.cases.models import (
    Case,
    CaseCertificate,
    CaseDecision,
    CaseDecisionDocument,
    CaseDelivery,
    CaseExtension,
    CaseSuspension,
    CorrectionNotice,
    ExternalCaseLink,
    FeeNotice,
    FeePayment,
    FeeRefund,
    FeeRefundRequest,
)
from zhengwu.core.demo.loader import demo_load
from zhengwu.licences.enums import LicenceState
from zhengwu.ratings.enums import NEGATIVE_LEVELS, FollowUpState
from zhengwu.ratings.models import CallbackRecord, Rating, RatingFollowUp
from zhengwu.supervision.demo import supervision_demo_load
from zhengwu.supervision.enums import AlertLevel, Finding, OrderState, ViolationState
from zhengwu.supervision.models import Alert, Callback, SpotCheckItem, SupervisionOrder, Violation
from zhengwu.workcal.models.clock import Clock
from zhengwu.workflow.enums import OPEN_TASK_STATES
from zhengwu.workflow.models import WorkTask

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TODAY = datetime(2026, 11, 20, 16, 0, tzinfo=timezone.get_default_timezone())  # a Friday
COUNT = 110
EXTERNAL = len(EXTERNAL_STOPS)  # a tenth of a small demo, one case per state the departmental system reports


@pytest.fixture(scope="module")
def demo_cases(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media),
        time_machine.travel(TODAY, tick=False),
        transaction.atomic(),
    ):
        demo_load()
        stages = cases_demo_load(count=COUNT)
        supervision_demo_load()
        yield stages
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_every_planned_case_is_replayed(demo_cases):
    assert sum(demo_cases.values()) == COUNT
    assert Case.objects.count() == COUNT


def test_cases_stand_in_every_early_and_late_state(demo_cases):
    states = Counter(Case.objects.values_list("state", flat=True))
    for state in (
        CaseState.SUBMITTED,
        CaseState.CORRECTION_REQUESTED,
        CaseState.REFUSED,
        CaseState.IN_PROGRESS,
        CaseState.SUSPENDED,
        CaseState.DECIDED,
        CaseState.COMPLETED,
    ):
        assert states[state] > 0, state


def test_suspended_cases_carry_a_written_notice_and_some_were_extended_by_their_leader(demo_cases):
    open_suspensions = CaseSuspension.objects.filter(ended_at__isnull=True)
    assert open_suspensions.exists()
    assert set(open_suspensions.values_list("case__state", flat=True)) == {CaseState.SUSPENDED}
    assert all("法律依据" in text for text in open_suspensions.values_list("notice_text", flat=True))
    assert open_suspensions.filter(expected_resume_on__lt=TODAY.date()).exists()  # past the expected date
    assert CaseSuspension.objects.filter(ended_at__isnull=False).exists()  # resumed
    approved = CaseExtension.objects.filter(state=ExtensionState.APPROVED).select_related("decided_by", "case")
    assert approved.exists()
    for extension in approved:
        assert extension.due_date_after > extension.due_date_before
        assert extension.decided_by.staff.department_id == extension.case.department_id
    assert CaseExtension.objects.filter(state=ExtensionState.REQUESTED).exists()  # in the leader's queue


def test_fees_stand_unpaid_and_paid_at_the_unified_fee_window(demo_cases):
    assert FeeNotice.objects.filter(state=FeeNoticeState.ISSUED, case__state=CaseState.DECIDED).exists()
    override = FeeNotice.objects.filter(fee_override=True).first()  # reissued at half the standard
    assert override.flagged_for_supervision and override.state == FeeNoticeState.ISSUED
    assert FeeNotice.objects.filter(case=override.case, state=FeeNoticeState.CANCELLED).exists()
    paid = FeePayment.objects.select_related("collected_by", "notice")
    assert paid.exists()
    assert {payment.collected_by.username for payment in paid} == {"shoufei"}
    assert all(payment.amount == payment.notice.total for payment in paid)


def test_some_paid_fees_are_asked_back_and_half_of_those_approved_by_the_leader_in_charge(demo_cases):
    requests = FeeRefundRequest.objects.select_related("requested_by", "decided_by__staff", "payment__notice__case")
    states = Counter(requests.values_list("state", flat=True))
    assert set(states) == {FeeRefundRequestState.REQUESTED, FeeRefundRequestState.APPROVED}
    assert {request.requested_by.username for request in requests} == {"shoufei"}
    for request in requests.filter(state=FeeRefundRequestState.APPROVED):
        assert request.refund.amount == request.amount == (request.payment.amount / 2).quantize(Decimal("0.01"))
        assert request.decided_by.staff.department_id == request.payment.notice.case.department_id
        assert request.payment.notice.state == FeeNoticeState.PARTIALLY_REFUNDED
    assert FeeRefund.objects.count() == states[FeeRefundRequestState.APPROVED]


def test_certificates_are_issued_from_the_form_and_completed_cases_were_delivered(demo_cases):
    certificates = CaseCertificate.objects.select_related("licence", "case")
    assert 0 < certificates.count() <= 24
    for link in certificates:
        assert link.licence.state == LicenceState.VALID
        assert link.licence.holder_id == link.case.applicant_id
        assert all(value for value in link.licence.data.values())  # every field read from the form
    completed = Case.objects.filter(state=CaseState.COMPLETED, external_link__isnull=True, decision__isnull=False)
    granted = completed.filter(decision__outcome="grant")
    assert granted.exists() and completed.filter(decision__outcome="deny").exists()
    delivered = CaseDelivery.objects.filter(state__in=[DeliveryState.HANDED_OVER, DeliveryState.SHIPPED])
    assert set(granted.values_list("pk", flat=True)) <= set(delivered.values_list("case_id", flat=True))
    assert CaseDecisionDocument.objects.filter(case__in=completed).count() == completed.count()


def test_ratings_are_mostly_good_and_a_bad_one_is_followed_up_and_called_back(demo_cases):
    levels = list(Rating.objects.values_list("level", flat=True))
    assert levels
    assert sum(level >= 4 for level in levels) > len(levels) / 2
    negative = Rating.objects.filter(level__in=sorted(NEGATIVE_LEVELS))
    assert negative.exists()
    assert RatingFollowUp.objects.filter(rating__in=negative).count() == negative.count()
    assert RatingFollowUp.objects.filter(state=FollowUpState.CLOSED).exists()
    assert CallbackRecord.objects.exists()


def test_a_departmental_system_registered_cases_in_several_states(demo_cases):
    assert demo_cases["external:completed"] == 1
    links = ExternalCaseLink.objects.select_related("case", "system")
    assert links.count() == EXTERNAL
    assert len({link.system_id for link in links}) == 1
    assert {link.case.department_id for link in links} == {links[0].system.department_id}
    assert len({link.case.state for link in links}) >= 6


def test_cases_of_deemed_approval_items_were_deemed_granted_when_their_period_ran_out(demo_cases):
    deemed = CaseDecision.objects.filter(reasons=DEEMED_APPROVAL_REASONS, decided_by__isnull=True)
    assert deemed.exists()
    assert all(decision.case.state == CaseState.DECIDED for decision in deemed)
    assert AuditEvent.objects.filter(action="cases.deemed_approved").count() == deemed.count()


def test_the_supervisor_issued_orders_checked_cases_called_back_and_published_a_violation(demo_cases):
    orders = SupervisionOrder.objects.select_related("issued_by")
    assert set(orders.values_list("state", flat=True)) == {
        OrderState.ISSUED,
        OrderState.REPORTED,
        OrderState.RETURNED,
        OrderState.CLOSED,
    }
    assert {order.issued_by.username for order in orders} == {"jiancha"}
    violation = Violation.objects.get()
    assert violation.state == ViolationState.PUBLISHED
    assert violation.order.state == OrderState.CLOSED
    findings = Counter(SpotCheckItem.objects.values_list("finding", flat=True))
    assert findings[Finding.PROBLEM] == 1 and findings[Finding.OK] > 0 and findings[Finding.PENDING] == 1
    assert Callback.objects.count() == 4
    assert SupervisionOrder.objects.filter(alerts__isnull=False).exists()  # orders about the sweep's alerts


def test_last_and_this_months_ranking_are_computed_from_the_demo(demo_cases):
    from zhengwu.supervision.enums import Grade, PeriodKind
    from zhengwu.supervision.models import AssessmentResult

    results = AssessmentResult.objects.filter(period_kind=PeriodKind.MONTH)
    assert sorted(set(results.values_list("period_start", flat=True))) == [
        datetime(2026, 10, 1).date(),
        datetime(2026, 11, 1).date(),
    ]
    ranked = results.filter(rank__isnull=False)
    assert ranked.exists()
    assert ranked.exclude(grade=Grade.NO_DATA).exists()
    assert AuditEvent.objects.filter(action__startswith="supervision.assessment").exists()


def test_the_sweep_raised_alerts_on_every_rung(demo_cases):
    levels = set(Alert.objects.values_list("level", flat=True))
    assert levels == set(AlertLevel.values)


def test_the_featured_citizen_and_enterprise_logins_have_cases_of_their_own(demo_cases):
    assert Case.objects.filter(applicant__phone="13953600001").exists()
    assert Case.objects.filter(applicant__enterprise__name="青川区绿源农业科技有限公司").exists()


def test_histories_lie_in_the_past_and_clocks_tell_overdue_from_on_track(demo_cases):
    assert not Case.objects.filter(received_at__gt=TODAY).exists()
    handling = Clock.objects.filter(pk__in=Case.objects.filter(state=CaseState.IN_PROGRESS).values("handling_clock"))
    assert handling.overdue(TODAY).exists()
    assert handling.exclude(due_at__lt=TODAY).exists()


def test_parallel_cases_wait_in_two_departments(demo_cases):
    open_tasks = WorkTask.objects.filter(
        state__in=sorted(OPEN_TASK_STATES), instance__definition__key="parallel_approval"
    )
    assert open_tasks.exists()
    departments_per_case = Counter(open_tasks.values_list("instance_id", "department_id").distinct())
    assert len({department for (_instance, department) in departments_per_case}) >= 2


def test_decisions_and_correction_notices_are_real_rows(demo_cases):
    assert CaseDecision.objects.filter(negative=True).exists()
    assert CaseDecision.objects.filter(negative=False).exists()
    assert CorrectionNotice.objects.exists()


def test_the_audit_chain_still_verifies(demo_cases):
    assert AuditEvent.objects.filter(action="cases.submitted").count() == COUNT
    assert audit_verify() is None


def test_a_second_load_replays_nothing(demo_cases):
    assert cases_demo_load(count=COUNT) == Counter()
    assert supervision_demo_load() == Counter()
    assert Case.objects.count() == COUNT
    orders = SupervisionOrder.objects.count()
    out = StringIO()
    call_command("demo", "--cases=5", stdout=out)
    assert Case.objects.count() == COUNT
    assert SupervisionOrder.objects.count() == orders
