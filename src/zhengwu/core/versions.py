"""Version counters in the shared cache.

A cached page remembers the counters it was built from and is served only while every one of them is unchanged
(docs/adr/0023-inbox-page-cache.md). Data apps name their counters and bump them when their rows change; a bump
takes effect when the transaction commits, so a page rendered from uncommitted data is never taken as current.

Counters live only where every web and worker process shares one cache (`ZHENGWU_SHARED_CACHE`, set with
CACHE_URL); without one, bumps do nothing and nothing is cached against them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def shared_cache_enabled() -> bool:
    return bool(getattr(settings, "ZHENGWU_SHARED_CACHE", False))


def _fresh() -> int:
    # A counter that vanished (eviction, restart) comes back with a value no earlier page can have recorded.
    return time.time_ns()


def versions_read(keys: Sequence[str]) -> tuple:
    """The current value of each counter, creating missing ones."""
    found = cache.get_many(list(keys))
    for key in keys:
        if key not in found:
            cache.add(key, _fresh(), timeout=None)
            found[key] = cache.get(key)
    return tuple(found.get(key) for key in keys)


def _bump_now(keys: Iterable[str]) -> None:
    for key in dict.fromkeys(keys):
        try:
            cache.incr(key)
        except ValueError:  # missing: any fresh value differs from what pages recorded
            cache.set(key, _fresh(), timeout=None)


def versions_bump(keys: Iterable[str]) -> None:
    """Move the counters on once the current transaction commits (at once outside a transaction)."""
    if not shared_cache_enabled():
        return
    keys = list(keys)
    if keys:
        transaction.on_commit(lambda: _bump_now(keys), robust=True)
