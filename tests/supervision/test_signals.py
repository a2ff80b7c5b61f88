"""A committed case or clock change asks for one incremental sweep soon (debounced); inline mode never does."""

from unittest import mock

import pytest
from django.core.cache import cache

from tests.cases.test_acceptance import online
from zhengwu.cases.domain import case_accept
from zhengwu.supervision.signals import SWEEP_DELAY_SECONDS, SWEEP_SOON_KEY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clear_debounce():
    cache.delete(SWEEP_SOON_KEY)
    yield
    cache.delete(SWEEP_SOON_KEY)


def test_committed_changes_queue_one_incremental_sweep(hall, settings):
    settings.ZHENGWU_SWEEP_AFTER_EVENTS = True
    with mock.patch("zhengwu.supervision.tasks.sweep.apply_async") as queued:
        case = online(hall)
        case_accept(actor=hall.handler, case=case)
    queued.assert_called_once_with(kwargs={"full": False}, countdown=SWEEP_DELAY_SECONDS)


def test_inline_task_mode_never_sweeps_from_events(hall, settings):
    settings.ZHENGWU_SWEEP_AFTER_EVENTS = False
    with mock.patch("zhengwu.supervision.tasks.sweep.apply_async") as queued:
        online(hall)
    queued.assert_not_called()


def test_a_transaction_saving_many_cases_and_clocks_asks_once(hall, settings):
    from django.db import transaction

    from zhengwu.supervision import signals

    settings.ZHENGWU_SWEEP_AFTER_EVENTS = True
    with (
        mock.patch.object(signals, "sweep_soon", wraps=signals.sweep_soon) as asked,
        mock.patch("zhengwu.supervision.tasks.sweep.apply_async"),
    ):
        with transaction.atomic():
            case = online(hall)
            case_accept(actor=hall.handler, case=case)  # the case and its acceptance clock saved again
            asked.assert_not_called()
        asked.assert_called_once_with()
