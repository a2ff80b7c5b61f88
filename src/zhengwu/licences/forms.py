from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhengwu.licences.domain.verify import PDF_MAGIC

UPLOAD_MAX_BYTES = 10 * 1024 * 1024
TOO_LARGE = _("文件不能超过 10 MB。")


class VerifyUploadForm(forms.Form):
    file = forms.FileField(
        label=_("证照 PDF 文件"),
        help_text=_("选择从本平台下载的电子证照 PDF 文件，不超过 10 MB。文件只用于本次核验，不会保存。"),
        error_messages={"required": _("请选择要核验的 PDF 文件。"), "empty": _("文件是空的，请重新选择。")},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean(self):
        if self.too_large:
            self.errors.pop("file", None)
            raise ValidationError({"file": TOO_LARGE})
        return super().clean()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise ValidationError(TOO_LARGE)
        upload.seek(0)
        head = upload.read(len(PDF_MAGIC))
        upload.seek(0)
        if head != PDF_MAGIC:
            raise ValidationError(_("只能核验 PDF 文件：所选文件不是 PDF 格式。"))
        return upload
