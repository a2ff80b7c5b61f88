"""Version counters in the shared cache (zhengwu.core.versions)."""

import pytest
from django.core.cache import cache
from django.db import transaction

from zhengwu.core.versions import versions_bump, versions_read


def test_reading_creates_missing_counters_and_keeps_their_value(shared_cache):
    first = versions_read(["a", "b"])
    assert all(isinstance(value, int) for value in first)
    assert versions_read(["a", "b"]) == first


@pytest.mark.django_db
def test_a_bump_moves_the_counter_only_when_the_transaction_commits(shared_cache, django_capture_on_commit_callbacks):
    (before,) = versions_read(["a"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        versions_bump(["a", "a"])
        assert versions_read(["a"]) == (before,)
    assert versions_read(["a"]) == (before + 1,)


@pytest.mark.django_db
def test_a_rolled_back_change_moves_nothing(shared_cache, django_capture_on_commit_callbacks):
    (before,) = versions_read(["a"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        versions_bump(["a"])
        raise RuntimeError
    assert versions_read(["a"]) == (before,)


@pytest.mark.django_db
def test_a_counter_that_vanished_comes_back_with_a_value_no_page_recorded(
    shared_cache, django_capture_on_commit_callbacks
):
    (before,) = versions_read(["a"])
    cache.delete("a")
    with django_capture_on_commit_callbacks(execute=True):
        versions_bump(["a"])
    (after,) = versions_read(["a"])
    assert after != before and after != before + 1


@pytest.mark.django_db
def test_without_a_shared_cache_bumps_do_nothing(settings, django_capture_on_commit_callbacks):
    settings.ZHENGWU_SHARED_CACHE = False
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        versions_bump(["a"])
    assert callbacks == []
    assert cache.get("a") is None
