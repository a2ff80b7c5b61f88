"""消息中心: any logged-in user's inbox, in the portal layout for the public and the workbench layout for staff.

Marking read works as a plain POST (redirect back) and, with htmx, swaps the list and the header badge in place.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from zhengwu.accounts.rules import is_staff_member, staff_profile
from zhengwu.notifications.context_processors import request_unread_count, request_unread_count_set
from zhengwu.notifications.domain import (
    inbox_messages,
    message_mark_read,
    messages_mark_all_read,
    unread_message_count,
)
from zhengwu.notifications.models import Message
from zhengwu.notifications.rules import scope_to_recipient

PAGE_SIZE = 20


def _page_number(value) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _render_inbox(request, *, number, partial: bool):
    user = request.user
    staff = is_staff_member(user)
    if staff and not partial:
        staff_profile(user)  # the workbench header shows the department
    page = Paginator(inbox_messages(user), PAGE_SIZE).get_page(number)
    context = {
        "inbox_page": page,
        "unread": request_unread_count(request),
        "base_template": "workbench/base.html" if staff else "portal/base.html",
    }
    if partial:
        context["unread_message_count"] = context["unread"]
        return render(request, "notifications/_inbox.html", {**context, "oob": True})
    return render(request, "notifications/inbox.html", context)


def _after_change(request):
    number = _page_number(request.POST.get("page"))
    if _is_htmx(request):
        request_unread_count_set(request, unread_message_count(request.user))
        return _render_inbox(request, number=number, partial=True)
    url = reverse("notifications:inbox")
    return redirect(f"{url}?page={number}" if number > 1 else url)


@require_GET
@login_required
def inbox(request):
    return _render_inbox(request, number=request.GET.get("page"), partial=False)


def _own_message(request, message_id: int) -> Message:
    # Another user's message is indistinguishable from a missing one.
    return get_object_or_404(scope_to_recipient(Message.objects.all(), request.user), pk=message_id)


@require_POST
@login_required
def message_read(request, message_id: int):
    message_mark_read(user=request.user, message=_own_message(request, message_id))
    return _after_change(request)


@require_POST
@login_required
def message_open(request, message_id: int):
    """Mark the message read and follow its link."""
    message = _own_message(request, message_id)
    message_mark_read(user=request.user, message=message)
    if message.link and url_has_allowed_host_and_scheme(message.link, allowed_hosts=None):
        return redirect(message.link)
    return redirect("notifications:inbox")


@require_POST
@login_required
def messages_read_all(request):
    messages_mark_all_read(user=request.user)
    return _after_change(request)
