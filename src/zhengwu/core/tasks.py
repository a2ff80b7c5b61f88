import socket

from celery import shared_task
from django.utils import timezone


@shared_task
def heartbeat(name: str = "worker") -> str:
    from zhengwu.core.models import Heartbeat

    Heartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "hostname": socket.gethostname()}
    )
    return name


@shared_task
def echo(payload: dict) -> dict:
    """Round-trip task used to prove a broker and a worker are wired up."""
    return {"echo": payload, "host": socket.gethostname()}
