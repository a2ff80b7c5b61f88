"""The applicant's side of cases: apply online from a guide, 我的办件, the case page and its PDF receipt."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.accounts.enums import UserKind
from zhengwu.accounts.rules import is_public_user
from zhengwu.audit.domain import audited_atomic
from zhengwu.cases.domain import (
    AlreadySubmitted,
    case_correction_submit,
    case_submit_online,
    case_timeline,
    stored_file_save,
)
from zhengwu.cases.domain.application_form import application_fields
from zhengwu.cases.domain.outcome import CASE_RESULT_RELATED, CaseFacts, case_outcome
from zhengwu.cases.domain.suspension import open_suspension
from zhengwu.cases.enums import CaseState
from zhengwu.cases.forms import SubmissionKeyForm
from zhengwu.cases.models import Case, CaseMaterial, CorrectionNotice
from zhengwu.cases.rules import can_view_case
from zhengwu.catalog.domain.themes import published_version
from zhengwu.catalog.enums import OnlineDepth
from zhengwu.core.links import absolute_url
from zhengwu.portal.cases_forms import ApplyForm, MaterialsForm
from zhengwu.portal.views.fees import applicant_fees
from zhengwu.workcal.domain.clock import clocks_explain

ONLINE_MIN_DEPTH = OnlineDepth.LEVEL_3


def _posted(request):
    return request.POST if request.method == "POST" else None


def allows_online(version) -> bool:
    return version.online_depth >= ONLINE_MIN_DEPTH


def _apply_refusal(user, version) -> str:
    """Why this user cannot apply online for the version, or "" if they can."""
    if not allows_online(version):
        return _("该事项暂不支持网上申报，请按办事指南到窗口办理。")
    if not is_public_user(user):
        return _("只有个人或法人用户可以网上申报。工作人员请在工作台登记办件。")
    if user.kind == UserKind.CITIZEN and not version.for_natural_persons:
        return _("该事项的服务对象不含自然人，请使用法人账户申报。")
    if user.kind == UserKind.ENTERPRISE and not version.for_legal_persons:
        return _("该事项的服务对象不含法人，请使用个人账户申报。")
    return ""


def _attach_errors(form, error: ValidationError, field_for_upload: str | None = None) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            target = field_for_upload if field == "upload" and field_for_upload else None
            if f"f_{field}" in form.fields:  # an entry of the application form
                target = f"f_{field}"
            for message in messages_:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _save_uploads(form, actor) -> dict[int, object] | None:
    """StoredFile per material id; None (with errors on the form) when an upload is refused."""
    stored: dict[int, object] = {}
    for material, upload, _licence in form.chosen():
        if upload:
            try:
                stored[material.pk] = stored_file_save(upload=upload, actor=actor)
            except ValidationError as error:
                _attach_errors(form, error, f"m{material.pk}_file")
    return None if form.errors else stored


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def apply(request, implementation_code: str):
    version = published_version(implementation_code)
    if version is None:
        raise Http404(_("该事项不存在或尚未发布。"))
    refusal = _apply_refusal(request.user, version)
    context = {"version": version, "item": version.item}
    if refusal:
        return render(request, "portal/cases/apply_refused.html", context | {"reason": refusal}, status=403)
    materials = list(version.materials.order_by("position", "pk"))
    form = ApplyForm(
        _posted(request),
        request.FILES or None,
        materials=materials,
        user=request.user,
        form_fields=application_fields(version),
    )
    submission = SubmissionKeyForm(_posted(request))
    context["submission"] = submission
    if request.method == "POST" and form.is_valid():
        try:
            with audited_atomic():
                stored = _save_uploads(form, request.user)
                if stored is None:
                    raise ValidationError("")  # roll back the files stored so far
                entries = [
                    {"material": material, "file": stored[material.pk]}
                    if upload
                    else {"material": material, "licence": licence}
                    for material, upload, licence in form.chosen()
                ]
                case = case_submit_online(
                    applicant=request.user,
                    item_version=version,
                    materials=entries,
                    form_data=form.answers(),
                    submission_key=submission.key,
                )
        except AlreadySubmitted as done:  # the same form posted again (a double click, a retry): its first case
            messages.success(
                request,
                _("该申报已提交，办件编号：%(number)s，查询码：%(code)s。请勿重复提交。")
                % {"number": done.case.number, "code": done.case.query_code},
            )
            return redirect("portal:case_detail", number=done.case.number)
        except ValidationError as error:
            if not form.errors:
                _attach_errors(form, error)
        else:
            messages.success(
                request,
                _("申报成功。办件编号：%(number)s，查询码：%(code)s。请牢记查询码，凭办件编号和查询码可查询办理进度。")
                % {"number": case.number, "code": case.query_code},
            )
            return redirect("portal:case_detail", number=case.number)
    return render(request, "portal/cases/apply.html", context | {"form": form}, status=400 if form.errors else 200)


def _clock_of(case: Case):
    """The clock that matters to the applicant now: the handling clock once accepted, else the acceptance one."""
    return case.handling_clock if case.handling_clock_id else case.acceptance_clock


@login_required
def mine(request):
    now = timezone.now()
    cases = list(
        Case.objects.filter(applicant=request.user)
        .select_related("item_version", "acceptance_clock", "handling_clock")
        .order_by("-received_at", "-pk")
    )
    rows = []
    for case in cases:
        clock = _clock_of(case)
        rows.append({"case": case, "clock": clock, "clock_status": clock.display_status(now) if clock else None})
    return render(request, "portal/cases/mine.html", {"rows": rows})


def _own_case(request, number: str, *, related: tuple[str, ...] = ()) -> Case:
    return get_object_or_404(
        Case.objects.select_related("item_version", "department", "acceptance_clock", "handling_clock", *related),
        number=number,
        applicant=request.user,
    )


def _material_rows(case: Case) -> list[CaseMaterial]:
    return list(
        CaseMaterial.objects.filter(case=case)
        .select_related("file", "licence__licence_type", "item_material")
        .order_by("position", "pk")
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def detail(request, number: str):
    case = _own_case(request, number, related=("external_link", *CASE_RESULT_RELATED))
    rows = _material_rows(case)
    notice = None
    form = None
    if case.state == CaseState.CORRECTION_REQUESTED:
        notice = CorrectionNotice.objects.filter(case=case).order_by("-sequence").first()
        listed = {item["material_id"] for item in (notice.items if notice else [])}
        to_supply = [row.item_material for row in rows if row.pk in listed and row.item_material_id]
        form = MaterialsForm(
            _posted(request),
            request.FILES or None,
            materials=to_supply,
            user=request.user,
            required_ids={m.pk for m in to_supply},
        )
        if request.method == "POST" and form.is_valid():
            try:
                with audited_atomic():
                    stored = _save_uploads(form, request.user)
                    if stored is None:
                        raise ValidationError("")
                    entries = [
                        {"material": material.pk, "file": stored[material.pk]}
                        if upload
                        else {"material": material.pk, "licence": licence}
                        for material, upload, licence in form.chosen()
                    ]
                    case_correction_submit(applicant_or_clerk=request.user, case=case, materials=entries)
            except ValidationError as error:
                if not form.errors:
                    _attach_errors(form, error)
            else:
                messages.success(request, _("补正材料已提交，我们将重新审查是否受理。"))
                return redirect("portal:case_detail", number=case.number)
    elif request.method == "POST":
        messages.error(request, _("该办件当前不需要补正材料。"))
        return redirect("portal:case_detail", number=case.number)
    now = timezone.now()
    shown = [
        (label, clock)
        for label, clock in ((_("受理期限"), case.acceptance_clock), (_("办理期限"), case.handling_clock))
        if clock is not None
    ]
    explained = clocks_explain([clock for _label, clock in shown], now=now)
    clocks = [
        {"label": label, "clock": clock, "status": clock.display_status(now), "lines": lines}
        for (label, clock), lines in zip(shown, explained, strict=True)
    ]
    # The fee and result sections share what they read: the notices tell whether fees are settled.
    fees = applicant_fees(request.user, case)
    context = {
        "case": case,
        "materials": rows,
        "notice": notice,
        "form": form,
        "timeline": case_timeline(case),
        "clocks": clocks,
        "suspension": open_suspension(case) if case.state == CaseState.SUSPENDED else None,
        "fees": fees,
        "outcome": case_outcome(case, request.user, facts=CaseFacts(case, notices=fees.notices)),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "portal/cases/detail.html", context, status=status)


def lookup_url() -> str:
    return absolute_url(reverse("cases:lookup"))


def receipt_html(case: Case) -> str:
    """The receipt (收件回执, or 受理回执 once accepted) as HTML for weasyprint."""
    accepted = case.accepted_at is not None
    return render_to_string(
        "cases/pdf/receipt.html",
        {
            "case": case,
            "title": _("受理回执") if accepted else _("收件回执"),
            "applicant_id": mask_id_number(case.applicant_id_number),
            "materials": _material_rows(case),
            "acceptance_due": case.acceptance_clock.due_date if case.acceptance_clock_id else None,
            "handling_due": case.handling_clock.due_date if case.handling_clock_id else None,
            "lookup_url": lookup_url(),
            "printed_at": timezone.now(),
        },
    )


@login_required
def receipt(request, number: str):
    case = get_object_or_404(
        Case.objects.select_related("item_version", "department", "acceptance_clock", "handling_clock"), number=number
    )
    if not can_view_case(request.user, case):
        raise Http404  # do not confirm that someone else's case exists
    from zhengwu.licences.domain.render import html_to_pdf

    response = HttpResponse(html_to_pdf(receipt_html(case)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
