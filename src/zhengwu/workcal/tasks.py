from celery import shared_task


@shared_task
def recompute_clocks_for_years(years: list[int]) -> int:
    """Recompute the open clocks touched by a calendar change (idempotent: a second run changes nothing)."""
    from zhengwu.workcal.domain.clock import clocks_recompute_for_years

    return clocks_recompute_for_years(years=[int(year) for year in years])
