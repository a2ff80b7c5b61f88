"""Signal receivers of the workcal app, connected in WorkcalConfig.ready()."""

from django.dispatch import receiver

from zhengwu.workcal.signals import calendar_changed


@receiver(calendar_changed, dispatch_uid="workcal.recompute_clocks")
def enqueue_clock_recompute(sender, years, **kwargs) -> None:
    """A year was imported or days edited (sent after commit): recompute the open clocks it touches."""
    from zhengwu.workcal.tasks import recompute_clocks_for_years

    years = sorted({int(year) for year in years})
    if years:
        recompute_clocks_for_years.delay(years=years)
