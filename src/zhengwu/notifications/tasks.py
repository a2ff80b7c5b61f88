from celery import shared_task


@shared_task
def deliver_pending(ids: list[int]) -> int:
    """Send these deliveries if still pending (a second run, or another worker, sends nothing again)."""
    from zhengwu.notifications.domain import deliveries_send

    return deliveries_send(ids=[int(pk) for pk in ids])


@shared_task
def retry_deliveries() -> int:
    """Periodic sweep (beat, every 5 minutes): retry failed deliveries and recover lost ones."""
    from zhengwu.notifications.domain import deliveries_retry

    return deliveries_retry()
