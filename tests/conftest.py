import os

os.environ.setdefault("ZHENGWU_TESTING", "1")
# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses that by default.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

# Playwright fixtures (chromium, page, browser_log, screenshot_path) for browser tests in any folder.
pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, request):
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _national_calendar(request):
    """Transactional tests flush every table, including the calendar the migrations seeded.

    Put it back before any test that uses the database, so results never depend on test order.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    transactional = "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from tests.workcal.calendar_helpers import ensure_national_calendar

    ensure_national_calendar()


@pytest.fixture(autouse=True)
def _reference_caches():
    """Rows a process keeps by identity (published materials, process definitions): a rolled-back SQLite database
    hands primary keys out again, and frozen clocks give rows the same timestamps, so start every test empty."""
    from zhengwu.catalog.domain.reads import catalogue_caches_clear
    from zhengwu.workflow.domain.definitions import definition_caches_clear

    catalogue_caches_clear()
    definition_caches_clear()


@pytest.fixture(autouse=True)
def sms_outbox():
    """Texts sent through the in-memory SMS gateway, emptied around every test (like mail.outbox)."""
    from zhengwu.notifications import backends

    backends.sms_outbox.clear()
    yield backends.sms_outbox
    backends.sms_outbox.clear()


@pytest.fixture
def shared_cache(settings):
    """As with CACHE_URL: version counters move and pages are cached (in this process's memory cache)."""
    from django.core.cache import cache

    settings.ZHENGWU_SHARED_CACHE = True
    cache.clear()
    yield cache
    cache.clear()
