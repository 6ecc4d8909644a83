from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"voting.{a}_{m}" for m in models for a in actions]


class VotingConfig(AppConfig):
    name = "community.voting"
    label = "voting"
    verbose_name = _("Owners' assembly")

    # Managers run meetings (with the owners' committee); the front desk takes paper and proxy
    # ballots over the counter and sees the roll. Ballots and results are never edited by hand:
    # services write them.
    role_permissions = {
        "manager": _perms(["meeting", "motion", "motionattachment"], ["view", "add", "change", "delete"])
        + _perms(["rollentry", "rollunit", "motionresult"], ["view"])
        + _perms(["rollcorrection", "proxyauthorisation", "ballot"], ["view", "add"])
        + _perms(["votingsettings"], ["view", "add", "change"]),
        "front_desk": _perms(
            ["meeting", "motion", "motionattachment", "rollentry", "rollunit", "motionresult"], ["view"]
        )
        + _perms(["proxyauthorisation", "ballot"], ["view", "add"]),
    }
