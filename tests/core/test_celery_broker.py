"""Tasks travel through a real Redis broker to a real worker process.

Redis is provided by scripts/test.sh; if it cannot be reached these tests fail, they never skip.
"""

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from celery import Celery
from django.db import connection

from zhengwu.core.models import Heartbeat

REDIS_URL = os.environ.get("ZHENGWU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis broker at {REDIS_URL} is not reachable ({exc}); run scripts/test.sh, which starts it.")
    return REDIS_URL


def _start_worker(url: str, queue: str, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url, **extra_env}
    env.pop("PYTEST_VERSION", None)
    env["ZHENGWU_TESTING"] = "1"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "zhengwu",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _client(url: str) -> Celery:
    # Not the current app: shared tasks elsewhere in the suite must stay bound to zhengwu's (eager) app.
    client = Celery("zhengwu-test-client", broker=url, backend=url, set_as_current=False)
    client.conf.task_serializer = "json"
    client.conf.result_serializer = "json"
    client.conf.accept_content = ["json"]
    return client


def _stop(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out.decode(errors="replace")


def test_a_task_round_trips_through_redis_and_a_worker_process(redis_url):
    queue = f"zw-test-{uuid.uuid4().hex[:8]}"
    worker = _start_worker(redis_url, queue, {})
    try:
        result = _client(redis_url).send_task("zhengwu.core.tasks.echo", args=[{"办件": "2026-0001"}], queue=queue)
        value = result.get(timeout=60)
    finally:
        log = _stop(worker)
    assert value["echo"] == {"办件": "2026-0001"}, log
    assert worker.returncode is not None


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_writes_to_the_database(redis_url):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process cannot open the in-memory SQLite test database; runs on PostgreSQL")
    db = connection.settings_dict
    db_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"zw-test-{uuid.uuid4().hex[:8]}"
    worker = _start_worker(redis_url, queue, {"DATABASE_URL": db_url})
    try:
        _client(redis_url).send_task("zhengwu.core.tasks.heartbeat", args=["broker-test"], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Heartbeat.objects.filter(name="broker-test").exists():
            time.sleep(0.2)
    finally:
        log = _stop(worker)
    assert Heartbeat.objects.filter(name="broker-test").count() == 1, log
