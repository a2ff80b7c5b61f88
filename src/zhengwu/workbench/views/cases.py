"""Intake and acceptance at the hall (窗口登记, 待受理, 办件页). Thin adapters over zhengwu.cases.domain;
who may see and do what comes from zhengwu.cases.rules."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhengwu.accounts.domain.identity import credit_code_error, id_number_error, id_number_normalise, mask_id_number
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile
from zhengwu.audit.domain import audited_atomic
from zhengwu.audit.models import AuditEvent
from zhengwu.cases import rules
from zhengwu.cases.domain import stored_file_save
from zhengwu.cases.domain.acceptance import (
    case_correction_submit,
    case_handle_immediately,
    case_refuse,
    case_request_correction,
)
from zhengwu.cases.domain.application_form import application_fields
from zhengwu.cases.domain.files import stored_file_open
from zhengwu.cases.domain.intake import AlreadySubmitted, case_register_at_window, case_submit_by_proxy
from zhengwu.cases.domain.lookup import _LABELS as CASE_TIMELINE_LABELS
from zhengwu.cases.domain.lookup import case_clock_detail, decision_detail
from zhengwu.cases.domain.outcome import CASE_RESULT_RELATED, CaseFacts, case_outcome
from zhengwu.cases.domain.processing import case_accept_and_start
from zhengwu.cases.enums import AWAITING_ACCEPTANCE, ApplicantIdType, ApplicantKind, CaseState, Channel
from zhengwu.cases.forms import SubmissionKeyForm
from zhengwu.cases.models import Case, CaseMaterial, ReplacedMaterial
from zhengwu.catalog.enums import HandlingKind, VersionState
from zhengwu.catalog.models import ItemVersion
from zhengwu.org.models import Department
from zhengwu.workbench.case_clock import case_clock_panel
from zhengwu.workbench.queues import acceptance_cases
from zhengwu.workbench.rules import staff_required
from zhengwu.workbench.views.fees import case_fees_panel
from zhengwu.workcal.domain.clock import clocks_explain
from zhengwu.workflow.models import ProcessInstance, WorkTask
from zhengwu.workflow.views import instance_diagram_response

PER_PAGE = 50
ITEM_LIMIT = 50

TIMELINE_LABELS = {
    "cases.submitted": gettext_lazy("收件"),
    "cases.correction_requested": gettext_lazy("一次性告知补正"),
    "cases.correction_submitted": gettext_lazy("提交补正材料"),
    "cases.accepted": gettext_lazy("受理"),
    "cases.processing_started": gettext_lazy("启动办理流程"),
    "cases.deemed_accepted": gettext_lazy("视为受理"),
    "cases.refused": gettext_lazy("不予受理"),
    "cases.handled_immediately": gettext_lazy("当场办结"),
    "ratings.submitted": gettext_lazy("好差评"),
    "supervision.callback_recorded": gettext_lazy("监察回访"),
    "cases.fee_notice_issued": gettext_lazy("开具缴费通知"),
    "cases.fee_notice_cancelled": gettext_lazy("缴费通知作废"),
    "cases.fee_paid": gettext_lazy("缴费"),
    "cases.fee_refunded": gettext_lazy("退费"),
    "cases.fee_refund_requested": gettext_lazy("申请退费"),
    "cases.fee_refund_approved": gettext_lazy("批准退费"),
    "cases.fee_refund_rejected": gettext_lazy("不予退费"),
    "cases.fee_refund_withdrawn": gettext_lazy("撤回退费申请"),
    "cases.fee_online_payment_started": gettext_lazy("发起网上支付"),
    "cases.fee_online_payment_failed": gettext_lazy("网上支付未成功"),
    "cases.fee_online_payment_unrecorded": gettext_lazy("网上支付已到账未入账"),
    "cases.fee_online_payment_returned": gettext_lazy("网上支付未入账款项退回缴费人"),
    "cases.fee_online_payment_reconciled": gettext_lazy("网上支付查单补记"),
    "cases.fee_online_payment_expired": gettext_lazy("网上支付订单超时关闭"),
    "cases.suspended": gettext_lazy("挂起"),
    "cases.resumed": gettext_lazy("恢复办理"),
    "cases.extension_requested": gettext_lazy("申请延期"),
    "cases.extended": gettext_lazy("批准延期"),
    "cases.extension_rejected": gettext_lazy("不予批准延期"),
    "cases.deemed_approved": gettext_lazy("超时视为准予许可"),
}


# ---------------------------------------------------------------- helpers


def _console_or_403(user) -> None:
    if not rules.can_use_window_console(user):
        raise PermissionDenied


def _registrable_versions(user):
    """Published versions the user may file: a clerk's window's departments; every item for a station agent."""
    versions = ItemVersion.objects.filter(state=VersionState.PUBLISHED).select_related("item__department")
    department_filter = rules.registrable_department_filter(user)
    if department_filter is not None and not rules.can_submit_by_proxy(user):
        ids = Department.objects.filter(department_filter).values_list("pk", flat=True)
        versions = versions.filter(item__department_id__in=ids)
    return versions


# The case page reads the case with the rows its result section shows (CaseFacts then reads none of them again).
PAGE_RELATED = ("external_link__system", *CASE_RESULT_RELATED)


def _case_or_404(user, number: str, *, related: tuple[str, ...] = ()) -> Case:
    queryset = Case.objects.select_related(
        "item_version__item", "department", "acceptance_clock", "handling_clock", "registered_by", "window", *related
    )
    return get_object_or_404(rules.cases_visible_to(user, queryset), number=number)


def _error_list(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


# ---------------------------------------------------------------- forms


class ItemSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("事项名称或编码"), required=False, max_length=100)


class ApplicantForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("申请人类型"), choices=ApplicantKind.choices)
    name = forms.CharField(label=gettext_lazy("申请人姓名或名称"), max_length=150)
    id_type = forms.ChoiceField(
        label=gettext_lazy("证件类型"), choices=ApplicantIdType.choices, initial=ApplicantIdType.RESIDENT_ID
    )
    id_number = forms.CharField(
        label=gettext_lazy("证件号码或统一社会信用代码"),
        max_length=30,
        help_text=gettext_lazy("法人填写统一社会信用代码。"),
    )
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20, required=False)

    def clean(self):
        data = super().clean()
        kind, id_type, number = data.get("kind"), data.get("id_type"), data.get("id_number")
        if kind and number:
            number = id_number_normalise(number)
            if kind == ApplicantKind.LEGAL:
                data["id_type"] = ApplicantIdType.CREDIT_CODE
                problem = credit_code_error(number)
            elif id_type == ApplicantIdType.CREDIT_CODE:
                self.add_error("id_type", _("自然人请选择身份证件类型。"))
                return data
            else:
                problem = id_number_error(id_type, number)
            if problem:
                self.add_error("id_number", problem)
            data["id_number"] = number
        return data


class ProxyForm(forms.Form):
    applicant_id_number = forms.CharField(
        label=gettext_lazy("申请人证件号码或统一社会信用代码"),
        max_length=30,
        help_text=gettext_lazy("申请人须已在本平台实名注册。"),
    )
    consent_text = forms.CharField(label=gettext_lazy("申请人委托代办意见"), widget=forms.Textarea(attrs={"rows": 3}))
    consent_file = forms.FileField(label=gettext_lazy("委托书（可选）"), required=False)

    def clean_applicant_id_number(self):
        number = id_number_normalise(self.cleaned_data["applicant_id_number"])
        citizen = CitizenProfile.objects.select_related("user").filter(id_number=number).first()
        if citizen is not None:
            self.applicant = citizen.user
            return number
        enterprise = EnterpriseProfile.objects.select_related("user").filter(credit_code=number).first()
        if enterprise is not None:
            self.applicant = enterprise.user
            return number
        raise ValidationError(_("未找到该证件号码的实名注册用户。"))


def _material_field(material) -> str:
    return f"material_{material.pk}"


def _materials_form(version: ItemVersion, data=None, files=None) -> forms.Form:
    form = forms.Form(data, files)
    for material in version.materials.order_by("position", "pk"):
        form.fields[_material_field(material)] = forms.FileField(
            label=material.name,
            required=False,
            help_text=material.get_necessity_display(),
        )
        form.fields[_material_field(material)].material = material
    return form


def _application_form(version: ItemVersion, data=None) -> forms.Form:
    """The item's application form (申请表) entries, named by their keys (see cases.domain.application_form)."""
    form = forms.Form(data, prefix="form")
    for field in application_fields(version):
        form.fields[field.key] = forms.CharField(
            label=field.label,
            required=field.required,
            max_length=200,
            error_messages={"required": _("请填写%(label)s。") % {"label": field.label}},
        )
    return form


# ---------------------------------------------------------------- 窗口登记


@staff_required
def register_items(request):
    _console_or_403(request.user)
    form = ItemSearchForm(request.GET or None)
    versions = _registrable_versions(request.user).order_by("item__department__name", "name")
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        versions = versions.filter(
            Q(name__icontains=query) | Q(item__implementation_code__icontains=query) | Q(item__basic_code=query)
        )
    return render(
        request,
        "workbench/cases/register_items.html",
        {"form": form, "versions": list(versions[:ITEM_LIMIT]), "query": query, "limit": ITEM_LIMIT},
    )


@staff_required
@never_cache  # Back after filing loads the form anew, with a fresh submission key (the next applicant's)
def register(request, version_id: int):
    user = request.user
    _console_or_403(user)
    version = get_object_or_404(_registrable_versions(user), pk=version_id)
    is_clerk = rules.can_register_at_window(user, version.item.department_id)
    is_agent = not is_clerk and rules.can_submit_by_proxy(user)
    if not (is_clerk or is_agent):
        raise PermissionDenied
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    applicant_form = ApplicantForm(data, prefix="applicant") if is_clerk else None
    proxy_form = ProxyForm(data, files, prefix="proxy") if is_agent else None
    materials_form = _materials_form(version, data, files)
    application_form = _application_form(version, data)
    submission = SubmissionKeyForm(data)
    errors: list[str] = []
    if request.method == "POST":
        person_form = applicant_form or proxy_form
        if all([person_form.is_valid(), application_form.is_valid(), materials_form.is_valid()]):
            answers = {key: value for key, value in application_form.cleaned_data.items() if value}
            try:
                case = _file_case(request, version, is_clerk, person_form, materials_form, answers, submission.key)
            except AlreadySubmitted as done:  # the same form posted again (a double click, a retry): its first case
                messages.success(
                    request, _("该办件已登记，办件编号：%(number)s。请勿重复提交。") % {"number": done.case.number}
                )
                return redirect("workbench:case_detail", number=done.case.number)
            except ValidationError as error:
                errors = _apply_domain_errors(error, application_form, person_form, materials_form)
            else:
                messages.success(request, _("已登记办件 %(number)s。") % {"number": case.number})
                return redirect("workbench:case_detail", number=case.number)
    return render(
        request,
        "workbench/cases/register.html",
        {
            "version": version,
            "applicant_form": applicant_form,
            "proxy_form": proxy_form,
            "materials_form": materials_form,
            "application_form": application_form,
            "submission": submission,
            "is_agent": is_agent,
            "errors": errors,
        },
        status=400 if request.method == "POST" else 200,
    )


def _stored(request, upload, field: str):
    try:
        return stored_file_save(upload=upload, actor=request.user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


def _file_case(
    request, version, is_clerk: bool, person_form, materials_form, answers: dict, submission_key: str | None
) -> Case:
    with audited_atomic():
        materials = []
        for name, field in materials_form.fields.items():
            upload = materials_form.cleaned_data.get(name)
            if upload:
                materials.append({"material": field.material, "file": _stored(request, upload, name)})
        if is_clerk:
            return case_register_at_window(
                clerk=request.user,
                item_version=version,
                applicant_snapshot=person_form.cleaned_data,
                materials=materials,
                form_data=answers,
                submission_key=submission_key,
            )
        consent = person_form.cleaned_data.get("consent_file")
        return case_submit_by_proxy(
            agent=request.user,
            applicant=person_form.applicant,
            item_version=version,
            materials=materials,
            consent_text=person_form.cleaned_data["consent_text"],
            consent_file=_stored(request, consent, "consent_file") if consent else None,
            form_data=answers,
            submission_key=submission_key,
        )


def _apply_domain_errors(error: ValidationError, *forms_: forms.Form) -> list[str]:
    """Field errors onto the form that has the field; the rest listed above the forms."""
    if not hasattr(error, "error_dict"):
        return _error_list(error)
    leftovers: list[str] = []
    for field, field_errors in error.message_dict.items():
        form = next((form for form in forms_ if field in form.fields), None)
        if form is None:
            leftovers.extend(field_errors)
        else:
            for message in field_errors:
                form.add_error(field, message)
    return leftovers


# ---------------------------------------------------------------- 待受理


class QueueFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        label=gettext_lazy("部门"), queryset=Department.objects.none(), required=False, empty_label=gettext_lazy("全部")
    )
    state = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部"))] + [(s.value, s.label) for s in CaseState if s in AWAITING_ACCEPTANCE],
    )


@dataclass
class QueueRow:
    case: Case
    clock_status: str
    clock_label: str
    external: bool = False  # registered by a departmental system: handled there, not on this platform


@staff_required
def acceptance_queue(request):
    user = request.user
    if not rules.can_view_acceptance_queue(user):
        raise PermissionDenied
    cases = acceptance_cases(user)
    form = QueueFilterForm(request.GET or None)
    form.fields["department"].queryset = Department.objects.filter(
        pk__in=rules.cases_visible_to(user).values("department_id")
    ).order_by("name")
    if form.is_valid():
        if form.cleaned_data["department"] is not None:
            cases = cases.filter(department=form.cleaned_data["department"])
        if form.cleaned_data["state"]:
            cases = cases.filter(state=form.cleaned_data["state"])
    cases = cases.select_related("item_version", "department", "acceptance_clock", "external_link").order_by(
        "acceptance_clock__due_at", "pk"
    )
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for case in page:
        clock = case.acceptance_clock
        status = clock.display_status(now) if clock is not None else None
        rows.append(
            QueueRow(
                case,
                status.value if status else "none",
                status.label if status else _("未计时"),
                external=rules.registered_by_external_system(case),
            )
        )
    return render(request, "workbench/cases/acceptance_queue.html", {"form": form, "page": page, "rows": rows})


# ---------------------------------------------------------------- 办件页


@dataclass
class ClockView:
    title: str
    clock: object
    status: str
    label: str
    lines: list[str]


@dataclass
class TimelineRow:
    at: object
    label: str
    actor: str
    detail: str


REFUND_ACTIONS = frozenset(
    {
        "cases.fee_refund_requested",
        "cases.fee_refund_approved",
        "cases.fee_refund_rejected",
        "cases.fee_refund_withdrawn",
        "cases.fee_refunded",
    }
)


def _refund_detail(after: dict) -> str:
    detail = _("%(amount)s 元；理由：%(reason)s") % {
        "amount": after.get("amount", ""),
        "reason": after.get("reason", ""),
    }
    if after.get("note"):
        detail += _("；审批意见：%(note)s") % {"note": after["note"]}
    return detail


ONLINE_PAYMENT_ACTIONS = frozenset(
    {
        "cases.fee_online_payment_started",
        "cases.fee_online_payment_failed",
        "cases.fee_online_payment_unrecorded",
        "cases.fee_online_payment_returned",
        "cases.fee_online_payment_reconciled",
        "cases.fee_online_payment_expired",
    }
)

# What the payment platform answered reconciliation's query (对账/查单; `cases.payments.OrderState`).
PLATFORM_STATE_LABELS = {
    "paid": gettext_lazy("已付款"),
    "not_paid": gettext_lazy("未付款"),
    "closed": gettext_lazy("已关闭"),
}


def _online_payment_detail(after: dict) -> str:
    detail = _("订单号 %(reference)s，%(amount)s 元") % {
        "reference": after.get("reference", ""),
        "amount": after.get("amount", ""),
    }
    if after.get("return_reference"):
        detail += _("；支付流水号 %(trade)s；退款流水号 %(refund)s") % {
            "trade": after.get("provider_reference", ""),
            "refund": after["return_reference"],
        }
    elif after.get("problem"):
        detail += _("；支付流水号 %(trade)s；%(problem)s") % {
            "trade": after.get("provider_reference", ""),
            "problem": after["problem"],
        }
    elif "queried" in after and not after["queried"]:
        detail += _("；未向支付平台查单")
    if after.get("platform_state") == "paid":
        detail += _("；支付平台查单结果：已付款，支付流水号 %(trade)s") % {"trade": after.get("provider_reference", "")}
    elif after.get("platform_state") in PLATFORM_STATE_LABELS:
        detail += _("；支付平台查单结果：%(state)s") % {"state": PLATFORM_STATE_LABELS[after["platform_state"]]}
    if after.get("closed_at_platform"):
        detail += _("，已在支付平台关闭订单")
    return detail


def _timeline(case: Case) -> list[TimelineRow]:
    events = AuditEvent.objects.filter(object_type=Case._meta.label_lower, object_id=str(case.pk)).order_by("seq")
    rows = []
    for event in events.only("occurred_at", "action", "actor_repr", "after"):
        after = event.after or {}
        detail = ""
        if event.action == "cases.refused":
            detail = after.get("reason", "")
        elif event.action == "cases.correction_requested":
            detail = "；".join(f"{item['name']}：{item['problem']}" for item in after.get("items", []))
        elif event.action == "cases.handled_immediately":
            detail = after.get("outcome_note", "")
        elif event.action == "cases.decided":
            detail = decision_detail(after)
        elif event.action in REFUND_ACTIONS:
            detail = _refund_detail(after)
        elif event.action in ONLINE_PAYMENT_ACTIONS:
            detail = _online_payment_detail(after)
        else:
            detail = case_clock_detail(event.action, after)
        label = TIMELINE_LABELS.get(event.action) or CASE_TIMELINE_LABELS.get(event.action, event.action)
        actor = event.actor_repr
        if not actor or actor.startswith("system:"):  # a system actor such as "system:cases"
            actor = _("系统")
        rows.append(TimelineRow(event.occurred_at, str(label), actor, detail))
    return rows


def _clocks(case: Case) -> list[ClockView]:
    now = timezone.now()
    shown = [
        (title, clock)
        for title, clock in ((_("受理期限"), case.acceptance_clock), (_("办理期限"), case.handling_clock))
        if clock is not None
    ]
    views = []
    for (title, clock), lines in zip(shown, clocks_explain([clock for _title, clock in shown], now=now), strict=True):
        status = clock.display_status(now)
        views.append(ClockView(title, clock, status.value, status.label, lines))
    return views


def _steps(case: Case) -> tuple[list[dict], list]:
    """The case's process instances (newest first) and every step of them, oldest first, with its urgency."""
    now = timezone.now()
    instances = list(
        ProcessInstance.objects.filter(content_type=ContentType.objects.get_for_model(Case), object_id=str(case.pk))
        .select_related("definition")
        .order_by("-created_at", "-pk")
    )
    tasks = (
        WorkTask.objects.filter(instance__in=instances)
        .select_related("department", "assignee", "completed_by", "clock")
        .order_by("created_at", "pk")
    )
    rows = [
        {"task": task, "urgency": task.clock.display_status(now) if task.clock is not None else None} for task in tasks
    ]
    return rows, instances


@require_GET
@staff_required
def case_diagram(request, number: str):
    """The case's (newest) process diagram for whoever may see the case, e.g. the window clerk who accepted it
    although no step of the flow falls to the clerk's own department."""
    case = _case_or_404(request.user, number)
    instance = (
        ProcessInstance.objects.filter(content_type=ContentType.objects.get_for_model(Case), object_id=str(case.pk))
        .order_by("-created_at", "-pk")
        .first()
    )
    if instance is None:
        raise Http404
    return instance_diagram_response(instance)


def _case_context(request, case: Case, **extra) -> dict:
    user = request.user
    # An applicant who never hands in the corrections is refused (不予受理) while in 补正 too.
    can_refuse = case.state in AWAITING_ACCEPTANCE and rules.can_decide_acceptance(user, case)
    can_decide = can_refuse and case.state == CaseState.SUBMITTED
    can_immediate = (
        case.state == CaseState.SUBMITTED
        and case.item_version.handling_kind == HandlingKind.IMMEDIATE
        and rules.can_handle_immediately(user, case)
    )
    materials = list(
        case.materials.select_related("file", "licence", "item_material")
        .prefetch_related(
            Prefetch("replaced", queryset=ReplacedMaterial.objects.select_related("file", "licence", "notice"))
        )
        .order_by("position", "pk")
    )
    notices = list(case.correction_notices.order_by("sequence"))
    # A walk-in applicant has no account to answer a correction notice online: the window (or the agent who
    # filed the case) hands in what the latest notice listed.
    can_correct = (
        case.state == CaseState.CORRECTION_REQUESTED and bool(notices) and rules.can_submit_correction(user, case)
    )
    steps, instances = _steps(case)
    # The fee and result sections share what they read (the decision; the notices tell whether fees are settled).
    facts = CaseFacts(case)
    fees = case_fees_panel(user, case, facts=facts)
    return {
        "case": case,
        "masked_id": mask_id_number(case.applicant_id_number),
        "materials": materials,
        "notices": notices,
        "timeline": _timeline(case),
        "clocks": _clocks(case),
        "steps": steps,
        "instances": instances,
        "can_decide": can_decide,
        "can_refuse": can_refuse,
        "can_immediate": can_immediate,
        "can_correct": can_correct,
        "correction_items": notices[-1].items if can_correct else [],
        "is_proxy": case.channel == Channel.PROXY,
        "external": getattr(case, "external_link", None),  # a departmental system's case (一厅双网)
        "can_queue": rules.can_view_acceptance_queue(user),
        "can_console": rules.can_use_window_console(user),
        "clock_panel": case_clock_panel(user, case),
        "fees": fees,
        "outcome": case_outcome(case, user, facts=facts),
        "errors": extra.pop("errors", []),
        "form_values": extra.pop("form_values", {}),
        **extra,
    }


@staff_required
def case_detail(request, number: str):
    case = _case_or_404(request.user, number, related=PAGE_RELATED)
    return render(request, "workbench/cases/case.html", _case_context(request, case))


def _act(request, number: str, action, success: str):
    case = _case_or_404(request.user, number)
    try:
        action(case)
    except PermissionDenied:
        raise
    except ValidationError as error:
        context = _case_context(request, case, errors=_error_list(error), form_values=request.POST)
        return render(request, "workbench/cases/case.html", context, status=400)
    messages.success(request, success)
    return redirect("workbench:case_detail", number=case.number)


@require_POST
@staff_required
def case_accept_view(request, number: str):
    return _act(request, number, lambda case: case_accept_and_start(actor=request.user, case=case), _("已受理。"))


@require_POST
@staff_required
def case_refuse_view(request, number: str):
    reason = request.POST.get("reason", "")
    return _act(
        request, number, lambda case: case_refuse(actor=request.user, case=case, reason=reason), _("已决定不予受理。")
    )


@require_POST
@staff_required
def case_correction_view(request, number: str):
    selected = request.POST.getlist("material")
    items = [
        {"material": int(pk), "problem": request.POST.get(f"problem_{pk}", "")} for pk in selected if pk.isdecimal()
    ]
    reason = request.POST.get("correction_reason", "")  # not "reason": the refusal form's, on the same page
    return _act(
        request,
        number,
        lambda case: case_request_correction(actor=request.user, case=case, items=items, reason=reason),
        _("已发出一次性告知补正通知。"),
    )


def _correction_field(material_id: int) -> str:
    return f"correction_{material_id}"


@require_POST
@staff_required
def case_correction_submit_view(request, number: str):
    """补正材料 handed in at the window (or by the agent) for the materials the latest notice listed."""

    def submit(case: Case) -> None:
        notice = case.correction_notices.order_by("-sequence").first()
        item_materials = dict(case.materials.values_list("pk", "item_material_id"))
        with audited_atomic():
            materials = []
            for item in notice.items if notice is not None else []:
                field = _correction_field(item["material_id"])
                upload = request.FILES.get(field)
                if upload:
                    materials.append(
                        {"material": item_materials.get(item["material_id"]), "file": _stored(request, upload, field)}
                    )
            case_correction_submit(applicant_or_clerk=request.user, case=case, materials=materials)

    return _act(request, number, submit, _("补正材料已提交，办件重新等待受理。"))


@require_POST
@staff_required
def case_immediate_view(request, number: str):
    note = request.POST.get("outcome_note", "")
    return _act(
        request,
        number,
        lambda case: case_handle_immediately(clerk=request.user, case=case, outcome_note=note),
        _("已当场办结。"),
    )


@staff_required
def case_material_file(request, number: str, material_id: int):
    case = _case_or_404(request.user, number)
    material = get_object_or_404(CaseMaterial.objects.select_related("file"), case=case, pk=material_id)
    if material.file is None:
        raise Http404
    return _file_response(material.file)


@staff_required
def case_replaced_material_file(request, number: str, material_id: int, replaced_id: int):
    """The file a correction replaced: it stays part of the case file."""
    case = _case_or_404(request.user, number)
    replaced = get_object_or_404(
        ReplacedMaterial.objects.select_related("file"),
        material__case=case,
        material__pk=material_id,  # not material_id: past 64 bits that overflows SQLite instead of finding nothing
        pk=replaced_id,
    )
    if replaced.file is None:
        raise Http404
    return _file_response(replaced.file)


@staff_required
def case_consent_file(request, number: str):
    case = _case_or_404(request.user, number)
    if case.consent_file_id is None:
        raise Http404
    return _file_response(case.consent_file)


def _file_response(stored) -> FileResponse:
    response = FileResponse(
        stored_file_open(stored), as_attachment=True, filename=stored.original_name, content_type=stored.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def case_url(case: Case) -> str:
    return reverse("workbench:case_detail", args=[case.number])
