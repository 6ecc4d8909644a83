"""Baselines for bench/access_ingest.py, served by the same server as the real endpoints.

Mounted only by ``bench.server.urls`` (the benchmark starts ``make prod`` with
DJANGO_SETTINGS_MODULE=bench.server.settings), never by the product's URLconf. No
authentication, no validation, no dedupe beyond ON CONFLICT, no fan-out: the floor the real
endpoints are compared with.
"""

from __future__ import annotations

import json

from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

COLUMNS = (
    "estate_id",
    "device_id",
    "gate_id",
    "occurred_at",
    "received_at",
    "direction",
    "method",
    "result",
    "reason",
    "credential_value",
    "plate",
    "vendor_code",
    "idempotency_key",
    "replayed",
    "clock_skewed",
    "snapshot",
)


def _row(event: dict, estate: int, device: int, now) -> tuple:
    credential = event.get("credential") or {}
    return (
        estate,
        device,
        None,
        event["occurred_at"],
        now,
        event.get("direction", "unknown"),
        event.get("method", "other"),
        event["result"],
        event.get("reason", ""),
        credential.get("value", ""),
        "",
        "",
        event["event_id"],
        False,
        False,
        "",
    )


@csrf_exempt
def copy_batch(request):
    """COPY a batch into a staging table, then INSERT … ON CONFLICT DO NOTHING."""
    estate, device = int(request.GET["estate"]), int(request.GET["device"])
    events = json.loads(request.body)["events"]
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_stage (LIKE access_accessevent INCLUDING DEFAULTS) "
            "ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(f"COPY bench_stage ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for event in events:
                copy.write_row(_row(event, estate, device, now))
        cursor.execute(
            f"INSERT INTO access_accessevent ({', '.join(COLUMNS)}) "
            f"SELECT {', '.join(COLUMNS)} FROM bench_stage ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
    return JsonResponse({"accepted": inserted})


@csrf_exempt
def insert_one(request):
    """Insert one row, unvalidated."""
    estate, device = int(request.GET["estate"]), int(request.GET["device"])
    event = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO access_accessevent ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
            "ON CONFLICT DO NOTHING",
            _row(event, estate, device, timezone.now()),
        )
    return JsonResponse({"accepted": 1})
