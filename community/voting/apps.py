from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"voting.{a}_{m}" for m in models for a in actions]


class VotingConfig(AppConfig):
    name = "community.voting"
    label = "voting"
    verbose_name = _("Owners' assembly")

    # Only the roles named here touch the assembly (#15: roles, not membership): technicians,
    # security, eldercare and the community office see no meetings and no ballots.
    # Managers assist the convenor (owners' committee or preparatory group) in running meetings;
    # the front desk takes paper and proxy ballots over the counter and keys them in. Nobody on
    # the staff confirms a paper ballot: scrutineers are residents, in the portal. Ballots,
    # results and events are never edited by hand: services write them.
    role_permissions = {
        "manager": _perms(
            ["meeting", "motion", "motionattachment", "candidate"], ["view", "add", "change", "delete"]
        )
        + _perms(
            [
                "rollentry",
                "rollunit",
                "motionresult",
                "candidateresult",
                "ballot",
                "meetingevent",
                "scopeentrance",
            ],
            ["view"],
        )
        + _perms(
            ["rollcorrection", "proxyauthorisation", "paperballot", "identitydecision", "scrutineer"],
            ["view", "add"],
        )
        + _perms(["votingsettings"], ["view", "add", "change"]),
        "front_desk": _perms(
            [
                "meeting",
                "motion",
                "motionattachment",
                "candidate",
                "rollentry",
                "rollunit",
                "motionresult",
                "candidateresult",
                "ballot",
            ],
            ["view"],
        )
        + _perms(["proxyauthorisation", "paperballot"], ["view", "add"]),
    }

    def ready(self) -> None:
        # Registers the tasks with Celery in every process (services schedule them by name).
        # Registers the notification messages, so stored rows render even in a process that
        # never imported the services.
        from . import (
            messages,  # noqa: F401
            tasks,  # noqa: F401
        )
