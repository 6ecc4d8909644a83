"""Writes to the community core: staff memberships, occupancies, announcements (API and admin).

Each function is keyword-only, runs in one transaction and leaves the database consistent
with its constraints (one primary contact per unit, end ≥ start).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from community.accounts.roles import StaffRole, group_name

from .models import Announcement, Estate, Occupancy, OccupancyRole, Resident, StaffMembership, Unit

# Sent after an occupancy ends. Other apps react to move-outs (access revokes credentials)
# without the core importing them.
occupancy_ended = Signal()
# Sent inside the transaction that creates an occupancy (a move-in): the exchange outbox
# writes the registration change in the same transaction.
occupancy_started = Signal()


def _user_or_none(by):
    """The user to record for ``by``; None for a system actor ("system:<job>")."""
    return by if getattr(by, "pk", None) else None


def _sync_staff_groups(user) -> None:
    roles = set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))
    role_groups = Group.objects.filter(name__in=[group_name(r) for r in StaffRole.values])
    wanted = [g for g in role_groups if g.name in {group_name(r) for r in roles}]
    user.groups.remove(*[g for g in role_groups if g not in wanted])
    user.groups.add(*wanted)
    if roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


@transaction.atomic
def staff_membership_create(*, user, estate: Estate, role: str, by) -> StaffMembership:
    if role not in StaffRole.values:
        raise ValidationError({"role": _("Unknown staff role: %(role)s") % {"role": role}})
    membership, _created = StaffMembership.objects.get_or_create(
        user=user, estate=estate, role=role, defaults={"created_by": _user_or_none(by)}
    )
    _sync_staff_groups(user)
    return membership


@transaction.atomic
def staff_membership_delete(*, membership: StaffMembership, by) -> None:
    # ``by`` is required so every caller names the actor; the row (and its created_by) goes.
    user = membership.user
    membership.delete()
    _sync_staff_groups(user)


@transaction.atomic
def occupancy_start(
    *,
    by,
    resident: Resident,
    unit: Unit,
    role: str,
    start_date: dt.date | None = None,
    is_primary_contact: bool = False,
) -> Occupancy:
    unit = Unit.objects.select_related("building").select_for_update().get(pk=unit.pk)
    if unit.building.estate_id != resident.estate_id:
        raise ValidationError(_("The resident and the unit belong to different estates."))
    if role not in OccupancyRole.values:
        raise ValidationError({"role": _("Unknown occupancy role.")})
    if Occupancy.objects.filter(resident=resident, unit=unit, end_date__isnull=True).exists():
        raise ValidationError(_("This resident already lives in this unit."))
    if is_primary_contact:
        # The unit row lock above serialises concurrent primary-contact changes for this unit.
        Occupancy.objects.filter(unit=unit, is_primary_contact=True, end_date__isnull=True).update(
            is_primary_contact=False
        )
    occupancy = Occupancy(
        resident=resident,
        unit=unit,
        role=role,
        start_date=start_date or timezone.localdate(),
        is_primary_contact=is_primary_contact,
        created_by=_user_or_none(by),
    )
    occupancy.full_clean()
    occupancy.save()
    occupancy_started.send(sender=Occupancy, occupancy=occupancy)
    return occupancy


@transaction.atomic
def occupancy_update(
    *,
    by,
    occupancy: Occupancy,
    role: str,
    start_date: dt.date,
    is_primary_contact: bool,
) -> Occupancy:
    """Change an occupancy's role, start date or primary-contact flag (unit and resident stay).

    Making it the primary contact takes the flag from the unit's current primary contact.
    """
    unit = Unit.objects.select_for_update().get(pk=occupancy.unit_id)
    occupancy = Occupancy.objects.select_for_update().get(pk=occupancy.pk)
    if role not in OccupancyRole.values:
        raise ValidationError({"role": _("Unknown occupancy role.")})
    if is_primary_contact and occupancy.end_date is not None:
        raise ValidationError({"is_primary_contact": _("An ended occupancy cannot be the primary contact.")})
    if is_primary_contact and not occupancy.is_primary_contact:
        Occupancy.objects.filter(unit=unit, is_primary_contact=True, end_date__isnull=True).exclude(
            pk=occupancy.pk
        ).update(is_primary_contact=False)
    occupancy.role = role
    occupancy.start_date = start_date
    occupancy.is_primary_contact = is_primary_contact
    occupancy.updated_by = _user_or_none(by)
    occupancy.full_clean()
    occupancy.save(update_fields=["role", "start_date", "is_primary_contact", "updated_by"])
    return occupancy


@transaction.atomic
def occupancy_end(*, occupancy: Occupancy, by, end_date: dt.date | None = None) -> Occupancy:
    """Record a move-out. The end date is the first day gone (half-open occupancy).

    An end date today or in the past takes effect now: ``occupancy_ended`` is sent (access
    revokes credentials and visitor passes). A future end date is only scheduled: the tie stays
    active until then and ``occupancies_end_due`` sends the signal on that day.
    """
    occupancy = Occupancy.objects.select_for_update().get(pk=occupancy.pk)
    if occupancy.end_date is not None:
        raise ValidationError(_("This occupancy has already ended."))
    end_date = end_date or timezone.localdate()
    if end_date < occupancy.start_date:
        raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
    occupancy.end_date = end_date
    occupancy.ended_by = _user_or_none(by)
    # The successor becomes the contact from the day the end is entered, even a future one.
    occupancy.is_primary_contact = False
    occupancy.save(update_fields=["end_date", "is_primary_contact", "ended_by"])
    if end_date <= timezone.localdate():
        _move_out(occupancy, by=by)
    return occupancy


def _move_out(occupancy: Occupancy, *, by) -> None:
    occupancy.move_out_done_at = timezone.now()
    occupancy.save(update_fields=["move_out_done_at"])
    occupancy_ended.send(sender=Occupancy, occupancy=occupancy, by=by)


@transaction.atomic
def resident_move_out_all(*, residents, by) -> int:
    """Move out now every tie of ``residents`` not yet moved out, before their records are
    deleted (e.g. on request under PIPL); returns how many.

    An open tie ends today. A tie whose move-out was only scheduled (a future end date, not yet
    carried out) moves out now too: deleting the person takes the tie with it, so the daily
    ``occupancies_end_due`` run would never see it, and the move-out reactions (gate credentials
    and visitor passes revoked, ``occupancy_ended``) would never happen.
    """
    ties = (
        Occupancy.objects.select_for_update()
        .filter(resident__in=residents, move_out_done_at__isnull=True)
        .order_by("pk")
    )
    done = 0
    today = timezone.localdate()
    for occupancy in ties:
        if occupancy.end_date is None:
            # A tie that has not begun yet (a tenant moving in next month) ends on its first
            # day: an end before the start is refused, and it is still moved out below.
            occupancy = occupancy_end(occupancy=occupancy, by=by, end_date=max(today, occupancy.start_date))
        if occupancy.move_out_done_at is None:
            _move_out(occupancy, by=by)
        done += 1
    return done


def occupancies_end_due(*, by: str, on: dt.date | None = None) -> int:
    """Carry out the move-outs whose (scheduled) end date has come; returns how many.

    Run daily by the ``residents.end_due`` task and the ``occupancies_end_due`` command. Each
    move-out is its own transaction, locked and re-checked, so two runs never process one twice.
    """
    on = on or timezone.localdate()
    due = Occupancy.objects.filter(end_date__lte=on, move_out_done_at__isnull=True).order_by("end_date", "pk")
    done = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            occupancy = (
                Occupancy.objects.select_for_update().filter(pk=pk, move_out_done_at__isnull=True).first()
            )
            if occupancy is None:
                continue
            _move_out(occupancy, by=by)
            done += 1
    return done


# --- Announcements ------------------------------------------------------------------------------


def _check_announcement_window(publish_at: dt.datetime, expires_at: dt.datetime | None) -> None:
    if expires_at is not None and expires_at <= publish_at:
        raise ValidationError({"expires_at": _("The expiry time must be after the publish time.")})


@transaction.atomic
def announcement_create(
    *,
    estate: Estate,
    title: str,
    body: str,
    by,
    pinned: bool = False,
    publish_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> Announcement:
    announcement = Announcement(
        estate=estate,
        title=title,
        body=body,
        pinned=pinned,
        publish_at=publish_at or timezone.now(),
        expires_at=expires_at,
        created_by=_user_or_none(by),
    )
    _check_announcement_window(announcement.publish_at, announcement.expires_at)
    announcement.full_clean()
    announcement.save()
    return announcement


_ANNOUNCEMENT_EDITABLE = frozenset({"estate", "title", "body", "pinned", "publish_at", "expires_at"})


@transaction.atomic
def announcement_update(*, announcement: Announcement, by, **changes) -> Announcement:
    unknown = set(changes) - _ANNOUNCEMENT_EDITABLE
    if unknown:
        raise TypeError(f"announcement_update: not editable: {sorted(unknown)}")
    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    for name, value in changes.items():
        setattr(announcement, name, value)
    announcement.updated_by = _user_or_none(by)
    _check_announcement_window(announcement.publish_at, announcement.expires_at)
    announcement.full_clean()
    announcement.save()
    return announcement


@transaction.atomic
def announcement_delete(*, announcement: Announcement, by) -> None:
    announcement.delete()
