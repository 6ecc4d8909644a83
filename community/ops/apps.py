from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations plumbing: request ids (HTTP and Celery), JSON logs, metrics, drill tasks."""

    name = "community.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from . import request_id

        request_id.connect_signals()
