import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from zhengwu.core.web import gunicorn_command, web_workers_default


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn）与后台任务进程（Celery worker + beat），任一退出则全部停止。"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("ZHENGWU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=web_workers_default())
        parser.add_argument("--no-worker", action="store_true", help="只启动 Web 服务")

    def handle(self, *args, bind: str, web_workers: int, no_worker: bool, **options):
        env = os.environ.copy()
        if not env.get("CELERY_BROKER_URL"):
            # Embedded default: a broker in files under the data directory, no server needed.
            env["CELERY_BROKER_URL"] = "filesystem://"
            for sub in ("queue", "processed", "control"):
                (Path(settings.DATA_DIR) / "broker" / sub).mkdir(parents=True, exist_ok=True)
        bin_dir = Path(sys.executable).parent
        commands = {"web": gunicorn_command(bin_dir=bin_dir, bind=bind, workers=web_workers)}
        if not no_worker:
            commands["worker"] = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "zhengwu",
                "worker",
                "--beat",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--schedule",
                str(Path(settings.DATA_DIR) / "celerybeat-schedule"),
            ]
        children = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"已启动：{'、'.join(children)}，访问 http://{bind}/"))

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, proc in children.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} 进程已退出（代码 {proc.returncode}），正在停止全部进程。")
                    exit_code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
        for proc in children.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in children.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(exit_code)
