from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_CORE = ["estate", "building", "unit", "resident", "occupancy", "announcement"]


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"residents.{a}_{m}" for m in models for a in actions]


class ResidentsConfig(AppConfig):
    name = "community.residents"
    label = "residents"
    verbose_name = _("Residents and homes")

    # Technicians see residents and occupancies (to reach whoever reported a fault) but change
    # nothing here.
    role_permissions = {
        "manager": _perms(
            ["building", "unit", "resident", "occupancy", "announcement", "staffmembership"],
            ["view", "add", "change", "delete"],
        )
        + _perms(["estate"], ["view", "change"]),
        "front_desk": _perms(["building", "unit"], ["view"])
        + _perms(["resident", "occupancy", "announcement"], ["view", "add", "change"])
        + _perms(["estate"], ["view"]),
        "technician": _perms(["estate", "building", "unit", "resident", "occupancy"], ["view"]),
        "security": _perms(["estate", "building", "unit", "resident", "occupancy"], ["view"]),
        "eldercare_coordinator": _perms(["estate", "building", "unit", "resident", "occupancy"], ["view"]),
    }
