from django.dispatch import Signal

# Sent after commit whenever an instance moves: kwargs instance, action ("started", "task_completed",
# "task_returned", "cancelled"), opened (new WorkTask rows) and closed (rows completed, returned or cancelled).
workflow_changed = Signal()
