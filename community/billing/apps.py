from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"billing.{a}_{m}" for m in models for a in actions]


# Records the platform writes (bills come from the bill run or another app's charge; payments
# and notifications from providers): staff look, and correct them only through services.
_LEDGER = [
    "bill",
    "billline",
    "payment",
    "paymentnotification",
    "receipt",
    "prepaidentry",
    "refund",
    "reminder",
    "fapiaorequest",
    "statement",
    "statementmismatch",
    "meterpush",
]
_SETUP = [
    "chargeitem",
    "tariff",
    "assignment",
    "merchant",
    "latefeepolicy",
    "meter",
    "meterreading",
    "metergateway",
    "householdaccount",
]


class BillingConfig(AppConfig):
    name = "community.billing"
    label = "billing"
    verbose_name = _("Fees and payments")

    role_permissions = {
        "manager": _perms(_SETUP, ["view", "add", "change", "delete"])
        + _perms(_LEDGER, ["view"])
        + _perms(["billline", "payment", "refund", "prepaidentry"], ["add"])
        + _perms(["fapiaorequest"], ["change"]),
        "front_desk": _perms(_SETUP, ["view"]) + _perms(_LEDGER, ["view"]) + _perms(["payment"], ["add"]),
    }

    def ready(self) -> None:
        # Registers billing's messages, which notifications render when they are read.
        from . import messages  # noqa: F401
