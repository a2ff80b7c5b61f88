from django.dispatch import Signal

# Sent after commit whenever a year is imported or days are edited; kwargs: years: list[int].
calendar_changed = Signal()
