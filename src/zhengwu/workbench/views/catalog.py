"""Curation of the catalogue (事项梳理): items, drafts, the legal review queue. Thin adapters over
zhengwu.catalog.domain.versions; who sees what comes from zhengwu.catalog.rules."""

import difflib
import mimetypes
import os
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengwu.accounts.enums import Role
from zhengwu.accounts.rules import is_county_wide, user_department_id
from zhengwu.catalog import rules
from zhengwu.catalog.domain.versions import (
    FEE_FIELDS,
    MATERIAL_FIELDS,
    MATERIAL_FILE_FIELDS,
    STEP_FIELDS,
    VERSION_FIELDS,
    item_create,
    version_approve,
    version_diff,
    version_draft_create,
    version_return,
    version_submit,
    version_update,
    version_withdraw,
)
from zhengwu.catalog.enums import EDITABLE_STATES, OPEN_STATES, VersionState
from zhengwu.catalog.models import ItemMaterial, ItemVersion, ServiceItem
from zhengwu.org.models import Department
from zhengwu.workbench.catalog_forms import (
    ApproveForm,
    FeeFormSet,
    GuideForm,
    ItemFilterForm,
    ItemForm,
    MaterialFormSet,
    ReturnForm,
    StepFormSet,
    StoredFile,
    WithdrawForm,
    domain_errors_apply,
    domain_precheck,
    file_argument,
    kept_forms,
)
from zhengwu.workbench.rules import staff_required
from zhengwu.workcal.presets import presets

CATALOG_ROLES = (Role.CATALOG_EDITOR, Role.LEGAL_REVIEWER, Role.SUPERVISOR, Role.ADMINISTRATOR)
REVIEW_ROLES = (Role.LEGAL_REVIEWER, Role.SUPERVISOR, Role.ADMINISTRATOR)
PER_PAGE = 25
CURRENT_STATES = (VersionState.PUBLISHED, *OPEN_STATES)
FILE_FIELDS = (*MATERIAL_FILE_FIELDS, "result_sample")
# What the item list shows of a version (its guide texts are not loaded there).
LIST_VERSION_FIELDS = (
    "item_id", "number", "state", "name", "limit_unit", "statutory_limit_days", "promised_limit_days",
)  # fmt: skip


# ---------------------------------------------------------------- queries


def _visible_items(user):
    return rules.items_visible_to(ServiceItem.objects.all(), user)


def _visible_versions(user):
    return rules.items_visible_to(ItemVersion.objects.all(), user, department_field="item__department")


def _item_or_404(user, item_id: int) -> ServiceItem:
    return get_object_or_404(_visible_items(user).select_related("department"), pk=item_id)


def _version_or_404(user, item_id: int, number: int) -> ItemVersion:
    return get_object_or_404(
        _visible_versions(user).select_related("item__department", "created_by", "reviewed_by"),
        item__pk=item_id,  # not item_id: the related lookup skips the range check, and SQLite overflows past 64 bits
        number=number,
    )


def _predecessor(version: ItemVersion) -> ItemVersion | None:
    return version.item.versions.filter(number__lt=version.number).order_by("-number").first()


def _can_see_audit(user) -> bool:
    return bool(user.is_staff and user.has_perm("catalog.view_itemversion"))


def _version_url(version: ItemVersion, name: str = "workbench:catalog_version") -> str:
    return reverse(name, args=[version.item_id, version.number])


def _percent(version: ItemVersion | None) -> str:
    ratio = version.compression_ratio if version is not None else None
    return "" if ratio is None else f"{ratio * 100:.0f}%"


# ---------------------------------------------------------------- 事项管理 list


@dataclass
class ItemRow:
    item: ServiceItem
    published: ItemVersion | None
    open: ItemVersion | None
    withdrawn: ItemVersion | None

    @property
    def shown(self) -> ItemVersion | None:
        return self.published or self.open or self.withdrawn

    @property
    def ratio(self) -> str:
        return _percent(self.published)


def _filtered_items(user, form: ItemFilterForm):
    queryset = _visible_items(user).select_related("department")
    if not form.is_valid():
        return queryset
    data = form.cleaned_data
    current = ItemVersion.objects.filter(item=OuterRef("pk"))
    if data["q"]:
        q = data["q"].strip()
        queryset = queryset.filter(
            Q(implementation_code__icontains=q)
            | Q(basic_code__icontains=q)
            | Exists(current.filter(state__in=CURRENT_STATES, name__icontains=q))
        )
    if data["state"] == VersionState.WITHDRAWN:
        queryset = queryset.filter(
            Exists(current.filter(state=VersionState.WITHDRAWN)),
            ~Exists(current.filter(state=VersionState.PUBLISHED)),
        )
    elif data["state"]:
        queryset = queryset.filter(Exists(current.filter(state=data["state"])))
    if data["item_type"]:
        queryset = queryset.filter(item_type=data["item_type"])
    if data.get("department"):
        queryset = queryset.filter(department=data["department"])
    return queryset


def _departments_for_filter(user):
    if not rules.can_view_all_items(user):
        return None
    return Department.objects.filter(is_active=True).order_by("sort_order", "code")


@staff_required(roles=CATALOG_ROLES)
def items(request):
    user = request.user
    form = ItemFilterForm(request.GET or None, departments=_departments_for_filter(user))
    queryset = _filtered_items(user, form).prefetch_related(
        Prefetch(
            "versions",
            queryset=ItemVersion.objects.exclude(state=VersionState.SUPERSEDED)
            .only(*LIST_VERSION_FIELDS)
            .order_by("-number"),
            to_attr="current_versions",
        )
    )
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for item in page.object_list:
        by_state = {}
        for version in item.current_versions:  # newest first: keep the latest of each state
            by_state.setdefault(version.state, version)
        open_version = next((by_state[state] for state in OPEN_STATES if state in by_state), None)
        rows.append(
            ItemRow(item, by_state.get(VersionState.PUBLISHED), open_version, by_state.get(VersionState.WITHDRAWN))
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workbench/catalog/items.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_create": _creatable_departments(user) is not None,
            "show_department": rules.can_view_all_items(user),
        },
    )


# ---------------------------------------------------------------- item page


@staff_required(roles=CATALOG_ROLES)
def item_detail(request, item_id: int, *, withdraw_form: WithdrawForm | None = None):
    user = request.user
    item = _item_or_404(user, item_id)
    versions = list(item.versions.select_related("created_by", "reviewed_by").order_by("-number"))
    published = next((v for v in versions if v.state == VersionState.PUBLISHED), None)
    open_version = next((v for v in versions if v.state in OPEN_STATES), None)
    can_edit = rules.can_edit_department_items(user, item.department_id)
    summary = published or open_version or versions[0]
    return render(
        request,
        "workbench/catalog/item.html",
        {
            "item": item,
            "versions": versions,
            "first_number": versions[-1].number,
            "published": published,
            "open_version": open_version,
            "summary": summary,
            "summary_ratio": _percent(summary),
            "materials": list(summary.materials.all()),
            "fees": list(summary.fees.all()),
            "can_edit": can_edit,
            "can_start_draft": can_edit and open_version is None,
            "can_edit_open": can_edit and open_version is not None and open_version.state in EDITABLE_STATES,
            "withdraw_form": (withdraw_form or WithdrawForm()) if can_edit and published else None,
            "can_see_audit": _can_see_audit(user),
        },
    )


@require_POST
@staff_required(roles=(Role.CATALOG_EDITOR,))
def item_withdraw(request, item_id: int):
    item = _item_or_404(request.user, item_id)
    if not rules.can_edit_department_items(request.user, item.department_id):
        raise PermissionDenied
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return item_detail(request, item_id, withdraw_form=form)
    published = item.versions.filter(state=VersionState.PUBLISHED).first()
    if published is None:
        messages.error(request, _("该事项没有现行版本，无需停用。"))
        return redirect("workbench:catalog_item", item_id)
    try:
        version_withdraw(actor=request.user, version=published, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("事项已停用，公众将不再看到该事项的办事指南。"))
    return redirect("workbench:catalog_item", item_id)


@require_POST
@staff_required(roles=(Role.CATALOG_EDITOR,))
def draft_create(request, item_id: int):
    item = _item_or_404(request.user, item_id)
    if not rules.can_edit_department_items(request.user, item.department_id):
        raise PermissionDenied
    try:
        draft = version_draft_create(actor=request.user, item=item)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("workbench:catalog_item", item_id)
    messages.success(request, _("已根据最新版本起草第 %(number)s 版。") % {"number": draft.number})
    return redirect(_version_url(draft, "workbench:catalog_version_edit"))


# ---------------------------------------------------------------- versions


def _version_page(request, version: ItemVersion, *, return_form=None, approve_form=None):
    user = request.user
    predecessor = _predecessor(version)
    show_changes = version.state in OPEN_STATES and predecessor is not None
    return render(
        request,
        "workbench/catalog/version.html",
        {
            "version": version,
            "item": version.item,
            "ratio": _percent(version),
            "materials": _materials_with_links(version),
            "fees": list(version.fees.all()),
            "steps": list(version.steps.all()),
            "preset": _preset(version.statutory_preset),
            "result_sample": _stored(version, "result_sample"),
            "predecessor": predecessor,
            "changes": _diff_rows(predecessor, version) if show_changes else None,
            "can_edit": rules.can_edit_version(user, version),
            "can_review": rules.can_review_version(user, version),
            "own_draft_in_review": version.state == VersionState.IN_REVIEW
            and rules.can_review(user)
            and not rules.can_review_version(user, version),
            "return_form": return_form or ReturnForm(),
            "approve_form": approve_form or ApproveForm(),
            "can_see_audit": _can_see_audit(user),
        },
    )


@staff_required(roles=CATALOG_ROLES)
def version_detail(request, item_id: int, number: int):
    return _version_page(request, _version_or_404(request.user, item_id, number))


@staff_required(roles=CATALOG_ROLES)
def version_diff_view(request, item_id: int, number: int):
    version = _version_or_404(request.user, item_id, number)
    predecessor = _predecessor(version)
    return render(
        request,
        "workbench/catalog/diff.html",
        {
            "version": version,
            "item": version.item,
            "predecessor": predecessor,
            "changes": _diff_rows(predecessor, version) if predecessor else None,
        },
    )


@require_POST
@staff_required(roles=(Role.CATALOG_EDITOR,))
def version_submit_view(request, item_id: int, number: int):
    version = _version_or_404(request.user, item_id, number)
    if not rules.can_edit_department_items(request.user, version.item.department_id):
        raise PermissionDenied
    try:
        version_submit(actor=request.user, version=version)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("已提交法制审核。"))
    return redirect(_version_url(version))


@require_POST
@staff_required(roles=(Role.LEGAL_REVIEWER,))
def version_approve_view(request, item_id: int, number: int):
    version = _version_or_404(request.user, item_id, number)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _version_page(request, version, approve_form=form)
    try:
        version_approve(actor=request.user, version=version, comment=form.cleaned_data["comment"])
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(_version_url(version))
    messages.success(request, _("审核通过，第 %(number)s 版已发布。") % {"number": version.number})
    return redirect("workbench:catalog_review_queue")


@require_POST
@staff_required(roles=(Role.LEGAL_REVIEWER,))
def version_return_view(request, item_id: int, number: int):
    version = _version_or_404(request.user, item_id, number)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            version_return(actor=request.user, version=version, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            if "comment" in getattr(error, "error_dict", {}):
                form.add_error("comment", error.message_dict["comment"])
            else:
                messages.error(request, "；".join(error.messages))
                return redirect(_version_url(version))
        else:
            messages.success(request, _("已退回修改，审核意见已送达编辑人员。"))
            return redirect("workbench:catalog_review_queue")
    return _version_page(request, version, return_form=form)


@staff_required(roles=REVIEW_ROLES)
def review_queue(request):
    user = request.user
    queryset = (
        _visible_versions(user)
        .filter(state=VersionState.IN_REVIEW)
        .select_related("item__department", "created_by")
        .order_by("submitted_at", "pk")
    )
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    rows = [(version, rules.can_review_version(user, version)) for version in page.object_list]
    return render(request, "workbench/catalog/review_queue.html", {"page": page, "rows": rows})


# ---------------------------------------------------------------- create and edit


def _creatable_departments(user):
    """Departments the user may create items for: a queryset, or None if none."""
    if not rules.can_edit_department_items(user, user_department_id(user)):
        return None
    if is_county_wide(user):
        return Department.objects.filter(is_active=True).order_by("sort_order", "code")
    return Department.objects.filter(pk=user_department_id(user))


def _formsets(data=None, files=None, *, version: ItemVersion | None = None):
    if version is None:
        initial = {"materials": None, "fees": None, "steps": None}
    else:
        initial = {
            "materials": [
                {name: getattr(m, name) for name in MATERIAL_FIELDS}
                | {name: _stored(version, name, m) for name in MATERIAL_FILE_FIELDS}
                for m in version.materials.all()
            ],
            "fees": [{name: getattr(f, name) for name in FEE_FIELDS} for f in version.fees.all()],
            "steps": [{name: getattr(s, name) for name in STEP_FIELDS} for s in version.steps.all()],
        }
    return {
        "materials": MaterialFormSet(data, files, prefix="materials", initial=initial["materials"]),
        "fees": FeeFormSet(data, prefix="fees", initial=initial["fees"]),
        "steps": StepFormSet(data, prefix="steps", initial=initial["steps"]),
    }


def _form_context(guide: GuideForm, formsets: dict, **extra) -> dict:
    return {
        "guide": guide,
        "formsets": formsets,
        "presets": presets(),
        "has_errors": bool(guide.errors or any(fs.total_error_count() for fs in formsets.values() if fs.is_bound)),
        **extra,
    }


def _collect(formsets: dict) -> tuple[dict, dict]:
    """(lists for the domain, the forms each list came from)."""
    rows = {prefix: kept_forms(formset) for prefix, formset in formsets.items()}
    lists = {
        "materials": [form.material() for form in rows["materials"]],
        "fees": [form.fee() for form in rows["fees"]],
        "steps": [form.step() for form in rows["steps"]],
    }
    return lists, {prefix: (formsets[prefix], rows[prefix]) for prefix in formsets}


@staff_required(roles=(Role.CATALOG_EDITOR,))
def item_create_view(request):
    user = request.user
    departments = _creatable_departments(user)
    if departments is None:
        raise PermissionDenied
    choose = is_county_wide(user)
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    item_form = ItemForm(data, departments=departments if choose else None)
    guide = GuideForm(data)
    formsets = _formsets(data, files)
    if request.method == "POST":
        if all([form.is_valid() for form in (item_form, guide, *formsets.values())]):
            lists, rows = _collect(formsets)
            department = item_form.cleaned_data["department"] if choose else departments.get()
            try:
                version = item_create(
                    actor=user,
                    department=department,
                    item_type=item_form.cleaned_data["item_type"],
                    level=item_form.cleaned_data["level"],
                    basic_code=item_form.cleaned_data["basic_code"],
                    fields=guide.guide_fields(),
                    **lists,
                )
            except ValidationError as error:
                domain_errors_apply(error, forms_=[guide, item_form], rows=rows)
            else:
                messages.success(
                    request,
                    _("事项已创建（实施编码 %(code)s），当前为草稿。") % {"code": version.item.implementation_code},
                )
                return redirect(_version_url(version))
        else:
            domain_precheck(guide, formsets)
    return render(
        request,
        "workbench/catalog/version_form.html",
        _form_context(
            guide,
            formsets,
            item_form=item_form,
            department=None if choose else departments.first(),
            title=_("新建事项"),
        ),
    )


@staff_required(roles=(Role.CATALOG_EDITOR,))
def version_edit(request, item_id: int, number: int):
    user = request.user
    version = _version_or_404(user, item_id, number)
    if not rules.can_edit_department_items(user, version.item.department_id):
        raise PermissionDenied
    if version.state not in EDITABLE_STATES:
        messages.error(request, _("“%(state)s”状态的版本不能修改。") % {"state": version.get_state_display()})
        return redirect(_version_url(version))
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    initial = {name: getattr(version, name) for name in VERSION_FIELDS} | {
        "result_sample": _stored(version, "result_sample")
    }
    guide = GuideForm(data, files, initial=initial, with_result_sample=True)
    formsets = _formsets(data, files, version=version)
    if request.method == "POST":
        if all([form.is_valid() for form in (guide, *formsets.values())]):
            lists, rows = _collect(formsets)
            sample = guide.cleaned_data.get("result_sample")
            try:
                version_update(
                    actor=user,
                    version=version,
                    fields=guide.guide_fields(),
                    result_sample=None if isinstance(sample, StoredFile) else file_argument(sample),
                    **lists,
                )
            except ValidationError as error:
                domain_errors_apply(error, forms_=[guide], rows=rows)
            else:
                messages.success(request, _("草稿已保存。"))
                return redirect(_version_url(version))
        else:
            domain_precheck(guide, formsets)
    return render(
        request,
        "workbench/catalog/version_form.html",
        _form_context(
            guide,
            formsets,
            version=version,
            item=version.item,
            ratio=_percent(version),
            title=_("编辑第 %(number)s 版") % {"number": version.number},
        ),
    )


# ---------------------------------------------------------------- files


def _stored(version: ItemVersion, field: str, material: ItemMaterial | None = None) -> StoredFile | None:
    owner = material if material is not None else version
    stored = getattr(owner, field)
    if not stored:
        return None
    args = [version.item_id, version.number, field] + ([material.pk] if material is not None else [])
    name = "workbench:catalog_material_file" if material is not None else "workbench:catalog_version_file"
    return StoredFile(stored.name, reverse(name, args=args))


def _materials_with_links(version: ItemVersion) -> list[tuple[ItemMaterial, StoredFile | None, StoredFile | None]]:
    return [(m, _stored(version, "blank_form", m), _stored(version, "sample", m)) for m in version.materials.all()]


@staff_required(roles=CATALOG_ROLES)
def version_file(request, item_id: int, number: int, field: str, material_id: int | None = None):
    if field not in FILE_FIELDS:
        raise Http404
    version = _version_or_404(request.user, item_id, number)
    if material_id is None:
        if field != "result_sample":
            raise Http404
        stored = version.result_sample
    else:
        if field == "result_sample":
            raise Http404
        stored = getattr(get_object_or_404(version.materials, pk=material_id), field)
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    filename = os.path.basename(stored.name)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


# ---------------------------------------------------------------- presentation helpers


def _preset(code: str):
    return next((preset for preset in presets() if preset.code == code), None) if code else None


@dataclass
class DiffLine:
    text: str
    change: str  # "", "removed" or "added"


@dataclass
class DiffRow:
    label: str
    old: list[DiffLine]
    new: list[DiffLine]


def _diff_rows(old: ItemVersion | None, new: ItemVersion) -> list[DiffRow]:
    """version_diff, with multi-line values (materials, fees, steps) marked line by line."""
    if old is None:
        return []
    rows = []
    for change in version_diff(old, new):
        a, b = change.old.splitlines() or [""], change.new.splitlines() or [""]
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        kept_a, kept_b = set(), set()
        for block in matcher.get_matching_blocks():
            kept_a.update(range(block.a, block.a + block.size))
            kept_b.update(range(block.b, block.b + block.size))
        rows.append(
            DiffRow(
                change.label,
                [DiffLine(text, "" if i in kept_a else "removed") for i, text in enumerate(a)],
                [DiffLine(text, "" if i in kept_b else "added") for i, text in enumerate(b)],
            )
        )
    return rows
