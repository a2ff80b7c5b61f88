"""The web server's command line, shared by `zhengwu serve` and the inbox benchmark (ADR 0024)."""

import os
from pathlib import Path


def web_workers_default() -> int:
    """`WEB_CONCURRENCY`, else gunicorn's rule of thumb: two workers per core plus one."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return int(configured)
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_command(*, bin_dir: Path, bind: str, workers: int, access_log: bool = True) -> list[str]:
    """Sync workers, one request per process at a time, each connection closed after its response.

    Connections wait in the kernel's one accept queue and are served in arrival order; keep-alive
    connections pinned to threaded workers left some requests queued behind others (ADR 0024). Slow
    clients are the TLS proxy's to buffer, as production runs behind one.
    """
    command = [
        str(bin_dir / "gunicorn"),
        "zhengwu.wsgi:application",
        "--bind",
        bind,
        "--worker-class",
        "sync",
        "--workers",
        str(workers),
    ]
    if access_log:
        command += ["--access-logfile", "-"]
    return command
