import re

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_ACCESS_GROUP = re.compile(r"^estate\.(\d+)\.access$")
# Who may follow an estate's live gate feed (page and websocket alike).
FEED_PERMISSION = "access.view_accessevent"


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"access.{a}_{m}" for m in models for a in actions]


def authorise_access_group(user, group: str) -> bool:
    """``estate.<id>.access`` (live gate feed): staff whose role in that estate may view the
    access log (manager, front desk, security) — not every staff member: the feed names
    residents, and an eldercare worker has no business following who comes and goes."""
    from community.scoping import staff_estate_ids_for_perm

    match = _ACCESS_GROUP.match(group)
    if not match or not user.is_staff:
        return False
    ids = staff_estate_ids_for_perm(user, FEED_PERMISSION)
    return ids is None or int(match.group(1)) in ids


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("Access control")

    # The access log is append-only: nobody gets add/change/delete on AccessEvent.
    role_permissions = {
        "manager": _perms(["gate", "device", "credential"], ["view", "add", "change"])
        + _perms(
            [
                "accessevent",
                "visitorpass",
                "devicecommand",
                "rawdevicemessage",
                "movementlookup",
                "accessaudit",
            ],
            ["view"],
        ),
        "front_desk": _perms(["credential"], ["view", "add", "change"])
        + _perms(["gate", "visitorpass", "accessevent"], ["view"]),
        "security": _perms(["gate", "device", "accessevent", "visitorpass", "devicecommand"], ["view"]),
        "technician": _perms(["gate", "device", "devicecommand", "rawdevicemessage"], ["view"])
        + _perms(["device"], ["change"]),
    }

    def ready(self) -> None:
        # Imported here, not at the top: models (and what imports them) load only once the
        # app registry is ready, which is what ready() is for.
        from django.db.models.signals import post_delete, post_save

        from community.consumers import register_group
        from community.residents.services import occupancy_ended

        from .device_auth import device_cache_clear
        from .models import Device
        from .services import credentials_revoke_on_move_out, visitor_passes_revoke_on_move_out

        occupancy_ended.connect(credentials_revoke_on_move_out, dispatch_uid="access.revoke_on_move_out")
        post_save.connect(device_cache_clear, sender=Device, dispatch_uid="access.device_cache_clear.save")
        post_delete.connect(
            device_cache_clear, sender=Device, dispatch_uid="access.device_cache_clear.delete"
        )
        occupancy_ended.connect(
            visitor_passes_revoke_on_move_out, dispatch_uid="access.revoke_passes_on_move_out"
        )
        register_group("estate.", authorise_access_group)
