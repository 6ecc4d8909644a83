"""Rosters with purpose: who is on a list, who may open it, and the record of every opening.

A roster's people come from its own entries, or from a *provider* another app registers for
the roster's kind — eldercare registers the elders living alone — so the core imports none of
them (``register_roster_provider("elders_alone", fn)`` in that app's ``ready()``). Names, phones
and ID numbers are masked in every view and export; opening or exporting needs a reason and is
recorded (RosterAccess), like the movement lookup of the access log.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from community.errors import NotAllowed, ServiceError, text_within
from community.residents.models import Resident, mask_id_number, mask_name, mask_phone
from community.scoping import staff_estate_ids

from .models import Roster, RosterAccess, RosterEntry


@dataclass(frozen=True)
class RosterRow:
    name: str
    phone: str
    id_number: str
    home: str
    note: str


Provider = Callable[[Roster], Iterable[tuple[Resident, str]]]
_PROVIDERS: dict[str, Provider] = {}


def register_roster_provider(kind: str, provider: Provider) -> None:
    _PROVIDERS[kind] = provider


def roster_may_open(user, roster: Roster) -> bool:
    if user.is_superuser:
        return True
    from community.residents.models import StaffMembership

    ids = staff_estate_ids(user)
    if ids is not None and roster.estate_id not in ids:
        return False
    roles = set(
        StaffMembership.objects.filter(user=user, estate_id=roster.estate_id).values_list("role", flat=True)
    )
    return bool(roles & set(roster.visible_roles))


def _people(roster: Roster) -> list[tuple[Resident, str]]:
    provider = _PROVIDERS.get(roster.kind)
    if provider is not None:
        return list(provider(roster))
    entries = roster.entries.select_related("resident").order_by("resident__name")
    return [(e.resident, e.note) for e in entries]


def _homes(residents: list[Resident]) -> dict[int, str]:
    from community.residents.models import Occupancy

    homes: dict[int, str] = {}
    for o in Occupancy.objects.active().filter(resident__in=residents).select_related("unit__building"):
        homes.setdefault(o.resident_id, f"{o.unit.building.name} {o.unit.number}")
    return homes


def _rows(roster: Roster) -> list[RosterRow]:
    people = _people(roster)
    homes = _homes([p for p, _note in people])
    return [
        RosterRow(
            mask_name(p.name),
            mask_phone(str(p.phone or "")),
            mask_id_number(p.id_number),
            homes.get(p.pk, ""),
            note,
        )
        for p, note in people
    ]


def _audit(*, roster: Roster, by, action: str, reason: str, people: int) -> None:
    RosterAccess.objects.create(roster=roster, user=by, action=action, reason=reason, people=people)


def _check(roster: Roster, by, reason: str) -> str:
    if not roster_may_open(by, roster):
        raise NotAllowed(_("Your role may not open this roster."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError({"reason": [_("Say why you open this roster.")]})
    return text_within(reason, RosterAccess, "reason")


@transaction.atomic
def roster_view(*, roster: Roster, reason: str, by) -> list[RosterRow]:
    reason = _check(roster, by, reason)
    rows = _rows(roster)
    _audit(roster=roster, by=by, action="view", reason=reason, people=len(rows))
    return rows


@transaction.atomic
def roster_export(*, roster: Roster, reason: str, by) -> bytes:
    reason = _check(roster, by, reason)
    rows = _rows(roster)
    book = Workbook()
    sheet = book.active
    sheet.title = roster.name[:31]
    sheet.append([_("Purpose"), roster.purpose])
    sheet.append([_("Legal basis"), roster.get_legal_basis_display()])
    sheet.append([])
    sheet.append(
        [_("Name"), _("Phone"), _("ID number"), pgettext("dwelling", "Home"), pgettext("roster", "Note")]
    )
    for row in rows:
        sheet.append([row.name, row.phone, row.id_number, row.home, row.note])
    out = io.BytesIO()
    book.save(out)
    _audit(roster=roster, by=by, action="export", reason=reason, people=len(rows))
    return out.getvalue()


@transaction.atomic
def roster_entry_add(*, roster: Roster, resident: Resident, note: str = "", by) -> RosterEntry:
    if not roster_may_open(by, roster):
        raise NotAllowed(_("Your role may not change this roster."))
    if roster.kind in _PROVIDERS:
        raise ServiceError(
            _("This roster is kept by the platform from its source; it is not edited by hand.")
        )
    if resident.estate_id != roster.estate_id:
        raise ServiceError({"resident": [_("Choose a resident of this estate.")]})
    note = text_within(note, RosterEntry, "note")
    entry, _created = RosterEntry.objects.get_or_create(
        roster=roster, resident=resident, defaults={"note": note, "added_by": by}
    )
    return entry
