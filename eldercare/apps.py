from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"eldercare.{a}_{m}" for m in models for a in actions]


_MANAGED = [
    "elderprofile",
    "emergencycontact",
    "consent",
    "abilityassessment",
    "carestation",
    "serviceitem",
    "order",
    "recurringplan",
    "subsidypolicy",
    "alarm",
    "caresettings",
    "dutyshift",
]


def authorise_care_group(user, group: str) -> bool:
    """``care.estate.<id>.orders|alarms``: the estate's care staff; ``care.order.<id>``: the
    order's family and the estate's care staff."""
    from . import selectors

    parts = group.split(".")
    if len(parts) == 4 and parts[1] == "estate" and parts[3] in ("orders", "alarms") and parts[2].isdigit():
        return selectors.is_care_staff(user, int(parts[2]))
    if len(parts) == 3 and parts[1] == "order" and parts[2].isdigit():
        order_id = int(parts[2])
        return (
            selectors.family_orders(user).filter(pk=order_id).exists()
            or selectors.staff_orders(user).filter(pk=order_id).exists()
        )
    return False


def _worker_badge(user) -> int:
    from .selectors import worker_badge

    return worker_badge(user)


class EldercareConfig(AppConfig):
    name = "eldercare"
    verbose_name = _("Home eldercare")

    role_permissions = {
        "manager": _perms(_MANAGED, ["view", "add", "change"]) + _perms(["voucher", "careaudit"], ["view"]),
        "eldercare_coordinator": _perms(_MANAGED, ["view", "add", "change"])
        + _perms(["voucher", "careaudit"], ["view"]),
        "eldercare_worker": _perms(["order", "elderprofile", "alarm", "serviceitem"], ["view"]),
    }

    def ready(self) -> None:
        from community.consumers import register_group
        from community.worker import register_section

        from . import receivers

        register_group("care.", authorise_care_group)
        receivers.connect()
        register_section(
            key="care",
            title=_("Home care"),
            url_name="care_worker:index",
            icon="home",
            roles={"eldercare_worker", "eldercare_coordinator"},
            badge=_worker_badge,
            order=20,
        )
        # The community office's roster of elders living alone is this app's data; the core
        # asks for it by kind and imports nothing of eldercare.
        from community.affairs.rosters import register_roster_provider

        from .selectors import elders_living_alone_for_roster

        register_roster_provider("elders_alone", elders_living_alone_for_roster)
