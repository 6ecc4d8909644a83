"""Door devices and vehicles for the destinations (GA/T 1400 ``DoorDevices`` / ``CarInfos``).

These are registries — state, not events — so they are synchronised rather than signalled: each
run reads the estate's door devices and approved vehicles and appends an outbox record for every
one whose payload differs from the last version recorded (``source_ref`` "<pk>:<version>"),
plus an "out of service" / "removed" version for one that left the registry. A run that dies
rolls back and the next one sees the same differences, so nothing is lost; the unique cause and
a per-estate lock keep each version recorded once. This needs no hook in access or parking, and
no signal that every device or vehicle write (admin, import, service) would have to remember to
send. The price is delay: changes leave with the next run (``exchange.statistics_daily``, every
six hours, and ``manage.py exchange_deliver``).

As with passages, only estates with a destination granted the category are read.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from community.residents.models import Estate

from . import services
from .models import Category, DataGrant, OutboxRecord

SOURCES = {Category.DOOR_DEVICE: "access.device", Category.CAR_INFO: "parking.vehicle"}
GONE = {Category.DOOR_DEVICE: {"status": "out_of_service"}, Category.CAR_INFO: {"status": "removed"}}
# The first key of the PostgreSQL advisory lock serialising one estate's sync (the second is the
# estate id); a number of its own, apart from access's 7100.
REGISTRY_LOCK_NAMESPACE = 7170


def door_devices(estate: Estate) -> dict[int, dict]:
    """The estate's door devices (approved gate terminals) as payloads, by device id."""
    if not apps.is_installed("access"):
        return {}
    Device = apps.get_model("access", "Device")
    rows = Device.objects.filter(estate=estate, kind="gate", approved=True).select_related("gate")
    return {
        d.pk: {
            "estate_code": estate.code,
            "name": d.name,
            "gate": d.gate.name if d.gate_id else "",
            "serial_number": d.serial_number or "",
            "status": "in_service" if d.enabled else "out_of_service",
            "registered_at": d.created_at.isoformat(),
        }
        for d in rows
    }


def car_infos(estate: Estate) -> dict[int, dict]:
    """The estate's approved vehicles with their owners as payloads, by vehicle id."""
    if not apps.is_installed("parking"):
        return {}
    Vehicle = apps.get_model("parking", "Vehicle")
    rows = Vehicle.objects.filter(estate=estate, approved=True).select_related("owner")
    return {
        v.pk: {
            "estate_code": estate.code,
            "plate": v.plate,
            "plate_color": v.colour,
            "owner_name": v.owner.name if v.owner_id else "",
            "owner_phone": str(v.owner.phone or "") if v.owner_id else "",
            "owner_id_number": (v.owner.id_number or "") if v.owner_id else "",
            "status": "registered",
            "registered_at": v.created_at.isoformat(),
        }
        for v in rows
    }


READERS = {Category.DOOR_DEVICE: door_devices, Category.CAR_INFO: car_infos}


def _latest_versions(estate: Estate, category: str) -> dict[int, tuple[int, dict]]:
    latest: dict[int, tuple[int, dict]] = {}
    for ref, payload in (
        OutboxRecord.objects.filter(estate=estate, category=category, source=SOURCES[category])
        .order_by("id")
        .values_list("source_ref", "payload")
    ):
        pk, version = (int(part) for part in ref.split(":"))
        latest[pk] = (version, payload)
    return latest


def registries_sync(*, estate: Estate, by) -> int:
    """Append a version for each door device / vehicle changed since the last run; returns how many."""
    granted = set(
        DataGrant.objects.filter(system__estate=estate, category__in=list(READERS)).values_list(
            "category", flat=True
        )
    )
    if not granted:
        return 0
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REGISTRY_LOCK_NAMESPACE, estate.pk])
        records = []
        for category in sorted(granted):
            current = READERS[category](estate)
            latest = _latest_versions(estate, category)
            for pk in sorted(current.keys() | latest.keys()):
                version, last = latest.get(pk, (0, None))
                payload = current.get(pk)
                if payload is None:
                    if last is None or all(last.get(k) == v for k, v in GONE[category].items()):
                        continue  # gone, and already said so
                    payload = {**last, **GONE[category]}
                if payload == last:
                    continue
                records.append(
                    OutboxRecord(
                        estate=estate,
                        category=category,
                        source=SOURCES[category],
                        source_ref=f"{pk}:{version + 1}",
                        payload=payload,
                        occurred_at=now,
                    )
                )
        return len(services.outbox_append_many(records=records))


def registries_sync_all(*, by) -> int:
    estates = Estate.objects.filter(
        pk__in=DataGrant.objects.filter(category__in=list(READERS)).values("system__estate_id")
    )
    return sum(registries_sync(estate=estate, by=by) for estate in estates)
