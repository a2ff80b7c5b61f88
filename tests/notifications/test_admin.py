"""Administrators can look at messages and deliveries but change nothing through the admin."""

import pytest
from django.contrib import admin

from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Delivery, Message

pytestmark = pytest.mark.django_db


def test_the_admin_lists_deliveries_and_shows_a_message_read_only(admin_client, citizen):
    [message] = notify(
        recipients=[citizen], category=Category.CASE_SUSPENDED, subject="办件挂起", body="现场勘验", channels=("inapp",)
    )

    deliveries = admin_client.get("/admin/notifications/delivery/")
    detail = admin_client.get(f"/admin/notifications/message/{message.pk}/change/")

    assert deliveries.status_code == 200
    assert detail.status_code == 200
    assert "办件挂起" in detail.content.decode()
    assert admin_client.get("/admin/notifications/message/add/").status_code == 403
    assert admin_client.post(f"/admin/notifications/message/{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Message.objects.count() == 1


@pytest.mark.parametrize("model", [Message, Delivery])
def test_nothing_can_be_added_changed_or_deleted(rf, admin_user, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_user

    assert (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
        model_admin.has_view_permission(request),
    ) == (False, False, False, True)
