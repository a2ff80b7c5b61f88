from celery import shared_task


@shared_task
def sweep(full: bool = False) -> dict:
    """The supervision sweep: incremental every 5 minutes, full hourly (settings.CELERY_BEAT_SCHEDULE)."""
    from zhengwu.supervision.domain import supervision_sweep
    from zhengwu.supervision.enums import SweepKind

    run = supervision_sweep(kind=SweepKind.FULL if full else SweepKind.INCREMENTAL)
    return {"run": run.pk, "kind": run.kind, "points": run.counts.get("points", {})}
