from celery import shared_task


@shared_task
def deem_accepted() -> int:
    """视为受理 sweep (every 10 minutes); idempotent."""
    from zhengwu.cases.domain import cases_deem_accepted

    return cases_deem_accepted()
