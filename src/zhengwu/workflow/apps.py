import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "zhengwu.workflow"
    label = "workflow"
    verbose_name = _("流程引擎")

    def ready(self) -> None:
        # SpiffWorkflow logs every task state change at INFO; keep that out of the logs unless LOGGING asks.
        for name in ("spiff", "spiff.task", "spiff.workflow"):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)

        from zhengwu.workflow.versions import connect

        connect()
