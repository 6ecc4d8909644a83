"""What one camera read costs in SQL: four statements, whatever the number of cars inside.

A decision is the hot path of the car park (issue #13's benchmark): the per-plate lock with the
read's new id and the look-up of an earlier copy, one statement for every fact the rules need,
the stay's insert or update, and the read's insert with its decision. The camera's lane and the
lot's fee rules come from the process's cache.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parking.models import Session
from tests.factories import PermitFactory, VehicleFactory

from .conftest import EXIT_TOKEN, alarm, response_of

pytestmark = pytest.mark.django_db

# SQLite has no advisory lock (its write lock already serialises writers), but the same first
# statement takes the read's id and looks for an earlier copy.
STATEMENTS_PER_READ = 4


def _statements(vz, body, **kwargs) -> tuple[list[str], dict]:
    with CaptureQueriesContext(connection) as ctx:
        status, answer = vz(body, **kwargs)
    assert status == 200
    # Savepoints are the test's own transaction around the service's atomic block.
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    return sql, response_of(answer)


def test_a_read_costs_four_statements_however_many_cars_are_inside(lanes, vz, lot):
    lot.capacity = 1000
    lot.save()
    # Each camera's first read loads its lane and marks it online.
    vz(alarm("湘A00000"))
    vz(alarm("湘A09999"), token=EXIT_TOKEN)
    entry_small, answer = _statements(vz, alarm("湘A00001"))
    assert answer["info"] == "ok"
    Session.objects.bulk_create(
        [
            Session(estate=lot.estate, lot=lot, plate=f"湘B{n:05d}", kind="temporary", status="open")
            for n in range(200)
        ]
    )
    VehicleFactory.create_batch(20, estate=lot.estate)
    entry_big, _ = _statements(vz, alarm("湘A00002"))
    exit_, answer = _statements(vz, alarm("湘A00001"), token=EXIT_TOKEN)
    assert answer["info"] == "ok"
    assert len(entry_small) == len(entry_big) == STATEMENTS_PER_READ, entry_big
    assert len(exit_) == STATEMENTS_PER_READ, exit_


def test_an_exit_without_entry_looks_up_the_car_once_more(lanes, vz, lot):
    vz(alarm("湘A09999"), token=EXIT_TOKEN)
    exit_, answer = _statements(vz, alarm("湘A00001"), token=EXIT_TOKEN)
    assert answer["info"] == "ok"
    assert len(exit_) == STATEMENTS_PER_READ + 1, exit_


def test_a_resent_read_costs_two_statements_and_writes_nothing(lanes, vz, lot):
    vz(alarm("湘A00000"))
    body = alarm("湘A00001")
    vz(body)
    again, answer = _statements(vz, body)
    assert answer["content"] == "retransfer_stop"
    assert len(again) == 2, again  # the claim finds the first copy; the answer is read from it
    assert not any(sql.startswith(("INSERT", "UPDATE")) for sql in again), again


def test_a_permit_car_costs_the_same(lanes, vz, lot):
    vehicle = VehicleFactory(estate=lot.estate, plate="鄂C12345", approved=True)
    PermitFactory(vehicle=vehicle, lot=lot)
    vz(alarm("湘A00000"))
    entry, answer = _statements(vz, alarm("鄂C12345"))
    assert answer["info"] == "ok"
    assert len(entry) == STATEMENTS_PER_READ, entry


def test_a_lot_near_full_counts_every_time(lanes, vz, lot):
    """The recent count is used only far from full: near it, every read counts exactly."""
    lot.capacity = 1000
    lot.save()
    vz(alarm("湘A00000"))  # counted: 1 inside, far from full; the count is kept a moment
    Session.objects.bulk_create(
        [
            Session(estate=lot.estate, lot=lot, plate=f"湘B{n:05d}", kind="temporary", status="open")
            for n in range(999)
        ]
    )
    # Within the moment the stale count would still say "room": far from full, that is safe
    # (no barrier admits 50 cars in 2 s); a lot of 1,000 with 1,000 inside is not far from full
    # once counted, so the next read after the count's moment is refused.
    from parking import setup_cache

    setup_cache.occupancy_clear()
    _s, answer = vz(alarm("湘A00001"))
    assert answer["Response_AlarmInfoPlate"]["info"] == "no"
    lot.capacity = 60
    lot.save()
    Session.objects.filter(plate__startswith="湘B").exclude(plate__lt="湘B00058").delete()
    assert Session.objects.filter(lot=lot, status="open").count() == 59
    _s, answer = vz(alarm("湘A00002"))  # the 60th: in
    assert answer["Response_AlarmInfoPlate"]["info"] == "ok"
    _s, answer = vz(alarm("湘A00003"))  # near full: counted again, not taken from the last count
    assert answer["Response_AlarmInfoPlate"]["info"] == "no"


def test_statements_are_prepared_only_on_persistent_connections(lanes, vz):
    """Behind PgBouncer's transaction pooling (CONN_MAX_AGE=0) a prepared statement would meet a
    server connection that already holds one of the same name: the read path must not prepare."""
    from django.db import connections

    from parking import prepared
    from parking.prepared import preparing

    connection = connections["default"]
    original = connection.settings_dict.get("CONN_MAX_AGE")
    try:
        connection.settings_dict["CONN_MAX_AGE"] = 0
        assert not preparing(connection)
        with prepared.cursor() as cursor:
            assert type(cursor.cursor).__name__ != "_PreparingCursor"
        status, answer = vz(alarm("湘A00007"))
        assert status == 200 and response_of(answer)["info"] == "ok"
        connection.settings_dict["CONN_MAX_AGE"] = 60
        assert preparing(connection) == (connection.vendor == "postgresql")
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = original
