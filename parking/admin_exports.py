"""Excel in and out: stays exported for the office; vehicles and permits imported row by row,
each row through the same services as a form, with its own error."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from community.residents.models import Resident
from community.scoping import staff_scope

from .models import Lot, PermitKind, Session, Vehicle
from .services import clean_plate, permit_create, vehicle_save
from .views import _staff_estate

EXPORT_DAYS = 31
MAX_IMPORT_ROWS = 5000


def _naive(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def sessions_workbook(sessions) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "stays"
    sheet.append([_("Plate"), _("Lot"), _("Kind"), _("Entered"), _("Left"), _("Status"), _("Fee"), _("Paid")])
    for s in sessions:
        sheet.append(
            [
                s.plate,
                s.lot.name,
                s.get_kind_display(),
                _naive(s.entered_at),
                _naive(s.exited_at),
                s.get_status_display(),
                s.fee,
                s.paid_amount,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sessions_export(request):
    found = _staff_estate(request)
    if found is None:
        raise PermissionDenied
    _estates, estate = found
    since = timezone.now() - dt.timedelta(days=EXPORT_DAYS)
    sessions = (
        staff_scope(Session.objects.filter(estate_id=estate.pk), request.user)
        .filter(entered_at__gte=since)
        .select_related("lot")
        .order_by("-entered_at")
    )
    response = HttpResponse(
        sessions_workbook(sessions),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="parking-{estate.code}-{timezone.localdate():%Y%m%d}.xlsx"'
    )
    return response


@dataclass
class ImportResult:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _rows(upload) -> list[tuple]:
    book = load_workbook(upload, read_only=True, data_only=True)
    rows = list(book.active.iter_rows(min_row=2, max_row=MAX_IMPORT_ROWS + 1, values_only=True))
    return [r for r in rows if any(c not in (None, "") for c in r)]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def vehicles_permits_import(*, estate, upload, by) -> ImportResult:
    """Columns: plate, owner phone (optional), lot name (optional), permit kind (optional),
    valid from (date), valid until (date), price. One row, one car (and its permit)."""
    result = ImportResult()
    lots = {lot.name: lot for lot in Lot.objects.filter(estate=estate)}
    tz = timezone.get_current_timezone()
    for number, row in enumerate(_rows(upload), start=2):
        row = (*row, *([None] * 7))[:7]
        plate, phone, lot_name, kind, valid_from, valid_until, price = row
        try:
            with transaction.atomic():  # a row is imported whole or not at all
                _import_row(
                    estate, lots, tz, plate, phone, lot_name, kind, valid_from, valid_until, price, by
                )
            result.created += 1
        except (ValidationError, PermissionDenied) as exc:
            result.errors.append((number, " ".join(getattr(exc, "messages", [str(exc)]))))
    return result


def _import_row(estate, lots, tz, plate, phone, lot_name, kind, valid_from, valid_until, price, by) -> None:
    plate = clean_plate(_text(plate))
    vehicle = Vehicle.objects.filter(estate=estate, plate=plate).first()
    if vehicle is None:
        owner = None
        if _text(phone):
            owner = Resident.objects.filter(estate=estate, phone=_text(phone)).first()
            if owner is None:
                raise ValidationError(_("No resident with phone %(phone)s.") % {"phone": _text(phone)})
        vehicle = vehicle_save(
            instance=Vehicle(estate=estate, plate=plate, owner=owner, approved=True), by=by
        )
    if _text(kind):
        if _text(kind) not in PermitKind.values:
            raise ValidationError(_("Unknown permit kind %(kind)s.") % {"kind": _text(kind)})
        lot = lots.get(_text(lot_name))
        if lot is None:
            raise ValidationError(_("No lot named %(name)s.") % {"name": _text(lot_name)})
        start = valid_from if isinstance(valid_from, dt.datetime) else None
        if start is None:
            raise ValidationError(_("Valid from must be a date."))
        end = valid_until if isinstance(valid_until, dt.datetime) else None
        permit_create(
            vehicle=vehicle,
            lot=lot,
            kind=_text(kind),
            valid_from=start.replace(tzinfo=tz),
            valid_until=end.replace(tzinfo=tz) if end else None,
            price=price or 0,
            by=by,
        )
