"""Sweep soon after the events that matter: a case changing state, a clock being paused, extended or stopped.

Each committed change asks for an incremental sweep a few seconds later; requests within the debounce window
share one sweep (a cache key claimed with `add`). Inline task execution (no broker: tests, one-off commands)
never sweeps from here: the beat schedule covers it, and a sweep inside a request would be surprising."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

SWEEP_SOON_KEY = "supervision:sweep-soon"
SWEEP_DELAY_SECONDS = 10


def sweeps_after_events() -> bool:
    return bool(settings.ZHENGWU_SWEEP_AFTER_EVENTS)  # a setting that exists: looked up once, not raised for


def sweep_soon() -> bool:
    """Queue one incremental sweep unless one is already queued; True when this call queued it."""
    if not sweeps_after_events() or not cache.add(SWEEP_SOON_KEY, 1, timeout=SWEEP_DELAY_SECONDS):
        return False
    from zhengwu.supervision.tasks import sweep

    sweep.apply_async(kwargs={"full": False}, countdown=SWEEP_DELAY_SECONDS)
    return True


def request_sweep(sender, instance, **kwargs) -> None:
    """One request per transaction, however many cases and clocks it saves."""
    if not sweeps_after_events():
        return
    pending = transaction.get_connection().run_on_commit  # (savepoint ids, callable, robust) of this transaction
    if not any(entry[1] is sweep_soon for entry in pending):
        transaction.on_commit(sweep_soon)
