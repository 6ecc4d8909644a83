from django.apps import AppConfig
from django.apps import apps as django_apps
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
        from django.db.models.signals import post_delete, post_save

        from community.affairs.signals import grid_event_changed
        from community.residents.services import occupancy_ended, occupancy_started

        from . import passages, receivers, tasks  # tasks: registered by name for services' delay_on_commit
        from .models import DataGrant, ExternalSystem, PassageQueued

        del tasks

        occupancy_started.connect(receivers.on_occupancy_started, dispatch_uid="exchange.occupancy_started")
        occupancy_ended.connect(receivers.on_occupancy_ended, dispatch_uid="exchange.occupancy_ended")
        # Gate passages: the access ingest statement itself queues each new event (see
        # exchange.passages for why not a signal); car passages: a signal in the read's transaction.
        if django_apps.is_installed("access"):
            from access.services.event_sinks import event_id_sink_register

            event_id_sink_register(PassageQueued._meta.db_table, "event_id")
        if django_apps.is_installed("parking"):
            from parking.signals import plate_read_stored

            plate_read_stored.connect(
                passages.on_plate_read_stored, dispatch_uid="exchange.plate_read_stored"
            )
            for model in (DataGrant, ExternalSystem):
                post_save.connect(
                    passages.grant_cache_clear,
                    sender=model,
                    dispatch_uid=f"exchange.grants.{model.__name__}.save",
                )
                post_delete.connect(
                    passages.grant_cache_clear,
                    sender=model,
                    dispatch_uid=f"exchange.grants.{model.__name__}.delete",
                )
        grid_event_changed.connect(
            receivers.on_grid_event_changed, dispatch_uid="exchange.grid_event_changed"
        )
