from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _perms(models, actions):
    return [f"exchange.{a}_{m}" for m in models for a in actions]


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Data exchange")
    default_auto_field = "django.db.models.BigAutoField"

    # Only managers configure destinations; nobody edits the outbox or a delivery by hand.
    role_permissions = {
        "manager": _perms(["externalsystem", "datagrant"], ["view", "add", "change"])
        + _perms(["outboxrecord", "delivery", "exchangeaction"], ["view"]),
    }

    def ready(self) -> None:
        from community.affairs.signals import grid_event_changed
        from community.residents.services import occupancy_ended, occupancy_started

        from . import receivers, tasks  # tasks: registered by name for services' delay_on_commit

        del tasks

        occupancy_started.connect(receivers.on_occupancy_started, dispatch_uid="exchange.occupancy_started")
        occupancy_ended.connect(receivers.on_occupancy_ended, dispatch_uid="exchange.occupancy_ended")
        grid_event_changed.connect(
            receivers.on_grid_event_changed, dispatch_uid="exchange.grid_event_changed"
        )
