from celery import shared_task


@shared_task
def deem_accepted() -> int:
    """视为受理 sweep (every 10 minutes), then processing for the cases it accepted; idempotent."""
    from zhengwu.cases.domain import cases_deem_accepted
    from zhengwu.cases.domain.processing import cases_processing_start_pending

    deemed = cases_deem_accepted()
    cases_processing_start_pending()
    return deemed


@shared_task
def purge_api_nonces() -> int:
    """Delete departmental-system nonces older than the signature window (hourly); idempotent."""
    from zhengwu.cases.domain.external import api_nonces_purge

    return api_nonces_purge()


@shared_task
def purge_api_rate_windows() -> int:
    """Delete departmental-system rate windows no longer needed (hourly): ended failure windows, system
    windows older than 24 hours; idempotent."""
    from zhengwu.cases.domain.api_rate import api_rate_windows_purge

    return api_rate_windows_purge()


@shared_task
def deem_approved() -> int:
    """超时默认 sweep (every 10 minutes): overdue cases of deemed-approval items are granted; idempotent."""
    from zhengwu.cases.domain.deemed_approval import cases_deem_approved

    return cases_deem_approved()


@shared_task
def purge_orphan_files() -> int:
    """Nightly: remove uploads nothing refers to once their grace period has passed; idempotent.
    Returns the number of stored-file rows removed."""
    from zhengwu.cases.domain.retention import stored_files_purge_orphans

    return stored_files_purge_orphans().count


@shared_task
def reconcile_online_payments() -> int:
    """对账/查单 (every 5 minutes): ask the payment platform about online payment orders that stayed open — record
    what was paid but never notified, close and expire lapsed orders; idempotent, safe to run twice at once.
    Returns the number of orders settled."""
    from zhengwu.cases.domain.online_payment import fee_payment_attempts_reconcile

    return fee_payment_attempts_reconcile().settled
