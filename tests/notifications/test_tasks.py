"""Celery tasks and the beat entry of the retry sweep."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.notifications.helpers import broker_configured
from zhengwu.notifications.domain import notify
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Delivery
from zhengwu.notifications.tasks import deliver_pending, retry_deliveries


def test_the_retry_sweep_runs_every_five_minutes():
    assert settings.CELERY_BEAT_SCHEDULE["notifications-retry"] == {
        "task": "zhengwu.notifications.tasks.retry_deliveries",
        "schedule": 300.0,
    }


@pytest.mark.django_db
def test_the_tasks_send_pending_and_sweep_lost_deliveries(citizen, sms_outbox):
    with broker_configured():  # pending, as a web process with a broker leaves them for the worker
        [first] = notify(recipients=[citizen], category=Category.GENERAL, subject="一", body="", channels=("sms",))
        [second] = notify(recipients=[citizen], category=Category.GENERAL, subject="二", body="", channels=("sms",))
    first_id = first.deliveries.get().pk
    Delivery.objects.filter(message=second).update(created_at=timezone.now() - timedelta(minutes=5))

    assert deliver_pending.delay([str(first_id)]).get() == 1
    assert retry_deliveries.delay().get() == 1

    assert [sms.text for sms in sms_outbox] == [
        "【青川政务】一",
        "【青川政务】二",
    ]
