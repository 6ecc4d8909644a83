"""Credentials (cards, faces, PINs) and their sync to devices that keep their own user list.

A device that decides locally (``Device.keeps_user_list``: ZKTeco) holds one user per
resident, its PIN the resident id, carrying one card. Every change to a resident's credentials
queues the command that brings that user in line with what is live *now*: an update while
something is live, a delete once nothing is. A validity that ends later is enforced on the
device by ``credentials_sync_due`` (a periodic job) when the start or the end comes.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError, text_within
from community.residents.models import Occupancy, Resident

from ..models import (
    USER_LIST_PROTOCOLS,
    AuditAction,
    Credential,
    CredentialKind,
    Device,
    DeviceCommand,
    RevokeReason,
)
from .audit import Actor, audit_record

# credentials_sync_due looks this far back for validities that began or ended, so a job that
# did not run for a while (embedded mode, an outage) still catches up.
SYNC_LOOKBACK = dt.timedelta(days=1)


def _user_command(resident: Resident, card: Credential | None, at: dt.datetime) -> str:
    """The ZKTeco user-list command for ``resident``: an update carrying ``card`` (or no card
    when only a face or PIN is live), a delete when nothing of theirs is live (``None``)."""
    if card is None and not Credential.objects.active(at).filter(resident_id=resident.pk).exists():
        return f"DATA DELETE USERINFO PIN={resident.pk}"
    # No name: the panel decides by PIN and card, and its command queue is readable by whoever
    # holds its SN (issue #15); staff see the person by the PIN (the resident id) on the platform.
    fields = [f"PIN={resident.pk}", "Pri=0"]
    if card is not None:
        fields.append(f"Card={card.value}")
    return "DATA UPDATE USERINFO " + "\t".join(fields)


def _queue_sync(credential: Credential, at: dt.datetime | None = None) -> list[DeviceCommand]:
    """Queue, for every enabled user-list device of the estate, the command that makes the
    device's user for ``credential``'s resident match their live credentials at ``at`` (now)."""
    at = at or timezone.now()
    devices = list(
        Device.objects.filter(
            estate_id=credential.estate_id, protocol__in=USER_LIST_PROTOCOLS, enabled=True
        ).order_by("pk")
    )
    if not devices:
        return []
    live_cards = Credential.objects.active(at).filter(
        resident_id=credential.resident_id, kind=CredentialKind.CARD
    )
    card = live_cards.filter(pk=credential.pk).first() or live_cards.order_by("-pk").first()
    command = _user_command(credential.resident, card, at)
    return DeviceCommand.objects.bulk_create(
        [DeviceCommand(device=d, credential=credential, command=command) for d in devices]
    )


def _check_window(valid_from: dt.datetime | None, valid_until: dt.datetime | None) -> None:
    if valid_from and valid_until and valid_until <= valid_from:
        raise ServiceError({"valid_until": _("The end must be after the start.")})


def _audit(credential: Credential, action: AuditAction, *, by: Actor, params: dict) -> None:
    audit_record(action=action, by=by, estate_id=credential.estate_id, credential=credential, params=params)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


@transaction.atomic
def credential_issue(
    *,
    resident: Resident,
    kind: str,
    value: str,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    by: Actor,
) -> Credential:
    if kind not in CredentialKind.values:
        raise ServiceError({"kind": _("Unknown credential kind.")})
    value = text_within(value, Credential, "value")
    if not value:
        raise ServiceError({"value": _("A credential needs a value.")})
    _check_window(valid_from, valid_until)
    if Credential.objects.filter(
        estate_id=resident.estate_id, kind=kind, value=value, revoked_at__isnull=True
    ).exists():
        raise ServiceError({"value": _("This %(kind)s is already issued in this estate.") % {"kind": kind}})
    credential = Credential.objects.create(
        estate_id=resident.estate_id,
        resident=resident,
        kind=kind,
        value=value,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _audit(
        credential,
        AuditAction.CREDENTIAL_ISSUED,
        by=by,
        params={"kind": kind, "valid_from": _iso(valid_from), "valid_until": _iso(valid_until)},
    )
    _queue_sync(credential)
    return credential


@transaction.atomic
def credential_update(
    *,
    credential: Credential,
    valid_from: dt.datetime | None,
    valid_until: dt.datetime | None,
    by: Actor,
) -> Credential:
    """Change a credential's validity window and tell the devices that hold a copy.

    Only the window changes: a different card or person is a revoke and a new issue.
    """
    credential = Credential.objects.select_for_update().select_related("resident").get(pk=credential.pk)
    if credential.revoked_at:
        raise ServiceError(_("A revoked credential cannot be changed; issue a new one."))
    _check_window(valid_from, valid_until)
    if (credential.valid_from, credential.valid_until) == (valid_from, valid_until):
        return credential
    before = {"was_valid_from": _iso(credential.valid_from), "was_valid_until": _iso(credential.valid_until)}
    credential.valid_from, credential.valid_until = valid_from, valid_until
    credential.save(update_fields=["valid_from", "valid_until"])
    _audit(
        credential,
        AuditAction.CREDENTIAL_UPDATED,
        by=by,
        params={"valid_from": _iso(valid_from), "valid_until": _iso(valid_until), **before},
    )
    _queue_sync(credential)
    return credential


@transaction.atomic
def credential_revoke(*, credential: Credential, reason: str, by: Actor) -> Credential:
    if reason not in RevokeReason.values:
        raise ServiceError({"reason": _("Unknown revoke reason.")})
    credential = Credential.objects.select_for_update().select_related("resident").get(pk=credential.pk)
    if credential.revoked_at:
        return credential
    credential.revoked_at = timezone.now()
    credential.revoked_reason = reason
    credential.save(update_fields=["revoked_at", "revoked_reason"])
    _audit(credential, AuditAction.CREDENTIAL_REVOKED, by=by, params={"reason": reason})
    # The device keeps one user per resident: deleted only when nothing else of theirs is live.
    _queue_sync(credential)
    return credential


def credentials_revoke_on_move_out(sender=None, *, occupancy: Occupancy, by: Actor, **kwargs) -> int:
    """Signal receiver: a resident who no longer lives anywhere in the estate loses their
    credentials, recorded as revoked by whoever ended the occupancy (``occupancy_ended`` always
    names them: a user, or the ``system:<job>`` that carried out a scheduled move-out)."""
    # "Still lives elsewhere" is any other tie active today, leases with an end date included:
    # an owner of 101 who rents 102 keeps their card when they leave 101.
    still_living = (
        Occupancy.objects.active().filter(resident_id=occupancy.resident_id).exclude(pk=occupancy.pk).exists()
    )
    if still_living:
        return 0
    count = 0
    for credential in Credential.objects.active().filter(resident_id=occupancy.resident_id):
        credential_revoke(credential=credential, reason=RevokeReason.MOVE_OUT, by=by)
        count += 1
    return count


@transaction.atomic
def credentials_sync_due(*, by: Actor, now: dt.datetime | None = None) -> int:
    """Queue device commands for credentials whose validity began or ended since their last
    sync, so a card starts or stops opening gates that decide locally at the right time (the
    device has no notion of validity). Each sync is recorded with ``by`` (the periodic job).
    Returns how many credentials were synced."""
    now = now or timezone.now()
    recent = Credential.objects.filter(revoked_at__isnull=True).select_related("resident").order_by("pk")
    since = now - SYNC_LOOKBACK
    began = recent.filter(valid_from__lte=now, valid_from__gt=since).exclude(
        commands__created_at__gte=F("valid_from")
    )
    ended = recent.filter(valid_until__lte=now, valid_until__gt=since).exclude(
        commands__created_at__gte=F("valid_until")
    )
    synced = 0
    for credential in [*began, *ended]:
        commands = _queue_sync(credential, now)
        if commands:
            _audit(credential, AuditAction.CREDENTIAL_SYNCED, by=by, params={"commands": len(commands)})
            synced += 1
    return synced
