import socket

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone


@shared_task
def heartbeat(name: str = "worker") -> str:
    from zhengwu.core.models import Heartbeat

    Heartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "hostname": socket.gethostname()}
    )
    return name


@shared_task(ignore_result=False)
def echo(payload: dict) -> dict:
    """Round-trip task used to prove a broker and a worker are wired up."""
    return {"echo": payload, "host": socket.gethostname()}


@worker_ready.connect
def _announce_worker(sender, **kwargs) -> None:
    sender.app.send_task("zhengwu.core.tasks.heartbeat", args=["worker"])
