"""Public verification pages, the holder's licence library (我的证照) and permission-checked downloads."""

from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from zhengwu.licences import rules
from zhengwu.licences.domain import licence_verify_pdf
from zhengwu.licences.forms import UPLOAD_MAX_BYTES, VerifyUploadForm
from zhengwu.licences.models import Licence


@never_cache
def verify(request, token: str):
    """What the QR code on a certificate opens: its current state, with personal data masked."""
    licence = get_object_or_404(Licence.objects.select_related("licence_type", "department"), token=token)
    return render(request, "licences/verify.html", {"licence": licence, "status": licence.status()})


class _SizeLimitHandler(FileUploadHandler):
    """Stops storing an upload once it passes the limit, instead of spooling gigabytes to disk."""

    def __init__(self, request=None, limit: int = UPLOAD_MAX_BYTES):
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt  # the size limit must be installed before the CSRF check reads the body; checked just below
@never_cache
def verify_upload(request):
    limiter = _SizeLimitHandler(request)
    request.upload_handlers.insert(0, limiter)
    return _verify_upload(request, limiter)


@csrf_protect
def _verify_upload(request, limiter: _SizeLimitHandler):
    result = None
    if request.method == "POST":
        form = VerifyUploadForm(request.POST, request.FILES, too_large=limiter.exceeded)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            upload.seek(0)
            result = licence_verify_pdf(upload.read())
            form = VerifyUploadForm()
    else:
        form = VerifyUploadForm()
    return render(request, "licences/verify_upload.html", {"form": form, "result": result})


@login_required
def mine(request):
    licences = Licence.objects.filter(holder=request.user).select_related("licence_type", "department")
    return render(request, "licences/mine.html", {"licences": licences})


@login_required
def download(request, number: str):
    licence = get_object_or_404(Licence.objects.select_related("licence_type"), number=number)
    if not rules.can_download(request.user, licence):
        raise Http404  # do not confirm that someone else's licence exists
    try:
        handle = licence.pdf.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=f"{licence.number}.pdf", content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response
