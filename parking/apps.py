import re

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_PARKING_GROUP = re.compile(r"^estate\.(\d+)\.parking$")
# Who may follow an estate's live car-park screen (page and websocket alike).
LIVE_PERMISSION = "parking.view_session"


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"parking.{a}_{m}" for m in models for a in actions]


def authorise_parking_group(user, group: str) -> bool:
    """``estate.<id>.parking``: staff whose role in that estate may view parking sessions."""
    from community.scoping import staff_estate_ids_for_perm

    match = _PARKING_GROUP.match(group)
    if not match or not user.is_staff:
        return False
    ids = staff_estate_ids_for_perm(user, LIVE_PERMISSION)
    return ids is None or int(match.group(1)) in ids


_SETUP = ["lot", "lane", "space", "feerule"]
_RECORDS = ["vehicle", "permit"]
_LOG = ["plateevent", "session", "gateaction"]


class ParkingConfig(AppConfig):
    name = "parking"
    verbose_name = _("Parking")

    # Plate reads, sessions and gate actions are written by the platform only.
    role_permissions = {
        "manager": _perms(_SETUP + _RECORDS, ["view", "add", "change"]) + _perms(_LOG, ["view"]),
        "front_desk": _perms(_RECORDS, ["view", "add", "change"]) + _perms(_SETUP + _LOG, ["view"]),
        "security": _perms(["lot", "lane", "vehicle", "permit", *_LOG], ["view"]),
        "technician": _perms(["lot", "lane"], ["view"]),
    }

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from access.models import Protocol, VisitorPass
        from access.protocols import ADAPTERS, register_adapter
        from community.billing.signals import bill_paid
        from community.consumers import register_group

        from . import (
            payments,
            setup_cache,
            tasks,  # noqa: F401 - registers the tasks in every process (services send them by name)
        )
        from .replay import hikvision_replay_adapter, replay_vzenith
        from .services.allowlist import on_visitor_pass_saved

        register_group("estate.", authorise_parking_group)
        bill_paid.connect(payments.on_bill_paid, dispatch_uid="parking.on_bill_paid")
        for model in setup_cache.CLEARED_BY:
            for signal in (post_save, post_delete):
                signal.connect(
                    setup_cache.setup_cache_clear,
                    sender=model,
                    dispatch_uid=f"parking.setup_cache.{model._meta.label}.{signal is post_save}",
                )
        register_adapter(Protocol.VZENITH, replay_vzenith)
        # Kept ANPR notifications replay through the ANPR parser, not the face terminals'.
        if getattr(ADAPTERS.get(Protocol.HIKVISION), "__name__", "") != "replay_hikvision":
            register_adapter(Protocol.HIKVISION, hikvision_replay_adapter(ADAPTERS[Protocol.HIKVISION]))
        # A visitor's plate goes onto the cameras' own lists (Hikvision) when the pass is saved.
        post_save.connect(on_visitor_pass_saved, sender=VisitorPass, dispatch_uid="parking.allowlist.pass")
