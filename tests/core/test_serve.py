"""`zhengwu serve` runs the web server and a background worker on the embedded default."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ZHENGWU = str(Path(sys.executable).parent / "zhengwu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), dict(error.headers)


def _production_like_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "ZHENGWU_TESTING", "DEBUG"}}
    env.update(
        ZHENGWU_DATA_DIR=str(data_dir),
        SECRET_KEY="serve-test-secret",
        SECURE_COOKIES="0",
        DATABASE_URL="",
        CELERY_BROKER_URL="",
        ALLOWED_HOSTS="127.0.0.1",
    )
    return env


@pytest.mark.timeout(180)
def test_serve_answers_http_and_its_worker_reports_in(tmp_path):
    env = _production_like_env(tmp_path)
    subprocess.run([ZHENGWU, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([ZHENGWU, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [ZHENGWU, "serve", "--bind", f"127.0.0.1:{port}", "--web-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, health, beat = time.monotonic() + 90, None, None
        while time.monotonic() < deadline and (health is None or beat is None):
            time.sleep(0.5)
            assert server.poll() is None, server.stdout.read().decode(errors="replace")
            try:
                status, body, _ = _get(f"http://127.0.0.1:{port}/api/health")
            except OSError:
                continue
            health = body if status == 200 else None
            with sqlite3.connect(tmp_path / "zhengwu.sqlite3") as db:
                beat = db.execute("SELECT name FROM core_heartbeat WHERE name = 'worker'").fetchone()
        home_status, home, headers = _get(f"http://127.0.0.1:{port}/")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert health is not None and '"status": "ok"' in health.replace('":"', '": "'), output
    assert beat == ("worker",), output
    assert home_status == 200, output
    assert "<html" in home
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert server.returncode == 0, output


def test_web_server_runs_sync_workers_two_per_core_plus_one(monkeypatch):
    from zhengwu.core.web import gunicorn_command, web_workers_default

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert web_workers_default() == 5
    assert gunicorn_command(bin_dir=Path("/venv/bin"), bind="127.0.0.1:8000", workers=5) == [
        "/venv/bin/gunicorn",
        "zhengwu.wsgi:application",
        "--bind",
        "127.0.0.1:8000",
        "--worker-class",
        "sync",
        "--workers",
        "5",
        "--access-logfile",
        "-",
    ]


def test_web_concurrency_sets_the_number_of_web_workers(monkeypatch):
    from zhengwu.core.web import web_workers_default

    monkeypatch.setenv("WEB_CONCURRENCY", "9")
    assert web_workers_default() == 9
