"""Catalogue xlsx import (with its validation report) and export. Thin adapters over zhengwu.catalog.domain.excel."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.accounts.enums import Role
from zhengwu.catalog import rules
from zhengwu.catalog.domain.excel import MAX_FILE_BYTES, SHEETS, catalog_export_xlsx, catalog_import_xlsx
from zhengwu.workbench.rules import staff_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCHANGE_ROLES = (Role.CATALOG_EDITOR, Role.SUPERVISOR, Role.ADMINISTRATOR)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("事项目录文件（.xlsx）"),
        help_text=gettext_lazy("使用“导出现行事项”得到的文件格式；文件中任何一处问题都会导致整个文件不导入。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}),
    )
    publish = forms.BooleanField(
        label=gettext_lazy("导入后直接发布（跳过审核，仅用于演示数据和历史清单迁移）"),
        required=False,
    )

    def __init__(self, *args, can_publish: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_publish:
            del self.fields["publish"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("文件过大（%(size).1f MB），不得超过 %(limit)d MB。")
                % {"size": upload.size / 1024 / 1024, "limit": MAX_FILE_BYTES // 1024 // 1024}
            )
        return upload


def _allowed(request) -> bool:
    if not rules.can_exchange_items(request.user):
        raise PermissionDenied
    return rules.can_publish_imports(request.user)


@staff_required(roles=EXCHANGE_ROLES)
def catalog_import(request):
    can_publish = _allowed(request)
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, can_publish=can_publish)
        if form.is_valid():
            publish = bool(form.cleaned_data.get("publish"))
            result = catalog_import_xlsx(actor=request.user, data=form.cleaned_data["file"].read(), publish=publish)
            if result.ok:
                if publish:
                    text = _("导入成功：新建 %(created)d 个事项，更新 %(drafted)d 个事项，已发布 %(published)d 个。")
                else:
                    text = _(
                        "导入成功：新建 %(created)d 个事项，更新 %(drafted)d 个事项。"
                        "导入的内容为草稿，请在“事项管理”中核对后提交审核。"
                    )
                messages.success(
                    request,
                    text
                    % {"created": len(result.created), "drafted": len(result.drafted), "published": result.published},
                )
                return redirect("workbench:catalog_excel_import")
    else:
        form = ImportForm(can_publish=can_publish)
    return render(
        request,
        "workbench/catalog_excel/import.html",
        {"form": form, "result": result, "sheets": SHEETS},
        status=200,
    )


@staff_required(roles=EXCHANGE_ROLES)
def catalog_export(request):
    _allowed(request)
    filename = f"事项目录-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(catalog_export_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
