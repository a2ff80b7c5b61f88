"""Races between two database connections, for the row-lock tests (PostgreSQL only)."""

import threading
import time

from django.db import connection, transaction


def blocked_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(first, second) -> dict:
    """Run `first` in a transaction that holds its locks until `second` is seen waiting, then commit."""
    results: dict = {}
    locked, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                first()
                locked.set()
                release.wait(10)
            results["first"] = "ok"
        except Exception as exc:
            results["first"] = exc
        finally:
            locked.set()
            connection.close()

    def contender():
        locked.wait(10)
        try:
            second()
            results["second"] = "ok"
        except Exception as exc:
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=contender)]
    for thread in threads:
        thread.start()
    locked.wait(10)
    deadline = time.monotonic() + 10
    while blocked_backends() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    results["contender_waited"] = blocked_backends() > 0
    release.set()
    for thread in threads:
        thread.join(20)
    return results
