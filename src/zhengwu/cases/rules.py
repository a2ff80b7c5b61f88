"""Who may register, accept and see cases. Predicates over users; queries scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import has_role, is_county_wide, is_public_user, is_staff_member, staff_profile
from zhengwu.org.enums import WindowKind

# Windows that register cases; a registration window (登记验证) registers every case entering the hall.
INTAKE_WINDOW_KINDS = frozenset({WindowKind.GENERAL_INTAKE, WindowKind.REGISTRATION, WindowKind.DEPARTMENT})
DEPARTMENT_ACTOR_ROLES = (Role.HANDLER, Role.SECTION_HEAD)


class ExternalSystemActor(str):
    """A departmental system acting through the API: audited as "system:external:<key_id>" (a system actor),
    and allowed to act only on the cases it registered itself."""

    system_id: int
    department_id: int

    def __new__(cls, system) -> ExternalSystemActor:
        actor = super().__new__(cls, f"system:external:{system.key_id}")
        actor.system_id = system.pk
        actor.department_id = system.department_id
        return actor


def registered_by_external_system(case) -> bool:
    from zhengwu.cases.models import Case, ExternalCaseLink

    link = Case.external_link.related
    if link.is_cached(case):  # loaded with the case (select_related): None when there is none
        return link.get_cached_value(case) is not None
    return ExternalCaseLink.objects.filter(case_id=case.pk).exists()


def external_system_owns_case(actor: ExternalSystemActor, case) -> bool:
    from zhengwu.cases.models import ExternalCaseLink

    return (
        case.department_id == actor.department_id
        and ExternalCaseLink.objects.filter(case_id=case.pk, system_id=actor.system_id).exists()
    )


def _window_department_ids(window) -> set[int]:
    cache = "_zhengwu_department_ids"
    ids = getattr(window, cache, None)
    if ids is None:
        ids = set(window.departments.values_list("pk", flat=True))
        setattr(window, cache, ids)
    return ids


def window_serves(window, department_id: int) -> bool:
    """Whether `window` may register cases for the department."""
    if window is None or not window.is_active or window.kind not in INTAKE_WINDOW_KINDS:
        return False
    if window.kind == WindowKind.REGISTRATION:
        return True
    return department_id in _window_department_ids(window)


def clerk_window(user: Any):
    """The window a window clerk is posted to, or None."""
    if not has_role(user, Role.WINDOW_CLERK):
        return None
    profile = staff_profile(user)
    return profile.window if profile is not None else None


def can_register_at_window(user: Any, department_id: int, window=None) -> bool:
    if not has_role(user, Role.WINDOW_CLERK):
        return False
    own = clerk_window(user)
    window = window or own
    return own is not None and window.pk == own.pk and window_serves(window, department_id)


def can_submit_by_proxy(user: Any) -> bool:
    return has_role(user, Role.STATION_AGENT)


def can_decide_acceptance(user: Any, case) -> bool:
    """Accept, refuse or request correction: county-wide staff, a clerk at a window serving the case's
    department, or a handler or section head of that department. A case a departmental system registered
    is handled there (一厅双网): only that system decides it."""
    if isinstance(user, ExternalSystemActor):
        return external_system_owns_case(user, case)
    if not is_staff_member(user) or registered_by_external_system(case):
        return False
    if is_county_wide(user):
        return True
    if window_serves(clerk_window(user), case.department_id):
        return True
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id == case.department_id
        and any(has_role(user, role) for role in DEPARTMENT_ACTOR_ROLES)
    )


def can_handle_immediately(user: Any, case) -> bool:
    return window_serves(clerk_window(user), case.department_id)


def can_submit_correction(user: Any, case) -> bool:
    """The applicant, the station agent who filed the case, or a clerk at a window serving its department."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if case.applicant_id is not None and case.applicant_id == user.pk:
        return True
    if case.proxy_agent_id is not None and case.proxy_agent_id == user.pk and can_submit_by_proxy(user):
        return True
    return window_serves(clerk_window(user), case.department_id)


def can_view_case(user: Any, case) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if case.applicant_id == user.pk or case.proxy_agent_id == user.pk or case.registered_by_id == user.pk:
        return True
    if not is_staff_member(user):
        return False
    if is_county_wide(user) or window_serves(clerk_window(user), case.department_id):
        return True
    profile = staff_profile(user)
    return profile is not None and profile.department_id == case.department_id


def cases_visible_to(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The cases `user` may see: their own (applicant), those they filed or registered, their department's,
    those of the departments their window serves; everything for county-wide staff."""
    from zhengwu.cases.models import Case

    queryset = Case.objects.all() if queryset is None else queryset
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if is_public_user(user):
        return queryset.filter(applicant=user)
    if not is_staff_member(user):
        return queryset.none()
    if is_county_wide(user):
        return queryset
    condition = Q(proxy_agent=user) | Q(registered_by=user)
    profile = staff_profile(user)
    if profile is not None and profile.department_id is not None:
        condition |= Q(department_id=profile.department_id)
    window = clerk_window(user)
    if window is not None and window.is_active and window.kind in INTAKE_WINDOW_KINDS:
        if window.kind == WindowKind.REGISTRATION:
            return queryset
        condition |= Q(department_id__in=_window_department_ids(window))
    return queryset.filter(condition)


def can_use_window_console(user: Any) -> bool:
    """窗口登记: a clerk posted to an intake window, or a station agent (代办)."""
    if not is_staff_member(user):
        return False
    window = clerk_window(user)
    if window is not None and window.is_active and window.kind in INTAKE_WINDOW_KINDS:
        return True
    return can_submit_by_proxy(user)


def can_view_acceptance_queue(user: Any) -> bool:
    """待受理: whoever may decide acceptance for some department."""
    if not is_staff_member(user):
        return False
    if is_county_wide(user):
        return True
    window = clerk_window(user)
    if window is not None and window.is_active and window.kind in INTAKE_WINDOW_KINDS:
        return True
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id is not None
        and any(has_role(user, role) for role in DEPARTMENT_ACTOR_ROLES)
    )


def registrable_department_filter(user: Any) -> Q | None:
    """Departments `user` may register cases for at the window, as a filter on Department; None: every one."""
    window = clerk_window(user)
    if window is None or not window.is_active or window.kind not in INTAKE_WINDOW_KINDS:
        return Q(pk__in=[])
    if window.kind == WindowKind.REGISTRATION:
        return None
    return Q(pk__in=_window_department_ids(window))


# ---------------------------------------------------------------- certificates, delivery, completion


def can_issue_case_certificate(user: Any, case) -> bool:
    """签发证照: whoever may issue licences in the case's department (handlers up to the unit head)."""
    from zhengwu.licences.rules import can_issue

    return can_issue(user, case.department_id)


def can_revoke_case_certificate(user: Any, licence) -> bool:
    """Section heads and leaders of the issuing department, or an administrator (licences' rule)."""
    from zhengwu.licences.rules import can_revoke

    return can_revoke(user, licence)


def can_deliver_case(user: Any, case) -> bool:
    """出具决定书, 送达 and 办结: the staff who may act on the case's acceptance (its department's handlers and
    section heads, clerks at windows serving it, county-wide staff) or whoever may issue for the department."""
    return can_decide_acceptance(user, case) or can_issue_case_certificate(user, case)


def can_arrange_delivery(user: Any, case) -> bool:
    """Choose pickup or express: the applicant, the station agent who filed the case, or staff delivering it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if case.applicant_id is not None and case.applicant_id == user.pk:
        return True
    if case.proxy_agent_id is not None and case.proxy_agent_id == user.pk and can_submit_by_proxy(user):
        return True
    return can_deliver_case(user, case)


def can_download_case_result(user: Any, case) -> bool:
    """The certificate and decision document of a case: whoever may see the case."""
    return can_view_case(user, case)


# ---- fees (票款分离: the department issues the notice; the unified fee window or the applicant online pays) ----
FEE_ISSUER_ROLES = (Role.HANDLER, Role.SECTION_HEAD, Role.LEADER_IN_CHARGE, Role.UNIT_HEAD)


def fee_window(user: Any):
    """The unified fee window (统一收费窗口) a fee clerk is posted to, or None."""
    if not has_role(user, Role.FEE_CLERK):
        return None
    profile = staff_profile(user)
    window = profile.window if profile is not None else None
    if window is None or not window.is_active or window.kind != WindowKind.FEE:
        return None
    return window


def fee_window_department_ids(window) -> set[int]:
    """Departments whose fees a fee window collects: its own list, else every department served in its hall."""
    cache = "_zhengwu_fee_department_ids"
    ids = getattr(window, cache, None)
    if ids is None:
        from zhengwu.org.models import Window

        rows = Window.departments.through.objects.filter(
            Q(window_id=window.pk) | Q(window__hall_id=window.hall_id, window__is_active=True)
        ).values_list("window_id", "department_id")
        rows = list(rows)
        ids = {department for owner, department in rows if owner == window.pk} or {d for _, d in rows}
        setattr(window, cache, ids)
    return ids


def can_use_fee_window(user: Any) -> bool:
    return is_staff_member(user) and fee_window(user) is not None


def can_collect_fees(user: Any, case) -> bool:
    """Collect or refund a case's fees: a fee clerk at a unified fee window that serves its department."""
    window = fee_window(user)
    return window is not None and case.department_id in fee_window_department_ids(window)


def can_issue_fee_notice(user: Any, case) -> bool:
    """Issue or cancel a fee notice: the case department's handlers, section heads and leaders."""
    if not is_staff_member(user):
        return False
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id == case.department_id
        and any(has_role(user, role) for role in FEE_ISSUER_ROLES)
    )


def can_pay_online(user: Any, case) -> bool:
    """The applicant's own account, when the item's version supports online payment and a provider is set up."""
    from zhengwu.cases.payments import online_payment_available

    return (
        is_public_user(user)
        and case.applicant_id is not None
        and case.applicant_id == user.pk
        and bool(case.item_version.online_payment)
        and online_payment_available()
    )


# ---- case clock: suspension (挂起) and extension (延期) ----------------------------------------------------
EXTENSION_APPROVER_ROLES = (Role.LEADER_IN_CHARGE, Role.UNIT_HEAD)


def _in_case_department_with(user: Any, case, roles) -> bool:
    if not is_staff_member(user):
        return False
    profile = staff_profile(user)
    return (
        profile is not None
        and profile.department_id == case.department_id
        and any(has_role(user, role) for role in roles)
    )


def can_manage_case_clock(user: Any, case) -> bool:
    """Suspend, resume, or ask for an extension: a handler or section head of the case's department, or the
    departmental system that registered the case (it reports its own suspensions)."""
    if isinstance(user, ExternalSystemActor):
        return external_system_owns_case(user, case)
    return _in_case_department_with(user, case, DEPARTMENT_ACTOR_ROLES)


def can_decide_extension(user: Any, case) -> bool:
    """Approve or reject an extension (本行政机关负责人): the leader in charge or the head of the case's department."""
    return _in_case_department_with(user, case, EXTENSION_APPROVER_ROLES)


def _department_staff_with(user: Any, roles) -> bool:
    """A staff member of some department holding one of `roles` (who sees a department's approval queue)."""
    if not is_staff_member(user):
        return False
    profile = staff_profile(user)
    return profile is not None and profile.department_id is not None and any(has_role(user, r) for r in roles)


def can_view_extension_queue(user: Any) -> bool:
    """延期审批: leaders in charge and unit heads of a department."""
    return _department_staff_with(user, EXTENSION_APPROVER_ROLES)


def extensions_to_decide(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """Pending extension requests `user` may decide: those of their own department's cases still being handled
    (a request left pending when its case was decided is moot), except the ones they asked for themselves."""
    from zhengwu.cases.enums import CaseState, ExtensionState
    from zhengwu.cases.models import CaseExtension

    queryset = CaseExtension.objects.all() if queryset is None else queryset
    if not can_view_extension_queue(user):
        return queryset.none()
    return queryset.filter(
        state=ExtensionState.REQUESTED,
        case__department_id=staff_profile(user).department_id,
        case__state__in=[CaseState.IN_PROGRESS, CaseState.SUSPENDED],
    ).exclude(requested_by_id=user.pk)


# ---- fee refunds (退费审批): the fee window asks, a leader of the case's department approves (four eyes) ----
FEE_REFUND_APPROVER_ROLES = (Role.LEADER_IN_CHARGE, Role.UNIT_HEAD)


def can_request_fee_refund(user: Any, case) -> bool:
    """Ask for a refund of a case's fee: a fee clerk at a unified fee window that serves its department."""
    return can_collect_fees(user, case)


def can_return_online_payment(user: Any, case) -> bool:
    """Return online money that could not be recorded (网上支付未入账款项退回) to the payer: whoever may ask for a
    refund of the case's fee (`can_request_fee_refund`). No leader approves it: the money was never taken as a
    fee, and all of it goes back to whoever sent it (ADR 0014, "Asynchronous providers")."""
    return can_request_fee_refund(user, case)


def can_decide_fee_refund(user: Any, case) -> bool:
    """Approve or reject a refund request: the leader in charge or the head of the case's department (the
    department that charged the fee). Never the requester: the domain functions refuse that separately."""
    return _in_case_department_with(user, case, FEE_REFUND_APPROVER_ROLES)


def can_view_fee_refund_queue(user: Any) -> bool:
    """待审批退费: leaders in charge and unit heads of a department."""
    return _department_staff_with(user, FEE_REFUND_APPROVER_ROLES)


def fee_refunds_to_decide(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """Pending refund requests `user` may decide: those on fees of their own department's cases, except the
    ones they asked for themselves."""
    from zhengwu.cases.enums import FEE_REFUND_OPEN_STATES
    from zhengwu.cases.models import FeeRefundRequest

    queryset = FeeRefundRequest.objects.all() if queryset is None else queryset
    if not can_view_fee_refund_queue(user):
        return queryset.none()
    return queryset.filter(
        state__in=FEE_REFUND_OPEN_STATES, payment__notice__case__department_id=staff_profile(user).department_id
    ).exclude(requested_by_id=user.pk)
