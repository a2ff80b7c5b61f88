"""The Redis cache backend (zhengwu.core.cache) and the version counters on a real Redis server."""

import os
import uuid

import pytest
import redis
from django.core.cache import cache
from django.db import transaction

from zhengwu.core.cache import RedisCache
from zhengwu.core.versions import versions_bump, versions_read

REDIS_URL = os.environ.get("ZHENGWU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="module")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable ({exc}); run scripts/test.sh, which starts it.")
    return REDIS_URL


@pytest.fixture
def redis_cache(redis_url, settings):
    """The project's default cache pointed at the test Redis, as CACHE_URL configures it."""
    settings.CACHES = {
        "default": {"BACKEND": "zhengwu.core.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": uuid.uuid4().hex}
    }
    settings.ZHENGWU_SHARED_CACHE = True
    yield cache
    cache.delete_many(["taskpool:all"])  # not clear(): that flushes the database the broker tests share


def test_one_client_serves_every_operation(redis_url):
    backend = RedisCache(redis_url, {"KEY_PREFIX": uuid.uuid4().hex})
    assert backend._cache.get_client() is backend._cache.get_client(write=True)
    backend.set("a", {"页面": [1, 2]})
    assert backend.add("a", 0) is False
    assert backend.get_many(["a", "b"]) == {"a": {"页面": [1, 2]}}
    backend.set("n", 41, timeout=None)
    assert backend.incr("n") == 42
    backend.delete_many(["a", "n"])


@pytest.mark.django_db
def test_version_counters_move_on_commit_in_redis(redis_cache, django_capture_on_commit_callbacks):
    (before,) = versions_read(["taskpool:all"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        versions_bump(["taskpool:all"])
    assert versions_read(["taskpool:all"]) == (before + 1,)
