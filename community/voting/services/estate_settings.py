"""An estate's voting settings, written through one service (admin included)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import VotingSettings
from .common import require_permission

SETTINGS_FIELDS = frozenset(
    {
        "non_voters_follow_majority",
        "follow_majority_clause",
        "proxy_principal_limit",
        "parking_spaces_count",
        "blank_is_abstention",
    }
)


@transaction.atomic
def voting_settings_save(*, estate, by, **fields) -> VotingSettings:
    """Create or change an estate's voting settings. "Non-voters follow the majority" needs the
    uploaded clause of the estate's rules that adopts it."""
    require_permission(by, estate.pk, "voting.change_votingsettings")
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    found = VotingSettings.objects.select_for_update().filter(estate=estate).first()
    settings_ = found or VotingSettings(estate=estate)
    for name, value in fields.items():
        setattr(settings_, name, value)
    if settings_.non_voters_follow_majority and not settings_.follow_majority_clause:
        raise ServiceError(
            {
                "follow_majority_clause": [
                    _("Upload the clause of the estate's rules that adopts “non-voters follow the majority”.")
                ]
            }
        )
    settings_.full_clean()
    settings_.save()
    return settings_
